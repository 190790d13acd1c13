"""Adaptive reading in the app, driven by ``streamlit.testing.v1.AppTest`` against tiny models
trained in the test session: the Score tab's "adapt while reading" and the Generate tab's "adapt
to a text first"."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest
from test_app import ok, run_app

from charrnn import CharRNN, SamplingSettings, generate, surprisal_nats
from charrnn.adaptive import adaptive_surprisal
from charrnn.metrics import bits_per_char
from playground import adapting
from playground.pages import PAGES
from playground.pages.generate import adapted

__all__ = ["run_app"]  # test_app's fixture: ``run_app(models_root, query)``, a first page run

SCORE = next(page.LABEL for page in PAGES if page.NAME == "score")


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def unseen_words(model: CharRNN, length: int = 300, seed: int = 5) -> str:
    """A text the model never saw: made-up words of its letters."""
    rng = random.Random(seed)
    letters = [c for c in model.vocab.chars if c.isalpha()]
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 6))) for _ in range(25)]
    return " ".join(rng.choice(words) for _ in range(length))[:length]


def test_score_adapt_while_reading_shows_both_readings(run_app, tiny_models_root: Path) -> None:
    model = CharRNN.from_pretrained(tiny_models_root / "tiny-lstm")
    text = unseen_words(model) * 2  # read twice: the second reading is where adapting pays
    at = run_app(tiny_models_root, {"style": "tiny-lstm", "seed": "3", "len": "40"})
    at.session_state["tab"] = SCORE
    ok(at.run())
    at.text_area(key="score_text").set_value(text)
    ok(at.run())
    assert "adaptive bits/char" not in metrics(at)  # off until asked
    charts = len(at.get("vega_lite_chart"))
    at.toggle(key="score_adapt").set_value(True)
    ok(at.run())
    ids = model.vocab.encode(text).ids
    static = surprisal_nats(model, ids)
    adaptive = adaptive_surprisal(model, ids, adapting.app_settings(model))
    shown = metrics(at)
    assert shown["static bits/char"] == f"{bits_per_char(static.mean()):.3f}"
    assert shown["adaptive bits/char"] == f"{bits_per_char(adaptive.mean()):.3f}"
    assert adaptive.mean() < static.mean() - 0.1  # the repeat read cheaper: the page shows a real gain
    assert shown["characters compared"] == f"{len(ids):,}"
    assert len(at.get("vega_lite_chart")) == charts + 1  # the running bits/char of both
    assert "Adaptive reading, sgd" in "\n".join(c.value for c in at.caption)


def test_score_adapt_cut_at_the_time_limit_says_so(
    run_app, tiny_models_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(adapting, "TIME_LIMIT_S", 0.0)
    at = run_app(tiny_models_root, {"style": "tiny-lstm", "seed": "3", "len": "40"})
    at.session_state["tab"] = SCORE
    ok(at.run())
    at.text_area(key="score_text").set_value("To be, or not to be, " * 20)
    ok(at.run())
    at.toggle(key="score_adapt").set_value(True)
    ok(at.run())
    assert metrics(at)["characters compared"] == "100"  # one segment, then the limit
    assert "stopped at the 0 s limit" in "\n".join(c.value for c in at.caption)


def test_generate_adapt_to_a_text_first_writes_beside_the_unadapted_sample(run_app, tiny_models_root: Path) -> None:
    weights = tiny_models_root / "tiny-lstm" / "model.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    model = CharRNN.from_pretrained(tiny_models_root / "tiny-lstm")
    at = run_app(tiny_models_root, {"style": "tiny-lstm", "seed": "11", "len": "80"})
    at.text_area(key="adapt_text").set_value(unseen_words(model, 600))
    ok(at.run())
    next(b for b in at.button if "Adapt and write" in b.label).click()
    ok(at.run())
    blocks = [c.value for c in at.code]
    plain = "".join(s.char for s in generate(model, "To", 80, SamplingSettings(0.8), seed=11))
    assert "To" + plain in blocks  # the same prime and seed, trained weights
    adapted_text = next(b for b in blocks if b != "To" + plain and b.startswith("To"))
    assert len(adapted_text) == len("To" + plain)  # written from adapted weights: a different text
    shown = "\n".join(m.value for m in at.markdown)
    assert "From adapted weights" in shown and "adapted to 600 of 600 characters" in shown
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == digest  # the trained weights never change


def test_generate_adapt_bad_text_is_said_plainly(
    run_app, tiny_models_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(adapted, "ADAPT_MAX", 50)
    at = run_app(tiny_models_root, {"style": "tiny-lstm", "seed": "11", "len": "40"})
    at.text_area(key="adapt_text").set_value("ЖЖЖЖЖЖ")  # nothing this style knows
    ok(at.run())
    assert "No character of it is in this style's vocabulary" in "\n".join(c.value for c in at.caption)
    assert not any("Adapt and write" in b.label for b in at.button)
    at.text_area(key="adapt_text").set_value("To be, or not to be ж " * 5)
    ok(at.run())
    note = "\n".join(i.value for i in at.info)
    assert "first 50 are read" in note and "does not know are skipped" in note
