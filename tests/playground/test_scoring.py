"""``playground.pages.score.scoring``: the Score tab's figures against the library's."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tolerances import FLOAT32, FLOAT32_RECURRENT

from charrnn import CharRNN, UnknownCharactersError
from charrnn.metrics import surprisal_nats
from playground import table
from playground.pages.score import scoring


def test_score_agrees_with_the_library_metric(tiny_model: CharRNN) -> None:
    text = "To be, or not to be, that is the question:\n" * 3
    result = scoring.score_text(tiny_model, text, "error")
    reference = surprisal_nats(tiny_model, tiny_model.vocab.encode(text).ids) / math.log(2)
    # every character is scored, the first one from the start state (zeros for this model); the Score
    # tab's engine against the library's PyTorch pass, through 130 recurrent steps
    np.testing.assert_allclose(result.bits, reference, **FLOAT32_RECURRENT)
    assert result.bits_per_char == pytest.approx(reference.mean(), rel=1e-4, abs=1e-4)
    assert result.scored == len(text) and result.nats_per_char == pytest.approx(result.bits_per_char * math.log(2))
    np.testing.assert_allclose(result.prob, 2**-result.bits, **FLOAT32)  # exp and log2 differ by CPU
    assert (result.rank >= 1).all() and result.expected[0].count("%") == scoring.GUESSES


def test_score_policies_limits_and_errors(tiny_model: CharRNN, monkeypatch: pytest.MonkeyPatch) -> None:
    result = scoring.score_text(tiny_model, "Tö be", "replace")
    assert result.unknown == ["ö"] and "".join(result.chars) == "T  be"
    with pytest.raises(UnknownCharactersError):
        scoring.score_text(tiny_model, "Tö be", "error")
    with pytest.raises(ValueError, match="at least one"):
        scoring.score_text(tiny_model, "ö", "skip")
    assert scoring.score_text(tiny_model, "T", "error").scored == 1
    monkeypatch.setattr(scoring, "SCORE_MAX", 50)
    monkeypatch.setattr(scoring, "CHUNK", 7)  # state carried across chunks
    chunked = scoring.score_text(tiny_model, "To be, or not to be " * 5, "error")
    assert chunked.truncated == 50 and len(chunked.chars) == 50
    whole = surprisal_nats(tiny_model, tiny_model.vocab.encode(("To be, or not to be " * 5)[:50]).ids) / math.log(2)
    np.testing.assert_allclose(chunked.bits, whole, **FLOAT32_RECURRENT)  # engine chunks vs PyTorch
    frame = table.score_table(chunked.chars, chunked.bits, chunked.prob, chunked.rank, chunked.expected)
    assert len(frame) == 50
