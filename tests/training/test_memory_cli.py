"""python -m training.memory: the curve and its distances printed, JSON last; bad input gets a message."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import TINY_TEXT, write_model_dir

from charrnn import CharRNN
from charrnn.memory import memory_curve
from training.data import load_text
from training.memory import main


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory, tiny_model: CharRNN) -> Path:
    return write_model_dir(tiny_model, tmp_path_factory.mktemp("memory") / "tiny")


def test_the_curve_and_its_distances_are_printed_json_last(
    model_dir: Path, tmp_path: Path, tiny_model: CharRNN, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "hamlet.txt"
    text.write_text(TINY_TEXT + "€", encoding="utf-8")  # one unknown character: dropped
    assert main([str(model_dir), "--text", str(text), "--positions", "8", "--max-distance", "60"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    report = json.loads(lines[-1])
    assert report["text"] == "hamlet" and report["positions"] == 8 and report["max_distance"] == 60
    cleaned = load_text(None, str(text))[1].replace("€", "")  # as the command reads it
    expected = memory_curve(tiny_model, tiny_model.vocab.encode(cleaned).ids, 8, 60)
    np.testing.assert_allclose(report["curve"], expected.curve, rtol=1e-3)  # printed to 4 digits
    assert report["distance_1%"] == expected.distance(0.01)
    assert any("k =  50:" in line for line in lines) and any("falls under 1.0%" in line for line in lines)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--positions", "4", "--max-distance", "5000"], "needs more than"),
        (["--positions", "0"], "at least one position"),
    ],
)
def test_bad_input_gets_a_message_and_exit_code_2(
    model_dir: Path, tmp_path: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "t.txt"
    text.write_text(TINY_TEXT, encoding="utf-8")
    assert main([str(model_dir), "--text", str(text), *args]) == 2
    assert message in capsys.readouterr().err


def test_a_missing_model_directory_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "t.txt"
    text.write_text(TINY_TEXT, encoding="utf-8")
    assert main([str(tmp_path / "nothing"), "--text", str(text)]) == 2
    assert "model directory not found" in capsys.readouterr().err
