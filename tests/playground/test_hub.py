"""``playground.session.hub``: Hub repo ids, and downloads against a fake Hub."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakehub import running_fake_hub

from playground.session import catalog, hub


@pytest.mark.parametrize(
    ("text", "repo"),
    [
        ("alice/charrnn-shakespeare", "alice/charrnn-shakespeare"),
        ("  alice/charrnn  ", "alice/charrnn"),
        ("https://huggingface.co/alice/charrnn", "alice/charrnn"),
        ("https://huggingface.co/alice/charrnn/tree/main", "alice/charrnn"),
        ("gpt2", "gpt2"),
    ],
)
def test_repo_ids_are_parsed(text: str, repo: str) -> None:
    assert hub.parse_repo_id(text) == repo
    assert hub.repo_of(hub.hub_key(repo)) == repo


@pytest.mark.parametrize(
    "text",
    [
        "",
        "../etc",
        "alice/../x",
        "a/b/c",
        "/abs/path",
        "alice--x/y",
        "al ice/x",
        "a/.git",
        "C:\\models",
        "alice/x.",
        "~/models",
    ],
)
def test_repo_ids_that_could_name_paths_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        hub.parse_repo_id(text)


def test_hub_download_errors_and_size_limit(
    tiny_models_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {n: (tiny_models_root / "tiny-lstm" / n).read_bytes() for n in catalog.MODEL_FILES}
    with running_fake_hub(monkeypatch, tmp_path / "cache") as fake:
        fake.add_repo("alice/tiny", files)
        fake.add_repo("alice/not-charrnn", {"README.md": b"# hi"})
        path = hub.download("alice/tiny")
        assert sorted(p.name for p in path.iterdir()) == sorted(catalog.MODEL_FILES)
        assert catalog.read_model_info(path, "hf:alice/tiny", hub.cache_root(path), "hub").error is None
        with pytest.raises(hub.HubError, match="not found"):
            hub.download("alice/nope")
        with pytest.raises(hub.HubError, match="not a charrnn model"):
            hub.download("alice/not-charrnn")
        monkeypatch.setattr(hub, "MAX_DOWNLOAD_BYTES", 1000)
        with pytest.raises(hub.HubError, match="too large"):
            hub.download("alice/tiny")
