"""Built-in reward functions and the answer extractors they share (see the package docstring for the API)."""

from __future__ import annotations

import re
import threading
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "accuracy",
    "answer_is_correct",
    "extract_answer",
    "extract_boxed",
    "extract_gsm8k",
    "format_reward",
    "length_penalty",
    "normalize_number",
]

_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")
_GSM8K = re.compile(r"####\s*([^\n]*)")
_THOUSANDS = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)")


def extract_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{...}`` (or ``\\fbox{...}``), braces balanced; None when absent/unclosed."""
    found = None
    for m in _BOXED.finditer(text):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in "{}":
                i += 2  # an escaped brace (\{ \}) is content, not structure
                continue
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        if depth == 0:
            found = text[m.end() : i - 1]
    return found


def extract_gsm8k(text: str) -> str | None:
    """The answer after the last ``####`` marker (GSM8K's gold format), up to the end of that line."""
    matches = _GSM8K.findall(text)
    if not matches:
        return None
    ans = matches[-1].strip()
    return ans or None


def normalize_number(s: str) -> str:
    """Strip dollar signs, surrounding spaces and a final period; drop thousands separators (``1,234`` → ``1234``).

    Only comma groups of exactly three digits are treated as thousands separators, so a tuple like ``1,2`` is
    left alone.
    """
    s = s.strip().strip("$").strip()
    if s.endswith(".") and _NUMBER.fullmatch(s[:-1].replace(",", "")):
        s = s[:-1]
    if _THOUSANDS.fullmatch(s):
        s = s.replace(",", "")
    return s


def extract_answer(text: str) -> str | None:
    """The final answer of a completion: the last ``\\boxed{}``, else the last ``#### x``; None if neither."""
    boxed = extract_boxed(text)
    if boxed is not None:
        return normalize_number(boxed)
    gsm = extract_gsm8k(text)
    return None if gsm is None else normalize_number(gsm)


def _as_decimal(s: str) -> Decimal | None:
    if not _NUMBER.fullmatch(s):
        return None
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def _math_verify_equal(gold: str, pred: str) -> bool:
    from math_verify import LatexExtractionConfig, parse, verify

    # math-verify's timeouts use SIGALRM, which only the main thread may install (elsewhere it raises
    # ValueError). Off the main thread run without its timeout: the RewardRunner's worker process enforces one.
    on_main = threading.current_thread() is threading.main_thread()
    t: Any = 5 if on_main else None  # math-verify takes None as "no timeout" (its annotation says int)
    config = [LatexExtractionConfig(boxed_match_priority=0)]
    gold_parsed = parse("\\boxed{" + gold + "}", extraction_config=config, parsing_timeout=t)
    if not gold_parsed:
        return False
    pred_parsed = parse("\\boxed{" + pred + "}", extraction_config=config, parsing_timeout=t)
    if not pred_parsed:
        return False
    return bool(verify(gold_parsed, pred_parsed, timeout_seconds=t))


def answer_is_correct(completion: str, gold: str) -> bool:
    """Whether a completion's final answer equals the gold answer.

    The gold may be a bare answer (``32``, ``\\frac{1}{2}``), a ``\\boxed{}`` answer or a GSM8K solution ending in
    ``#### 1,234``. The completion must state its answer in ``\\boxed{}`` or after ``####``; text without one
    scores False (no guessing from the last number, which a policy could exploit). Plain numbers are compared
    exactly as decimals; anything else goes to math-verify (gold parsed first, then the prediction).
    """
    gold_answer = extract_answer(gold)
    if gold_answer is None:
        gold_answer = normalize_number(gold)
    if not gold_answer:
        raise ValueError(f"empty gold answer: {gold!r}")
    pred = extract_answer(completion)
    if pred is None or not pred:
        return False
    g, p = _as_decimal(gold_answer), _as_decimal(pred)
    if g is not None and p is not None:
        return g == p
    return _math_verify_equal(gold_answer, pred)


def accuracy(
    completions: list[str], answers: list[str], prompts: list[str] | None = None, **kw
) -> list[float]:
    """1.0 where the completion's final answer matches the gold answer, else 0.0."""
    return [1.0 if answer_is_correct(c, a) else 0.0 for c, a in zip(completions, answers, strict=True)]


_FORMAT = re.compile(r"\s*<think>(?P<think>.*?)</think>(?P<rest>.*)", re.DOTALL)


def format_reward(
    completions: list[str], answers=None, prompts=None, *, completion_prefix: list[str] | None = None, **kw
) -> list[float]:
    """1.0 for ``<think>reasoning</think>`` followed by a final answer (``\\boxed{}`` or ``####``), else 0.0.

    The reasoning must be non-empty, and no further ``<think>``/``</think>`` tag may follow the block. When the
    chat template opened the block in the prompt (``completion_prefix``, e.g. ``<think>\\n``), the completion is
    scored as that prefix followed by the completion: it starts inside the block and lacks the opening tag.
    """
    prefixes = completion_prefix if completion_prefix is not None else [""] * len(completions)
    if len(prefixes) != len(completions):
        raise ValueError(f"{len(prefixes)} completion_prefix values for {len(completions)} completions")
    out = []
    for prefix, c in zip(prefixes, completions, strict=True):
        m = _FORMAT.fullmatch(prefix + c)
        ok = (
            m is not None
            and m.group("think").strip() != ""
            and "<think>" not in m.group("think")
            and "<think>" not in m.group("rest")
            and "</think>" not in m.group("rest")
            and extract_answer(m.group("rest")) is not None
        )
        out.append(1.0 if ok else 0.0)
    return out


def length_penalty(
    completions: list[str],
    answers=None,
    prompts=None,
    *,
    completion_lengths: list[int] | None = None,
    max_new_tokens: int | None = None,
    max: int | None = None,  # noqa: A002 - the argument's name in `.srlm` files: length_penalty(max = 512)
    cache: int | None = None,
    cache_fraction: float = 0.25,
    max_len: int | None = None,
    **kw,
) -> list[float]:
    """DAPO's soft over-length penalty on completion lengths in tokens.

    With ``L = max`` (default ``max_new_tokens``; ``max_len`` is an older name) and a buffer ``C = cache``
    (default ``cache_fraction · L``): 0 up to ``L − C`` tokens, then falling linearly to −1 at ``L``, and −1
    beyond. The engine passes ``completion_lengths`` (token counts) and ``max_new_tokens``.
    """
    if completion_lengths is None:
        raise ValueError("length_penalty needs completion_lengths (token counts) from the caller")
    limit = max if max is not None else max_len if max_len is not None else max_new_tokens
    if limit is None or limit <= 0:
        raise ValueError("length_penalty needs max or max_new_tokens > 0")
    buffer = cache if cache is not None else int(round(cache_fraction * limit))
    if not 0 < buffer <= limit:
        raise ValueError(f"length_penalty cache must be in (0, {limit}], got {buffer}")
    if len(completion_lengths) != len(completions):
        raise ValueError(f"{len(completion_lengths)} completion_lengths for {len(completions)} completions")
    start = limit - buffer
    out = []
    for n in completion_lengths:
        if n <= start:
            out.append(0.0)
        elif n <= limit:
            out.append((start - n) / buffer)
        else:
            out.append(-1.0)
    return out
