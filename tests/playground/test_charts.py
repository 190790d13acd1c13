"""``playground.charts``: temperature, and chart specs that are plain JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from charrnn import CharRNN
from playground import charts, table
from playground.pages.training import timeline
from playground.trace import Trace


def test_tempered_reshapes_like_softmax_of_logits() -> None:
    raw = np.array([0.6, 0.3, 0.1])
    np.testing.assert_allclose(charts.tempered(raw, 1.0), raw)
    cold, hot = charts.tempered(raw, 0.1), charts.tempered(raw, 10.0)
    assert cold[0] > 0.99 and hot.max() - hot.min() < 0.1 and cold.sum() == pytest.approx(1)


def test_chart_specs_are_plain_json(trace: Trace, tiny_model: CharRNN, tiny_models_root: Path) -> None:
    vocab = tiny_model.vocab.chars
    frame = table.distribution_frame(vocab, {"model": trace.probs_raw[0]}, 3)
    specs = [
        charts.distribution_spec(frame, ["model"], "t"),
        charts.temperature_spec(
            charts.temperature_frame(vocab, trace.probs_raw[0], np.array([0.5, 1, 2])), {"used": 0.8}, "t"
        ),
        charts.loss_spec(
            timeline.loss_frame(json.loads((tiny_models_root / "tiny-lstm" / "history.json").read_text())),
            "step",
            "nats",
            True,
            30,
        ),
    ]
    for spec in specs:
        text = json.dumps(spec, allow_nan=False)
        assert "NaN" not in text
