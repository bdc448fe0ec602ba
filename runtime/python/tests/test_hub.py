"""Hub models through the real huggingface_hub cache, offline: `python -m srlm_engine pull` resolves revisions to
commits (or fails with one classified message), and a run loads the resolved commit and records it in meta.json.
The hub's refusals (gated, unauthorised, not found, unreachable) come from a local HTTP server via HF_ENDPOINT."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from engine_helpers import base_plan, engine_cmd, engine_env, stage, write_plan
from hub_cache import COMMIT, cached_model

REPO_ID = "tiny-org/tiny-qwen"


@pytest.fixture(scope="module")
def hf_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("hf")
    cached_model(home, REPO_ID, COMMIT)
    return home


def hub_env(hf_home: Path, offline: bool = True, endpoint: str | None = None) -> dict:
    env = {**engine_env(), "HF_HOME": str(hf_home), "HF_HUB_DISABLE_TELEMETRY": "1"}
    env.pop("HF_HUB_CACHE", None)
    env.pop("HF_TOKEN", None)
    if offline:
        env["HF_HUB_OFFLINE"] = "1"
    else:
        env.pop("HF_HUB_OFFLINE", None)
    if endpoint:
        env["HF_ENDPOINT"] = endpoint
    return env


def pull(tmp: Path, models: dict, env: dict) -> tuple[int, list[dict]]:
    plan = {"schema_version": 1, "pipeline": "p", "models": models, "datasets": {}, "stages": []}
    path = tmp / "pull-plan.json"
    path.write_text(json.dumps(plan))
    proc = subprocess.run(
        [sys.executable, "-m", "srlm_engine", "pull", "--plan", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.returncode, [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def test_pull_resolves_a_cached_model_offline_and_skips_local_folders(hf_home, tmp_path):
    code, events = pull(
        tmp_path, {"m": {"source": REPO_ID}, "local": {"source": str(tmp_path)}}, hub_env(hf_home)
    )
    assert code == 0, events
    done = events[-1]
    assert done["event"] == "done"
    assert done["models"]["m"]["commit"] == COMMIT
    assert done["models"]["m"]["path"].endswith(f"snapshots/{COMMIT}")
    assert "local" not in done["models"]
    assert [e["event"] for e in events] == ["resolving", "resolved", "done"]


@pytest.mark.parametrize(
    ("model", "needle"),
    [
        ({"source": "tiny-org/not-there"}, "tiny-org/not-there@main"),
        ({"source": REPO_ID, "revision": "v2"}, f"{REPO_ID}@v2"),
    ],
)
def test_offline_and_missing_is_one_clear_error(hf_home, tmp_path, model, needle):
    code, events = pull(tmp_path, {"m": model}, hub_env(hf_home))
    assert code == 1
    err = events[-1]
    assert err["event"] == "error" and err["code"] == "offline"
    assert needle in err["message"] and "HF_HUB_OFFLINE=1" in err["message"] and "srlm pull" in err["message"]


class RefusingHub(BaseHTTPRequestHandler):
    """Answers every request as the hub answers a gated or a missing repository."""

    def do_GET(self):  # noqa: N802 - http.server's naming
        if "gated" in self.path:
            self.send_response(403)
            self.send_header("X-Error-Code", "GatedRepo")
            self.send_header("X-Error-Message", "Access to model tiny-org/gated is restricted.")
        else:
            self.send_response(401)
            self.send_header("X-Error-Code", "RepoNotFound")
            self.send_header("X-Error-Message", "Repository not found")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET  # noqa: N815

    def log_message(self, *args):
        pass


@pytest.fixture()
def refusing_hub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), RefusingHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize(
    ("repo", "code", "needle"),
    [
        ("tiny-org/gated", "gated", "accept its licence at https://huggingface.co/tiny-org/gated"),
        ("tiny-org/private", "not_found", "was not found on the hub"),
    ],
)
def test_gated_and_unknown_repositories_are_classified(tmp_path, refusing_hub, repo, code, needle):
    code_, events = pull(tmp_path, {"m": {"source": repo}}, hub_env(tmp_path / "hf", False, refusing_hub))
    assert code_ == 1
    assert events[-1]["code"] == code, events[-1]
    assert needle in events[-1]["message"]


def test_an_unreachable_hub_is_reported_as_offline(tmp_path):
    env = hub_env(tmp_path / "hf", offline=False, endpoint="http://127.0.0.1:9")  # discard port: refused
    code, events = pull(tmp_path, {"m": {"source": "tiny-org/elsewhere"}}, env)
    assert code == 1
    assert events[-1]["code"] == "offline"
    assert "cannot be reached" in events[-1]["message"]


def test_a_run_loads_the_resolved_commit_and_records_it_in_meta(hf_home, tmp_path):
    plan = base_plan({}, [stage("sft", steps=1, batch_size=4, max_len=64)], n_train=8)
    plan["models"] = {"m": {"source": REPO_ID, "resolved_revision": COMMIT}}
    path = write_plan(tmp_path, plan)
    proc = subprocess.run(
        engine_cmd(path, tmp_path / "run"), env=hub_env(hf_home), capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    meta = json.loads((tmp_path / "run" / "checkpoints" / "s" / "final" / "meta.json").read_text())
    assert meta["base_model"] == REPO_ID and meta["resolved_revision"] == COMMIT

    # A commit the cache does not hold is a load error naming the model, not a silent fall-back to `main`.
    plan["models"]["m"]["resolved_revision"] = "f" * 40
    path = write_plan(tmp_path, plan)
    proc = subprocess.run(
        engine_cmd(path, tmp_path / "run2"), env=hub_env(hf_home), capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 1
    assert f"cannot load model '{REPO_ID}'" in proc.stderr + (tmp_path / "run2" / "events.jsonl").read_text()
