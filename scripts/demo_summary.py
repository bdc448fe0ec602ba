"""Summarise a run folder's events.jsonl: wall time, per-stage time and the evals before/after each stage.
`scripts/demo.sh` prints the table after the embedded demo; `bench/demo_seeds.py` reads runs through it.

    .venv/bin/python scripts/demo_summary.py RUN_DIR            # one row per model: greedy and avg@k per eval
    .venv/bin/python scripts/demo_summary.py --json RUN_DIR     # the same as JSON

avg@k (the mean accuracy of k samples at temperature 1) is the eval's `avg@K` metric when the engine reports
one, else its `pass@1`: with `metrics = [accuracy, pass@1, pass@K]` the engine draws K samples per problem and
the unbiased pass@1 over them is exactly their mean accuracy.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path


def read_events(run_dir: Path) -> list[dict]:
    lines = (run_dir / "events.jsonl").read_text().splitlines()
    return [json.loads(x) for x in lines if x.strip()]


def avg_at_k(metrics: dict) -> tuple[float | None, int | None]:
    """(avg@k, k) from one eval's metrics; k is the largest pass@K's K when read from pass@1."""
    for name, value in metrics.items():
        m = re.fullmatch(r"avg@(\d+)", name)
        if m:
            return value, int(m.group(1))
    ks = [int(m.group(1)) for n in metrics if (m := re.fullmatch(r"pass@(\d+)", n))]
    return metrics.get("pass@1"), max(ks) if ks else None


def summarise(run_dir: Path) -> dict:
    events = read_events(run_dir)
    start = next(e for e in events if e["type"] == "run_started")
    end = [e for e in events if e["type"] == "run_finished"]
    stages = {}
    for e in events:
        if e["type"] == "stage_finished":
            stages[e["stage"]] = {
                "status": e["status"],
                "cached": e["cached"],
                "duration_s": e.get("duration_s"),
            }
    evals = []
    for e in events:
        if e["type"] != "eval":
            continue
        avg, k = avg_at_k(e["metrics"])
        evals.append(
            {
                "stage": e.get("stage"),
                "when": e["when"],
                "eval": e["eval"],
                "greedy": e["metrics"].get("accuracy"),
                "avg": avg,
                "k": k,
                **{n: v for n, v in e["metrics"].items() if "@" in n},
            }
        )
    return {
        "run": run_dir.name,
        "stages_in_order": start.get("stages", []),
        "status": end[-1]["status"] if end else "running",
        "wall_s": (end[-1]["time"] if end else events[-1]["time"]) - start["time"],
        "stages": stages,
        "evals": evals,
    }


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def table(summary: dict) -> str:
    """One row per model the evals saw (a stage's fresh model, then each stage's result), one column pair per eval."""
    names = list(dict.fromkeys(e["eval"] for e in summary["evals"]))
    k = next((e["k"] for e in summary["evals"] if e["k"]), None)
    rows: dict[tuple[str, str], dict] = {}
    for e in summary["evals"]:
        rows.setdefault((e["stage"], e["when"]), {})[e["eval"]] = e
    head = (
        ["model"]
        + [f"{n} {c}" for n in names for c in ("greedy", f"avg@{k or '?'}")]
        + ["stage time"]
    )
    out = [head]
    for (stage, when), by_eval in rows.items():
        label = f"{stage} (untrained)" if when == "before" else f"after {stage}"
        st = summary["stages"].get(stage, {}) if when == "after" else {}
        took = st.get("duration_s")
        took_s = (
            "-"
            if took is None
            else f"{took:.0f} s" + (" (cached)" if st.get("cached") else "")
        )
        cells = [
            c
            for n in names
            for c in (
                _pct(by_eval.get(n, {}).get("greedy")),
                _pct(by_eval.get(n, {}).get("avg")),
            )
        ]
        out.append([label, *cells, took_s])
    widths = [max(len(r[i]) for r in out) for i in range(len(head))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths))
        )
        for r in out
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    note = f"greedy: accuracy at temperature 0; avg@{k or 'k'}: mean accuracy of {k or 'k'} samples at temperature 1 (%)"
    return "\n".join(
        [
            *lines,
            note,
            f"run {summary['run']}: {summary['status']} in {summary['wall_s']:.0f} s",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    s = summarise(args.run_dir)
    print(json.dumps(s, indent=2) if args.json else table(s))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
