"""Metric sinks against the real back-ends, offline: a tiny run reports to TensorBoard, W&B (offline mode) and
MLflow (a local SQLite store), and each back-end's own reader must give back events.jsonl's names and steps."""

from __future__ import annotations

import json
import socket

import pytest
from engine_helpers import assert_events_valid, base_plan, read_events, tiny_model_dir, write_plan
from sink_readers import tensorboard_scalars, tensorboard_texts, wandb_records

from srlm_engine.run import EXIT_INVALID, EXIT_OK, run

EVALS = {"test": {"data": "test", "max_new_tokens": 4, "metrics": ["accuracy", "pass@2"], "samples": 2}}


def _plan(tmp, settings: dict) -> dict:
    model = tiny_model_dir(tmp, "m")
    cfg = {"data": "train", "steps": 4, "lr": 1e-2, "batch_size": 8, "max_len": 64, "log_every": 1}
    plan = base_plan(
        {"m": model}, [{"name": "sft1", "kind": "sft", "init": {"model": "m"}, "config": cfg}], EVALS
    )
    plan["settings"].update(settings)
    plan["evals"]["test"]["limit"] = 4
    return plan


def _expected(events) -> dict[str, list[tuple[int, float]]]:
    """What every back-end must hold: `<stage>/<metric>` and `<stage>/eval/<eval>/<metric>` at the event's step."""
    out: dict[str, list] = {}
    for e in events:
        if e["type"] == "metrics":
            keys = {f"{e['stage']}/{k}": v for k, v in e["metrics"].items()}
        elif e["type"] == "eval":
            keys = {f"{e['stage']}/eval/{e['eval']}/{k}": v for k, v in e["metrics"].items()}
        else:
            continue
        for k, v in keys.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                out.setdefault(k, []).append((e["step"], float(v)))
    return out


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sinks")
    mp = pytest.MonkeyPatch()
    mp.setenv("WANDB_MODE", "offline")
    mp.setenv("WANDB_DIR", str(tmp / "wandb-dir"))
    mp.setenv("WANDB_SILENT", "true")
    mp.delenv("MLFLOW_TRACKING_URI", raising=False)
    (tmp / "wandb-dir").mkdir()
    settings = {
        "report_to": ["tensorboard", "wandb", "mlflow"],
        "project": "sink-test",
        "tags": ["tiny", "ci"],
        "tracking_uri": f"sqlite:///{tmp / 'mlflow.db'}",
    }
    plan = _plan(tmp, settings)
    run_dir = tmp / "runs" / "20261202-000000-test-abcd"
    (run_dir).mkdir(parents=True)
    (run_dir / "pipeline.srlm").write_text("pipeline test {\n  report_to = [tensorboard, wandb, mlflow]\n}\n")
    rc = run(str(write_plan(tmp, plan)), str(run_dir))
    mp.undo()
    events = read_events(run_dir)
    return {"rc": rc, "run_dir": run_dir, "events": events, "tmp": tmp, "expected": _expected(events)}


def test_the_run_completes_with_no_sink_warning(reported):
    assert reported["rc"] == EXIT_OK
    assert_events_valid(reported["events"])
    assert not [e for e in reported["events"] if e["type"] == "warning"], reported["events"]
    assert reported["expected"]["sft1/loss"] and reported["expected"]["sft1/eval/test/accuracy"]


def test_tensorboard_holds_every_metric_at_its_step(reported):
    logdir = reported["run_dir"] / "tensorboard"
    scalars = tensorboard_scalars(logdir)
    expected = reported["expected"]
    assert set(scalars) == set(expected)
    for tag, points in expected.items():
        assert [s for s, _ in scalars[tag]] == [s for s, _ in points], tag
        assert [v for _, v in scalars[tag]] == pytest.approx([v for _, v in points], rel=1e-6), tag
    texts = tensorboard_texts(logdir)
    assert "report_to = [tensorboard, wandb, mlflow]" in texts["run/pipeline/text_summary"][0]
    assert "| prompt | completion |" in texts["sft1/samples/test/text_summary"][0]


def test_wandb_offline_run_folder_holds_config_metrics_and_the_sample_table(reported):
    (wb,) = list((reported["tmp"] / "wandb-dir" / "wandb").glob("offline-run-*/run-*.wandb"))
    records = wandb_records(wb)
    kinds = [r.WhichOneof("record_type") for r in records]
    (run_rec,) = [r.run for r in records if r.WhichOneof("record_type") == "run"]
    assert run_rec.project == "sink-test" and run_rec.run_id == "20261202-000000-test-abcd"
    assert run_rec.display_name == "20261202-000000-test-abcd" and list(run_rec.tags) == ["tiny", "ci"]
    config = {i.key: json.loads(i.value_json) for i in run_rec.config.update}
    assert config["sft1.lr"] == 0.01 and config["settings.report_to"] == json.dumps(
        ["tensorboard", "wandb", "mlflow"]
    )
    got: dict[str, list] = {}
    tables = []
    for r in records:
        if r.WhichOneof("record_type") != "history":
            continue
        row = {i.key or "/".join(i.nested_key): json.loads(i.value_json) for i in r.history.item}
        step_key = next(k for k in row if k.endswith("/step"))
        for k, v in row.items():
            if "/samples/" in k:  # a table is logged as nested keys: <key>/_type, <key>/path, …
                if k.endswith("/_type"):
                    tables.append((k.removesuffix("/_type"), v))
            elif k != step_key and not k.startswith("_"):
                got.setdefault(k, []).append((row[step_key], v))
    assert got.keys() == reported["expected"].keys()
    for k, points in reported["expected"].items():
        assert [s for s, _ in got[k]] == [s for s, _ in points], k
        assert [v for _, v in got[k]] == pytest.approx([v for _, v in points], rel=1e-6), k
    assert tables and tables == [("sft1/samples/test", "table-file")] * len(tables)
    assert "exit" in kinds and "artifact" in kinds


def test_mlflow_store_holds_params_metrics_and_artifacts(reported):
    from mlflow.tracking import MlflowClient

    from srlm_engine.sinks.mlflow_sink import mlflow_name

    client = MlflowClient(tracking_uri=f"sqlite:///{reported['tmp'] / 'mlflow.db'}")
    exp = client.get_experiment_by_name("sink-test")
    (r,) = client.search_runs([exp.experiment_id])
    assert r.info.status == "FINISHED" and r.info.run_name == "20261202-000000-test-abcd"
    assert r.data.tags["srlm.run_id"] == "20261202-000000-test-abcd" and "tiny" in r.data.tags
    assert r.data.params["sft1.lr"] == "0.01"
    expected = reported["expected"]
    assert set(r.data.metrics) == {mlflow_name(k) for k in expected}
    for k, points in expected.items():
        hist = sorted(
            client.get_metric_history(r.info.run_id, mlflow_name(k)), key=lambda m: (m.step, m.timestamp)
        )
        assert [(m.step, m.value) for m in hist] == [(s, pytest.approx(v, rel=1e-6)) for s, v in points], k
    arts = {a.path for a in client.list_artifacts(r.info.run_id)}
    assert {"pipeline.srlm", "plan.json"} <= arts
    samples = {a.path for a in client.list_artifacts(r.info.run_id, "sft1")}
    assert samples, arts


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_an_unreachable_tracking_server_is_one_warning_and_the_run_completes_whole(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    plan = _plan(
        tmp_path,
        {"report_to": ["mlflow", "tensorboard"], "tracking_uri": f"http://127.0.0.1:{_closed_port()}"},
    )
    run_dir = tmp_path / "run"
    assert run(str(write_plan(tmp_path, plan)), str(run_dir)) == EXIT_OK
    events = read_events(run_dir)
    assert_events_valid(events)
    (warning,) = [e for e in events if e["type"] == "warning"]
    assert warning["code"] == "sink_failed" and "metrics to mlflow stopped" in warning["message"]
    assert "srlm export RUN --to mlflow" in warning["message"]
    assert events[-1]["type"] == "run_finished" and events[-1]["status"] == "completed"
    assert [e["step"] for e in events if e["type"] == "metrics"] == [1, 2, 3, 4]
    # The healthy sink beside it got everything.
    assert tensorboard_scalars(run_dir / "tensorboard")["sft1/loss"] == [
        (s, pytest.approx(v)) for s, v in _expected(events)["sft1/loss"]
    ]


def test_a_tracking_server_that_dies_mid_run_is_one_warning_and_every_event_stays(tmp_path, monkeypatch):
    from fake_mlflow import DyingMlflow

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    server = DyingMlflow(tmp_path / "artifacts", live_batches=2)
    plan = _plan(tmp_path, {"report_to": ["mlflow"], "tracking_uri": server.uri})
    plan["stages"][0]["config"]["steps"] = 8
    run_dir = tmp_path / "run"
    assert run(str(write_plan(tmp_path, plan)), str(run_dir)) == EXIT_OK
    assert server.closed.is_set() and server.unknown == []
    # Before it died the server got the run's first metric batches, with events.jsonl's names and steps.
    first = {(m["key"], m["step"]) for m in server.metric_batches[0]}
    assert ("sft1/eval/test/accuracy", 0) in first or ("sft1/loss", 1) in first
    events = read_events(run_dir)
    assert_events_valid(events)
    (warning,) = [e for e in events if e["type"] == "warning"]
    assert warning["code"] == "sink_failed" and "metrics to mlflow stopped" in warning["message"]
    first_metrics = next(i for i, e in enumerate(events) if e["type"] == "metrics")
    assert events.index(warning) > first_metrics, "the sink died mid-run, after it had reported"
    trained = [e["step"] for e in events if e["type"] == "metrics"]
    assert trained == list(range(1, 9)), "training went on, every step in events.jsonl"
    assert events[-1]["type"] == "run_finished" and events[-1]["status"] == "completed"
    assert (tmp_path / "artifacts" / "plan.json").is_file()


def test_a_back_end_that_is_not_installed_stops_the_run_before_any_stage(tmp_path, monkeypatch):
    import srlm_engine.sinks as sinks

    real = sinks.backend_status
    monkeypatch.setattr(sinks, "backend_status", lambda n: {**real(n), "installed": n != "wandb"})
    plan = _plan(tmp_path, {"report_to": ["tensorboard", "wandb"]})
    run_dir = tmp_path / "run"
    assert run(str(write_plan(tmp_path, plan)), str(run_dir)) == EXIT_INVALID
    events = read_events(run_dir)
    assert [e["type"] for e in events] == ["error", "run_finished"]
    assert "pip install 'srlm-engine[wandb]'" in events[0]["message"] and events[0]["code"] == "invalid_plan"
    assert not (run_dir / "tensorboard").exists()
