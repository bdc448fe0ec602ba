"""An MLflow tracking server stand-in on 127.0.0.1 that goes away mid-run: it answers the REST calls the MLflow
sink makes (experiment, run, batches, run update) and closes its port after `live_batches` metric batches, so
the fault test sees the network side of a sink die while training goes on. Artifacts go to a local folder (the
run's artifact URI), as they would with a server whose artifact store is a shared disk."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class DyingMlflow:
    def __init__(self, artifacts: Path, live_batches: int):
        self.artifacts = Path(artifacts)
        self.live_batches = live_batches
        self.metric_batches: list[list[dict]] = []
        self.unknown: list[str] = []
        self.closed = threading.Event()
        srv = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _send(self, code: int, body: dict):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                srv.route(self, "GET", b"")

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                srv.route(self, "POST", self.rfile.read(n) if n else b"")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.uri = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _run_info(self) -> dict:
        return {
            "run_id": "r1",
            "run_uuid": "r1",
            "experiment_id": "1",
            "status": "RUNNING",
            "start_time": int(time.time() * 1000),
            "artifact_uri": self.artifacts.resolve().as_uri(),
            "lifecycle_stage": "active",
        }

    def route(self, h, method: str, body: bytes) -> None:
        path = h.path.split("?")[0].removeprefix("/api/2.0/mlflow/")
        if path == "experiments/get-by-name":
            return h._send(404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no such experiment"})
        if path == "experiments/create":
            return h._send(200, {"experiment_id": "1"})
        if path == "runs/search":
            return h._send(200, {"runs": []})
        if path in ("runs/create", "runs/get"):
            return h._send(200, {"run": {"info": self._run_info(), "data": {}}})
        if path == "runs/log-batch":
            metrics = json.loads(body).get("metrics") or []
            if metrics:
                self.metric_batches.append(metrics)
                if len(self.metric_batches) >= self.live_batches:
                    # Answer this one, then the port closes: every later request is refused.
                    threading.Thread(target=self._die, daemon=True).start()
            return h._send(200, {})
        if path == "logged-models/search":  # MLflow 3 links metrics to logged models; this run has none
            return h._send(200, {"models": []})
        if path in ("runs/set-tag", "runs/log-parameter", "runs/log-inputs"):
            return h._send(200, {})
        if path == "runs/update":
            return h._send(200, {"run_info": self._run_info()})
        self.unknown.append(f"{method} {h.path}")
        return h._send(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": h.path})

    def _die(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.closed.set()
