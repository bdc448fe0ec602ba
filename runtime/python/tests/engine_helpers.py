"""Shared builders for the engine tests: tiny model folders and plans (hidden 32, 2 layers)."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import torch

from srlm_engine import dataset_rows
from srlm_engine.assets import MODELS_DIR, TOKENIZER_DIR
from srlm_engine.plan import from_partial
from srlm_engine.plan_types import DatasetSpec

# Two shared cores: one thread per test process avoids OpenMP spin-wait collapse under contention.
torch.set_num_threads(1)

REPO = Path(__file__).resolve().parents[3]
EVENTS_SCHEMA = REPO / "runtime" / "events.schema.json"


def tiny_model_dir(
    root: Path, name: str = "tiny", hidden: int = 32, layers: int = 2, vocab: int | None = None
) -> Path:
    d = Path(root) / name
    d.mkdir(parents=True, exist_ok=True)
    cfg = json.loads((MODELS_DIR / "tiny-student" / "config.json").read_text())
    cfg.update(
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        max_window_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
    )
    if vocab:
        cfg["vocab_size"] = vocab
    (d / "config.json").write_text(json.dumps(cfg))
    for f in TOKENIZER_DIR.iterdir():
        shutil.copy(f, d / f.name)
    return d


def load_rows(name: str, spec: dict, seed: int) -> list[dict]:
    """`dataset_rows.load_rows` on a dataset block written in part, as a plan writes it."""
    return dataset_rows.load_rows(name, from_partial(DatasetSpec, spec), seed)


def check_rows(name: str, spec: dict):
    """`dataset_rows.check` on a dataset block written in part, as a plan writes it."""
    return dataset_rows.check(name, from_partial(DatasetSpec, spec))


def base_plan(
    model_dirs: dict[str, Path],
    stages: list[dict],
    evals: dict | None = None,
    n_train: int = 64,
    n_test: int = 16,
) -> dict:
    return {
        "schema_version": 1,
        "pipeline": "test",
        "settings": {"seed": 7, "device": "cpu"},
        "models": {k: {"source": str(v), "weights": "random"} for k, v in model_dirs.items()},
        "datasets": {
            "train": {
                "builtin": "arithmetic",
                "split": "train",
                "limit": n_train,
                "completion": "completion",
                "answer": "answer",
            },
            "test": {"builtin": "arithmetic", "split": "test", "limit": n_test, "answer": "answer"},
        },
        "stages": stages,
        "evals": evals or {},
    }


def write_plan(tmp: Path, plan: dict) -> Path:
    p = Path(tmp) / "plan.json"
    p.write_text(json.dumps(plan))
    return p


def read_events(run_dir: Path) -> list[dict]:
    return [
        json.loads(line) for line in (Path(run_dir) / "events.jsonl").read_text().splitlines() if line.strip()
    ]


def assert_events_valid(events: list[dict]) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(json.loads(EVENTS_SCHEMA.read_text()))
    for e in events:
        errors = list(validator.iter_errors(e))
        assert not errors, f"event {e.get('type')} invalid: {errors[0].message} in {json.dumps(e)[:300]}"


def metric_series(events: list[dict], stage: str, name: str) -> list[float]:
    return [e["metrics"][name] for e in events if e["type"] == "metrics" and e.get("stage") == stage]


def stage(kind: str, name: str = "s", model: str = "m", **config) -> dict:
    """A plan stage that starts from model `model` and trains on the `train` dataset of `base_plan`."""
    return {"name": name, "kind": kind, "init": {"model": model}, "config": {"data": "train", **config}}


def engine_cmd(plan: Path, run_dir: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "srlm_engine",
        "run",
        "--plan",
        str(plan),
        "--run-dir",
        str(run_dir),
        *extra,
    ]


def engine_env() -> dict:
    """The environment for an engine subprocess: one thread per process, as two shared cores need."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "SRLM_NUM_THREADS": "1"}
    env.pop("WORLD_SIZE", None)
    return env


def stop_after(step: int):
    """(StopFlag, echo) for an in-process `run`: the stop is requested when the metrics of `step` go out."""
    from srlm_engine.signals import StopFlag

    stop = StopFlag()

    def echo(e):
        if e["type"] == "metrics" and e["step"] == step:
            stop.request("test")

    return stop, echo


def process_alive(pid: int) -> bool:
    """Whether `pid` runs; a zombie (exited, its parent gone too, not reaped yet) counts as dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def gone_within(pid: int, seconds: float) -> bool:
    """Waits up to `seconds` for `pid` to end; True when it did."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not process_alive(pid):
            return True
        time.sleep(0.05)
    return False
