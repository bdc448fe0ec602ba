"""CPU benchmark: peak memory and time of the SFT and KD losses at Qwen2.5's 151,936-token vocabulary, through the
engine's own functions: today's path (`model.lm_head` → full logits → `losses.completion_ce` / `kd_per_token`) against
the losses fused with the LM head (`losses.fused_completion_ce` / `losses.fused_kd`).

Method: every case runs in a fresh Python process (so the allocator starts clean); the figure is the growth of the
process's peak resident set (`getrusage(RUSAGE_SELF).ru_maxrss`) from just before the loss's forward to after its
backward. It therefore includes everything the loss and its backward allocate (the head's fp32 gradient of
151,936 × 896 floats = 519 MiB included, in both paths). torch's CPU allocator keeps no statistics and
`tracemalloc` does not see torch's allocations, hence RSS.

Usage: python bench/engine/loss_memory.py [--tokens 1024] [--smoke]     (prints one JSON object)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "runtime" / "python"))

CASES = ("ce_full", "ce_fused", "kd_full", "kd_fused")


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def run_case(
    case: str, tokens: int, vocab: int, hidden: int, teacher_hidden: int
) -> dict:
    import torch
    from srlm_engine import losses

    torch.set_num_threads(1)
    torch.manual_seed(0)
    head = torch.nn.Linear(hidden, vocab, bias=False)
    t_head = torch.nn.Linear(teacher_hidden, vocab + 128, bias=False).requires_grad_(
        False
    )  # 7B-style padding
    h = (torch.randn(1, tokens + 1, hidden) * 0.5).requires_grad_(True)
    th = torch.randn(1, tokens + 1, teacher_hidden) * 0.5
    ids = torch.randint(0, vocab, (1, tokens + 1))
    mask = torch.ones_like(ids)
    mask[:, : tokens // 4] = 0  # a prompt quarter, masked as completion-only SFT does
    before = _rss_mib()
    t0 = time.perf_counter()
    if case == "ce_full":
        lg, y, m = losses.shift_for_next_token(head(h), ids, mask)
        loss = losses.completion_ce(lg, y, m)
    elif case == "ce_fused":
        hs, y, m = losses.shift_for_next_token(h, ids, mask)
        loss = losses.fused_completion_ce(hs, head, y, m)
    elif case == "kd_full":
        lg, y, m = losses.shift_for_next_token(head(h), ids, mask)
        with torch.no_grad():
            t_lg = t_head(th)[:, :-1, :vocab]
        per_tok = losses.kd_per_token(lg, t_lg, "jsd", 0.5, 1.0)
        loss = torch.where(m.bool(), per_tok, torch.zeros_like(per_tok)).sum() / m.sum()
    else:
        hs, y, m = losses.shift_for_next_token(h, ids, mask)
        loss, _ = losses.fused_kd(
            hs, head, th[:, :-1], t_head, m, "jsd", 0.5, 1.0, vocab=vocab
        )
    loss.backward()
    seconds = time.perf_counter() - t0
    return {
        "case": case,
        "tokens": tokens,
        "vocab": vocab,
        "peak_rss_growth_mib": round(_rss_mib() - before, 1),
        "seconds": round(seconds, 3),
        "loss": float(loss),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--tokens", type=int, default=1024)
    ap.add_argument("--vocab", type=int, default=151936)
    ap.add_argument(
        "--hidden", type=int, default=896, help="student hidden size (Qwen2.5-0.5B)"
    )
    ap.add_argument(
        "--teacher-hidden",
        type=int,
        default=1536,
        help="teacher hidden size (Qwen2.5-1.5B)",
    )
    ap.add_argument(
        "--smoke", action="store_true", help="tiny sizes: checks that the script runs"
    )
    ap.add_argument(
        "--cases",
        default=",".join(CASES),
        help="comma-separated subset of " + ", ".join(CASES),
    )
    ap.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.smoke:
        args.tokens, args.vocab, args.hidden, args.teacher_hidden = 64, 512, 32, 48
    if args.case:
        print(
            json.dumps(
                run_case(
                    args.case, args.tokens, args.vocab, args.hidden, args.teacher_hidden
                )
            )
        )
        return 0
    results = {}
    for case in args.cases.split(","):
        cmd = [
            sys.executable,
            __file__,
            "--case",
            case,
            "--tokens",
            str(args.tokens),
            "--vocab",
            str(args.vocab),
        ]
        cmd += [
            "--hidden",
            str(args.hidden),
            "--teacher-hidden",
            str(args.teacher_hidden),
        ]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        results[case] = json.loads(out.stdout)
    summary = {
        "benchmark": "loss-memory-cpu",
        "method": "peak RSS growth over the loss forward+backward, fresh process per case",
        "logits_fp32_mib": round(args.tokens * args.vocab * 4 / 2**20, 1),
        "cases": results,
    }
    for kind in ("ce", "kd"):
        full, fused = results.get(f"{kind}_full"), results.get(f"{kind}_fused")
        if full and fused:
            summary[f"{kind}_memory_ratio"] = round(
                full["peak_rss_growth_mib"] / fused["peak_rss_growth_mib"], 2
            )
            summary[f"{kind}_loss_equal"] = abs(full["loss"] - fused["loss"]) < 1e-4
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
