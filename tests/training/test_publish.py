"""`python -m training.publish` against a fake Hugging Face Hub served on 127.0.0.1 (tests/fakehub.py)."""

from __future__ import annotations

import json
import runpy
import shutil
import sys
from pathlib import Path

import pytest
import torch
from fakehub import FakeHub, closed_port

from charrnn import CharRNN
from charrnn.sampling import sample
from training import publish

ROOT = Path(__file__).resolve().parents[2]


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
