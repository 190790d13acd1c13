"""``python -m training.whowrote FILE``: the ranking, JSON last, and a clear message for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MIRROR, train_tiny, write_model_dir
from texts import novel

from training.whowrote import main

REPO = Path(__file__).resolve().parents[2]
# A made-up program ("To" in it: ``write_model_dir`` samples from that prime)
PROGRAM = "".join(f"x = f(y, {i % 10});\nif (x) {{  // To {i % 7}\n" for i in range(300))


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder with two styles: "prose" (a made-up novel) and "code" (a made-up program)."""
    root = tmp_path_factory.mktemp("whowrote-models")
    write_model_dir(train_tiny(novel(6_000, seed=1), steps=150, hidden=48), root / "prose", "prose")
    write_model_dir(train_tiny(PROGRAM, steps=150, hidden=48), root / "code", "code")
    return root


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ranks_every_style_and_prints_json_last(models, tmp_path, capsys):
    passage = tmp_path / "passage.txt"
    passage.write_text(novel(400, seed=9), encoding="utf-8")
    code, out, _ = run(capsys, str(passage), "--models", str(models))
    assert code == 0
    lines = out.strip().splitlines()
    report = json.loads(lines[-1])
    assert report["winner"] == "prose" and [r["style"] for r in report["ranking"]] == ["prose", "code"]
    assert report["ranking"][0]["bits_per_char"] < report["ranking"][1]["bits_per_char"]
    assert report["chars"] == 400 and report["truncated"] == 0 and report["close_call_bits"] == 10
    assert lines[1].split()[:2] == ["1", "prose"]
    assert report["verdict"].startswith("prose wrote it") and report["verdict"] in out


def test_styles_and_chars_choose_what_is_read(models, tmp_path, capsys):
    passage = tmp_path / "program.txt"
    passage.write_text(PROGRAM, encoding="utf-8")
    code, out, _ = run(capsys, str(passage), "--models", str(models), "--styles", "code", "--chars", "300")
    report = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and report["winner"] == "code" and len(report["ranking"]) == 1
    assert report["chars"] == 300 and report["truncated"] == len(PROGRAM) - 300
    assert f"The text is {len(PROGRAM) - 300:,} characters longer: its first 300 were read." in out


def test_a_style_that_cannot_read_the_text_ranks_last_with_the_reason(models, tmp_path, capsys):
    digits = tmp_path / "digits.txt"
    digits.write_text("x = 12 + 34;\n" * 5, encoding="utf-8")
    code, out, _ = run(capsys, str(digits), "--models", str(models))
    report = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and report["ranking"][-1]["style"] == "prose"
    assert report["ranking"][-1]["reason"].startswith("cannot read ") and "last: cannot read" in out


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "The text is empty"),
        (b"   \r\n\n", "The text is empty"),
        (b"a", "One character ('a') is too little"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10, "is not UTF-8 text"),
        (b"PK\x03\x04\x00\x00" * 30, "This looks like binary data"),
    ],
)
def test_bad_files_get_a_message_and_exit_2(models, tmp_path, capsys, content, message):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    code, out, err = run(capsys, str(bad), "--models", str(models))
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_missing_file_or_models_get_a_message(models, tmp_path, capsys):
    passage = tmp_path / "passage.txt"
    passage.write_text("some text to read", encoding="utf-8")
    assert run(capsys, str(tmp_path / "nowhere.txt"), "--models", str(models))[0] == 2
    code, _, err = run(capsys, str(passage), "--models", str(tmp_path / "no-models"))
    assert code == 2 and "no such models folder" in err
    code, _, err = run(capsys, str(passage), "--models", str(models), "--styles", "nobody")
    assert code == 2 and "nobody" in err and "not found" in err


def test_reads_standard_input_in_a_subprocess(models):
    done = subprocess.run(
        [sys.executable, "-m", "training.whowrote", "-", "--models", str(models)],
        input=PROGRAM[:500], capture_output=True, text=True, cwd=REPO, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["winner"] == "code"


@pytest.mark.skipif(
    not (MIRROR / "pg1342.txt").is_file() or not (MIRROR / "pg1661.txt").is_file(),
    reason=f"Pride and Prejudice and The Adventures of Sherlock Holmes are not in the corpora mirror ({MIRROR})",
)
def test_the_accuracy_benchmark_runs_on_shipped_styles(tmp_path, monkeypatch, capsys):
    """``benchmarks.whowrote`` end to end on two shipped styles: passages drawn, ranked, tabled, JSON last."""
    from benchmarks.whowrote import main as benchmark

    monkeypatch.setenv("CHARRNN_CORPORA_CACHE", str(tmp_path))
    argv = ["--models", str(REPO / "models"), "--styles", "austen,doyle", "--lengths", "50", "--passages", "3"]
    assert benchmark([*argv, "--rounds", "1", "--mirror", str(MIRROR)]) == 0
    out = capsys.readouterr().out
    report = json.loads(out.strip().splitlines()[-1])
    result = report["chars_50"]
    assert result["passages"] == 6 and set(result["per_style"]) == {"austen", "doyle"}
    assert sum(sum(row.values()) for row in result["confusion"].values()) == 6
    assert "| written by \\ guessed | austen | doyle | accuracy |" in out
    assert report["speed"]["styles"] == 2 and report["speed"]["as_read_s"] > 0
