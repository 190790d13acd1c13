"""A fake Hugging Face Hub served on 127.0.0.1, for the Hub code paths (the real Hub is not
reachable from tests).

``FakeHub`` implements the few Hub endpoints that ``create_repo``, ``upload_folder``,
``snapshot_download`` and ``hf_hub_download`` use (regular, non-LFS files only).
``running_fake_hub`` points huggingface_hub at it; the ``fake_hub`` fixture (conftest.py) wraps that.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

REPO = r"(?P<repo>[^/]+(?:/[^/]+)?)"


def git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class FakeHub:
    """An in-memory Hub: ``repos[repo_id] = {"sha": commit, "files": {path: bytes}}``."""

    def __init__(self, require_token: bool = False):
        self.repos: dict[str, dict] = {}
        self.require_token = require_token
        self.requests: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeHub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_repo(self, repo_id: str, files: dict[str, bytes]) -> None:
        self.repos[repo_id] = {"sha": hashlib.sha1(repo_id.encode()).hexdigest(), "files": dict(files)}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _send(
                self,
                status: int,
                body: bytes = b"",
                headers: dict[str, str] | None = None,
                content_type: str = "application/json",
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _json(self, status: int, data: object, headers: dict[str, str] | None = None) -> None:
                self._send(status, json.dumps(data).encode(), headers)

            def _not_found(self, code: str = "RepoNotFound") -> None:
                self._json(404, {"error": code}, {"X-Error-Code": code})

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _authorised(self) -> bool:
                if hub.require_token and not self.headers.get("Authorization"):
                    self._json(401, {"error": "Invalid credentials"})
                    return False
                return True

            def do_HEAD(self) -> None:
                self.do_GET()

            def do_GET(self) -> None:
                path = unquote(urlparse(self.path).path)
                hub.requests.append(f"{self.command} {path}")
                if m := re.fullmatch(rf"/api/models/{REPO}(?:/revision/[^/]+)?", path):
                    repo = hub.repos.get(m["repo"])
                    if repo is None:
                        return self._not_found()
                    return self._json(
                        200,
                        {
                            "id": m["repo"],
                            "modelId": m["repo"],
                            "sha": repo["sha"],
                            "private": False,
                            "siblings": [{"rfilename": p, "size": len(d)} for p, d in sorted(repo["files"].items())],
                        },
                    )
                if m := re.fullmatch(rf"/api/models/{REPO}/tree/[^/]+/?", path):
                    repo = hub.repos.get(m["repo"])
                    if repo is None:
                        return self._not_found()
                    return self._json(
                        200,
                        [
                            {"type": "file", "path": p, "size": len(d), "oid": git_blob_sha(d)}
                            for p, d in sorted(repo["files"].items())
                        ],
                    )
                if m := re.fullmatch(rf"/{REPO}/resolve/(?P<rev>[^/]+)/(?P<file>.+)", path):
                    repo = hub.repos.get(m["repo"])
                    if repo is None:
                        return self._not_found()
                    data = repo["files"].get(m["file"])
                    if data is None:
                        return self._not_found("EntryNotFound")
                    headers = {"X-Repo-Commit": repo["sha"], "ETag": f'"{git_blob_sha(data)}"'}
                    return self._send(200, data, headers, "application/octet-stream")
                self._not_found()

            def do_POST(self) -> None:
                path = unquote(urlparse(self.path).path)
                hub.requests.append(f"POST {path}")
                body = self._body()
                if not self._authorised():
                    return None
                if path == "/api/repos/create":
                    payload = json.loads(body)
                    repo_id = "/".join(p for p in (payload.get("organization"), payload["name"]) if p)
                    if repo_id in hub.repos:
                        return self._json(409, {"error": "You already created this model repo", "url": repo_id})
                    hub.add_repo(repo_id, {})
                    return self._json(200, {"url": f"{hub.url}/{repo_id}", "name": repo_id})
                if path == "/api/validate-yaml":
                    return self._json(200, {"errors": [], "warnings": []})
                if m := re.fullmatch(rf"/api/models/{REPO}/preupload/[^/]+", path):
                    if m["repo"] not in hub.repos:
                        return self._not_found()
                    files = json.loads(body)["files"]
                    return self._json(
                        200,
                        {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files]},
                    )
                if m := re.fullmatch(rf"/api/models/{REPO}/commit/[^/]+", path):
                    repo = hub.repos.get(m["repo"])
                    if repo is None:
                        return self._not_found()
                    for line in body.splitlines():
                        item = json.loads(line)
                        if item["key"] == "file":
                            repo["files"][item["value"]["path"]] = base64.b64decode(item["value"]["content"])
                        elif item["key"] != "header":
                            return self._json(400, {"error": f"fake hub: {item['key']} is not supported"})
                    repo["sha"] = hashlib.sha1(repr(sorted(repo["files"].items())).encode()).hexdigest()
                    return self._json(
                        200,
                        {
                            "commitUrl": f"{hub.url}/{m['repo']}/commit/{repo['sha']}",
                            "commitOid": repo["sha"],
                            "success": True,
                            "pullRequestUrl": None,
                        },
                    )
                self._not_found()

        return Handler


@contextmanager
def running_fake_hub(monkeypatch: pytest.MonkeyPatch, cache: Path) -> Iterator[FakeHub]:
    """A FakeHub that huggingface_hub talks to (endpoint, token, an empty private cache)."""
    import huggingface_hub.constants as constants

    with FakeHub() as hub:
        monkeypatch.setattr(constants, "ENDPOINT", hub.url)
        monkeypatch.setattr(
            constants, "HUGGINGFACE_CO_URL_TEMPLATE", hub.url + "/{repo_id}/resolve/{revision}/{filename}"
        )
        monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.setenv("HF_TOKEN", "hf_fake_token_for_tests")
        monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
        yield hub


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
