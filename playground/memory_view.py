"""What the Memory tab and the How-it-works section draw: a history coloured by influence (log
scale), memory curves and the hand RNN's Jacobian norms as Vega-Lite specs. Every number comes
from ``charrnn.memory`` / ``charrnn.lesson``; nothing here computes a gradient."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import streamlit as st

from charrnn import lesson
from charrnn.memory import Influence
from playground.charts import Spec
from playground.html import coloured_text
from playground.table import percent, visible

LOG_FLOOR = 1e-4  # the palest colour: 0.01% of the last character's influence or less
UNREAD = "#f3f4f6"  # characters before the differentiated window (they only carried the state in)
SHOWN_MIN = 1e-12  # curve points below this are left off the log axis (float32 reaches 0)


def influence_colour(relative: float) -> str:
    """Pale (LOG_FLOOR or less of g_1) to deep blue (g_1 or more), linear in log10."""
    level = 0.0 if not relative > 0 else float(np.clip(1 - np.log10(relative) / np.log10(LOG_FLOOR), 0.0, 1.0))
    return f"hsl(215, {40 + 45 * level:.0f}%, {97 - 42 * level:.0f}%)"


def history_html(text: str, found: Influence, shown: int) -> str:
    """The ``shown`` characters before ``found.position`` coloured by influence (those before the
    differentiated window grey), then the predicted character outlined."""
    begin = max(0, found.position - shown)
    chars = list(text[begin : found.position + 1])
    colours, titles = [], []
    for i in range(begin, found.position):
        k = found.position - i
        if k <= len(found.norms):
            relative = found.relative[k - 1]
            colours.append(influence_colour(relative))
            titles.append(f"{visible(text[i])}  k = {k} back: {relative:.2g} of the last character's influence")
        else:
            colours.append(UNREAD)
            titles.append(f"{visible(text[i])}  k = {k}: before the window, only carried the state")
    colours.append("#fde68a")
    titles.append(f"position {found.position}: the character predicted")
    return coloured_text(chars, colours, titles, selected=len(chars) - 1)


def influence_legend() -> str:
    """A strip from LOG_FLOOR to 1, as ``html.legend`` draws the probability colours."""
    stops = ", ".join(influence_colour(10.0**e) for e in np.linspace(np.log10(LOG_FLOOR), 0, 6))
    return (
        '<div style="display:flex; align-items:center; gap:0.5rem; font-size:0.8rem; color:#6b7280;">'
        f"<span>{LOG_FLOOR:.2%} or less of the last character's influence</span>"
        f'<span style="display:inline-block; width:10rem; height:0.7rem; border-radius:0.35rem; '
        f'background: linear-gradient(to right, {stops});"></span><span>as much (log scale)</span></div>'
    )


def prediction_summary(found: Influence, vocab: Sequence[str]) -> tuple[str, str]:
    """(the model's favourite and its probability, the true character and its probability)."""
    best = int(np.argmax(found.probs))
    favourite = f"{visible(vocab[best])} ({percent(found.probs[best])})"
    return favourite, f"{visible(vocab[found.target])} ({percent(found.probs[found.target])})"


def log_line_spec(series: Mapping[str, np.ndarray], x: str, y: str, title: str, first_x: int = 1) -> Spec:
    """Lines of ``series`` (name -> values at x = first_x, first_x + 1, ...) on a log y axis;
    values under SHOWN_MIN (zeros included) are left off."""
    rows = [
        {x: first_x + i, y: float(v), "model": name}
        for name, values in series.items()
        for i, v in enumerate(values)
        if v >= SHOWN_MIN
    ]
    return {
        "title": title,
        "height": 320,
        "data": {"values": rows},
        "mark": {"type": "line", "tooltip": True},
        "encoding": {
            "x": {"field": x, "type": "quantitative", "title": x, "axis": {"tickMinStep": 1}},  # whole k
            "y": {"field": y, "type": "quantitative", "title": y, "scale": {"type": "log"}, "axis": {"format": ".0e"}},
            "color": {"field": "model", "type": "nominal", "sort": list(series), "legend": {"orient": "top"}},
            "tooltip": [
                {"field": "model", "type": "nominal"},
                {"field": x, "type": "quantitative"},
                {"field": y, "type": "quantitative", "format": ".3g"},
            ],
        },
    }


def curves_sentence(distances: Mapping[str, int | None], limit: int) -> str:
    """One sentence on what the curves show, from each model's 1% distance."""
    known = {name: k for name, k in distances.items() if k is not None}
    beyond = [name for name, k in distances.items() if k is None]
    parts = [f"**{name}** at k = {k}" for name, k in sorted(known.items(), key=lambda item: item[1])]
    parts += [f"**{name}** not within k = {limit}" for name in beyond]
    return (
        "Each curve is the influence of the character k steps back relative to the one just before, averaged "
        "over positions of this text: a straight falling line on this log axis is the vanishing gradient, "
        "geometric decay. It falls under 1% for " + ", ".join(parts) + "."
    )


def jacobian_section(result: lesson.Lesson, weights: lesson.Weights) -> None:
    """How it works, below BPTT: the norm of dh_T/dh_{T-k} for the word being edited, against k."""
    st.markdown(
        "#### How far back the gradient reaches\n"
        "Going one step back, backpropagation multiplies the gradient by W_Hᵀ diag(1 − h²) (the dh line above). "
        "k steps back it has been multiplied by k of them: their product shrinks geometrically when W_H is small "
        "or the tanh saturates, 1 − h² near 0 (the vanishing gradient); it can grow only while W_H's largest "
        "singular value is over 1 and h stays small (exploding). Edit W_H and W_X and watch the line tilt. "
        "The Memory tab measures the same fading on the real models."
    )
    st.latex(
        r"\frac{\partial h_T}{\partial h_{T-k}} = \prod_{t=T-k+1}^{T} \mathrm{diag}(1 - h_t^2)\, W_H"
        r"\qquad \text{norm: its largest singular value}"
    )
    norms = lesson.jacobian_norms(result, weights)  # (T + 1,), k = 0 first
    title = f"‖∂h_T/∂h_(T−k)‖ over the {len(result.steps)} steps of the word"
    st.vega_lite_chart(log_line_spec({"course RNN": norms}, "k", "norm", title, first_x=0), width="stretch")
    sigma = float(np.linalg.norm(weights.W_H, 2))
    st.caption(
        f"W_H's largest singular value is {sigma:.2f}; since tanh' ≤ 1, the norm k steps back is at most "
        f"{sigma:.2f}^k. Here k = {len(norms) - 1} steps back keep {norms[-1]:.2g} of the gradient."
    )
