"""Weights & Biases: one W&B run per SRLM run (its id is the run folder's name, so a resume continues it).

Steps restart at every stage, and W&B wants one increasing step per run, so each stage gets its own step
metric (`<stage>/step`) and its charts are drawn against it (`define_metric`). Honours the usual W&B
environment: `WANDB_API_KEY`, `WANDB_MODE=offline` (a local run folder, uploaded later with `wandb sync`),
`WANDB_ENTITY`, `WANDB_DIR` (default: the run folder).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from .base import SAMPLE_COLUMNS, Sink


def wandb_id(run_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", run_id)[:128]


class WandbSink(Sink):
    name = "wandb"

    def __init__(self, info):
        super().__init__(info)
        self._run: Any = None  # the wandb run once open
        self._stages: set[str] = set()

    def open(self) -> None:
        import wandb

        info = self.info
        self._run = wandb.init(
            project=info.project,
            name=info.run_name,
            id=wandb_id(info.run_id),
            resume="allow",
            tags=info.tags or None,
            config=info.config(),
            dir=os.environ.get("WANDB_DIR") or str(info.run_dir),
            job_type="train",
            # The engine's stdout is engine.log; W&B must not take it over.
            settings=wandb.Settings(console="off", silent=True, disable_code=True, disable_git=True),
        )
        art = wandb.Artifact(f"{wandb_id(info.run_id)}-pipeline", type="pipeline")
        if info.pipeline_text:
            with art.new_file("pipeline.srlm", encoding="utf-8") as f:
                f.write(info.pipeline_text)
        with art.new_file("plan.json", encoding="utf-8") as f:
            f.write(json.dumps(info.plan, indent=2))
        self._run.log_artifact(art)

    def _step_metric(self, stage: str) -> str:
        key = f"{stage}/step"
        if stage not in self._stages:
            self._stages.add(stage)
            self._run.define_metric(key)
            self._run.define_metric(f"{stage}/*", step_metric=key)
        return key

    def on_scalars(self, stage, step, values, wall_time) -> None:
        self._run.log({self._step_metric(stage): step, **values})

    def on_samples(self, stage, step, key, rows) -> None:
        import wandb

        table = wandb.Table(
            columns=list(SAMPLE_COLUMNS), data=[[r.get(c) for c in SAMPLE_COLUMNS] for r in rows]
        )
        self._run.log({self._step_metric(stage): step, key: table})

    def on_stage_finished(self, stage, event) -> None:
        self._run.summary[f"{stage}/status"] = event.get("status")
        if event.get("duration_s") is not None:
            self._run.summary[f"{stage}/duration_s"] = event["duration_s"]

    def close(self, status) -> None:
        if self._run is not None:
            self._run.finish(exit_code=0 if status in (None, "completed") else 1)
            self._run = None
