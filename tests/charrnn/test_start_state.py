"""The learned start state: where a text begins, saved with the weights, used by every reader
(module, engine, scoring, neurons), trained by ``--start-state`` and ``--start-state-only``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from charrnn import CharRNN, CheckpointError, cold_start, sample
from charrnn.engine import Engine, FastStepper
from charrnn.history import load_history
from charrnn.model import CONFIG_FILE, WEIGHTS_FILE
from playground.pages.score import scoring
from tests.conftest import TINY_TEXT, tiny_config, train_tiny
from training import evaluate as evaluate_module
from training.card import render_card
from training.train import Trainer

# float32 through two code paths (PyTorch's fused cells vs the engine's NumPy steps) agrees to
# float32 rounding accumulated over a few dozen steps, not bit for bit.
RTOL = ATOL = 1e-5

LINES = TINY_TEXT.splitlines()[:5]
# Paragraphs that each begin with a speaker: what a model read from its start state should expect.
PARAGRAPHS = "".join(f"{('HAMLET', 'OPHELIA')[i % 2]}:\n{LINES[i % 5]}\n\n" for i in range(120))
COLD = {"count": 60, "context": 64, "span": 16}  # the measure, scaled to a text of 6,600 characters


def with_random_start(model: CharRNN, seed: int = 0) -> CharRNN:
    model.add_start_state()
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in (model.start_h, model.start_c):
            if p is not None:
                p.copy_(torch.randn(p.shape, generator=generator) * 0.5)
    return model.eval()


@pytest.fixture(scope="module", params=["rnn", "gru", "lstm"])
def started(request) -> CharRNN:
    return with_random_start(train_tiny(TINY_TEXT, cell=request.param, steps=20))


def test_a_forward_without_a_state_begins_from_the_start_state(started: CharRNN) -> None:
    ids = torch.tensor([started.vocab.encode("To be, or not").ids])
    with torch.no_grad():
        implicit, _ = started(ids)
        explicit, _ = started(ids, started.initial_state(1))
        blank = torch.zeros(started.layers, 1, started.hidden)
        zeros, _ = started(ids, (blank, blank) if started.cell == "lstm" else blank)
    assert torch.equal(implicit, explicit)  # the same path run twice: exact
    assert not torch.allclose(implicit, zeros)
    h = started.initial_state(3)
    first = h[0] if isinstance(h, tuple) else h
    assert first.shape == (started.layers, 3, started.hidden)


def test_the_start_state_is_saved_and_loaded(started: CharRNN, tmp_path: Path) -> None:
    started.save_pretrained(tmp_path)
    config = json.loads((tmp_path / CONFIG_FILE).read_text())
    assert config["start_state"] is True
    names = set(load_file(tmp_path / WEIGHTS_FILE))
    assert "start_h" in names and ("start_c" in names) == (started.cell == "lstm")
    loaded = CharRNN.from_pretrained(tmp_path)
    assert loaded.has_start_state and torch.equal(loaded.start_h, started.start_h)
    ids = torch.tensor([started.vocab.encode("To be").ids])
    with torch.no_grad():
        assert torch.equal(loaded(ids)[0], started(ids)[0])
    assert sample(loaded, "To", 40, seed=3) == sample(started, "To", 40, seed=3)


def test_the_engine_agrees_with_the_module_from_the_start_state(started: CharRNN) -> None:
    ids = np.array([started.vocab.encode("To be, or not to be, that is").ids])  # (1, T)
    with torch.no_grad():
        expected, state = started(torch.tensor(ids))
        first = started.start_logits(1)[0, 0].numpy()
    logits, engine_state = Engine(started).forward(ids)
    np.testing.assert_allclose(logits, expected.numpy(), rtol=RTOL, atol=ATOL)
    ours = engine_state if started.cell != "lstm" else engine_state[0]
    theirs = state if started.cell != "lstm" else state[0]
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=RTOL, atol=ATOL)
    stepper = FastStepper(started)
    np.testing.assert_allclose(stepper.prime(list(ids[0])), expected[0, -1].numpy(), rtol=RTOL, atol=ATOL)
    again = stepper.prime(list(ids[0])).copy()  # prime restarts from the start state, not from zeros
    np.testing.assert_allclose(again, expected[0, -1].numpy(), rtol=RTOL, atol=ATOL)
    engine = Engine(started)
    fresh = engine.stepper(2).get_state()  # a new stepper holds the start state before anything is read
    top = (fresh[0] if started.cell == "lstm" else fresh)[-1]  # (2, H)
    np.testing.assert_allclose(top @ engine.head_w + engine.head_b, np.stack([first, first]), rtol=RTOL, atol=ATOL)
    assert sample(started, "To", 60, seed=5) == sample(started, "To", 60, seed=5, engine="reference")


def test_old_checkpoints_load_and_sample_as_before(tmp_path: Path) -> None:
    model = train_tiny(TINY_TEXT, steps=20)
    assert not model.has_start_state
    model.save_pretrained(tmp_path)
    # A checkpoint written before start states existed has no such key in its config.
    config = json.loads((tmp_path / CONFIG_FILE).read_text())
    del config["start_state"]
    (tmp_path / CONFIG_FILE).write_text(json.dumps(config))
    loaded = CharRNN.from_pretrained(tmp_path)
    assert not loaded.has_start_state and set(loaded.state_dict()) == set(model.state_dict())
    ids = torch.tensor([model.vocab.encode("To be, or not").ids])
    with torch.no_grad():
        implicit, _ = loaded(ids)
        zeros, _ = loaded(ids, loaded.initial_state(1))
    assert torch.equal(implicit, zeros)  # from zeros, as before
    assert sample(loaded, "To", 60, seed=2) == sample(model, "To", 60, seed=2)
    assert sample(loaded, "To", 60, seed=2) == sample(loaded, "To", 60, seed=2, engine="reference")
    assert not Engine(loaded).start_h.any() and not Engine(loaded).start_c.any()


def test_the_loader_stays_strict_about_start_state_tensors(started: CharRNN, tmp_path: Path) -> None:
    started.save_pretrained(tmp_path)
    tensors = load_file(tmp_path / WEIGHTS_FILE)
    missing = {k: v for k, v in tensors.items() if not k.startswith("start_")}
    save_file(missing, tmp_path / WEIGHTS_FILE)
    with pytest.raises(CheckpointError, match=r"missing.*start_h"):
        CharRNN.from_pretrained(tmp_path)
    save_file(tensors, tmp_path / WEIGHTS_FILE)
    config = json.loads((tmp_path / CONFIG_FILE).read_text())
    (tmp_path / CONFIG_FILE).write_text(json.dumps({**config, "start_state": False}))
    with pytest.raises(CheckpointError, match=r"unexpected.*start_h"):
        CharRNN.from_pretrained(tmp_path)


def test_scoring_predicts_the_first_character_from_the_start_state(started: CharRNN) -> None:
    result = scoring.score_text(started, "To be", "error")
    with torch.no_grad():
        first = torch.log_softmax(started.start_logits(1)[0, 0].double(), dim=-1)[started.vocab.encode("T").ids[0]]
    assert result.scored == 5 and result.bits[0] == pytest.approx(-first.item() / np.log(2), rel=1e-6)


# ---------------------------------------------------------------- training for it


@pytest.fixture(scope="module")
def paragraphs_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("paragraphs") / "speeches.txt"
    path.write_text(PARAGRAPHS, encoding="utf-8")
    return path


def starts_better(before: dict, after: dict) -> bool:
    """Cold reading clearly better (0.05 nats/char) and at most half the gap to warm reading left."""
    print(before, after)
    return after["cold"] < before["cold"] - 0.05 and after["ratio"] - 1 < (before["ratio"] - 1) / 2


def train_run(text_file: Path, out: Path, **overrides) -> CharRNN:
    values = dict(max_steps=300, eval_every=100, ema=0.0, lr=1e-2, warmup_steps=3, dropout=0.0, embedding_dropout=0.0)
    config = tiny_config(text_file, out, **{**values, **overrides})
    Trainer(config).run()
    return CharRNN.from_pretrained(config.out)


@pytest.fixture(scope="module")
def plain_run(paragraphs_file: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("plain")
    train_run(paragraphs_file, out)
    return out


def test_a_model_trained_with_a_start_state_starts_better(paragraphs_file: Path, plain_run: Path, tmp_path: Path):
    plain = CharRNN.from_pretrained(plain_run / "model")
    started = train_run(paragraphs_file, tmp_path, start_state=True)
    assert started.has_start_state and not plain.has_start_state
    before, after = cold_start(plain, PARAGRAPHS, **COLD), cold_start(started, PARAGRAPHS, **COLD)
    assert starts_better(before, after)


def test_a_trained_model_learns_its_start_state_in_place(paragraphs_file: Path, plain_run: Path) -> None:
    model_dir = plain_run / "model"
    plain = CharRNN.from_pretrained(model_dir)
    earlier = load_history(model_dir)
    steps_before, last = earlier["summary"]["steps"], earlier["records"][-1]
    config = tiny_config(
        paragraphs_file,
        plain_run,
        init_from=str(model_dir),
        start_state_only=True,
        max_steps=40,
        lr=1e-2,
        ema=0.0,
        run_dir=str(plain_run / "run-start"),
    )
    Trainer(config).run()
    tuned = CharRNN.from_pretrained(model_dir)
    assert tuned.has_start_state
    for name, weight in plain.state_dict().items():  # every weight frozen: the same tensors
        assert torch.equal(tuned.state_dict()[name], weight), name
    before, after = cold_start(plain, PARAGRAPHS, **COLD), cold_start(tuned, PARAGRAPHS, **COLD)
    assert starts_better(before, after)
    assert after["warm"] == pytest.approx(before["warm"], abs=0.05)  # read in context, little changes
    history = load_history(model_dir)
    stage = history["stages"][-1]
    assert stage["until_step"] == steps_before and stage["train_config"]["start_state_only"] is False
    assert stage["changed"]["start_state_only"] == [False, True]
    assert history["summary"]["steps"] == steps_before + 40 and history["records"][-1]["start_loss"] > 0
    continued = history["records"][-1]  # steps, epochs and characters carry on from the earlier run
    assert continued["chars_seen"] == last["chars_seen"] + 40 * config.batch_size * config.seq_len
    assert last["epoch"] < continued["epoch"] < last["epoch"] + 1
    assert tuned.meta["train_config"]["init_from"] == str(model_dir)
    card = render_card(json.loads((model_dir / CONFIG_FILE).read_text()), history)
    assert f"--out {model_dir} --init-from {model_dir} " in card and " --start-state-only " in card


def test_evaluate_reports_cold_and_warm(paragraphs_file: Path, plain_run: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(evaluate_module, "cold_start", lambda model, text: cold_start(model, text, **COLD))
    assert evaluate_module.main([str(plain_run / "model"), "--text", str(paragraphs_file), "--cold-start"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["starts"] == COLD["count"] and report["ratio"] == pytest.approx(report["cold"] / report["warm"])


def test_the_cold_start_measure_needs_paragraphs() -> None:
    model = train_tiny(TINY_TEXT, steps=5)
    with pytest.raises(ValueError, match="no paragraph start"):
        cold_start(model, TINY_TEXT)
