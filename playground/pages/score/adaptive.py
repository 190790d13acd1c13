"""Score tab, "adapt while reading": the text read again by a model that learns as it reads
(``charrnn.adaptive``), beside the static reading above it: the surprise of every character with
and without adaptation, and the running bits/char of both along the text, so that a reader sees
the model pick up the names and phrases of the text in front of it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from charrnn import CharRNN
from charrnn.adaptive import AdaptiveSettings
from charrnn.metrics import bits_per_char
from playground import adapting, html
from playground.pages.score.scoring import Score

KEPT: dict[str, object] = {"score_adapt": False}
SLOT = "score_adaptive_reading"
HELP = (
    "Read the text again while the model learns from it (dynamic evaluation): every segment is "
    "scored first, then the model takes a gradient step on it, pulled back towards its trained "
    "weights. The trained weights are never changed; the adapted copy lives in this session only."
)


def running_bits(nats: np.ndarray) -> np.ndarray:
    """Mean bits/char of the text up to and including each character: (N,)."""
    return bits_per_char(np.cumsum(nats) / np.arange(1, len(nats) + 1))


def render(model: CharRNN, style: str, result: Score) -> None:
    """The toggle, and once on: the adaptive reading (with progress and Stop) and its comparison."""
    if not st.toggle("🧪 Adapt while reading", key="score_adapt", help=HELP):
        st.session_state.pop(SLOT, None)  # the adapted copy of the weights goes with it
        return
    settings = adapting.app_settings(model)
    text = "".join(result.chars)
    ids = model.vocab.encode(text).ids
    reading = adapting.reading(SLOT, (style, text, settings), model, ids, settings)
    adapting.read_with_progress(SLOT, reading, "Reading and learning…")
    show(reading, result, settings)


def show(reading: adapting.Reading, result: Score, settings: AdaptiveSettings) -> None:
    """Both figures over the characters read so far, their running bits/char, the adaptive colours."""
    adaptive = reading.surprisal  # (n,): the characters read so far
    n = len(adaptive)
    if n == 0:
        return
    static = result.nats[:n]
    st.caption(f"Adaptive reading, {settings.label}: {reading.summary}.")
    m1, m2, m3 = st.columns(3)
    m1.metric("static bits/char", f"{bits_per_char(static.mean()):.3f}", help="Frozen weights, as above.")
    m2.metric(
        "adaptive bits/char",
        f"{bits_per_char(adaptive.mean()):.3f}",
        delta=f"{bits_per_char(adaptive.mean() - static.mean()):+.3f} vs static",
        delta_color="inverse",
        help="The model learning as it reads: each character scored before it learns from it.",
    )
    m3.metric("characters compared", f"{n:,}")
    frame = pd.DataFrame({"static": running_bits(static), "adaptive": running_bits(adaptive)})
    st.markdown("**Running bits/char along the text** (static and adaptive)")
    st.line_chart(frame, x_label="character", y_label="bits/char so far", height=240)
    st.markdown("**The text read adaptively**, coloured by surprise")
    st.html(
        html.legend("surprising (8+ bits)", "expected (0 bits)")
        + html.surprise_html(result.chars[:n], bits_per_char(adaptive))
    )
