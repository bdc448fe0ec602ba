"""What every metric sink shares: the run's identity, and one translation from events to back-end calls.

A sink never sees a training loop, only the events of `events.jsonl` (docs/events.md), so a live run and a replay
of a finished one (`srlm export`) produce the same names and steps in every back-end. Names: a training metric
is `<stage>/<metric>` (`teacher/loss`), an eval metric `<stage>/eval/<eval>/<metric>`; steps are the event's
step, which restarts at each stage, hence the stage prefix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..plan import Plan


@dataclass
class RunInfo:
    """Everything a back-end needs to open its run: who the run is and what it was asked to do."""

    run_id: str
    run_dir: Path
    pipeline: str
    project: str
    run_name: str
    tags: list[str] = field(default_factory=list)
    tracking_uri: str | None = None
    plan: dict = field(default_factory=dict)
    pipeline_text: str | None = None

    @classmethod
    def from_plan(cls, plan: Plan, run_dir: Path, run_id: str | None = None) -> RunInfo:
        settings = plan.settings
        run_dir = Path(run_dir)
        run_id = run_id or run_dir.name
        return cls(
            run_id=run_id,
            run_dir=run_dir,
            pipeline=plan.pipeline,
            # Absent (null) project and run_name mean the pipeline name and the run id (the schema's docs).
            project=settings.project or plan.pipeline,
            run_name=settings.run_name or run_id,
            tags=list(settings.tags),
            tracking_uri=settings.tracking_uri,
            plan=plan.resolved_json,
            pipeline_text=pipeline_text(run_dir, plan.resolved_json),
        )

    def config(self) -> dict:
        """The run's configuration as flat `key: value` pairs (W&B config, MLflow params, TensorBoard hparams)."""
        out: dict[str, Any] = {"pipeline": self.pipeline, "srlm_run_id": self.run_id}
        # `plan` is the validated plan's JSON, every default applied: settings and each stage's config are there.
        out.update(flatten({"settings": self.plan["settings"]}))
        for st in self.plan["stages"]:
            out[f"{st['name']}.kind"] = st["kind"]
            out.update(flatten(st["config"], f"{st['name']}."))
        return out


def pipeline_text(run_dir: Path, plan: dict) -> str | None:
    """The `.srlm` text the run was compiled from: the copy in the run folder, else the source file when it is
    still the text the plan was compiled from (its hash matches)."""
    copy = Path(run_dir) / "pipeline.srlm"
    if copy.is_file():
        return copy.read_text(encoding="utf-8")
    src = plan.get("source") or {}
    path, digest = src.get("file"), src.get("sha256")
    if not path or not digest:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return None
    import hashlib

    return text if hashlib.sha256(text.encode("utf-8")).hexdigest() == digest else None


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts to dotted keys; lists and other values become JSON text when they are not plain scalars."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}{k}."))
        return out
    key = prefix[:-1] if prefix.endswith(".") else prefix
    if value is None or isinstance(value, (bool, int, float, str)):
        out[key] = value
    else:
        out[key] = json.dumps(value, ensure_ascii=False)
    return out


def numeric(metrics: dict | None) -> dict[str, float]:
    """The finite numbers of a metrics dict (events write non-finite values as null)."""
    out = {}
    for k, v in (metrics or {}).items():
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        out[k] = float(v)
    return out


SAMPLE_COLUMNS = ("prompt", "completion", "answer", "reward", "correct", "truncated", "length")


class Sink:
    """One back-end. Subclasses implement the `on_*` hooks they support; `handle` routes each event to them.

    Calls come from one thread (the guard's worker for a live run, the caller for an export), in event order.
    `open` runs before the first event; a hook may raise: a live run's guard turns that into one warning.
    """

    name = "sink"

    def __init__(self, info: RunInfo):
        self.info = info

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def open(self) -> None:
        pass

    def close(self, status: str | None) -> None:
        pass

    # -- hooks -----------------------------------------------------------------------------------------------
    def on_scalars(self, stage: str, step: int, values: dict[str, float], wall_time: float) -> None:
        pass

    def on_samples(self, stage: str, step: int, key: str, rows: list[dict]) -> None:
        pass

    def on_text(self, stage: str | None, step: int, key: str, text: str) -> None:
        pass

    def on_stage_finished(self, stage: str, event: dict) -> None:
        pass

    def handle(self, event: dict) -> None:
        kind = event.get("type")
        stage = event.get("stage") or "run"
        step = int(event.get("step") or 0)
        t = float(event.get("time") or 0.0)
        if kind == "metrics":
            values = {f"{stage}/{k}": v for k, v in numeric(event.get("metrics")).items()}
            if values:
                self.on_scalars(stage, step, values, t)
        elif kind == "eval":
            prefix = f"{stage}/eval/{event.get('eval')}"
            values = {f"{prefix}/{k}": v for k, v in numeric(event.get("metrics")).items()}
            if values:
                self.on_scalars(stage, step, values, t)
        elif kind == "samples":
            rows = [{c: s.get(c) for c in SAMPLE_COLUMNS} for s in event.get("samples") or []]
            source = event.get("eval") or event.get("source") or "samples"
            if rows:
                self.on_samples(stage, step, f"{stage}/samples/{source}", rows)
        elif kind in ("warning", "error"):
            self.on_text(event.get("stage"), step, kind, str(event.get("message") or ""))
        elif kind == "stage_finished":
            self.on_stage_finished(stage, event)


def markdown_table(rows: list[dict], limit: int = 50) -> str:
    """Rows as a Markdown table (TensorBoard's text plugin renders Markdown); long cells are shortened."""
    if not rows:
        return ""
    cols = list(rows[0].keys())

    def cell(v: Any) -> str:
        s = "" if v is None else str(v)
        s = s.replace("|", "\\|").replace("\n", " ")
        return s if len(s) <= 300 else s[:297] + "..."

    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(r.get(c)) for c in cols) + " |" for r in rows[:limit]]
    return "\n".join(lines)
