"""`python -m training.finalize`: the official validation figure, the n-gram baseline, float16
weights and the model card, on a tiny model trained here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from safetensors import safe_open

from charrnn import CharRNN
from tests.conftest import TINY_TEXT, tiny_config
from training import finalize
from training.card import render_card, reproduce_commands, shipped_dir
from training.evaluate import evaluate
from training.train import Trainer


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, Path]:
    """A tiny model directory written by a real training run, and its text file."""
    root = tmp_path_factory.mktemp("finalize")
    text = root / "hamlet.txt"
    text.write_text(TINY_TEXT, encoding="utf-8")
    config = tiny_config(text, root, epochs=2, max_steps=30, threads=1)
    Trainer(config).run()
    return root / "model", text


def test_finalize_measures_halves_and_writes_the_card(trained, tmp_path, capsys):
    source, text = trained
    model_dir = tmp_path / "m"
    model_dir.mkdir()
    for f in source.iterdir():
        (model_dir / f.name).write_bytes(f.read_bytes())
    notes = ["Tried dropout 0.25 and 0.4.", "Trained on a tiny text."]
    args = [str(model_dir), "--text", str(text), "--float16", "--ngram-orders", "2-4"]
    assert finalize.main(args + [f"--note={n}" for n in notes]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])

    model = CharRNN.from_pretrained(model_dir)
    with safe_open(model_dir / "model.safetensors", "pt") as f:
        names = f.keys()
        assert names and all(str(f.get_slice(k).get_dtype()) == "F16" for k in names)
    val = TINY_TEXT[int(len(TINY_TEXT) * 0.9) :]
    assert evaluate(model, val)["nats_per_char"] == pytest.approx(result["val_loss"], abs=1e-6)
    assert abs(result["val_loss"] - result["val_loss_float32"]) < finalize.FLOAT16_TOLERANCE
    assert result["ngram_baseline"]["order"] in (2, 3, 4)
    assert model.meta["margin_vs_ngram"] == pytest.approx(
        1 - result["val_loss"] / result["ngram_baseline"]["nats_per_char"]
    )
    assert model.meta["notes"] == notes

    card = (model_dir / "README.md").read_text()
    assert f"{result['val_loss']:.4f} nats/char" in card
    assert f"{result['ngram_baseline']['nats_per_char']:.4f} nats/char" in card
    assert "## Notes\n\n- Tried dropout 0.25 and 0.4.\n- Trained on a tiny text.\n" in card
    assert f"python -m training.finalize {source} --text {text} --float16" in card

    # Again with the baseline reused and no notes given: the notes stay, nothing is refitted.
    assert finalize.main([str(model_dir), "--text", str(text), "--baseline-from", str(model_dir)]) == 0
    again = CharRNN.from_pretrained(model_dir)
    assert again.meta["ngram_baseline"] == model.meta["ngram_baseline"] and again.meta["notes"] == notes
    assert again.meta["val_loss_training"] == model.meta["val_loss_training"]  # training's figure, not ours


def test_a_recipe_model_reproduces_into_the_recipe_folder():
    # A run written elsewhere (--out runs/x/model) and moved into models/: the card names the
    # folder that `--recipe` writes, where the shipped copy lives.
    assert shipped_dir({"recipe": "quickstart", "out": "runs/q/model"}) == "models/my-first"
    assert shipped_dir({"recipe": "no-such-recipe", "out": "runs/q/model"}) == "runs/q/model"
    assert shipped_dir({"out": "elsewhere"}) == "elsewhere"


def test_a_missing_model_is_one_line_exit_2(tmp_path, capsys):
    assert finalize.main([str(tmp_path / "nothing"), "--text", str(tmp_path / "t.txt")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err


def test_a_run_in_stages_is_reproduced_stage_by_stage():
    # 6 epochs with their cool-down, then resumed to 14 and then given a lower rate at step 3000.
    train = {"recipe": "tolstoy", "epochs": 14.0, "lr": 1e-3, "max_steps": None}
    stages = [
        {"until_step": 2106, "options": {"epochs": 6.0, "lr": 2e-3, "max_steps": None}},
        {"until_step": 3000, "options": {"epochs": 14.0, "lr": 2e-3, "max_steps": None}},
    ]
    assert reproduce_commands(train, stages) == [
        "python -m training.train --recipe tolstoy --epochs 6 --lr 0.002  # until step 2106",
        "python -m training.train --recipe tolstoy --lr 0.002 --resume  # until step 3000",
        "python -m training.train --recipe tolstoy --resume",
    ]
    assert reproduce_commands(train, []) == ["python -m training.train --recipe tolstoy"]


@pytest.mark.parametrize(
    ("corpus", "licence"), [("latex", "gfdl"), ("linux", "gpl-2.0"), ("tolstoy", "mit"), (None, "mit")]
)
def test_the_card_declares_the_licence_of_the_text_the_weights_learned(trained, corpus, licence):
    """Weights trained on the free-licensed code corpora carry the text's copyleft licence on the
    Hub; public-domain texts and the user's own get the project's MIT."""
    model_dir, _ = trained
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    config["meta"]["corpus"] = corpus
    front_matter = render_card(config, {}).split("---")[1]
    assert f"\nlicense: {licence}\n" in front_matter
