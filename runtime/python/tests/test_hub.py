"""Hub models through the real huggingface_hub cache, offline: `python -m srlm_engine pull` resolves revisions to
commits (or fails with one classified message), and a run loads the resolved commit and records it in meta.json.
The hub's refusals (gated, unauthorised, not found, unreachable) come from a local HTTP server via HF_ENDPOINT."""

from __future__ import annotations

import hashlib
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


def test_pull_resolves_a_hub_dataset_from_the_cache(hf_home, tmp_path):
    """A dataset repo laid out as the hub lays out GSM8K (`main/` parquet shards) under datasets--org--name."""
    repo_dir = hf_home / "hub" / "datasets--openai--gsm8k"
    shard = repo_dir / "snapshots" / COMMIT / "main" / "train-00000-of-00001.parquet"
    shard.parent.mkdir(parents=True, exist_ok=True)
    shard.write_bytes(b"PAR1")  # pull resolves and fetches; reading the rows is the data loader's job
    (repo_dir / "refs").mkdir(exist_ok=True)
    (repo_dir / "refs" / "main").write_text(COMMIT)
    plan = {
        "schema_version": 1,
        "pipeline": "p",
        "models": {},
        "datasets": {
            "gsm8k": {"source": "openai/gsm8k", "subset": "main"},
            "local": {"source": str(tmp_path)},
        },
        "stages": [],
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    proc = subprocess.run(
        [sys.executable, "-m", "srlm_engine", "pull", "--plan", str(path)],
        env=hub_env(hf_home),
        capture_output=True,
        text=True,
        timeout=120,
    )
    done = json.loads(proc.stdout.splitlines()[-1])
    assert proc.returncode == 0 and done["event"] == "done", proc.stdout
    assert done["datasets"] == {
        "gsm8k": {"repo": "openai/gsm8k", "revision": "main", "commit": COMMIT, "path": str(shard.parents[1])}
    }
    # What a dataset reader uses to find those files later without a connection.
    script = (
        "from srlm_engine.hub import cached_snapshot, HubError\n"
        "print(cached_snapshot('openai/gsm8k'))\n"
        "try:\n    cached_snapshot('openai/gsm8k', 'v9', name='gsm8k')\n"
        "except HubError as e:\n    print(e.code, e.message)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], env=hub_env(hf_home), capture_output=True, text=True, timeout=120
    ).stdout.splitlines()
    assert out[0] == str(shard.parents[1])
    assert out[1].startswith("offline dataset gsm8k (openai/gsm8k@v9) is not in the Hugging Face cache")


SERVED = "tiny-org/served"
SERVED_COMMIT = "abcdefabcdefabcdefabcdefabcdefabcdefabcd"


def serving_hub(files: dict[str, bytes], requests: list[str]):
    """Just enough of the hub's HTTP API for snapshot_download: repo info, the file tree, and file downloads."""

    class Hub(BaseHTTPRequestHandler):
        def _send(self, body: bytes, headers: dict[str, str]):
            self.send_response(200)
            for k, v in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(k, v)
            self.end_headers()
            if self.command == "GET":
                self.wfile.write(body)

        def do_GET(self):  # noqa: N802 - http.server's naming
            path = self.path.split("?")[0]
            requests.append(f"{self.command} {path}")
            if path == f"/api/models/{SERVED}/revision/main":
                info = {"id": SERVED, "sha": SERVED_COMMIT, "siblings": [{"rfilename": n} for n in files]}
                return self._send(json.dumps(info).encode(), {"Content-Type": "application/json"})
            if path == f"/api/models/{SERVED}/tree/{SERVED_COMMIT}":
                tree = [
                    {"type": "file", "path": n, "size": len(b), "oid": hashlib.sha1(b).hexdigest()}
                    for n, b in files.items()
                ]
                return self._send(json.dumps(tree).encode(), {"Content-Type": "application/json"})
            prefix = f"/{SERVED}/resolve/{SERVED_COMMIT}/"
            name = path[len(prefix) :] if path.startswith(prefix) else None
            if name in files:
                etag = '"' + hashlib.sha1(files[name]).hexdigest() + '"'
                return self._send(files[name], {"X-Repo-Commit": SERVED_COMMIT, "ETag": etag})
            self.send_response(404)
            self.send_header("X-Error-Code", "EntryNotFound")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_HEAD = do_GET  # noqa: N815

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_pull_downloads_with_byte_progress_and_then_runs_offline(hf_home, tmp_path):
    snapshot = hf_home / "hub" / "models--tiny-org--tiny-qwen" / "snapshots" / COMMIT
    files = {p.name: p.read_bytes() for p in snapshot.iterdir()}
    files["pytorch_model.bin"] = b"duplicate weights in another format"
    requests: list[str] = []
    server = serving_hub(files, requests)
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        home = tmp_path / "fresh-hf"
        code, events = pull(
            tmp_path, {"m": {"source": SERVED}}, hub_env(home, offline=False, endpoint=endpoint)
        )
    finally:
        server.shutdown()
    assert code == 0, events
    assert events[-1]["models"]["m"]["commit"] == SERVED_COMMIT
    fetched = home / "hub" / "models--tiny-org--served" / "snapshots" / SERVED_COMMIT
    assert (fetched / "model.safetensors").read_bytes() == files["model.safetensors"]
    assert not (fetched / "pytorch_model.bin").exists()
    assert not any(r.endswith("pytorch_model.bin") and r.startswith("GET") for r in requests)
    progress = [e for e in events if e["event"] == "progress" and e["unit"] == "B"]
    assert progress and progress[-1]["done"] == progress[-1]["total"] >= len(files["model.safetensors"])

    # The compute node: same cache, no connection.
    code, events = pull(tmp_path, {"m": {"source": SERVED}}, hub_env(home))
    assert code == 0 and events[-1]["models"]["m"]["commit"] == SERVED_COMMIT
