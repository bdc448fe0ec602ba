"""MLflow: one MLflow run per SRLM run, in the experiment named by the pipeline's `project`.

The tracking URI is the pipeline's `tracking_uri`, else `MLFLOW_TRACKING_URI`, else a SQLite store beside the
runs (`<runs folder>/mlflow.db`, artifacts in `<runs folder>/mlartifacts`), which `mlflow ui --backend-store-uri
sqlite:///.srlm/runs/mlflow.db` shows. MLflow's names allow fewer characters than the events do: `pass@4`
becomes `pass_at_4`, and any other character outside letters, digits, `_ - . / space` becomes `_`.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

from .base import Sink

_BAD = re.compile(r"[^/\w.\- ]")
PARAM_VALUE_LIMIT = 6000


def mlflow_name(name: str) -> str:
    return _BAD.sub("_", name.replace("@", "_at_"))


def default_tracking_uri(run_dir: Path) -> str:
    return f"sqlite:///{(Path(run_dir).parent / 'mlflow.db').resolve()}"


class MlflowSink(Sink):
    name = "mlflow"

    def __init__(self, info):
        super().__init__(info)
        self._client: Any = None  # an MlflowClient once open
        self._run_id: Any = None  # str once open
        self.tracking_uri = (
            info.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri(info.run_dir)
        )

    def open(self) -> None:
        from mlflow.entities import Param
        from mlflow.tracking import MlflowClient

        info = self.info
        client = MlflowClient(tracking_uri=self.tracking_uri)
        self._client = client
        exp = client.get_experiment_by_name(info.project)
        if exp is not None:
            exp_id = exp.experiment_id
        else:
            # A local SQLite store keeps its artifacts beside it; MLflow's own default is `./mlruns` in whatever
            # folder the engine runs from. A server decides for itself.
            location = None
            if self.tracking_uri.startswith("sqlite:///"):
                db = Path(self.tracking_uri[len("sqlite:///") :])
                location = (db.parent / "mlartifacts" / mlflow_name(info.project)).resolve().as_uri()
            exp_id = client.create_experiment(info.project, artifact_location=location)
        found = client.search_runs(
            [exp_id], filter_string=f"tags.`srlm.run_id` = '{info.run_id}'", max_results=1
        )
        if found:  # a resumed run continues its MLflow run
            self._run_id = found[0].info.run_id
            client.update_run(self._run_id, status="RUNNING")
            return
        tags = {"srlm.run_id": info.run_id, "srlm.pipeline": info.pipeline, **{t: "" for t in info.tags}}
        run = client.create_run(exp_id, run_name=info.run_name, tags=tags)
        self._run_id = run.info.run_id
        params = [
            Param(mlflow_name(k)[:250], "" if v is None else str(v)[:PARAM_VALUE_LIMIT])
            for k, v in info.config().items()
        ]
        for i in range(0, len(params), 100):
            client.log_batch(self._run_id, params=params[i : i + 100])
        if info.pipeline_text:
            client.log_text(self._run_id, info.pipeline_text, "pipeline.srlm")
        client.log_dict(self._run_id, info.plan, "plan.json")

    def on_scalars(self, stage, step, values, wall_time) -> None:
        from mlflow.entities import Metric

        ts = int((wall_time or time.time()) * 1000)
        metrics = [Metric(mlflow_name(k), v, ts, step) for k, v in values.items()]
        for i in range(0, len(metrics), 1000):
            self._client.log_batch(self._run_id, metrics=metrics[i : i + 1000])

    def on_samples(self, stage, step, key, rows) -> None:
        path = f"{mlflow_name(key)}-step{step}.json"
        try:
            import pandas  # noqa: F401 — log_table needs it; it is what MLflow's UI shows as a table
        except ImportError:
            self._client.log_dict(self._run_id, rows, path)
            return
        self._client.log_table(self._run_id, {c: [r.get(c) for r in rows] for c in rows[0]}, path)

    def close(self, status) -> None:
        if self._client is not None and self._run_id is not None:
            state = {"completed": "FINISHED", "stopped": "KILLED", None: "FINISHED"}.get(status, "FAILED")
            self._client.set_terminated(self._run_id, state)
            self._client = None
