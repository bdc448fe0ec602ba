"""Issue 18's targets read off a speed_bench.py result: one line per figure, measured value beside its target.

Usage: python bench/gpu/speed_summary.py OUT/speed.json
"""

from __future__ import annotations

import json
import sys


def fmt(x, spec=".2f") -> str:
    return "n/a" if x is None else format(x, spec)


def lines(r: dict) -> list[str]:
    out = [
        f"device {r.get('device')}, attention {r.get('attn_implementation')}, liger {r.get('liger_kernel')}"
    ]
    for seq, cell in (r.get("sft") or {}).items():
        for v in ("plain", "fused", "fused_packed", "fused_packed_ckpt"):
            c = cell.get(v) or {}
            if "error" in c:
                out.append(f"sft {seq:>5} {v:<17} error: {c['error']}")
                continue
            out.append(
                f"sft {seq:>5} {v:<17} {fmt(c.get('tokens_per_s'), ',.0f'):>9} tok/s  MFU {fmt(c.get('mfu'), '.1%'):>6}"
                f"  peak {fmt(c.get('peak_gib'), '.1f')} GiB"
            )
        rt = cell.get("ratios", {})
        out.append(
            f"sft {seq:>5} packed+fused / plain: tokens/s x{fmt(rt.get('fused_packed_tokens_per_s_over_plain'))}, "
            f"peak memory /{fmt(rt.get('plain_peak_over_fused_packed'))} (target at 8192: >= 2); with checkpointing "
            f"/{fmt(rt.get('plain_peak_over_fused_packed_ckpt'))}"
        )
    kd = r.get("kd")
    if kd:
        out.append(
            f"kd {kd['seq_len']}: peak plain {fmt(kd['plain'].get('peak_gib'), '.1f')} GiB, fused "
            f"{fmt(kd['fused'].get('peak_gib'), '.1f')} GiB, ratio {fmt(kd.get('plain_peak_over_fused'))}"
        )
    g = r.get("grpo")
    if g:
        for name, c in g.items():
            if isinstance(c, dict) and ("tokens_per_s" in c or "error" in c):
                if "error" in c:
                    out.append(f"grpo {name:<7} error: {c['error']}")
                    continue
                step = c.get("step") or {}
                out.append(
                    f"grpo {name:<7} {fmt(c['tokens_per_s'], ',.0f'):>8} tok/s (warm-up {fmt(c.get('warmup_s'), '.1f')} s)"
                    f"  step: gen {fmt(step.get('generation_s'), '.1f')} s, score {fmt(step.get('scoring_s'), '.1f')} s,"
                    f" update {fmt(step.get('update_s'), '.1f')} s"
                )
        best = max(
            (v for k, v in g.get("tokens_per_s_over_hf", {}).items() if k != "hf"),
            default=None,
        )
        out.append(
            f"grpo best backend / hf generation tokens/s: x{fmt(best)} (target >= 8)"
        )
    return out


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0], encoding="utf-8") as f:
        print("\n".join(lines(json.load(f))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
