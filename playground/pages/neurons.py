"""The "Neurons" tab: a text coloured by one hidden unit's activation (Karpathy's quote and
line-length cells), and units ranked by how well they follow simple features of the text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from charrnn import CharRNN, sample
from charrnn.neurons import FEATURES, NeuronScore, activations, correlations, rank_neurons, text_features
from playground import html
from playground.context import PageContext
from playground.session.catalog import ModelInfo
from playground.table import visible

TEXT_MAX = 3_000
SAMPLE_LENGTH = 1_500
SAMPLE_SEED = 1
TOP = 5
SOURCES = ("a sample of the model", "my own text")

NAME = "neurons"
LABEL = "🔦 Neurons"
KEPT: dict[str, object] = dict.fromkeys(
    ("neuron_source", "neuron_text", "neuron_layer", "neuron_unit", "neuron_state", "neuron_pick")
)
NEEDS_MODEL = True
STATE_LABELS = {"h": "hidden state h", "c": "cell state c (LSTM)"}


@st.cache_data(show_spinner=False, max_entries=16)
def model_sample(model_key: str, _model: CharRNN, prime: str) -> str:
    """The text shown by default: the model's own writing, the same every time."""
    return prime + sample(_model, prime, SAMPLE_LENGTH, temperature=0.8, seed=SAMPLE_SEED, unknown="skip")


@st.cache_data(show_spinner=False, max_entries=16)
def unit_activations(model_key: str, _model: CharRNN, text: str, state: str) -> np.ndarray:
    """(layers, T, H) activations after each character of ``text``, cached per (model, text, state)."""
    return activations(_model, _model.vocab.encode(text).ids, state)


def show_unit(layer: int, unit: int) -> None:
    st.session_state.neuron_layer, st.session_state.neuron_unit = layer + 1, unit


def read_text(info: ModelInfo, model: CharRNN, model_key: str) -> str:
    """The text to read: the model's sample, or the user's (characters the model lacks dropped)."""
    ss = st.session_state
    source = st.segmented_control("Text", SOURCES, key="neuron_source") or SOURCES[0]
    if source == SOURCES[0]:
        return model_sample(model_key, model, info.default_prime)
    st.text_area("Your text", key="neuron_text", height=140, placeholder='He said "hello" (twice).')
    given = (ss.get("neuron_text") or "")[:TEXT_MAX]
    unknown = model.vocab.unknown_chars(given)
    if unknown:
        st.warning(f"Dropped characters the model has never seen: {', '.join(visible(c) for c in unknown[:12])}")
    if len(ss.get("neuron_text") or "") > TEXT_MAX:
        st.info(f"The first {TEXT_MAX:,} characters are read.", icon="✂️")
    return "".join(c for c in given if c in model.vocab)


def ranking_frame(ranked: dict[str, list[NeuronScore]]) -> pd.DataFrame:
    rows = [
        {"feature": s.feature, "layer": s.layer + 1, "unit": s.unit, "correlation r": round(s.correlation, 3)}
        for scores in ranked.values()
        for s in scores
    ]
    return pd.DataFrame(rows, columns=["feature", "layer", "unit", "correlation r"])


def find_neurons(acts: np.ndarray, text: str) -> None:
    ranked = rank_neurons(acts, text_features(text), TOP)
    absent = [name for name, scores in ranked.items() if not scores]
    st.dataframe(ranking_frame(ranked), hide_index=True)
    if absent:
        st.caption("Not in this text (nothing to correlate with): " + ", ".join(absent) + ".")
    found = [s for scores in ranked.values() for s in scores[:2]]
    if not found:
        return
    picks = {f"{s.feature}: layer {s.layer + 1}, unit {s.unit} (r = {s.correlation:+.2f})": s for s in found}
    if st.session_state.get("neuron_pick") not in picks:  # kept from another text or model
        st.session_state.neuron_pick = next(iter(picks))
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    chosen = picks[c1.selectbox("A unit found", list(picks), key="neuron_pick")]
    c2.button("Colour the text by it", on_click=show_unit, args=(chosen.layer, chosen.unit), width="stretch")


def render(ctx: PageContext) -> None:
    info, model = ctx.info, ctx.model
    ss = st.session_state
    st.markdown(
        "#### What single neurons do\n"
        "Each hidden unit holds one number after every character. Most look like noise; a few track "
        "something you can name (inside a quote, how far along the line). Pick a unit, or let the page "
        "rank the units by their correlation with simple features of the text."
    )
    ss.setdefault("neuron_source", SOURCES[0])
    model_key = f"{info.key}:{id(model)}"  # the app caches each loaded model: one id per weights
    text = read_text(info, model, model_key)
    if len(text) < 2:
        st.info("Give a text of at least two characters the model knows.")
        return
    states = ("h", "c") if model.cell == "lstm" else ("h",)
    ss.neuron_layer = min(max(int(ss.get("neuron_layer", 1)), 1), model.layers)
    ss.neuron_unit = min(max(int(ss.get("neuron_unit", 0)), 0), model.hidden - 1)
    if ss.get("neuron_state") not in states:
        ss.neuron_state = "h"
    c1, c2, c3 = st.columns(3)
    c1.number_input("Layer", 1, model.layers, step=1, key="neuron_layer")
    c2.number_input(f"Unit (0–{model.hidden - 1})", 0, model.hidden - 1, step=1, key="neuron_unit")
    c3.selectbox("State", states, key="neuron_state", format_func=STATE_LABELS.get)
    with st.spinner("Reading the text…"):
        acts = unit_activations(model_key, model, text, ss.neuron_state)  # (L, T, H)
    values = acts[ss.neuron_layer - 1, :, ss.neuron_unit]  # (T,)
    scale = 1.0 if ss.neuron_state == "h" else max(float(np.abs(values).max()), 1e-6)  # tanh: h is in [-1, 1]
    colours = [html.prob_colour((v / scale + 1) / 2) for v in values]
    titles = [f"#{i}  {visible(c)}  {v:+.3f}" for i, (c, v) in enumerate(zip(text, values, strict=True))]
    st.html(html.legend(f"{-scale:+.2f}", f"{scale:+.2f}") + html.coloured_text(list(text), colours, titles))
    features = text_features(text)
    cols = st.columns(len(FEATURES))
    for col, (name, feature) in zip(cols, features.items(), strict=True):
        value = float(correlations(values[:, None], feature)[0])
        col.metric(name, f"r = {value:+.2f}", help="Correlation of this unit with the feature over the text")
    st.caption(f"{len(text):,} characters; hover a character for the unit's value after reading it.")
    with st.expander("🔎 Find neurons", expanded=False):
        find_neurons(acts, text)
