"""The course's worked example: every number the "How it works" tab shows comes from charrnn.lesson."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
import torch
from tolerances import FLOAT64

from charrnn import lesson as course
from charrnn.lesson import COURSE_WEIGHTS, Weights, fit_weights, run_lesson, vocab_of


def test_the_first_step_gives_the_course_numbers() -> None:
    lesson = run_lesson()
    assert lesson.vocab == ["h", "e", "l", "o"]
    first = lesson.steps[0]
    assert (first.char, first.target) == ("h", "e")
    np.testing.assert_array_equal(first.x, [1, 0, 0, 0])
    np.testing.assert_array_equal(first.h_prev, [0, 0, 0])
    np.testing.assert_array_equal(np.round(first.a, 2), [0.6, 0.2, 0.9])
    np.testing.assert_array_equal(np.round(first.h, 2), [0.54, 0.20, 0.72])
    np.testing.assert_array_equal(np.round(first.y, 2), [0.32, 0.21, 0.24, 0.22])


def test_four_steps_over_hell_predicting_ello() -> None:
    lesson = run_lesson("hello")
    assert [s.char for s in lesson.steps] == list("hell")
    assert [s.target for s in lesson.steps] == list("ello")
    expected_y = [
        [0.32, 0.21, 0.24, 0.22],  # the course's y_1
        [0.39, 0.17, 0.28, 0.16],
        [0.39, 0.15, 0.32, 0.14],
        [0.40, 0.15, 0.32, 0.13],
    ]
    np.testing.assert_array_equal(np.round([s.y for s in lesson.steps], 2), expected_y)
    np.testing.assert_array_equal(np.round([s.loss for s in lesson.steps], 2), [1.54, 1.27, 1.15, 2.01])
    assert round(lesson.total_loss, 2) == 5.97 and round(lesson.mean_loss, 2) == 1.49


def test_each_step_follows_the_equations() -> None:
    lesson = run_lesson()
    w = COURSE_WEIGHTS
    for before, step in zip([None, *lesson.steps], lesson.steps, strict=False):
        h_prev = np.zeros(3) if before is None else before.h
        np.testing.assert_allclose(step.h_prev, h_prev)
        np.testing.assert_allclose(step.a, w.W_H @ h_prev + w.W_X @ step.x)
        np.testing.assert_allclose(step.h, np.tanh(step.a))
        assert step.y.sum() == pytest.approx(1.0)
        assert step.loss == pytest.approx(-np.log(step.y[lesson.vocab.index(step.target)]))


def test_edited_weights_change_every_number() -> None:
    edited = Weights(COURSE_WEIGHTS.W_H, COURSE_WEIGHTS.W_X.copy(), COURSE_WEIGHTS.W_Y)
    edited.W_X[0, 0] = -0.6
    first = run_lesson(weights=edited).steps[0]
    assert first.a[0] == pytest.approx(-0.6)
    assert not np.allclose(first.y, run_lesson().steps[0].y)


def test_another_word_gets_fitted_weights_that_keep_the_old_entries() -> None:
    assert vocab_of("banana") == ["b", "a", "n"]
    fitted = fit_weights(COURSE_WEIGHTS, vocab_size=5, hidden=2)
    assert fitted.W_H.shape == (2, 2) and fitted.W_X.shape == (2, 5) and fitted.W_Y.shape == (5, 2)
    np.testing.assert_array_equal(fitted.W_X[:, :4], COURSE_WEIGHTS.W_X[:2])
    lesson = run_lesson("hello!", fitted)
    assert len(lesson.steps) == 5 and lesson.vocab == ["h", "e", "l", "o", "!"]


@pytest.mark.parametrize(
    ("word", "weights", "message"),
    [
        ("h", COURSE_WEIGHTS, "at least two"),
        ("hello!", COURSE_WEIGHTS, "k = 4"),
        ("hello", Weights(np.zeros((3, 3)), np.zeros((2, 4)), np.zeros((4, 3))), "W_X has shape"),
    ],
)
def test_bad_inputs_say_what_is_wrong(word: str, weights: Weights, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        run_lesson(word, weights)


# ---------------------------------------------------------------- backpropagation through time


def torch_gradients(word: str, weights: course.Weights) -> tuple[float, dict[str, np.ndarray]]:
    """The total loss and its gradients by torch autograd, float64: an independent implementation."""
    vocab = course.vocab_of(word)
    w = {name: torch.tensor(getattr(weights, name), requires_grad=True) for name in ("W_H", "W_X", "W_Y")}
    h, total = torch.zeros(weights.hidden, dtype=torch.float64), torch.zeros((), dtype=torch.float64)
    for char, target in pairwise(word):
        x = torch.nn.functional.one_hot(torch.tensor(vocab.index(char)), len(vocab)).double()
        h = torch.tanh(w["W_H"] @ h + w["W_X"] @ x)
        total = total - torch.log_softmax(w["W_Y"] @ h, dim=0)[vocab.index(target)]
    total.backward()
    return total.item(), {name: t.grad.numpy() for name, t in w.items()}


@pytest.mark.parametrize(("word", "hidden", "seed"), [("hello", 3, 0), ("abracadabra", 5, 1), ("xy", 1, 2)])
def test_backward_equals_torch_autograd(word: str, hidden: int, seed: int) -> None:
    vocab = course.vocab_of(word)
    weights = course.fit_weights(course.COURSE_WEIGHTS, len(vocab), hidden, seed)
    result = course.run_lesson(word, weights, vocab)
    grads = course.backward(result, weights)
    loss, expected = torch_gradients(word, weights)
    np.testing.assert_allclose(result.total_loss, loss, **FLOAT64)
    for name, value in expected.items():
        np.testing.assert_allclose(getattr(grads, name), value, **FLOAT64)
    assert [s.t for s in grads.steps] == list(range(len(word) - 1, 0, -1))  # computed from t = T back
    np.testing.assert_array_equal(grads.steps[0].dh_next, 0)  # nothing comes back after the last step


def test_the_course_gradients_and_a_gradient_step() -> None:
    result = course.run_lesson()
    grads = course.backward(result, course.COURSE_WEIGHTS)
    expected_w_y = [[1.06, 1.10, 0.93], [-0.06, 0.26, -0.27], [-0.68, -0.81, -0.58], [-0.32, -0.56, -0.08]]
    np.testing.assert_array_equal(np.round(grads.W_Y, 2), expected_w_y)
    numeric = course.numerical_gradients(course.WORD, course.COURSE_WEIGHTS, result.vocab)
    for name, value in numeric.items():
        assert course.relative_error(getattr(grads, name), value) < 1e-6, name
    assert round(result.total_loss, 2) == 5.97
    stepped = course.gradient_step(course.COURSE_WEIGHTS, grads, 0.1)
    after = course.run_lesson(weights=stepped).total_loss
    assert after < result.total_loss
    again = course.run_lesson(
        weights=course.gradient_step(stepped, course.backward(course.run_lesson(weights=stepped), stepped), 0.1)
    )
    assert again.total_loss < after


def test_the_paths_back_through_time_add_up_to_dW_H() -> None:
    word, weights = "hello", course.COURSE_WEIGHTS
    result = course.run_lesson(word, weights)
    parts = course.paths_to_W_H(result, weights)
    assert sorted(parts) == [(t, s) for t in range(1, 5) for s in range(1, t + 1)]
    np.testing.assert_allclose(sum(parts.values()), course.backward(result, weights).W_H, **FLOAT64)
    np.testing.assert_array_equal(parts[3, 1], 0)  # h_0 = 0: a path that ends at s = 1 adds nothing
    assert np.abs(parts[4, 2]).max() > 0
