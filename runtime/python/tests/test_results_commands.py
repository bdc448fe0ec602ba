"""The results commands as the CLI runs them (`python -m srlm_engine card|export|push|check-env`), on one tiny
finished run: SFT then RL with an eval before and after."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
from engine_helpers import base_plan, engine_env, read_events, tiny_model_dir, write_plan
from fake_hub import FakeHub
from sink_readers import tensorboard_scalars

from srlm_engine.run import EXIT_OK, run

RUN_ID = "20261202-000000-test-abcd"
PIPELINE = "pipeline test {\n  seed = 7\n  report_to = []\n}\n"


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("results")
    m = tiny_model_dir(tmp, "m")
    (m / "README.md").write_text("---\nlicense: apache-2.0\nlanguage: en\n---\n# tiny\n")
    sft = {"data": "train", "steps": 4, "lr": 1e-2, "batch_size": 8, "max_len": 64, "log_every": 1}
    rl = {
        "data": "train",
        "steps": 2,
        "lr": 1e-3,
        "prompts_per_step": 2,
        "group": 2,
        "batch_size": 4,
        "max_new_tokens": 4,
        "log_every": 1,
        "reward": [{"fn": "accuracy", "weight": 1.0}],
    }
    plan = base_plan(
        {"m": m},
        [
            {"name": "warm", "kind": "sft", "init": {"model": "m"}, "config": sft},
            {"name": "polish", "kind": "rl", "init": {"stage": "warm"}, "config": rl},
        ],
        {"test": {"data": "test", "max_new_tokens": 4, "metrics": ["accuracy"], "samples": 2, "limit": 4}},
    )
    run_dir = tmp / "runs" / RUN_ID
    run_dir.mkdir(parents=True)
    (run_dir / "pipeline.srlm").write_text(PIPELINE)
    assert run(str(write_plan(tmp, plan)), str(run_dir)) == EXIT_OK
    return run_dir


def engine(*args, env=None, check=True):
    r = subprocess.run(
        [sys.executable, "-m", "srlm_engine", *args],
        capture_output=True,
        text=True,
        env=env or engine_env(),
        timeout=120,
    )
    if check:
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout.strip().splitlines()[-1])
    return r


def test_card_has_every_section_and_a_curves_image(finished):
    out = engine("card", "--run-dir", str(finished))
    assert out["stage"] == "polish", "the last finished stage by default"
    ckpt = finished / "checkpoints" / "polish" / "final"
    card = (ckpt / "README.md").read_text()
    front = card.split("---")[1]
    assert "library_name: transformers" in front and "license: apache-2.0" in front
    assert "- srlm-studio" in front and "- sft" in front and "- rl" in front
    for section in (
        "## Model details",
        "## Training data",
        "## Training procedure",
        "### `warm` (sft)",
        "### `polish` (rl)",
        "## Evaluation",
        "## Training curves",
        "## Pipeline",
    ):
        assert section in card, section
    assert str(finished.parent.parent / "m") in card, "the base model"
    assert "built-in `arithmetic`" in card, "the datasets"
    assert "| scheduler | cosine |" in card, "resolved hyperparameters, defaults included"
    assert "| `warm` | `test` | accuracy |" in card and "| `polish` | `test` | accuracy | — |" in card
    assert "srlm_engine 0.1.0" in card and "| license | apache-2.0 |" in card
    assert PIPELINE.rstrip() in card
    png = ckpt / "training_curves.png"
    assert png.stat().st_size > 1000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "](training_curves.png)" in card


def test_card_for_an_unknown_stage_is_one_clear_error(finished):
    r = engine("card", "--run-dir", str(finished), "--stage", "nope", check=False)
    assert (
        r.returncode == 1 and r.stderr.strip() == "error: the run has no stage 'nope' (stages: warm, polish)"
    )


def test_export_to_csv_and_tensorboard_replays_every_metric(finished, tmp_path):
    events = read_events(finished)
    n = sum(
        1
        for e in events
        if e["type"] in ("metrics", "eval")
        for v in e["metrics"].values()
        if isinstance(v, (int, float)) and not isinstance(v, bool)
    )
    out = engine("export", "--run-dir", str(finished), "--to", "csv", "--out", str(tmp_path / "m.csv"))
    assert out["points"] == n
    rows = list(csv.DictReader(open(tmp_path / "m.csv")))
    assert len(rows) == n
    assert {"stage": "warm", "step": "0", "name": "eval/test/accuracy"}.items() <= rows[0].items()
    losses = [float(r["value"]) for r in rows if r["stage"] == "warm" and r["name"] == "loss"]
    assert losses == pytest.approx(
        [e["metrics"]["loss"] for e in events if e["type"] == "metrics" and e["stage"] == "warm"]
    )
    engine("export", "--run-dir", str(finished), "--to", "tensorboard", "--out", str(tmp_path / "tb"))
    scalars = tensorboard_scalars(tmp_path / "tb")
    assert [s for s, _ in scalars["polish/reward"]] == [1, 2]
    again = engine(
        "export",
        "--run-dir",
        str(finished),
        "--to",
        "tensorboard",
        "--out",
        str(tmp_path / "tb"),
        check=False,
    )
    assert again.returncode == 1 and "already holds TensorBoard event files" in again.stderr


def test_export_to_mlflow_and_wandb(finished, tmp_path):
    from mlflow.tracking import MlflowClient

    env = {**engine_env(), "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'ml.db'}"}
    out = engine("export", "--run-dir", str(finished), "--to", "mlflow", env=env)
    client = MlflowClient(tracking_uri=env["MLFLOW_TRACKING_URI"])
    (r,) = client.search_runs([client.get_experiment_by_name("test").experiment_id])
    assert r.info.run_name == RUN_ID and r.info.status == "FINISHED"
    assert [m.step for m in client.get_metric_history(r.info.run_id, "warm/loss")] == [1, 2, 3, 4]
    assert out["location"] == env["MLFLOW_TRACKING_URI"]
    wenv = {**engine_env(), "WANDB_MODE": "offline", "WANDB_DIR": str(tmp_path), "WANDB_SILENT": "true"}
    engine("export", "--run-dir", str(finished), "--to", "wandb", env=wenv)
    assert list((tmp_path / "wandb").glob(f"offline-run-*-{RUN_ID}/run-{RUN_ID}.wandb"))


def test_check_env_reports_installed_and_unknown_back_ends(tmp_path):
    out = engine("check-env", "--report-to", "tensorboard,wandb,mlflow,neptune")
    assert [b["name"] for b in out["backends"]] == ["tensorboard", "wandb", "mlflow"]
    assert all(b["installed"] and b["version"] for b in out["backends"])
    assert out["missing"] == [] and out["unknown"] == ["neptune"]
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"settings": {"report_to": ["wandb"]}}))
    assert [b["name"] for b in engine("check-env", "--plan", str(plan))["backends"]] == ["wandb"]


def _hub_env(tmp_path, hub_url: str | None, token: str | None = "hf_test") -> dict:
    env = {**engine_env(), "HF_HOME": str(tmp_path / "hf"), "HF_HUB_DISABLE_TELEMETRY": "1"}
    for k in ("HF_TOKEN", "HF_HUB_OFFLINE", "HF_ENDPOINT", "HUGGING_FACE_HUB_TOKEN"):
        env.pop(k, None)
    if hub_url:
        env["HF_ENDPOINT"] = hub_url
    if token:
        env["HF_TOKEN"] = token
    return env


def test_push_uploads_the_checkpoint_and_its_card_in_one_commit(finished, tmp_path):
    with FakeHub() as hub:
        out = engine(
            "push",
            "--run-dir",
            str(finished),
            "--stage",
            "warm",
            "--repo",
            "tester/tiny",
            "--private",
            "--revision",
            "exp1",
            env=_hub_env(tmp_path, hub.url),
        )
    assert out["repo"] == "tester/tiny" and out["revision"] == "exp1" and out["commit"] == "c" * 40
    create = [json.loads(b) for m, p, b in hub.requests if p == "/api/repos/create"]
    assert len(create) == 1 and create[0]["name"] == "tiny" and create[0]["organization"] == "tester"
    assert create[0].get("private") is True or create[0].get("visibility") == "private", create
    assert ("POST", "/api/models/tester/tiny/branch/exp1") in [(m, p) for m, p, _ in hub.requests]
    ckpt = finished / "checkpoints" / "warm" / "final"
    assert hub.committed["model.safetensors"] == (ckpt / "model.safetensors").read_bytes()
    assert hub.committed["README.md"] == (ckpt / "README.md").read_bytes(), "the card is written, then sent"
    assert {"config.json", "meta.json", "tokenizer.json", "training_curves.png"} <= set(hub.committed)
    assert not {p for p in hub.committed if p.startswith(".") or p == "training_state.pt"}
    assert all(p.startswith(("/api/", "/tester/")) for _, p, _ in hub.requests)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("offline", "the Hub is in offline mode (HF_HUB_OFFLINE=1)"),
        ("no-token", "not logged in to the Hugging Face Hub"),
        ("read-token", "is read-only; create a write token"),
        ("forbidden", "no write access to tester/tiny"),
        ("other-model", "already holds a different model"),
        ("unreachable", "cannot reach the Hub at http://127.0.0.1:"),
    ],
)
def test_push_fails_early_and_clearly(finished, tmp_path, case, message):
    kw = {
        "read-token": {"role": "read"},
        "forbidden": {"refuse_create": True},
        "other-model": {
            "files": [".gitattributes", "README.md", "model.safetensors", "meta.json"],
            "meta": {"stage_hash": "other"},
        },
    }.get(case, {})
    with FakeHub(**kw) as hub:
        env = _hub_env(tmp_path, hub.url, token=None if case == "no-token" else "hf_test")
        if case == "offline":
            env["HF_HUB_OFFLINE"] = "1"
        if case == "unreachable":
            hub.__exit__()  # the port is closed before the push starts
        r = engine(
            "push",
            "--run-dir",
            str(finished),
            "--stage",
            "polish",
            "--repo",
            "tester/tiny",
            env=env,
            check=False,
        )
    assert r.returncode == 1, r.stdout
    assert message in r.stderr, r.stderr
    assert not [p for _, p, _ in hub.requests if "/commit/" in p or "/preupload/" in p], "nothing is uploaded"
