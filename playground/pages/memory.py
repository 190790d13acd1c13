"""The "Memory" tab: which earlier characters a prediction depends on, and how fast that fades.

For a text (the last generated sample, or the user's) and a position, the characters before it
coloured by their influence on the prediction there (``charrnn.memory.influence``: the gradient of
log p with respect to each character's embedding), and the memory curves of the selected style and
the architecture-comparison models on the same text, on a log axis: the vanishing gradient.
"""

from __future__ import annotations

import streamlit as st

from charrnn import CharRNN
from charrnn.memory import Influence, MemoryCurve, influence, memory_curve
from playground import memory_view
from playground.context import PageContext
from playground.pages.neurons import model_sample
from playground.session.catalog import ModelInfo
from playground.table import visible

NAME = "memory"
LABEL = "🧠 Memory"
KEPT: dict[str, object] = dict.fromkeys(("memory_source", "memory_text", "memory_position"))
NEEDS_MODEL = True

SOURCES = ("the last generated sample", "my own text")
COMPARISON = ("shakespeare-rnn", "shakespeare-gru", "shakespeare-lstm", "shakespeare")
TEXT_MAX = 5_000  # characters read: the view is interactive, a longer text is cut
SHOWN = 400  # characters of history drawn before the position
CURVE = {"positions": 20, "max_distance": 100, "context": 50}  # on a sample of a few hundred characters


@st.cache_data(show_spinner=False, max_entries=64)
def cached_influence(model_key: str, _model: CharRNN, text: str, position: int) -> Influence:
    return influence(_model, _model.vocab.encode(text).ids, position)


@st.cache_data(show_spinner=False, max_entries=64)
def cached_curve(model_key: str, _model: CharRNN, text: str) -> MemoryCurve | str:
    """The model's memory curve on ``text`` (its known characters), or why there is none."""
    ids = _model.vocab.encode(text, policy="skip").ids
    try:
        return memory_curve(_model, ids, **CURVE)
    except ValueError as e:
        return str(e)


def sample_text(info: ModelInfo, model: CharRNN, model_key: str) -> tuple[str, str]:
    """(the text, where it comes from): the Generate tab's last sample, else the model's own."""
    last = st.session_state.get("sample")
    if last is not None and last.trace is not None and len(last.prime_text + last.trace.text) > 1:
        return last.prime_text + last.trace.text, "the last sample generated in this session"
    return model_sample(model_key, model, info.default_prime), "no sample generated yet: the model's own, seed 1"


def read_text(info: ModelInfo, model: CharRNN, model_key: str) -> str:
    """The text to read, cut to TEXT_MAX, without the characters the model has never seen."""
    ss = st.session_state
    source = st.segmented_control("Text", SOURCES, key="memory_source") or SOURCES[0]
    if source == SOURCES[0]:
        text, origin = sample_text(info, model, model_key)
        st.caption(f"Reading {origin}.")
    else:
        st.text_area("Your text", key="memory_text", height=140, placeholder="To be, or not to be, that is the")
        text = ss.get("memory_text") or ""
    unknown = model.vocab.unknown_chars(text)
    if unknown:
        st.warning(f"Dropped characters the model has never seen: {', '.join(visible(c) for c in unknown[:12])}")
    if len(text) > TEXT_MAX:
        st.info(f"The last {TEXT_MAX:,} characters are read.", icon="✂️")
    return "".join(c for c in text if c in model.vocab)[-TEXT_MAX:]


def show_position(model: CharRNN, model_key: str, text: str) -> None:
    ss = st.session_state
    last = len(text) - 1
    if not isinstance(ss.get("memory_position"), int) or not 1 <= ss.memory_position <= last:
        ss.memory_position = last
    st.number_input(
        f"Position (1–{last})", 1, last, step=1, key="memory_position",
        help="The character whose prediction is explained; the ones before it are coloured.",
    )  # fmt: skip
    with st.spinner("Differentiating the prediction…"):
        found = cached_influence(model_key, model, text, int(ss.memory_position))
    favourite, actual = memory_view.prediction_summary(found, model.vocab.chars)
    distance = found.distance(0.01)
    c1, c2, c3 = st.columns(3)
    c1.metric("The model predicts", favourite)
    c2.metric("The text has", actual)
    c3.metric(
        "Influence under 1% at",
        f"k = {distance}" if distance else f"beyond {len(found.norms)}",
        help="The first distance back where a character's influence is under 1% of the last character's.",
    )
    st.html(memory_view.influence_legend() + memory_view.history_html(text, found, SHOWN))


def comparison_infos(ctx: PageContext) -> list[ModelInfo]:
    """The selected style, then the comparison models this session has (each once)."""
    by_key = {info.key: info for info in ctx.infos if info.error is None}
    keys = [ctx.info.key] + [k for k in COMPARISON if k != ctx.info.key and k in by_key]
    return [ctx.info if k == ctx.info.key else by_key[k] for k in keys]


def show_curves(ctx: PageContext, text: str) -> None:
    st.markdown("#### Memory curves on this text")
    curves, distances, notes = {}, {}, []
    for info in comparison_infos(ctx):
        model = ctx.model if info.key == ctx.info.key else ctx.load_model(info)
        if isinstance(model, str):
            notes.append(f"{info.key}: {model}")
            continue
        with st.spinner(f"Measuring {info.key}'s memory…"):
            found = cached_curve(f"{info.key}:{id(model)}", model, text)
        if isinstance(found, str):
            notes.append(f"{info.key}: {found}")
            continue
        curves[info.key], distances[info.key] = found.curve, found.distance(0.01)
    if curves:
        title = f"influence k characters back, relative to k = 1 ({CURVE['positions']} positions)"
        st.vega_lite_chart(memory_view.log_line_spec(curves, "k", "relative influence", title), width="stretch")
        st.markdown(memory_view.curves_sentence(distances, CURVE["max_distance"]))
        st.caption(
            f"Each model reads the characters of this text it knows (others are dropped for it): "
            f"{CURVE['positions']} positions, each after {CURVE['context']} characters read without gradients."
        )
    for note in notes:
        st.caption(note)


def render(ctx: PageContext) -> None:
    info, model = ctx.info, ctx.model
    st.markdown(
        "#### How far back does it look?\n"
        "The influence of each earlier character on one prediction: how much log p of the character at "
        "the position changes with that character's embedding (the norm of the gradient, exact, by autograd). "
        "A vanilla RNN multiplies this gradient by W_hh and the tanh slope at every step back, so it fades "
        "geometrically: the vanishing gradient. Gates let a GRU or an LSTM keep it longer."
    )
    model_key = f"{info.key}:{id(model)}"  # the app caches each loaded model: one id per weights
    text = read_text(info, model, model_key)
    if len(text) < 2:
        st.info("Give a text of at least two characters the model knows: one to read, one to predict.")
        return
    show_position(model, model_key, text)
    show_curves(ctx, text)
