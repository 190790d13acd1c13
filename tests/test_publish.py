"""`python -m training.publish` against a fake Hugging Face Hub served on 127.0.0.1.

``FakeHub`` implements the few Hub endpoints that ``create_repo``, ``upload_folder``,
``snapshot_download`` and ``hf_hub_download`` use (regular, non-LFS files only). The app's Hub
tests (tests/test_app.py) use it too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import runpy
import shutil
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import torch

from charrnn import CharRNN
from charrnn.sampling import sample
from training import publish

REPO = r"(?P<repo>[^/]+(?:/[^/]+)?)"
ROOT = Path(__file__).resolve().parents[1]


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


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHub]:
    with running_fake_hub(monkeypatch, tmp_path / "hf-cache") as hub:
        yield hub


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def model_dir(tiny_models_root: Path, tmp_path: Path) -> Path:
    """A copy of a complete tiny model directory, with junk that must never be uploaded."""
    directory = tmp_path / "tiny-lstm"
    shutil.copytree(tiny_models_root / "tiny-lstm", directory)
    (directory / ".resume-state").write_text("optimizer")
    (directory / "config.json.abc.tmp").write_text("{")
    (directory / "stray.pkl").write_bytes(b"\x80\x04N.")
    return directory


def test_files_to_upload_skips_hidden_temporary_and_pickles(model_dir: Path) -> None:
    assert publish.files_to_upload(model_dir) == ["README.md", "config.json", "history.json", "model.safetensors"]


def test_dry_run_checks_and_lists_without_network(model_dir: Path, capsys: pytest.CaptureFixture) -> None:
    assert publish.main([str(model_dir), "--repo-id", "alice/charrnn-tiny", "--dry-run"]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert last["dry_run"] is True and "model.safetensors" in last["files"]


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        ("no-card", "missing README.md"),
        ("no-weights", "missing model.safetensors"),
        ("bad-weights", "does not load"),
        ("bad-history", "history.json"),
    ],
)
def test_a_broken_directory_is_refused(
    model_dir: Path, capsys: pytest.CaptureFixture, breakage: str, expected: str
) -> None:
    if breakage == "no-card":
        (model_dir / "README.md").unlink()
    elif breakage == "no-weights":
        (model_dir / "model.safetensors").unlink()
    elif breakage == "bad-weights":
        (model_dir / "model.safetensors").write_bytes(b"not a safetensors file")
    else:
        (model_dir / "history.json").write_text("{oops")
    assert publish.main([str(model_dir), "--repo-id", "alice/charrnn-tiny", "--dry-run"]) == 2
    assert expected in capsys.readouterr().err


@pytest.mark.parametrize("repo_id", ["../etc", "alice/../x", "a/b/c", "no spaces/x", "alice--bob/x"])
def test_a_bad_repo_id_is_refused(model_dir: Path, capsys: pytest.CaptureFixture, repo_id: str) -> None:
    assert publish.main([str(model_dir), "--repo-id", repo_id, "--dry-run"]) == 2
    assert "repo-id" in capsys.readouterr().err


def test_publish_uploads_the_whole_folder_and_loads_back(
    fake_hub: FakeHub, model_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    assert publish.main([str(model_dir), "--repo-id", "alice/charrnn-tiny"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["repo_id"] == "alice/charrnn-tiny" and result["commit"]
    stored = fake_hub.repos["alice/charrnn-tiny"]["files"]
    assert sorted(stored) == ["README.md", "config.json", "history.json", "model.safetensors"]
    for name, data in stored.items():
        assert data == (model_dir / name).read_bytes()
    # Round trip through the Hub API: the library loads what was published, identically.
    original = CharRNN.from_pretrained(model_dir)
    loaded = CharRNN.from_pretrained("alice/charrnn-tiny")
    for (k1, v1), (k2, v2) in zip(original.state_dict().items(), loaded.state_dict().items(), strict=True):
        assert k1 == k2 and torch.equal(v1, v2)
    assert sample(loaded, "To", 40, seed=3) == sample(original, "To", 40, seed=3)
    # Publishing again (a new version) reuses the repo.
    assert publish.main([str(model_dir), "--repo-id", "alice/charrnn-tiny", "--message", "again"]) == 0


def test_publish_without_a_token_says_how_to_log_in(
    fake_hub: FakeHub, model_dir: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_hub.require_token = True
    monkeypatch.delenv("HF_TOKEN")
    monkeypatch.setattr("huggingface_hub.utils._auth.get_token", lambda: None, raising=False)
    monkeypatch.setattr("huggingface_hub.utils._headers.get_token", lambda: None, raising=False)
    assert publish.main([str(model_dir), "--repo-id", "alice/charrnn-tiny"]) == 1
    assert "hf auth login" in capsys.readouterr().err


def test_unreachable_hub_is_a_clear_error(
    model_dir: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("HF_TOKEN", "hf_fake_token_for_tests")
    assert publish.main([str(model_dir), "--repo-id", "alice/charrnn-tiny"]) == 1
    assert "cannot reach the Hub" in capsys.readouterr().err


def test_the_command_line_entry_point(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """``python -m training.publish`` (run in-process: a fresh interpreter would only add torch's import)."""
    monkeypatch.setattr(sys, "argv", ["training.publish", str(model_dir / "nope"), "--repo-id", "a/b"])
    monkeypatch.delitem(sys.modules, "training.publish", raising=False)  # as a fresh `python -m` would
    with pytest.raises(SystemExit) as exit_:
        runpy.run_module("training.publish", run_name="__main__", alter_sys=True)
    assert exit_.value.code == 2
    out = capsys.readouterr()
    assert "not a directory" in out.err and json.loads(out.out.strip().splitlines()[-1])["error"]
