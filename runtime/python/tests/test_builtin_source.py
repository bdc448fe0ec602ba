"""`builtin:NAME` model sources resolve to the folders shipped in the package, from any working directory."""

from __future__ import annotations

import pytest
import torch

from srlm_engine import assets, models
from srlm_engine.plan import from_partial
from srlm_engine.plan_types import ModelSpec


def test_builtin_source_resolves_to_the_package_folder():
    path, local = models.resolve_source("builtin:tiny-student")
    assert local is True
    assert path == str(assets.model_dir("tiny-student"))


def test_unknown_builtin_names_the_known_ones():
    with pytest.raises(models.ModelLoadError, match=r"builtin:tiny-giant.*tiny-teacher, tiny-student"):
        models.resolve_source("builtin:tiny-giant")


def test_builtin_model_and_tokenizer_load_outside_the_repository(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = from_partial(ModelSpec, {"source": "builtin:tiny-student", "weights": "random"})
    model = models.load_model(spec, torch.device("cpu"), seed=1)
    tok = models.load_tokenizer(spec.source)
    assert model.config.vocab_size == 384
    assert tok.decode(tok("12+3")["input_ids"]) == "12+3"


def test_a_plan_with_builtin_models_runs_through_the_engine_outside_the_repository(tmp_path):
    import subprocess

    from engine_helpers import base_plan, engine_cmd, engine_env, read_events, stage, write_plan

    plan = base_plan({}, [stage("sft", steps=2, lr=1e-3, batch_size=4, max_len=48)], n_train=16)
    plan["models"] = {"m": {"source": "builtin:tiny-student", "weights": "random"}}
    plan_path = write_plan(tmp_path, plan)
    run_dir = tmp_path / "run"
    r = subprocess.run(
        engine_cmd(plan_path, run_dir),
        cwd=tmp_path,
        env=engine_env(),
        capture_output=True,
        text=True,
        timeout=240,
    )
    events = read_events(run_dir)
    assert r.returncode == 0, r.stderr[-2000:]
    assert events[-1]["type"] == "run_finished" and events[-1]["status"] == "completed", events[-1]
    assert (run_dir / "checkpoints" / "s").is_dir()
