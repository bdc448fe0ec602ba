"""`python -m srlm_engine check-data`: every row of every dataset a plan names, checked before any GPU time.

Output (stdout, one JSON document):

    {"ok": false, "errors": 2,
     "datasets": [{"name": "cot", "source": "...", "rows": 7473, "errors": 2, "seconds": 0.4}],
     "diagnostics": [{"severity": "error", "dataset": "cot", "source": "...", "file": ".../train.jsonl",
                      "line": 30, "row": 30, "column": "answer", "message": "answer column 'answer' is null"}]}

`file`, `line`, `row`, `column` and `columns` (the columns that exist, for a missing one) appear when known.
Exit status: 0 no errors, 1 data errors, 2 the plan itself is invalid (message on stderr).
"""

from __future__ import annotations

import json
import sys
import time

from . import dataset_rows


def main(plan_path: str, only: list[str] | None, max_issues: int) -> int:
    from .plan import PlanError, load

    try:
        plan = load(plan_path)
    except PlanError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    names = list(plan.datasets)
    unknown = [n for n in only or [] if n not in plan.datasets]
    if unknown:
        print(
            f"error: no dataset {', '.join(unknown)} in {plan_path} (datasets: {', '.join(names)})",
            file=sys.stderr,
        )
        return 2
    report: dict = {"ok": True, "errors": 0, "datasets": [], "diagnostics": []}
    for name in only or names:
        spec = plan.datasets[name]
        t0 = time.perf_counter()
        issues, count, rows = dataset_rows.check(name, spec, max_issues)
        report["datasets"].append(
            {
                "name": name,
                "source": dataset_rows.describe(spec),
                "rows": rows,
                "errors": count,
                "seconds": round(time.perf_counter() - t0, 3),
            }
        )
        report["diagnostics"] += [{"severity": "error", **i.as_json()} for i in issues]
        report["errors"] += count
    report["ok"] = report["errors"] == 0
    print(json.dumps(report, indent=2))
    return 0 if report["ok"] else 1
