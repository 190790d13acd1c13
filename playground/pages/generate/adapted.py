"""Generate tab, "adapt to a text first": a style reads a pasted page or a few adaptively
(``charrnn.adaptive``, with a progress bar, a time limit and a Stop), then writes from there,
beside the same prime and seed written without adaptation. The adapted weights live in this
session only; the trained ones are never changed."""

from __future__ import annotations

import streamlit as st

from charrnn import CharRNN, generate
from charrnn.adaptive import AdaptiveSettings
from playground import adapting
from playground.session.params import Settings

KEPT: dict[str, object] = {"adapt_text": ""}
SLOT = "generate_adaptation"
ADAPT_MAX = 10_000  # characters read at most: a few pages
SAMPLE_MAX = 600  # characters each of the two samples writes at most


def start(key: tuple) -> None:
    """The Adapt button's callback: the reading for ``key`` starts (or goes on) in this run."""
    st.session_state[f"{SLOT}_asked"] = key


def render(model: CharRNN, style: str, prime: str, s: Settings) -> None:
    """The expander: the text to adapt to, what is cut from it, the button, the reading and the samples."""
    ss = st.session_state
    with st.expander("🧪 Adapt to a text first", expanded=bool(ss.get("adapt_text"))):
        st.text_area(
            f"Paste up to {ADAPT_MAX:,} characters of writing (a few pages); the style reads them, "
            "learning as it goes, then writes from the prime above.",
            key="adapt_text",
            height=140,
        )
        text = ss.get("adapt_text") or ""
        ids = model.vocab.encode(text[:ADAPT_MAX], policy="skip").ids
        if not ids:
            ss.pop(SLOT, None)  # the adapted copy of the weights goes with the text
            st.caption(
                "Nothing to adapt to yet." if not text.strip() else "No character of it is in this style's vocabulary."
            )
            return
        notes = []
        if len(text) > ADAPT_MAX:
            notes.append(f"the text has {len(text):,} characters: the first {ADAPT_MAX:,} are read")
        if dropped := len(text[:ADAPT_MAX]) - len(ids):
            notes.append(f"{dropped:,} character(s) this style does not know are skipped")
        if notes:
            st.info("; ".join(notes).capitalize() + ".", icon="✂️")
        settings = adapting.app_settings(model)
        key = (style, tuple(ids), settings)
        st.button("🧪 Adapt and write", on_click=start, args=(key,), help=f"Reads with {settings.label}.")
        if ss.get(f"{SLOT}_asked") != key:
            return
        reading = adapting.reading(SLOT, key, model, ids, settings)
        adapting.read_with_progress(SLOT, reading, "Adapting…")
        side_by_side(model, reading, prime, s, settings)


def side_by_side(
    model: CharRNN, reading: adapting.Reading, prime: str, s: Settings, settings: AdaptiveSettings
) -> None:
    """The same prime and seed written from the adapted weights and from the trained ones."""
    length = min(s.length, SAMPLE_MAX)
    sampling = s.sampling_for(len(model.vocab))
    left, right = st.columns(2)
    adapted = "".join(step.char for step in generate(reading.reader.model, prime, length, sampling, s.seed))
    plain = "".join(step.char for step in generate(model, prime, length, sampling, s.seed))
    left.markdown(f"**From adapted weights**: adapted to {reading.summary} ({settings.label})")
    left.code(prime + adapted, language=None, wrap_lines=True)
    right.markdown(f"**Not adapted**: the same prime and seed ({s.seed}), the trained weights")
    right.code(prime + plain, language=None, wrap_lines=True)
