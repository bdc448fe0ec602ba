"""A Hugging Face Hub stand-in on 127.0.0.1 for the push tests: it answers the few API calls `huggingface_hub`
makes for an upload (whoami, create repo, refs, file list, preupload, commit) and records every request, so a
test sees exactly what would have been sent. Nothing leaves the machine."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeHub:
    def __init__(
        self,
        role: str = "write",
        files: list[str] | None = None,
        meta: dict | None = None,
        refuse_create=False,
    ):
        self.role = role
        self.files = list(files or [])  # what the repository already holds
        self.meta = meta  # its meta.json, when it holds one
        self.refuse_create = refuse_create
        self.requests: list[tuple[str, str, bytes]] = []
        self.committed: dict[str, bytes] = {}
        self.branches = ["main"]
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _send(self, code: int, body, headers: dict | None = None):
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> bytes:
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def do_GET(self):
                hub.requests.append(("GET", self.path, b""))
                hub.route(self, "GET", b"")

            def do_HEAD(self):
                hub.requests.append(("HEAD", self.path, b""))
                hub.route(self, "HEAD", b"")

            def do_POST(self):
                body = self._body()
                hub.requests.append(("POST", self.path, body))
                hub.route(self, "POST", body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        if self._thread.is_alive():
            self.server.shutdown()
            self.server.server_close()

    def route(self, h, method: str, body: bytes) -> None:
        path = h.path.split("?")[0]
        if path == "/api/whoami-v2":
            return h._send(
                200, {"type": "user", "name": "tester", "auth": {"accessToken": {"role": self.role}}}
            )
        if path == "/api/repos/create":
            if self.refuse_create:
                return h._send(
                    403, {"error": "You don't have the rights to create a model under this namespace"}
                )
            req = json.loads(body)
            return h._send(200, {"url": f"{self.url}/{req.get('organization') or 'tester'}/{req['name']}"})
        if path == "/api/validate-yaml":
            return h._send(200, {"errors": [], "warnings": []})
        if path.endswith("/refs"):
            return h._send(
                200,
                {
                    "branches": [
                        {"name": b, "ref": f"refs/heads/{b}", "targetCommit": "0" * 40} for b in self.branches
                    ],
                    "tags": [],
                    "converts": [],
                },
            )
        if "/branch/" in path and method == "POST":
            self.branches.append(path.rsplit("/", 1)[1])
            return h._send(200, {})
        if "/tree/" in path:
            return h._send(200, [{"type": "file", "path": f, "oid": "0" * 40, "size": 1} for f in self.files])
        if "/preupload/" in path:
            files = json.loads(body)["files"]
            return h._send(
                200,
                {
                    "files": [
                        {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files
                    ]
                },
            )
        if "/commit/" in path:
            for line in body.decode().splitlines():
                op = json.loads(line)
                if op.get("key") == "file":
                    self.committed[op["value"]["path"]] = base64.b64decode(op["value"]["content"])
            repo = "/".join(path.split("/")[3:5])
            return h._send(
                200,
                {"success": True, "commitOid": "c" * 40, "commitUrl": f"{self.url}/{repo}/commit/{'c' * 40}"},
            )
        if path.endswith("/meta.json") and "/resolve/" in path and self.meta is not None:
            data = json.dumps(self.meta).encode()
            headers = {"X-Repo-Commit": "a" * 40, "ETag": '"meta"', "Content-Length": str(len(data))}
            if method == "HEAD":
                h.send_response(200)
                for k, v in headers.items():
                    h.send_header(k, v)
                h.end_headers()
                return None
            return h._send(200, data, {"X-Repo-Commit": "a" * 40, "ETag": '"meta"'})
        return h._send(404, {"error": f"fake hub: no route for {method} {path}"})
