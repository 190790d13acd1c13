"""``playground.html``: the coloured text, escaped."""

from __future__ import annotations

import numpy as np

from playground import html
from playground.trace import Trace


def test_coloured_html_escapes_and_marks(trace: Trace) -> None:
    out = html.probability_html(
        ("<", "&", "\n", " "),
        np.array([1.0, 0.0, 0.5, 0.2]),
        np.ones(4),
        np.ones(4),
        prefix="<script>",
        selected=1,
        kept=1,
        sample_id=7,
    )
    assert 'data-sample="7"' in out and "data-sample" not in html.probability_html(("a",), *[np.ones(1)] * 3)
    assert "<script>" not in out and "&lt;script&gt;" in out and "&amp;" in out and "⏎" in out
    assert "hsl(120" in out and "hsl(0" in out and "outline" in out and "underline" in out
    assert out.count('title="#') == 4
    marked = html.marked_prime("Tö", {"ö"}, "replace", " ")
    assert "<mark" in marked and "→␣" in marked
    assert "line-through" in html.marked_prime("Tö", {"ö"}, "skip", " ")
    assert html.surprise_colour(float("nan")) == "#e5e7eb" and html.surprise_colour(0.0) == html.prob_colour(1.0)
