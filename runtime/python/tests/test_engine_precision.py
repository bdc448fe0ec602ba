"""fp16 mixed precision: fp32 weights, fp16 compute under autocast, dynamic loss scaling that skips overflowed
steps, and a loss scale that a resumed run restores."""

import json

import pytest
import torch
from engine_helpers import (
    assert_events_valid,
    base_plan,
    metric_series,
    read_events,
    stage,
    stop_after,
    tiny_model_dir,
    write_plan,
)

from srlm_engine import models
from srlm_engine.run import EXIT_FAILED, EXIT_OK, EXIT_STOPPED, run


@pytest.fixture(autouse=True)
def _reset_amp():
    yield
    models.configure_amp("auto", torch.device("cpu"))


def _plan(tmp_path, steps=8, precision="fp16", dtype=None):
    model = tiny_model_dir(tmp_path, "m")
    sft = stage("sft", steps=steps, lr=5e-3, batch_size=8, max_len=64, warmup=0.0)
    plan = base_plan({"m": model}, [sft])
    plan["settings"]["precision"] = precision
    if dtype:
        plan["models"]["m"]["dtype"] = dtype
    return write_plan(tmp_path, plan)


def _eager_scaler(monkeypatch):
    # A start scale far above what fp16 gradients bear, and growth after every 2 clean steps: within a few steps
    # the scaler must skip overflowed updates, shrink, then grow again, so the scale is state worth restoring.
    monkeypatch.setattr(
        models,
        "grad_scaler",
        lambda: (
            torch.amp.GradScaler("cpu", init_scale=2.0**21, growth_interval=2)
            if models.needs_loss_scaling()
            else None
        ),
    )


def test_fp16_trains_with_fp32_weights_and_skips_overflowed_steps(tmp_path, monkeypatch):
    _eager_scaler(monkeypatch)
    plan = _plan(tmp_path, steps=12)
    assert run(str(plan), str(tmp_path / "r")) == EXIT_OK
    events = read_events(tmp_path / "r")
    assert_events_valid(events)
    scales = metric_series(events, "s", "loss_scale")
    norms = metric_series(events, "s", "grad_norm")
    assert len(scales) == 12
    # Overflowed steps report no finite gradient norm and halve the scale; later clean steps grow it again.
    assert any(n is None for n in norms), norms
    assert min(scales) < 2.0**21 and any(b > a for a, b in zip(scales, scales[1:], strict=False)), scales
    losses = metric_series(events, "s", "loss")
    assert losses[-1] < losses[0]
    # Master weights stay fp32 on disk.
    cfg = json.loads((tmp_path / "r/checkpoints/s/final/config.json").read_text())
    from safetensors.torch import load_file

    weights = load_file(str(tmp_path / "r/checkpoints/s/final/model.safetensors"))
    assert {t.dtype for t in weights.values()} == {torch.float32}, cfg.get("dtype")
    assert all(torch.isfinite(t).all() for t in weights.values())


def test_fp16_resume_restores_the_loss_scale_bitwise(tmp_path, monkeypatch):
    _eager_scaler(monkeypatch)
    plan = _plan(tmp_path, steps=8)
    assert run(str(plan), str(tmp_path / "full")) == EXIT_OK
    full = read_events(tmp_path / "full")
    stop, echo = stop_after(4)
    assert run(str(plan), str(tmp_path / "split"), echo=echo, stop=stop) == EXIT_STOPPED
    scale_at_stop = metric_series(read_events(tmp_path / "split"), "s", "loss_scale")[-1]
    assert scale_at_stop != 2.0**21, (
        "the scale must have moved before the stop for this test to mean anything"
    )
    assert run(str(plan), str(tmp_path / "split"), resume=True) == EXIT_OK
    split = read_events(tmp_path / "split")
    for name in ("loss", "loss_scale", "grad_norm"):
        assert metric_series(split, "s", name) == metric_series(full, "s", name), name


def test_a_trained_model_in_fp16_weights_is_refused_with_a_clear_error(tmp_path):
    plan = _plan(tmp_path, steps=2, precision="auto", dtype="fp16")
    assert run(str(plan), str(tmp_path / "r")) == EXIT_FAILED
    err = [e for e in read_events(tmp_path / "r") if e["type"] == "error"][0]
    assert "dtype = fp16 cannot be trained" in err["message"] and "precision = fp16" in err["message"]


def test_precision_settings_map_to_autocast_and_scaling():
    cpu = torch.device("cpu")
    assert models.configure_amp("auto", cpu) is None and models.grad_scaler() is None
    assert models.configure_amp("fp32", cpu) is None
    assert models.configure_amp("bf16", cpu) == torch.bfloat16 and models.grad_scaler() is None
    assert models.configure_amp("fp16", cpu) == torch.float16 and models.needs_loss_scaling()
    assert isinstance(models.grad_scaler(), torch.amp.GradScaler)
