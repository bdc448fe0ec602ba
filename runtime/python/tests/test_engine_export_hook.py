"""The stage field `export_onnx`: the engine exports saved checkpoints to ONNX when asked (LoRA step checkpoints
through the `base_checkpoint` their meta.json records), and a failed export is a warning, never a failed run."""

import json

import pytest
from engine_helpers import assert_events_valid, base_plan, read_events, tiny_model_dir, write_plan

from srlm_engine.export import MANIFEST
from srlm_engine.run import EXIT_OK, run

LORA = {"rank": 4, "alpha": 8, "dropout": 0.0, "targets": ["q_proj", "v_proj"]}


@pytest.fixture(autouse=True)
def _torchscript(monkeypatch):
    # The legacy exporter is ~10x faster to export than dynamo; the graph contract is the same (test_export.py).
    monkeypatch.setenv("SRLM_ONNX_EXPORTER", "torchscript")


def _sft(name, init, **extra):
    cfg = {"data": "train", "steps": 4, "lr": 1e-2, "batch_size": 8, "max_len": 64, **extra}
    return {"name": name, "kind": "sft", "init": init, "config": cfg}


def test_export_onnx_final_and_all_with_lora_step_checkpoints(tmp_path):
    model = tiny_model_dir(tmp_path, "m")
    stages = [
        _sft("a", {"model": "m"}, lora=LORA, save_every=2, export_onnx="all"),
        _sft("b", {"stage": "a"}, export_onnx="final"),
        _sft("c", {"stage": "b"}),
    ]
    run_dir = tmp_path / "run"
    assert run(str(write_plan(tmp_path, base_plan({"m": model}, stages))), str(run_dir)) == EXIT_OK
    ck = run_dir / "checkpoints"
    step2 = ck / "a" / "step-000002"
    # The LoRA step checkpoint holds only the adapter; its random-init base was written once beside it.
    assert (step2 / "adapter_config.json").is_file()
    assert json.loads((step2 / "meta.json").read_text())["base_checkpoint"] == "../base"
    assert (ck / "a" / "base" / "model.safetensors").is_file()
    for folder in (step2, ck / "a" / "final", ck / "b" / "final"):
        manifest = json.loads((folder / "onnx" / MANIFEST).read_text())
        assert manifest["exporter"] == "torchscript" and manifest["max_abs_diff"] < 1e-4
    assert json.loads((step2 / "onnx" / MANIFEST).read_text())["lora_merged"] is True
    assert not (ck / "c" / "final" / "onnx").exists()
    events = read_events(run_dir)
    assert_events_valid(events)
    onnx = {(e["stage"], e["step"], e["final"]): e.get("onnx") for e in events if e["type"] == "checkpoint"}
    assert onnx[("a", 2, False)] == str(step2 / "onnx")
    assert onnx[("a", 4, True)] == str(ck / "a" / "final" / "onnx")
    assert onnx[("b", 4, True)] == str(ck / "b" / "final" / "onnx")
    assert onnx[("c", 4, True)] is None
    assert not [e for e in events if e["type"] == "warning"]


def test_failed_export_is_a_warning_and_the_run_completes(tmp_path, monkeypatch):
    import srlm_engine.export as export

    def broken(path, **_):
        raise RuntimeError("exporter exploded")

    monkeypatch.setattr(export, "export_checkpoint", broken)
    model = tiny_model_dir(tmp_path, "m")
    run_dir = tmp_path / "run"
    plan = write_plan(tmp_path, base_plan({"m": model}, [_sft("a", {"model": "m"}, export_onnx="final")]))
    assert run(str(plan), str(run_dir)) == EXIT_OK
    events = read_events(run_dir)
    assert_events_valid(events)
    (warning,) = [e for e in events if e["type"] == "warning"]
    assert warning["code"] == "onnx_export_failed" and "exporter exploded" in warning["message"]
    (ckpt,) = [e for e in events if e["type"] == "checkpoint"]
    assert ckpt.get("onnx") is None and (run_dir / "checkpoints/a/final/model.safetensors").is_file()
    assert events[-1]["type"] == "run_finished" and events[-1]["status"] == "completed"
