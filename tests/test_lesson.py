"""The course's worked example: every number the "How it works" tab shows comes from charrnn.lesson."""

from __future__ import annotations

import numpy as np
import pytest

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
