"""Summarise a run folder's events.jsonl: wall time, per-stage time and the eval accuracy before/after each
stage. Used to report the embedded demo's figures:

    node dist/srlm.js run examples/demo.srlm --no-cache --runs /tmp/demo-runs
    .venv/bin/python bench/engine/demo_summary.py /tmp/demo-runs/<run-id>
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def summarise(run_dir: Path) -> dict:
    events = [
        json.loads(x)
        for x in (run_dir / "events.jsonl").read_text().splitlines()
        if x.strip()
    ]
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
    evals = [
        {
            "stage": e.get("stage"),
            "when": e["when"],
            "eval": e["eval"],
            **{k: v for k, v in e["metrics"].items() if "@" in k or k == "accuracy"},
        }
        for e in events
        if e["type"] == "eval"
    ]
    return {
        "run": run_dir.name,
        "status": end[-1]["status"] if end else "running",
        "wall_s": (end[-1]["time"] if end else events[-1]["time"]) - start["time"],
        "stages": stages,
        "evals": evals,
    }


if __name__ == "__main__":
    print(json.dumps(summarise(Path(sys.argv[1])), indent=2))
