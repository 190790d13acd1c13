"""``playground.session.catalog``: the models folder, safe names and paths, and what the sidebar lists."""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import pytest

from charrnn import CharRNN
from playground.session import catalog


def test_models_root_defaults_beside_the_app_and_follows_the_environment(tmp_path: Path) -> None:
    assert catalog.models_root(tmp_path, {}) == tmp_path / "models"
    assert catalog.models_root(tmp_path, {"CHARRNN_MODELS_DIR": "/srv/m"}) == Path("/srv/m")
    assert catalog.models_root(tmp_path, {"CHARRNN_MODELS_DIR": "  "}) == tmp_path / "models"


@pytest.mark.parametrize("name", ["shakespeare", "tiny-lstm", "gpt_2", "v1.2", "A9"])
def test_plain_names_are_valid(name: str) -> None:
    assert catalog.is_valid_name(name)


@pytest.mark.parametrize(
    "name",
    ["", "..", "../etc", "a/b", "/etc", "a\\b", ".hidden", "-x", "a..b", "x" * 101, "name with space", "é", "a\0b"],
)
def test_names_that_could_reach_elsewhere_are_invalid(name: str) -> None:
    assert not catalog.is_valid_name(name)


def test_resolve_model_dir_stays_inside_the_root(tiny_models_root: Path, tmp_path: Path) -> None:
    assert catalog.resolve_model_dir(tiny_models_root, "tiny-lstm") == tiny_models_root / "tiny-lstm"
    for bad in ("../etc", "/etc", "nope", "tiny-lstm/../tiny-gru"):
        with pytest.raises(catalog.UnsafeNameError):
            catalog.resolve_model_dir(tiny_models_root, bad)
    root = tmp_path / "models"
    root.mkdir()
    outside = tmp_path / "outside"
    shutil.copytree(tiny_models_root / "tiny-gru", outside)
    (root / "escape").symlink_to(outside, target_is_directory=True)
    (root / "alias").symlink_to(root / "escape", target_is_directory=True)
    with pytest.raises(catalog.UnsafeNameError, match="outside"):
        catalog.resolve_model_dir(root, "escape")
    with pytest.raises(catalog.UnsafeNameError, match="outside"):
        catalog.resolve_model_dir(root, "alias")


def test_scan_reads_every_field_without_loading_weights(tiny_models_root: Path, tiny_model: CharRNN) -> None:
    infos = catalog.scan_models(tiny_models_root)
    assert [i.key for i in infos] == ["tiny-gru", "tiny-lstm"]
    lstm = infos[1]
    assert lstm.error is None and lstm.history_error is None
    assert (lstm.cell, lstm.layers, lstm.hidden, lstm.embedding) == ("lstm", 1, 32, 16)
    assert lstm.parameters == tiny_model.num_parameters and lstm.vocab_size == len(tiny_model.vocab)
    assert (lstm.corpus, lstm.title, lstm.author, lstm.hardware) == ("tiny-hamlet", "Hamlet excerpt", "test", "test")
    assert lstm.val_loss == 2.0 and lstm.val_bits == pytest.approx(2.0 / math.log(2))
    assert lstm.train_time_s == 1.0 and lstm.default_prime == "To"
    caption = lstm.caption()
    for part in ("Hamlet excerpt", "LSTM 1×32", "parameters", "nats/char", "bits/char", "1 s", "test"):
        assert part in caption
    assert f"perplexity {math.exp(2.0):.2f}" in caption  # e^(nats/char), the course's measure
    assert catalog.default_style(infos) == "tiny-gru"


def test_the_sidebar_groups_styles_by_what_they_show(tmp_path: Path) -> None:
    """The course's own models (min-char-rnn, its LaTeX and kernel-C demos) under one heading, the
    architecture comparison under another, every other shipped style under "The styles"."""
    keys = ["shakespeare", "latex", "linux", "minrnn-tolstoy", "shakespeare-gru", "python", "latex-2"]
    infos = [catalog.ModelInfo(key, tmp_path / key, tmp_path) for key in keys]
    infos.append(catalog.ModelInfo("hf:someone/x", tmp_path, tmp_path, source="hub"))
    groups = {group: [i.key for i in members] for group, members in catalog.grouped(infos)}
    assert groups == {
        "styles": ["shakespeare", "python", "latex-2"],
        "course": ["latex", "linux", "minrnn-tolstoy"],
        "comparison": ["shakespeare-gru"],
        "hub": ["hf:someone/x"],
    }
    assert list(groups) == [g for g in catalog.GROUPS if g in groups]  # headings in the sidebar's order


def test_broken_directories_are_listed_with_their_error(tiny_models_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "models"
    shutil.copytree(tiny_models_root, root)
    (root / "no-config").mkdir()
    (root / "bad-json").mkdir()
    (root / "bad-json" / "config.json").write_text("{oops")
    (root / "not-charrnn").mkdir()
    (root / "not-charrnn" / "config.json").write_text(json.dumps({"model_type": "bert"}))
    shutil.copytree(root / "tiny-gru", root / "training")
    (root / "training" / "model.safetensors").unlink()
    outside = tmp_path / "elsewhere"
    shutil.copytree(root / "tiny-gru", outside)
    (root / "escape").symlink_to(outside, target_is_directory=True)
    (root / "linked-config").mkdir()
    (root / "linked-config" / "config.json").symlink_to(outside / "config.json")
    (root / "bad name").mkdir()
    (root / ".hidden").mkdir()
    (root / "notes.txt").write_text("not a model")
    infos = {i.key: i for i in catalog.scan_models(root)}
    assert ".hidden" not in infos and "notes.txt" not in infos
    assert infos["tiny-gru"].error is None and infos["tiny-lstm"].error is None
    assert "config.json is missing" in infos["no-config"].error
    assert "not valid JSON" in infos["bad-json"].error
    assert "not written by charrnn" in infos["not-charrnn"].error
    assert "model.safetensors is missing" in infos["training"].error
    assert infos["training"].cell == "gru"  # what is known is still shown
    assert "outside" in infos["escape"].error
    assert "not a regular file inside" in infos["linked-config"].error
    assert "rename" in infos["bad name"].error
    keys = [i.key for i in catalog.scan_models(root)]
    assert keys[:2] == ["tiny-gru", "tiny-lstm"]  # usable ones first


def test_history_problems_only_disable_the_timeline(tiny_models_root: Path, tmp_path: Path) -> None:
    directory = tmp_path / "m"
    shutil.copytree(tiny_models_root / "tiny-lstm", directory)
    (directory / "history.json").write_text("[1, 2")
    info = catalog.read_model_info(directory, "m", tmp_path)
    assert info.error is None and "not valid JSON" in info.history_error
    assert info.default_prime == "The "


def test_safe_file_refuses_links_out_of_the_folder(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "secret").write_text("s")
    (tmp_path / "m" / "README.md").symlink_to(tmp_path / "secret")
    (tmp_path / "m" / "config.json").write_text("{}")
    assert catalog.safe_file(tmp_path / "m", "README.md") is None
    assert catalog.safe_file(tmp_path / "m", "README.md", base=tmp_path) is not None
    assert catalog.safe_file(tmp_path / "m", "config.json") == tmp_path / "m" / "config.json"
    assert catalog.safe_file(tmp_path / "m", "missing.json") is None


def test_read_json_sees_changes(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('{"v": 1}')
    assert catalog.read_json(path) == {"v": 1}
    path.write_text('{"v": 22}')
    os.utime(path, ns=(1, 10**18))
    assert catalog.read_json(path) == {"v": 22}


def test_default_prime_and_formatting() -> None:
    assert catalog.default_prime(set("ROMEO:"), "ROMEO:") == "ROMEO:"
    assert catalog.default_prime(set("The x"), "ROMEO:") == "The "
    assert catalog.default_prime(set("abc"), None) == ""
    assert [catalog.format_count(n) for n in (999, 45_000, 3_290_000)] == ["999", "45.0k", "3.29M"]
    assert [catalog.format_duration(s) for s in (42, 600, 3660 + 300)] == ["42 s", "10 min", "1 h 06 min"]
