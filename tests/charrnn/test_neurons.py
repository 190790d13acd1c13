"""Per-unit activations of a CharRNN, simple features of a text, and units ranked by correlation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import TINY_TEXT
from tolerances import FLOAT32

from charrnn import CharRNN, ModelConfig
from charrnn.neurons import (
    activations,
    after_newline,
    correlations,
    inside_parentheses,
    inside_quotes,
    position_in_line,
    rank_neurons,
    text_features,
    uppercase,
)


def test_quotes_are_on_from_the_opening_quote_to_before_the_closing_one() -> None:
    np.testing.assert_array_equal(inside_quotes('a"bc"d"e'), [0, 1, 1, 1, 0, 0, 1, 1])
    np.testing.assert_array_equal(inside_quotes("“hi” x"), [1, 1, 1, 0, 0, 0])


def test_position_in_line_counts_from_the_last_newline() -> None:
    np.testing.assert_array_equal(position_in_line("ab\ncde\n\nf"), [1, 2, 0, 1, 2, 3, 0, 0, 1])
    assert position_in_line("").shape == (0,)


def test_parentheses_nest_and_a_stray_closer_is_ignored() -> None:
    np.testing.assert_array_equal(inside_parentheses("a(b(c)d)e)f("), [0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1])


def test_uppercase_and_newline() -> None:
    np.testing.assert_array_equal(uppercase("Ab C\n"), [1, 0, 0, 1, 0])
    np.testing.assert_array_equal(after_newline("a\nb\n"), [0, 1, 0, 1])
    features = text_features('Say "hi" (now)\n')
    assert set(features) == {"inside quotes", "position in line", "inside parentheses", "uppercase", "after a newline"}
    assert all(f.shape == (15,) for f in features.values())


def test_correlation_is_pearson_and_zero_for_a_constant_unit() -> None:
    rng = np.random.default_rng(0)
    feature = rng.standard_normal(50)
    acts = np.stack([feature * 2 + 1, -feature, np.ones(50), rng.standard_normal(50)], axis=1)  # (T, 4)
    r = correlations(acts, feature)
    np.testing.assert_allclose(r[:3], [1.0, -1.0, 0.0], atol=1e-12)
    assert r[3] == pytest.approx(np.corrcoef(acts[:, 3], feature)[0, 1])


def test_ranking_finds_a_planted_unit_in_either_sign_and_skips_constant_features() -> None:
    text = 'He said "yes" and (then) "no".\nAnd so on.\n' * 3
    features = text_features(text)
    rng = np.random.default_rng(1)
    acts = rng.uniform(-0.2, 0.2, (2, len(text), 8))  # (L, T, H)
    acts[1, :, 5] = -features["inside quotes"] + rng.normal(0, 0.01, len(text))
    acts[0, :, 2] = np.tanh(features["position in line"] / 10)
    ranked = rank_neurons(acts, features, top=3)
    best = ranked["inside quotes"][0]
    assert (best.layer, best.unit) == (1, 5) and best.correlation < -0.99
    assert (ranked["position in line"][0].layer, ranked["position in line"][0].unit) == (0, 2)
    assert len(ranked["uppercase"]) == 3
    assert rank_neurons(acts[:, :8], text_features(text[:8]))["inside parentheses"] == []  # no '(' there


@pytest.mark.parametrize("start_state", [False, True])
@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_activations_per_layer_match_the_model(cell: str, start_state: bool) -> None:
    torch.manual_seed(0)
    model = CharRNN(
        ModelConfig(sorted(set(TINY_TEXT)), cell=cell, layers=2, hidden=12, embedding=6, start_state=start_state)
    )
    model.eval()
    if start_state:  # the view begins where the model does: from its start state
        with torch.no_grad():
            for p in (model.start_h, model.start_c):
                if p is not None:
                    p.normal_(0, 0.5)
    ids = model.vocab.encode(TINY_TEXT[:90]).ids
    acts = activations(model, ids)  # (L, T, H)
    assert acts.shape == (2, 90, 12)
    with torch.inference_mode():
        top, state = model.rnn(model.embed(torch.tensor(ids)[None]), model.initial_state(1))
    # activations() runs the NumPy engine, the expectation PyTorch's cells: across paths
    np.testing.assert_allclose(acts[-1], top[0].numpy(), **FLOAT32)  # the top layer is what the head reads
    h_last = state[0] if cell == "lstm" else state  # (L, 1, H): every layer's last h
    np.testing.assert_allclose(acts[:, -1], h_last[:, 0].numpy(), **FLOAT32)
    if cell == "lstm":
        cells = activations(model, ids, state="c")
        np.testing.assert_allclose(cells[:, -1], state[1][:, 0].numpy(), **FLOAT32)
        assert cells.shape == acts.shape
    else:
        with pytest.raises(ValueError, match="only an LSTM"):
            activations(model, ids, state="c")
