"""Evaluation: greedy accuracy, the sampled metrics (avg@k, pass@k, maj@k) and sample completions for the dashboard.

`accuracy` always decodes greedily. The sampled metrics all come from ONE generation of n = max(k) samples per
prompt at the eval's `temperature` and `top_p`, drawn from a generator seeded by the pipeline seed and the eval's
name, so a run repeats its numbers and a stage reused from the cache scores what it scored when it trained.
The metric arithmetic below works on per-sample correctness and extracted answers, not on a model."""

from __future__ import annotations

import contextlib
import math
import re
import time
from collections import Counter
from collections.abc import Iterator, Sequence

import torch

from .checkpoint import derived_seed
from .generation import generate
from .plan_types import EvalSpec
from .scoring import extract_answer, is_correct
from .templates import ChatFormat, encode_prompts, prompt_text

METRIC_RE = re.compile(r"^(accuracy|avg|pass|maj)(?:@(\d+))?$")
# The sampled metric kinds; each is followed by `@k`.
SAMPLED_KINDS = ("avg", "pass", "maj")


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al. 2021) from n samples with c correct: 1 - C(n-c, k) / C(n, k)."""
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def avg_at_k(correct: Sequence[bool], k: int) -> float:
    """Mean correctness of the first k samples of one prompt."""
    return sum(correct[:k]) / k


def maj_at_k(answers: Sequence[str | None], correct: Sequence[bool], k: int) -> bool:
    """Whether the most frequent extracted answer among the first k samples is correct. Samples without an answer
    do not vote (none voting is wrong); a tie goes to the answer seen first. Correctness depends only on the
    extracted answer, so the voted answer is as correct as the first sample that gave it."""
    votes = Counter(a for a in answers[:k] if a is not None)
    if not votes:
        return False
    top = votes.most_common(1)[0][0]
    return correct[answers.index(top)]


def sampled_metric_names(metrics: Sequence[str]) -> list[tuple[str, str, int]]:
    """(name, kind, k) of each sampled metric in a plan's metric list, in order."""
    out = []
    for name in metrics:
        m = METRIC_RE.match(name)
        if m is None:
            raise ValueError(f"unknown eval metric {name!r}")
        kind, k = m.groups()
        if kind in SAMPLED_KINDS:
            if k is None or int(k) < 1:
                raise ValueError(f"eval metric {name!r} needs @k with k >= 1")
            out.append((name, kind, int(k)))
    return out


def sampled_scores(
    correct: Sequence[Sequence[bool]], answers: Sequence[Sequence[str | None]], metrics: Sequence[str]
) -> dict[str, float]:
    """The sampled metrics of `metrics`, averaged over prompts, from the same samples: correct[i][j] and
    answers[i][j] describe sample j of prompt i; every prompt has n >= max(k) samples. avg@k and maj@k read each
    prompt's first k samples; pass@k uses all n with the unbiased estimator."""
    out: dict[str, float] = {}
    for name, kind, k in sampled_metric_names(metrics):
        total = 0.0
        for c, a in zip(correct, answers, strict=True):
            if len(c) < k:
                raise ValueError(f"{name} needs {k} samples per prompt, found {len(c)}")
            if kind == "avg":
                total += avg_at_k(c, k)
            elif kind == "pass":
                total += pass_at_k(len(c), sum(c), k)
            else:
                total += float(maj_at_k(a, c, k))
        out[name] = total / len(correct) if correct else 0.0
    return out


def sampling_of(ev: EvalSpec) -> dict | None:
    """How an eval block draws its sampled metrics (None when it asks for none): temperature, top_p and the
    samples per prompt, n = max(k)."""
    sampled = sampled_metric_names(ev.metrics)
    if not sampled:
        return None
    return {
        "temperature": ev.temperature,
        "top_p": ev.top_p,
        "samples_per_prompt": max(k for _, _, k in sampled),
    }


def eval_seed(pipeline_seed: int, eval_name: str) -> int:
    """The sampling seed of one eval block: fixed by the pipeline seed and the block's name, so every evaluation
    of that block (before, during, after any stage; in any run of the pipeline) draws from the same stream."""
    return derived_seed(pipeline_seed, f"srlm-eval/{eval_name}")


@contextlib.contextmanager
def seeded_sampling(seed: int, device: torch.device) -> Iterator[None]:
    """Seeds torch's generators for the block and restores them after it, so that an eval inside a stage neither
    depends on nor changes the training's random stream. The CPU and the model's CUDA device are restored; on
    MPS sampling is seeded the same way, but the MPS generator is left where the eval put it."""
    devices = (
        [device.index if device.index is not None else torch.cuda.current_device()]
        if device.type == "cuda"
        else []
    )
    with torch.random.fork_rng(devices=devices, device_type="cuda"):
        torch.manual_seed(seed)
        yield


def evaluate(
    model,
    tokenizer,
    rows: list[dict],
    ev: EvalSpec,
    chat: ChatFormat | bool,
    batch_size: int = 64,
    seed: int = 0,
):
    """Returns (metrics, samples) of the eval block `ev`; `seed` seeds the sampling."""
    t0 = time.perf_counter()
    rows = rows[: ev.limit] if ev.limit else rows
    prompts = encode_prompts(tokenizer, rows, chat)
    metrics: dict[str, float] = {}
    samples: list[dict] = []
    keep = ev.samples
    sampling = sampling_of(ev)
    if "accuracy" in ev.metrics:
        outs = generate(model, tokenizer, prompts, ev.max_new_tokens, temperature=0.0, batch_size=batch_size)
        correct = [is_correct(o.text, r["answer"]) for o, r in zip(outs, rows, strict=True)]
        metrics["accuracy"] = sum(correct) / len(rows)
        metrics["completion_len_mean"] = sum(len(o.ids) for o in outs) / len(outs)
        metrics["truncation_rate"] = sum(o.truncated for o in outs) / len(outs)
        for o, r, c in list(zip(outs, rows, correct, strict=True))[:keep]:
            samples.append(_sample(r, o, c, tokenizer, chat))
    if sampling:
        n = sampling["samples_per_prompt"]
        with seeded_sampling(seed, next(model.parameters()).device):
            outs = generate(
                model,
                tokenizer,
                prompts,
                ev.max_new_tokens,
                temperature=sampling["temperature"],
                top_p=sampling["top_p"],
                num_return_sequences=n,
                batch_size=batch_size,
            )
        groups = [outs[i * n : (i + 1) * n] for i in range(len(rows))]
        correct_s = [[is_correct(o.text, r["answer"]) for o in g] for g, r in zip(groups, rows, strict=True)]
        answers = [[extract_answer(o.text) for o in g] for g in groups]
        metrics.update(sampled_scores(correct_s, answers, ev.metrics))
        metrics["sampled_len_mean"] = sum(len(o.ids) for o in outs) / len(outs)
        metrics["sampled_truncation_rate"] = sum(o.truncated for o in outs) / len(outs)
        if not samples:
            for g, r, c in list(zip(groups, rows, correct_s, strict=True))[:keep]:
                samples.append(_sample(r, g[0], c[0], tokenizer, chat))
    metrics["eval_time_s"] = time.perf_counter() - t0
    return metrics, samples


def _sample(row, out, correct, tokenizer, chat) -> dict:
    return {
        "prompt": row.get("prompt") or prompt_text(tokenizer, row, chat),
        "completion": out.text,
        "answer": row.get("answer"),
        "correct": bool(correct),
        "truncated": out.truncated,
        "length": len(out.ids),
    }
