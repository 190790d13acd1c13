"""The adaptive-reading command lines: ``training.adapt`` chooses and records the settings,
``training.evaluate --adaptive`` prints static and adaptive figures, ``training.finalize`` records
both; on a tiny model trained here. Bad input: one line on stderr, exit 2, nothing written."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from conftest import TINY_TEXT, train_tiny, write_model_dir

from charrnn import CharRNN
from training import adapt, evaluate, finalize

HELD_OUT = 800


@pytest.fixture(scope="module")
def tuned(tmp_path_factory) -> tuple[Path, Path, dict]:
    """A tiny model directory tuned by ``training.adapt`` on its text file, and the printed JSON."""
    root = tmp_path_factory.mktemp("adapt")
    text = root / "hamlet.txt"
    text.write_text(TINY_TEXT, encoding="utf-8")
    model_dir = write_model_dir(train_tiny(TINY_TEXT, steps=40), root / "m")
    before = digest(model_dir / "model.safetensors")
    assert adapt.main([str(model_dir), "--text", str(text), "--held-out", str(HELD_OUT)]) == 0
    assert digest(model_dir / "model.safetensors") == before  # only config.json and the card change
    return model_dir, text, CharRNN.from_pretrained(model_dir).meta["adaptive"]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def last_json(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_adapt_chooses_on_held_out_training_text_and_records_it(tuned):
    model_dir, _, adaptive = tuned
    settings = adaptive["settings"]
    assert settings["rule"] in ("sgd", "rms") and settings["segment"] in adapt.SEGMENTS
    trials = adaptive["held_out"]["trials"]
    assert {t["rule"] for t in trials} == {"sgd", "rms"}  # both rules measured
    chosen = [t for t in trials if {k: t[k] for k in settings} == settings]
    best = min(t["nats_per_char"] for t in trials)
    if settings["lr"]:  # the best trial, and better than static on the held-out slice
        assert chosen[0]["nats_per_char"] == best < adaptive["held_out"]["static"]
    else:  # nothing gained there: it reads statically, and says so
        assert best >= adaptive["held_out"]["static"] and "reads statically" in adaptive["chosen_on"]
    assert f"last {HELD_OUT:,} characters of the training split" in adaptive["chosen_on"]
    val = TINY_TEXT[int(len(TINY_TEXT) * 0.9) :]
    assert adaptive["val"]["chars"] == len(val)
    card = (model_dir / "README.md").read_text()
    assert f"static {adaptive['val']['static']:.4f} nats/char, adaptive {adaptive['val']['adaptive']:.4f}" in card
    assert f"{settings['rule']} rule, learning rate {settings['lr']:g}" in card


def test_the_held_out_slice_is_the_end_of_the_training_split():
    train = "".join(chr(65 + i % 26) for i in range(100_000))
    statistics, held_out = adapt.tuning_texts(train, 10_000)
    assert held_out == train[-10_000:] and statistics == train[-10_000 - len(statistics) : -10_000]
    with pytest.raises(ValueError, match="too short"):
        adapt.tuning_texts(train[:15_000], 10_000)


def test_evaluate_adaptive_prints_both_side_by_side(tuned, capsys):
    model_dir, text, _ = tuned
    given = ["--adapt-rule", "sgd", "--adapt-lr", "0.5", "--adapt-decay", "0", "--adapt-segment", "100"]
    args = [str(model_dir), "--text", str(text), "--adaptive", *given]
    assert evaluate.main(args) == 0
    out = capsys.readouterr().out.strip().splitlines()
    report = json.loads(out[-1])
    static, adaptive = report["nats_per_char"], report["adaptive"]["nats_per_char"]
    assert f"static {static:.4f} nats/char" in out[0] and f"adaptive {adaptive:.4f} nats/char" in out[0]
    assert report["adaptive"]["settings"] == {"rule": "sgd", "lr": 0.5, "decay": 0.0, "segment": 100}
    assert report["adaptive"]["chars"] == report["chars"] == len(TINY_TEXT)
    assert abs(adaptive - static) > 1e-3  # it learned while reading


def test_evaluate_adaptive_uses_the_recorded_settings(tuned, capsys):
    model_dir, text, adaptive = tuned
    assert evaluate.main([str(model_dir), "--text", str(text), "--adaptive"]) == 0
    assert last_json(capsys)["adaptive"]["settings"] == adaptive["settings"]


def test_finalize_records_static_and_adaptive(tuned, tmp_path, capsys):
    source, text, adaptive = tuned
    model_dir = shutil.copytree(source, tmp_path / "m")
    assert finalize.main([str(model_dir), "--text", str(text), "--ngram-orders", "2-3"]) == 0
    result = last_json(capsys)
    recorded = CharRNN.from_pretrained(model_dir).meta["adaptive"]
    assert recorded["settings"] == adaptive["settings"] and recorded["val"] == result["adaptive"]["val"]
    assert recorded["val"]["static"] == pytest.approx(result["val_loss"], abs=1e-9)
    assert f"adaptive {recorded['val']['adaptive']:.4f} nats/char" in (model_dir / "README.md").read_text()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--adapt-lr", "-1"], "learning rate must be"),
        (["--adapt-lr", "0.1", "--adapt-segment", "0"], "segment must be"),
        (["--adapt-lr", "0.1", "--adapt-decay", "2"], "decay must be"),
    ],
)
def test_evaluate_adaptive_bad_settings_are_one_line_exit_2(tuned, capsys, extra, message):
    model_dir, text, _ = tuned
    assert evaluate.main([str(model_dir), "--text", str(text), "--adaptive", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and message in err and "\n" not in err


def test_evaluate_adaptive_without_settings_says_how_to_get_them(tmp_path, capsys):
    model_dir = write_model_dir(train_tiny(TINY_TEXT, steps=5), tmp_path / "plain")
    text = tmp_path / "t.txt"
    text.write_text(TINY_TEXT, encoding="utf-8")
    assert evaluate.main([str(model_dir), "--text", str(text), "--adaptive"]) == 2
    err = capsys.readouterr().err.strip()
    assert "no adaptive settings" in err and f"python -m training.adapt {model_dir}" in err and "\n" not in err


def test_adaptive_and_cold_start_are_refused_together(tuned, capsys):
    model_dir, text, _ = tuned
    with pytest.raises(SystemExit) as exit_:
        evaluate.main([str(model_dir), "--text", str(text), "--adaptive", "--cold-start"])
    assert exit_.value.code == 2 and "give one" in capsys.readouterr().err


def test_adapt_bad_input_writes_nothing(tmp_path, capsys):
    text = tmp_path / "short.txt"
    text.write_text(TINY_TEXT, encoding="utf-8")
    model_dir = write_model_dir(train_tiny(TINY_TEXT, steps=5), tmp_path / "m")
    config = (model_dir / "config.json").read_bytes()
    assert adapt.main([str(model_dir), "--text", str(text), "--held-out", "100000"]) == 2  # longer than the text
    assert "too short" in capsys.readouterr().err
    assert adapt.main([str(tmp_path / "missing"), "--text", str(text)]) == 2
    assert "model directory not found" in capsys.readouterr().err
    assert (model_dir / "config.json").read_bytes() == config
