"""The shipped styles' adaptive-reading records (``python -m training.adapt``): valid settings,
chosen on training text, never worse than static reading on validation, and on the card."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from charrnn.adaptive import AdaptiveSettings

MODELS = Path(__file__).resolve().parents[2] / "models"
TUNED = sorted(d.name for d in MODELS.iterdir() if "adaptive" in json.loads((d / "config.json").read_text())["meta"])


def test_the_flagship_is_tuned():
    assert "shakespeare" in TUNED


@pytest.mark.parametrize("style", TUNED)
def test_a_tuned_style_reads_no_worse_adaptively_and_its_card_says_both(style):
    meta = json.loads((MODELS / style / "config.json").read_text())["meta"]
    adaptive = meta["adaptive"]
    AdaptiveSettings.from_dict(adaptive["settings"])  # valid settings
    assert "of the training split" in adaptive["chosen_on"]
    val = adaptive["val"]
    assert val["static"] == pytest.approx(meta["val_loss"], abs=1e-6)  # the official static figure
    assert val["adaptive"] <= val["static"]
    card = (MODELS / style / "README.md").read_text()
    assert f"static {val['static']:.4f} nats/char, adaptive {val['adaptive']:.4f} nats/char" in card


def test_the_flagship_meets_the_adaptive_bar():
    assert (
        json.loads((MODELS / "shakespeare" / "config.json").read_text())["meta"]["adaptive"]["val"]["adaptive"] <= 1.36
    )
