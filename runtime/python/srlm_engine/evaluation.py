"""Evaluation: greedy accuracy, pass@k and maj@k by sampling, and sample completions for the dashboard."""

from __future__ import annotations

import math
import re
import time
from collections import Counter

from .generation import generate
from .scoring import extract_answer, is_correct
from .templates import ChatFormat, encode_prompts, prompt_text

METRIC_RE = re.compile(r"^(accuracy|pass|maj)(?:@(\d+))?$")


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al. 2021): 1 - C(n-c, k) / C(n, k)."""
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def evaluate(model, tokenizer, rows: list[dict], ev: dict, chat: ChatFormat | bool, batch_size: int = 64):
    """Returns (metrics, samples). `ev` is a plan eval block with defaults applied."""
    t0 = time.perf_counter()
    rows = rows[: ev["limit"]] if ev.get("limit") else rows
    prompts = encode_prompts(tokenizer, rows, chat)
    metrics: dict[str, float] = {}
    samples: list[dict] = []
    ks = []
    for m in ev["metrics"]:
        kind, k = METRIC_RE.match(m).groups()
        if kind != "accuracy":
            ks.append((m, kind, int(k)))
    if "accuracy" in ev["metrics"]:
        temp = ev.get("temperature", 0.0)
        outs = generate(
            model, tokenizer, prompts, ev["max_new_tokens"], temperature=temp, batch_size=batch_size
        )
        correct = [is_correct(o.text, r["answer"]) for o, r in zip(outs, rows, strict=True)]
        metrics["accuracy"] = sum(correct) / len(rows)
        metrics["completion_len_mean"] = sum(len(o.ids) for o in outs) / len(outs)
        metrics["truncation_rate"] = sum(o.truncated for o in outs) / len(outs)
        for o, r, c in list(zip(outs, rows, correct, strict=True))[: ev.get("samples", 8)]:
            samples.append(_sample(r, o, c, tokenizer, chat))
    if ks:
        n = max(k for _, _, k in ks)
        temp = ev.get("temperature") or 1.0
        outs = generate(
            model,
            tokenizer,
            prompts,
            ev["max_new_tokens"],
            temperature=temp,
            num_return_sequences=n,
            batch_size=batch_size,
        )
        for name, kind, k in ks:
            total = 0.0
            for i, r in enumerate(rows):
                group = outs[i * n : (i + 1) * n]
                if kind == "pass":
                    c = sum(is_correct(o.text, r["answer"]) for o in group)
                    total += pass_at_k(n, c, k)
                else:
                    votes = Counter(a for a in (extract_answer(o.text) for o in group[:k]) if a is not None)
                    if votes:
                        top = votes.most_common(1)[0][0]
                        total += float(is_correct(f"\\boxed{{{top}}}", r["answer"]))
            metrics[name] = total / len(rows)
        if not samples:
            for i, r in enumerate(rows[: ev.get("samples", 8)]):
                o = outs[i * n]
                samples.append(_sample(r, o, is_correct(o.text, r["answer"]), tokenizer, chat))
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
