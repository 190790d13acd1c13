"""``playground.table``: visible whitespace, percentages and the probability table."""

from __future__ import annotations

import numpy as np
import pytest

from charrnn import CharRNN
from playground import table
from playground.trace import Trace


@pytest.mark.parametrize(
    ("char", "shown"),
    [
        (" ", "␣"),
        ("\n", "⏎"),
        ("\t", "⇥"),
        ("\r", "␍"),
        ("\0", "␀"),
        ("\x1b", "␛"),
        ("\u200b", "U+200B"),
        ("\u00a0", "⍽"),
        ("a", "a"),
        ("é", "é"),
    ],
)
def test_whitespace_is_visible(char: str, shown: str) -> None:
    assert table.visible(char) == shown


def test_percent() -> None:
    assert [table.percent(p) for p in (1.0, 0.41, 0.095, 0.012, 0.00012, 1e-9)] == [
        "100%",
        "41%",
        "10%",
        "1.2%",
        "0.012%",
        "<0.01%",
    ]


def test_probability_table_has_a_row_per_character(trace: Trace, tiny_model: CharRNN) -> None:
    frame = table.probability_table(trace, tiny_model.vocab.chars, k=4, temperature_label="T=0.8")
    assert len(frame) == len(trace)
    assert list(frame.columns) == [*table.COLUMNS, "#1", "#2", "#3", "#4", "top model", "top T=0.8"]
    assert frame["char"].tolist() == [table.visible(c) for c in trace.chars]
    assert (frame["rank"] >= 1).all() and frame["p"].between(0, 1).all()
    first = frame.iloc[0]
    best = int(np.argmax(trace.probs_raw[0]))
    assert first["#1"].startswith(table.visible(tiny_model.vocab.chars[best]))
    assert "→" in first["#1"] and len(first["top model"]) == 4
    assert first["top model"] == sorted(first["top model"], reverse=True)
    assert (frame["rank"] == 1).sum() == sum(
        f.startswith(table.visible(c)) for f, c in zip(frame["#1"], trace.chars, strict=True)
    )


def test_top_alternatives_and_distribution_frame() -> None:
    probs = np.array([[0.1, 0.5, 0.4], [0.7, 0.2, 0.1]])
    assert table.top_alternatives(probs, 2).tolist() == [[1, 2], [0, 1]]
    frame = table.distribution_frame(["a", " ", "c"], {"raw": probs[0], "hot": probs[1]}, chosen=0, limit=1)
    assert frame["char"].tolist() == ["␣", "␣", "a", "a"] and frame["chosen"].tolist() == [False, False, True, True]
