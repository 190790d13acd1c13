"""Names from the URL or the sidebar never reach outside ``models/`` or the Hub cache: ``../``,
absolute paths, URL-encoded dots and slashes, symlinks. Each attack aims at a real, loadable model
placed outside the folder, so a hole would show as a loaded model, not as a missing file.

test_playground.py checks the name rules themselves; test_app.py the plain cases from a link."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from charrnn import CharRNN, CheckpointError
from playground.pages import TAB_NAMES as TABS
from playground.session import catalog, hub, params

ROOT = Path(__file__).resolve().parents[2]
GOOD = "tiny-lstm"

ATTACKS = [
    "../outside",
    "../../outside",
    "models/../outside",
    "models/../../outside",
    "tiny-lstm/../../outside",
    "..%2Foutside",
    "%2e%2e%2foutside",
    "..%252Foutside",
    "%2E%2E",
    "..",
    ".",
    "/etc",
    "//etc",
    "~",
    "~/outside",
    "C:\\outside",
    "\\\\server\\share",
    "..\\outside",
    "tiny-lstm\x00",
    "tiny-lstm\n",
    "tiny-lstm/",
    "\u2024\u2024/outside",  # one-dot leaders, which some systems normalise to ".."
    "ｔiny-lstm",  # fullwidth letter
]


@pytest.fixture
def layout(tiny_models_root: Path, tmp_path: Path) -> Path:
    """tmp/models (a good style, links out of the folder) beside tmp/outside (a loadable model)."""
    root = tmp_path / "models"
    root.mkdir()
    shutil.copytree(tiny_models_root / GOOD, root / GOOD)
    shutil.copytree(tiny_models_root / GOOD, tmp_path / "outside")
    (root / "escape").symlink_to(tmp_path / "outside", target_is_directory=True)
    (root / "relative-escape").symlink_to(Path("..") / "outside", target_is_directory=True)
    (root / "chain").symlink_to(root / "escape", target_is_directory=True)
    (root / "weights-link").mkdir()
    for name in catalog.MODEL_FILES:
        (root / "weights-link" / name).write_bytes((root / GOOD / name).read_bytes())
    (root / "weights-link" / "model.safetensors").unlink()
    (root / "weights-link" / "model.safetensors").symlink_to(tmp_path / "outside" / "model.safetensors")
    return root


@pytest.mark.parametrize("name", ATTACKS)
def test_catalog_refuses_names_that_leave_the_models_folder(layout: Path, name: str) -> None:
    assert not catalog.is_valid_name(name)
    with pytest.raises(catalog.UnsafeNameError):
        catalog.resolve_model_dir(layout, name)


@pytest.mark.parametrize("name", ["escape", "relative-escape", "chain"])
def test_symlinked_styles_are_listed_as_unusable(layout: Path, name: str) -> None:
    with pytest.raises(catalog.UnsafeNameError, match="outside the models folder"):
        catalog.resolve_model_dir(layout, name)
    info = {i.key: i for i in catalog.scan_models(layout)}[name]
    assert info.error and "outside the models folder" in info.error


def test_a_weights_file_linked_out_of_the_folder_is_not_used(layout: Path) -> None:
    info = {i.key: i for i in catalog.scan_models(layout)}["weights-link"]
    assert info.error == "model.safetensors is not a regular file inside the folder"
    assert info.file("model.safetensors") is None


def test_the_models_root_may_itself_be_a_link(layout: Path, tmp_path: Path) -> None:
    (tmp_path / "linked-root").symlink_to(layout, target_is_directory=True)
    assert catalog.resolve_model_dir(tmp_path / "linked-root", GOOD) == tmp_path / "linked-root" / GOOD
    usable = [i.key for i in catalog.scan_models(tmp_path / "linked-root") if i.error is None]
    assert usable == [GOOD]


@pytest.mark.parametrize(
    "text",
    [
        "..%2F..%2Fetc",
        "%2e%2e/x",
        "owner/..%2Fx",
        "owner/%2e%2e",
        "owner/name%00",
        "owner/..",
        "../owner/name",
        "owner/name/..",
        "owner//name",
        "/owner/name",
        "https://huggingface.co/../../etc",
        "https://evil.example/owner/name",
        "file:///etc/passwd",
        "hf:owner/name",
        "owner/na\nme",
    ],
)
def test_repo_ids_that_could_name_a_path_in_the_cache_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        hub.parse_repo_id(text)
    with pytest.raises(ValueError):
        hub.repo_of(hub.hub_key(text))


def test_a_hub_snapshot_file_linked_out_of_its_repo_cache_is_not_used(layout: Path, tmp_path: Path) -> None:
    """Snapshot files link into the repo's blob store; a link anywhere else is refused."""
    repo = tmp_path / "hf-cache" / "models--alice--tiny"
    snapshot = repo / "snapshots" / "0123abcd"
    (repo / "blobs").mkdir(parents=True)
    snapshot.mkdir(parents=True)
    for name in catalog.MODEL_FILES:
        blob = repo / "blobs" / name.replace(".", "-")
        blob.write_bytes((layout / GOOD / name).read_bytes())
        (snapshot / name).symlink_to(Path("..") / ".." / "blobs" / blob.name)
    assert hub.cache_root(snapshot) == repo
    assert catalog.read_model_info(snapshot, "hf:alice/tiny", repo, "hub").error is None
    (snapshot / "config.json").unlink()
    (snapshot / "config.json").symlink_to(tmp_path / "outside" / "config.json")
    info = catalog.read_model_info(snapshot, "hf:alice/tiny", repo, "hub")
    assert info.error and "config.json" in info.error


@pytest.mark.parametrize("text", ["a/..", "owner/..%2Fx", "%2e%2e/x", "owner/na me", "owner--x/y"])
def test_from_pretrained_says_when_a_name_is_neither_a_folder_nor_a_repo_id(text: str) -> None:
    with pytest.raises(CheckpointError, match="neither a model directory nor a Hub repo id"):
        CharRNN.from_pretrained(text, local_files_only=True)


@pytest.mark.parametrize("query", [{"style": "..%2Foutside"}, {"style": "%2e%2e"}, {"style": "hf:..%2F..%2Fetc"}])
def test_link_styles_are_never_taken_as_paths(query: dict[str, str]) -> None:
    """The query string parser never passes a raw path through: the name rules decide later."""
    settings, notes = params.parse_query(query, TABS)
    assert settings.style is None and notes


def run_app(root: Path, style: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("CHARRNN_MODELS_DIR", str(root))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.query_params["style"] = style
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_app_never_loads_a_model_outside_the_folder(
    layout: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Links naming encoded paths fall back to the default style; a linked folder is listed but
    shows why it cannot be used; the outside model's weights are never opened."""
    opened: list[str] = []
    real_open = CharRNN.from_pretrained.__func__

    def spy(cls, source, **kwargs):
        opened.append(str(Path(source).resolve()))
        return real_open(cls, source, **kwargs)

    monkeypatch.setattr(CharRNN, "from_pretrained", classmethod(spy))
    for style in ("..%2Foutside", "%2e%2e%2Foutside", "hf:..%2F..%2Foutside"):
        at = run_app(layout, style, monkeypatch)
        assert at.session_state["style"] == GOOD, style
    at = run_app(layout, "escape", monkeypatch)
    assert at.session_state["style"] == "escape"
    assert any("outside the models folder" in str(e.value) for e in at.error)
    assert all(not path.startswith(str(tmp_path / "outside")) for path in opened), opened
