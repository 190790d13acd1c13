"""``playground.trace``: a sample's steps as arrays."""

from __future__ import annotations

import math

import numpy as np

from charrnn import CharRNN
from playground.trace import Trace


def test_trace_holds_every_step(trace: Trace, tiny_model: CharRNN) -> None:
    assert len(trace) == 120 and trace.probs_raw.shape == (120, len(tiny_model.vocab))
    np.testing.assert_allclose(trace.probs.sum(axis=1), 1, atol=1e-5)
    assert 0 < trace.bits_per_char < 10
    empty = Trace.from_steps([], 5)
    assert len(empty) == 0 and empty.probs.shape == (0, 5) and math.isnan(empty.bits_per_char)
