"""charrnn.memory: exact input gradients (against finite differences), the state carried before the
window, the batched memory curve, and the course RNN's Jacobian products (against NumPy)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from conftest import TINY_TEXT, train_tiny
from tolerances import FLOAT32, FLOAT64

from charrnn import CELLS, UnknownCharactersError, lesson
from charrnn.lesson import central_differences, relative_error
from charrnn.memory import (
    FRACTIONS,
    carried_state,
    check_position,
    curve_positions,
    fall_distance,
    hand_rnn,
    influence,
    memory_curve,
    window_gradients,
)
from charrnn.model import CharRNN

GRADIENT_CHECK = 1e-6  # the acceptance bound on the relative error against central differences


@pytest.fixture(scope="module", params=CELLS)
def float64_model(request: pytest.FixtureRequest) -> CharRNN:
    """A tiny trained model of each cell, in float64 (finite differences need it)."""
    return train_tiny(TINY_TEXT, cell=request.param, steps=20, hidden=12).double().eval()


def ids_of(model: CharRNN, text: str = TINY_TEXT) -> list[int]:
    return model.vocab.encode(text).ids


def log_prob_of_embeddings(model: CharRNN, embeddings: np.ndarray, target: int) -> float:
    """log p(target | the characters whose embeddings (W, E) are given), from the start state."""
    with torch.no_grad():
        logits, _ = model.read_embedded(torch.from_numpy(embeddings)[None])  # (1, W, V)
        return float(torch.log_softmax(logits[0, -1], dim=-1)[target])


def test_input_gradients_match_central_differences_for_every_cell(float64_model: CharRNN) -> None:
    model, ids, position = float64_model, ids_of(float64_model), 9
    found = influence(model, ids, position, window=position)
    embeddings = model.embed(torch.tensor(ids[:position])).detach().numpy().copy()  # (W, E)
    numeric = central_differences(
        lambda p: log_prob_of_embeddings(model, p["x"], ids[position]), {"x": embeddings}, eps=1e-6
    )["x"]
    expected = np.linalg.norm(numeric, axis=1)[::-1]  # (W,), k = 1 first
    assert relative_error(found.norms, expected) < GRADIENT_CHECK
    assert found.norms.min() > 0  # every character of the window was reached


def test_the_state_carried_before_the_window_gives_the_same_gradients(float64_model: CharRNN) -> None:
    """Differentiating only the last 20 characters changes nothing about their gradients."""
    ids, position = ids_of(float64_model), 150
    whole = influence(float64_model, ids, position, window=position)
    last = influence(float64_model, ids, position, window=20)
    np.testing.assert_allclose(last.norms, whole.norms[:20], **FLOAT64)
    np.testing.assert_allclose(last.probs, whole.probs, **FLOAT64)


def test_a_learned_start_state_is_where_the_text_begins(float64_model: CharRNN) -> None:
    """With a (non-zero) start state, both the carried pass and a window at the start begin from it."""
    model = copy.deepcopy(float64_model)
    model.add_start_state()
    model.double()  # the start state is made in float32
    with torch.no_grad():
        for start in (model.start_h, model.start_c):
            if start is not None:
                start.copy_(torch.randn(start.shape, dtype=start.dtype))
    ids, position = ids_of(model), 12  # near the start, where the start state still matters
    whole = influence(model, ids, position, window=position)
    np.testing.assert_allclose(influence(model, ids, position, window=5).norms, whole.norms[:5], **FLOAT64)
    from_zeros = influence(float64_model, ids, position, window=position)
    assert abs(np.log(whole.norms[-1] / from_zeros.norms[-1])) > 0.1  # the first character's, beside it


def test_carried_state_in_chunks_equals_one_pass(float64_model: CharRNN) -> None:
    ids = torch.tensor([ids_of(float64_model)[:50]])
    chunked = carried_state(float64_model, ids, chunk=7)
    with torch.no_grad():
        _, whole = float64_model(ids)
    for a, b in zip(*(s if isinstance(s, tuple) else (s,) for s in (chunked, whole)), strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), **FLOAT64)
    assert carried_state(float64_model, ids[:, :0]) is None


def test_a_batch_of_windows_gives_each_row_its_own_gradients(float64_model: CharRNN) -> None:
    ids = torch.tensor(ids_of(float64_model))
    windows, targets = torch.stack([ids[10:40], ids[100:130], ids[333:363]]), ids[[40, 130, 363]]
    norms, probs = window_gradients(float64_model, windows, targets, None)
    for row in range(3):
        alone, alone_probs = window_gradients(float64_model, windows[row : row + 1], targets[row : row + 1], None)
        np.testing.assert_allclose(norms[row], alone[0], **FLOAT64)
        np.testing.assert_allclose(probs[row], alone_probs[0], **FLOAT64)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, **FLOAT64)


def test_the_probabilities_are_the_models_prediction(float64_model: CharRNN) -> None:
    ids = ids_of(float64_model)
    found = influence(float64_model, ids, 77, window=30)
    with torch.no_grad():
        logits, _ = float64_model(torch.tensor([ids[:77]]))
    np.testing.assert_allclose(found.probs, torch.softmax(logits[0, -1], -1).numpy(), **FLOAT64)
    assert found.target == ids[77]


def test_a_one_position_curve_is_that_positions_relative_influence(float64_model: CharRNN) -> None:
    """With one position, its context is the whole text before the window: the same as ``influence``."""
    ids = ids_of(float64_model)
    curve = memory_curve(float64_model, ids, positions=1, max_distance=25, context=15)
    assert curve.positions == [40]
    np.testing.assert_allclose(curve.curve, influence(float64_model, ids, 40, window=25).relative, **FLOAT64)
    assert curve.curve[0] == 1.0


def test_the_memory_curve_averages_over_positions_spread_over_the_text(tiny_model: CharRNN) -> None:
    ids = ids_of(tiny_model)
    curve = memory_curve(tiny_model, ids, positions=12, max_distance=40, context=10)
    assert len(curve.positions) == 12 and curve.positions[0] == 50 and curve.positions[-1] == len(ids) - 1
    rows = [influence(tiny_model, ids, p, window=40).relative for p in curve.positions]
    # The context read from the start state is 10 characters, not the whole text: close, not equal.
    assert np.abs(np.log(curve.curve / np.mean(rows, axis=0))).max() < 0.5
    report = curve.report()
    assert report["positions"] == 12 and len(report["curve"]) == 40
    assert set(report) >= {"distance_1%", "distance_0.1%"}


def test_fall_distance_is_the_first_k_under_the_fraction() -> None:
    relative = np.array([1.0, 0.5, 0.02, 0.009, 0.011, 0.0005])
    assert fall_distance(relative, 0.01) == 4
    assert fall_distance(relative, 0.001) == 6
    assert fall_distance(relative, 1e-6) is None
    assert FRACTIONS == (0.01, 0.001)


# ---------------------------------------------------------------- bad input


def test_a_position_without_history_or_outside_the_text_is_refused(tiny_model: CharRNN) -> None:
    ids = ids_of(tiny_model, "To be")
    with pytest.raises(ValueError, match="no history"):
        influence(tiny_model, ids, 0)
    for outside in (5, -1):
        with pytest.raises(ValueError, match="outside the text"):
            influence(tiny_model, ids, outside)
    with pytest.raises(ValueError, match="at least one character"):
        influence(tiny_model, ids, 3, window=0)


def test_a_huge_history_is_refused_before_any_work() -> None:
    with pytest.raises(ValueError, match="too far into the text"):
        check_position(np.zeros(2_000_000, dtype=np.int64), 1_500_000)


def test_unknown_characters_get_the_vocabularys_message(tiny_model: CharRNN) -> None:
    with pytest.raises(UnknownCharactersError, match="not in the model's vocabulary"):
        tiny_model.vocab.encode("ZZZ€")


def test_a_text_too_short_for_the_curve_says_how_long_it_must_be(tiny_model: CharRNN) -> None:
    with pytest.raises(ValueError, match="needs more than 300"):
        memory_curve(tiny_model, ids_of(tiny_model)[:200], max_distance=200, context=100)
    with pytest.raises(ValueError, match="at least one position"):
        curve_positions(1000, 0, 10, 10)
    with pytest.raises(ValueError, match="at least 1"):
        memory_curve(tiny_model, ids_of(tiny_model), max_distance=0)


def test_training_mode_is_restored(tiny_model: CharRNN) -> None:
    tiny_model.train()
    try:
        influence(tiny_model, ids_of(tiny_model), 20, window=10)
        assert tiny_model.training
    finally:
        tiny_model.eval()


# ---------------------------------------------------------------- the course's RNN


def test_jacobian_products_match_finite_differences_of_the_recurrence() -> None:
    """dh_T/dh_{T-k}, checked by nudging h_{T-k} and running the course's recurrence forward."""
    drawn = lesson.fit_weights(lesson.COURSE_WEIGHTS, 5, 4, seed=3)  # entries in [0, 1): centred, so that
    weights = lesson.Weights(1.5 * (drawn.W_H - 0.5), drawn.W_X - 0.5, drawn.W_Y)  # the products stay near 1
    word = "abcdeabca"
    result = lesson.run_lesson(word, weights, list("abcde"))
    products = lesson.jacobian_products(result, weights)
    steps = result.steps
    assert len(products) == len(steps) + 1
    np.testing.assert_array_equal(products[0], np.eye(4))
    for k in range(1, len(steps) + 1):

        def h_last(start: np.ndarray, k: int = k) -> np.ndarray:
            h = start
            for step in steps[len(steps) - k :]:  # h_{T-k+1} .. h_T
                h = np.tanh(weights.W_H @ h + weights.W_X @ step.x)
            return h

        start = steps[-k].h_prev.copy()  # h_{T-k}
        numeric = np.stack(
            [central_differences(lambda p, i=i: float(h_last(p["h"])[i]), {"h": start})["h"] for i in range(4)]
        )  # (d, d): row i is d h_T[i] / d h_{T-k}
        assert relative_error(products[k], numeric) < GRADIENT_CHECK
    norms = lesson.jacobian_norms(result, weights)
    np.testing.assert_allclose(norms, [np.linalg.svd(p, compute_uv=False)[0] for p in products], **FLOAT64)


def test_the_hand_rnns_influence_is_its_jacobian_products_times_the_output_error() -> None:
    """autograd on the course RNN as a CharRNN (identity embedding: one-hot inputs) against
    d log y_T[target] / d x_{T-k} = W_X^T diag(1 - h_{T-k}^2) J_{k-1}^T W_Y^T (onehot - y_T)."""
    w, word = lesson.COURSE_WEIGHTS, "hellohell"
    vocab = lesson.vocab_of(word)
    result = lesson.run_lesson(word + "o", w, vocab)
    model = hand_rnn(w.W_X, w.W_H, w.W_Y, vocab)
    found = influence(model, model.vocab.encode(word + "o").ids, len(word), window=len(word))
    last = result.steps[-1]
    error = w.W_Y.T @ (lesson.one_hot(vocab.index(last.target), len(vocab)) - last.y)  # (d,) d log y / d h_T
    products = lesson.jacobian_products(result, w)
    expected = [
        np.linalg.norm(w.W_X.T @ ((1 - step.h**2) * (products[k - 1].T @ error)))
        for k, step in enumerate(reversed(result.steps), start=1)
    ]
    np.testing.assert_allclose(found.norms, expected, **FLOAT64)
    np.testing.assert_allclose(found.probs, last.y, **FLOAT64)


def test_a_large_W_H_explodes_and_a_small_one_vanishes() -> None:
    w = lesson.COURSE_WEIGHTS
    result = lesson.run_lesson("hellohello", w)
    small = lesson.Weights(w.W_H * 0.1, w.W_X * 0.1, w.W_Y)
    large = lesson.Weights(np.eye(3) * 3.0, np.zeros_like(w.W_X), w.W_Y)  # h stays 0: 3^k
    assert lesson.jacobian_norms(lesson.run_lesson("hellohello", small), small)[-1] < 1e-6
    assert lesson.jacobian_norms(lesson.run_lesson("hellohello", large), large)[-1] > 1e3
    assert 0 < lesson.jacobian_norms(result, w)[-1] < 1


def test_the_hand_rnn_predicts_what_the_lesson_computes() -> None:
    w = lesson.COURSE_WEIGHTS
    result = lesson.run_lesson()
    model = hand_rnn(w.W_X, w.W_H, w.W_Y, result.vocab, dtype=torch.float32)
    with torch.no_grad():
        logits, _ = model(torch.tensor([model.vocab.encode("hell").ids]))
    np.testing.assert_allclose(torch.softmax(logits[0], -1).numpy(), [s.y for s in result.steps], **FLOAT32)
