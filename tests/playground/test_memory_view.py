"""playground.memory_view: the history coloured by influence, the log-scale curves and their sentence."""

from __future__ import annotations

import re

import numpy as np
from conftest import TINY_TEXT

from charrnn import CharRNN
from charrnn.memory import Influence, influence
from playground.memory_view import (
    LOG_FLOOR,
    UNREAD,
    curves_sentence,
    history_html,
    influence_colour,
    log_line_spec,
    prediction_summary,
)


def lightness(colour: str) -> int:
    return int(re.search(r"(\d+)%\)$", colour).group(1))


def test_colours_darken_with_influence_on_a_log_scale() -> None:
    levels = [lightness(influence_colour(r)) for r in (0.0, LOG_FLOOR / 10, LOG_FLOOR, 1e-2, 1.0, 3.0)]
    assert levels[0] == levels[1] == levels[2] == 97  # at or under the floor: palest
    assert levels[2] > levels[3] > levels[4] == levels[5] == 55
    assert levels[3] == 97 - 21  # 1e-2 is half way from 1e-4 to 1 in log10


def test_the_history_colours_the_window_greys_what_came_before_and_marks_the_target(tiny_model: CharRNN) -> None:
    ids = tiny_model.vocab.encode(TINY_TEXT).ids
    found = influence(tiny_model, ids, 60, window=20)
    html = history_html(TINY_TEXT, found, shown=30)
    spans = re.findall(r'<span style="([^"]*)" title="([^"]*)"', html)
    assert len(spans) == 31  # 30 characters of history and the predicted one
    assert all(UNREAD in style for style, _ in spans[:10])  # before the 20-character window
    assert "k = 20 back" in spans[10][1] and "k = 1 back: 1 of" in spans[29][1]
    assert "outline" in spans[30][0] and "predicted" in spans[30][1]


def test_prediction_summary_names_the_favourite_and_the_true_character() -> None:
    found = Influence(5, np.ones(5), np.array([0.1, 0.7, 0.2]), target=2)
    assert prediction_summary(found, ["a", " ", "c"]) == ("␣ (70%)", "c (20%)")


def test_curves_on_a_log_axis_leave_out_zeros() -> None:
    spec = log_line_spec({"rnn": np.array([1.0, 0.1, 0.0]), "lstm": np.array([1.0, 0.5, 0.2])}, "k", "g", "t")
    rows = spec["data"]["values"]
    assert len(rows) == 5 and {"k": 3, "g": 0.2, "model": "lstm"} in rows
    assert spec["encoding"]["y"]["scale"] == {"type": "log"}
    assert spec["encoding"]["color"]["sort"] == ["rnn", "lstm"]


def test_the_sentence_orders_the_models_by_distance() -> None:
    sentence = curves_sentence({"lstm": 55, "rnn": 41, "gru": None}, 100)
    assert sentence.index("**rnn** at k = 41") < sentence.index("**lstm** at k = 55")
    assert "**gru** not within k = 100" in sentence
