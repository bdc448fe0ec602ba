"""Greedy accuracy and avg@8 of finished demo runs' KD and GRPO checkpoints, avg@8 averaged over R sampling seeds.

A run's own eval draws 8 samples per problem once, unseeded on this branch, so one checkpoint's avg@8 moves by
1-3 points between evals; averaging R draws (R x 8 samples per problem) shows which Δ avg@8 is real.

    PYTHONPATH=runtime/python .venv/bin/python bench/demo_resample.py --repeats 4 .srlm/runs/RUN ...

Prints one JSON line per run: seed, and per split (test, validation) and stage (student = KD, polish = GRPO)
greedy accuracy, mean avg@8 over the repeats and its standard deviation, in percent. The rows are the demo's
eval rows (the built-in task, 200 problems, the run's seed); the checkpoints are the ones the run's
stage_finished events name, so cached stages are found in the runs that trained them.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import torch
from srlm_engine.dataset_rows import load_rows
from srlm_engine.evaluation import evaluate
from srlm_engine.plan import from_partial
from srlm_engine.plan_types import DatasetSpec, EvalSpec
from transformers import AutoModelForCausalLM, AutoTokenizer


def checkpoints(run: Path) -> dict[str, str]:
    found = {}
    for line in (run / "events.jsonl").read_text().splitlines():
        e = json.loads(line)
        if e["type"] == "stage_finished" and e.get("checkpoint"):
            found[e["stage"]] = e["checkpoint"]
    return found


def resample(
    run: Path, repeats: int, stages: tuple[str, ...] = ("student", "polish")
) -> dict:
    seed = json.loads((run / "plan.json").read_text())["settings"]["seed"]
    ck = checkpoints(run)
    out: dict = {"seed": seed, "run": run.name}
    for split in ("test", "validation"):
        spec = {"builtin": "arithmetic", "split": split, "limit": 200}
        rows = load_rows(split, from_partial(DatasetSpec, spec), seed)
        for stage in stages:
            model = AutoModelForCausalLM.from_pretrained(ck[stage]).eval()
            tok = AutoTokenizer.from_pretrained(ck[stage])
            avgs, greedy = [], None
            for r in range(repeats):
                # Each repeat is one seeded draw of 8 samples per problem (the eval seeds its own sampling).
                metrics = (["accuracy"] if r == 0 else []) + ["avg@8", "pass@8"]
                ev = from_partial(
                    EvalSpec, {"data": split, "metrics": metrics, "max_new_tokens": 40}
                )
                with torch.no_grad():
                    m, _ = evaluate(model, tok, rows, ev, True, seed=1000 + r)
                greedy = m.get("accuracy", greedy)
                avgs.append(100 * m["avg@8"])
            out[f"{split}/{stage}"] = {
                "greedy": 100 * greedy,
                "avg8": round(statistics.mean(avgs), 2),
                "sd": round(statistics.stdev(avgs), 2) if repeats > 1 else None,
            }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=4)
    ap.add_argument("runs", type=Path, nargs="+")
    args = ap.parse_args()
    torch.set_num_threads(1)
    for run in args.runs:
        print(json.dumps(resample(run, args.repeats)), flush=True)


if __name__ == "__main__":
    main()
