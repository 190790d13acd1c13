"""``python -m training.sample`` with --beam, --beams-shown, --stop and --futures."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_model_dir

from charrnn import CharRNN, SamplingSettings
from charrnn.beam import beam_search, futures
from training.sample import main


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory, tiny_model: CharRNN) -> Path:
    return write_model_dir(tiny_model, tmp_path_factory.mktemp("beam-cli") / "tiny")


def test_beam_prints_the_best_continuation(model_dir: Path, tiny_model: CharRNN, capsys) -> None:
    assert main([str(model_dir), "--prime", "To be", "--length", "40", "--beam", "4"]) == 0
    best = beam_search(tiny_model, "To be", 40, 4)[0]
    assert capsys.readouterr().out == "To be" + best.text + "\n"


def test_beams_shown_lists_the_best_with_their_log_probabilities(model_dir: Path, tiny_model: CharRNN, capsys) -> None:
    argv = [str(model_dir), "--prime", "To be", "--length", "60", "--beam", "5", "--beams-shown", "3", "--stop", "\n"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    beams = beam_search(tiny_model, "To be", 60, 5, stop="\n")[:3]
    for rank, beam in enumerate(beams, 1):
        header = f"# beam {rank}: ln p = {beam.logprob:.3f} nats, {beam.bits:.1f} bits, {beam.bits_per_char:.3f}"
        assert f"{header} bits/char{', stopped' if beam.stopped else ''}\nTo be{beam.text}\n" in out
    assert out.count("# beam ") == 3


def test_futures_lists_seeded_samples_with_their_bits_per_char(model_dir: Path, tiny_model: CharRNN, capsys) -> None:
    argv = [str(model_dir), "--prime", "To", "--length", "30", "--futures", "3", "--seed", "5", "--temperature", "0.9"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    for k, future in enumerate(futures(tiny_model, "To", 3, 30, SamplingSettings(0.9), seed=5), 1):
        header = f"# future {k} (seed {4 + k}): {future.bits_per_char:.3f} bits/char under the model"
        assert f"{header}\nTo{future.text}\n" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--beam", "0"], "beam width must be a whole number between 1 and 64 (got 0)"),
        (["--beam", "65"], "between 1 and 64 (got 65)"),
        (["--beam", "4", "--length", "0"], "length must be a whole number between 1 and 2000"),
        (["--beam", "4", "--beams-shown", "5"], "--beams-shown must be between 1 and the beam width 4"),
        (["--beam", "4", "--prime", "To €"], "not in the model's vocabulary: '€'"),
        (["--beam", "4", "--stop", "€"], "which the model never writes"),
        (["--futures", "0"], "count must be a whole number between 1 and 32"),
        (["--futures", "2", "--length", "0"], "length must be a whole number between 1"),
    ],
)
def test_bad_requests_print_one_line_and_exit_2(model_dir: Path, capsys, extra: list[str], message: str) -> None:
    assert main([str(model_dir), "--prime", "To", "--length", "20", *extra]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and message in captured.err and captured.err.count("\n") == 1
