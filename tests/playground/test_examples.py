"""Example passages: from the style's validation split (text it never trained on), or its own
training sample when the text is not on this machine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import write_model_dir
from texts import novel

from corpora.training_text import split_text
from playground.pages.score.examples import EXAMPLE_CHARS, example
from playground.session.catalog import read_model_info


@pytest.fixture
def style(tmp_path: Path, tiny_model) -> Path:
    """A model folder whose config names a --text file it trained on (90% train, 10% validation)."""
    text = tmp_path / "novel.txt"
    text.write_text(novel(40_000, seed=11), encoding="utf-8")
    folder = write_model_dir(tiny_model, tmp_path / "models" / "novel", "novel")
    config = json.loads((folder / "config.json").read_text())
    config["meta"]["train_config"] = {"text": str(text), "val_fraction": 0.1}
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_an_example_is_drawn_from_the_validation_split(style):
    info = read_model_info(style, "novel", style.parent)
    full = (Path(json.loads((style / "config.json").read_text())["meta"]["train_config"]["text"])).read_text()
    train, val = split_text(full, 0.1)
    first, second = example(info, seed=1), example(info, seed=2)
    assert first.text in val and first.text not in train
    assert EXAMPLE_CHARS // 2 < len(first.text) <= EXAMPLE_CHARS and "validation text" in first.source
    assert first.text != second.text and example(info, seed=1) == first


def test_without_its_text_an_example_is_the_styles_own_sample(style, tmp_path):
    config = json.loads((style / "config.json").read_text())
    config["meta"]["train_config"]["text"] = str(tmp_path / "gone.txt")
    (style / "config.json").write_text(json.dumps(config))
    info = read_model_info(style, "novel", style.parent)
    fallback = example(info, seed=1)
    history = json.loads((style / "history.json").read_text())
    assert fallback.text == history["records"][-1]["sample"] and "a sample novel wrote" in fallback.source
    (style / "history.json").unlink()
    assert example(read_model_info(style, "novel", style.parent), seed=1) is None
