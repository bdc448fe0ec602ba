"""Metric sinks: the run's events mirrored to TensorBoard, Weights & Biases or MLflow (docs/results.md).

The pipeline's `report_to` names the back-ends. Each is an optional extra of the engine (`pip install
'srlm-engine[wandb]'`); `missing()` says which are not installed, and the CLI asks it (`python -m srlm_engine
check-env`) in `srlm check` and before a launch, so a missing one stops nothing mid-run. A live run gets one
`GuardedSink` per back-end on rank 0's event writer; `srlm export` replays a finished run's events through the
same `Sink` classes.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from .base import RunInfo, Sink
from .guard import GuardedSink

if TYPE_CHECKING:
    from ..plan import Plan

# report_to name → (module the sink imports, distribution to install, engine extra that installs it)
BACKENDS: dict[str, tuple[str, str, str]] = {
    "tensorboard": ("tensorboard", "tensorboard", "tensorboard"),
    "wandb": ("wandb", "wandb", "wandb"),
    "mlflow": ("mlflow", "mlflow-skinny", "mlflow"),
}
EXPORT_TARGETS = (*BACKENDS, "csv")


class SinkUnavailable(Exception):
    """A back-end the pipeline names is not installed in this Python."""


def backend_status(name: str) -> dict:
    module, dist, extra = BACKENDS[name]
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    version = None
    if found:
        for d in (dist, module):
            try:
                version = metadata.version(d)
                break
            except metadata.PackageNotFoundError:
                continue
    return {
        "name": name,
        "installed": found,
        "version": version,
        "install": f"pip install 'srlm-engine[{extra}]'",
    }


def check_env(report_to: list[str]) -> dict:
    """What `check-env` prints: each named back-end's status, and the missing ones with how to install them."""
    unknown = [n for n in report_to if n not in BACKENDS]
    status = [backend_status(n) for n in report_to if n in BACKENDS]
    return {
        "backends": status,
        "missing": [s["name"] for s in status if not s["installed"]],
        "unknown": unknown,
    }


def require(names: list[str]) -> None:
    report = check_env(names)
    if report["unknown"]:
        raise SinkUnavailable(
            f"report_to: unknown back-end {', '.join(report['unknown'])} (expected {', '.join(BACKENDS)})"
        )
    if report["missing"]:
        how = "; ".join(f"{s['name']}: {s['install']}" for s in report["backends"] if not s["installed"])
        raise SinkUnavailable(f"report_to names back-ends that are not installed in this Python ({how})")


def create(name: str, info: RunInfo, out: Path | None = None) -> Sink:
    if name == "tensorboard":
        from .tensorboard_sink import TensorBoardSink

        return TensorBoardSink(info, out)
    if name == "wandb":
        from .wandb_sink import WandbSink

        return WandbSink(info)
    if name == "mlflow":
        from .mlflow_sink import MlflowSink

        return MlflowSink(info)
    if name == "csv":
        from .csv_sink import CsvSink

        return CsvSink(info, out)
    raise SinkUnavailable(f"unknown back-end '{name}' (expected {', '.join(EXPORT_TARGETS)})")


def open_live(plan: Plan, run_dir: Path, warn: Callable[[str], None]) -> list[GuardedSink]:
    """Sinks for a live run, each on its own thread; raises SinkUnavailable before anything starts."""
    names: list[str] = list(dict.fromkeys(plan.settings.report_to))
    if not names:
        return []
    require(names)
    info = RunInfo.from_plan(plan, run_dir)
    return [GuardedSink(create(n, info), warn) for n in names]


def iter_events(path: Path) -> Iterator[dict]:
    """Whole events of an events.jsonl, one at a time; a torn or corrupt line (a killed writer) is skipped, as
    readers do."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.endswith("\n"):
                break
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(event, dict):
                yield event


def read_events(path: Path) -> list[dict]:
    return list(iter_events(path))


__all__ = [
    "BACKENDS",
    "EXPORT_TARGETS",
    "GuardedSink",
    "RunInfo",
    "Sink",
    "SinkUnavailable",
    "check_env",
    "create",
    "iter_events",
    "open_live",
    "read_events",
    "require",
]
