"""The Generate tab's decoding choice and its beam search view.

Decoding is ``sample`` (the sampler), ``greedy`` (the sampler, always the favourite: the greedy
setting) or ``beam`` (``charrnn.beam.beam_search`` with a width of 2-64). A beam's best
continuation becomes the page's sample as forced steps, so the coloured text, the probability
table and the inspector show it like any sample; above them this view lists the best
continuations with their bits and shows, side by side, where they part from the best one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from charrnn import CharRNN, SamplingSettings, Step
from charrnn.beam import MAX_LENGTH, Beam, beam_search
from playground import table
from playground.pages.generate import generation
from playground.session.params import Settings
from playground.trace import Sample

SHOWN = 8  # continuations listed and set side by side
CONTEXT = 24  # shared characters shown before the point where the beams part
AFTER = 48  # characters of each beam shown after it
CHOICE_LABELS = {"sample": "🎲 sample", "greedy": "🎯 greedy", "beam": "🔦 beam"}
ss = st.session_state


@dataclass(frozen=True)
class BeamRun:
    """The beams behind one sample (``uid``), best first."""

    uid: int
    width: int
    beams: list[Beam]
    clamped: bool  # the length asked for was above the search's limit


def sync_with_greedy() -> None:
    """The Greedy toggle and the decoding choice say the same thing: a link's greedy shows as the
    greedy choice (unless it asks for beam), a flip of the toggle moves the choice (to greedy, or
    from greedy back to sample), and the choice sets the toggle (``chose``)."""
    seen = ss.get("_greedy_seen")
    if seen is None and ss.greedy and ss.decoding == "sample":
        ss.decoding = "greedy"
    elif seen is not None and seen != ss.greedy and (ss.greedy or ss.decoding == "greedy"):
        ss.decoding = "greedy" if ss.greedy else "sample"
    ss._greedy_seen = ss.greedy


def chose() -> None:
    ss.greedy = ss.decoding == "greedy"
    ss._greedy_seen = ss.greedy


def settings_row(draw: Callable[..., None]) -> None:
    """The decoding choice and, for beam, its width: a row of the settings panel, each widget
    drawn by the page's ``draw(field, **extra)`` from the settings table."""
    sync_with_greedy()
    c1, c2 = st.columns(2, vertical_alignment="bottom")
    with c1:
        draw("decoding", on_change=chose, format_func=CHOICE_LABELS.get)
    with c2:
        if ss.decoding == "beam":
            draw("beam_width")


def stream(model: CharRNN, prime: generation.Prime, s: Settings, uid: int) -> Iterator[Step]:
    """The steps of sample ``uid``: the sampler's (sample, greedy), or the best beam after
    ``prime + keep`` (``keep`` first, as forced characters), each with the model's distribution
    there (temperature 1); the beams are kept for ``render``."""
    if s.decoding != "beam":
        yield from generation.stream(model, prime, s.length, s.sampling_for(len(model.vocab)), s.seed, s.keep)
        return
    wanted = s.length - len(s.keep)
    length = min(wanted, MAX_LENGTH)
    beams = beam_search(model, prime.text + s.keep, length, s.beam_width) if length > 0 else []
    ss.beam_run = BeamRun(uid, s.beam_width, beams, wanted > MAX_LENGTH)
    best = beams[0].text if beams else ""
    yield from generation.forced_steps(model, prime.ids, s.keep + best, SamplingSettings())


def render(sample: Sample) -> None:
    """The best continuations and where they part, for a sample that beam search wrote."""
    run: BeamRun | None = ss.get("beam_run")
    if run is None or run.uid != sample.uid or not run.beams:
        return
    keep = sample.settings.keep
    st.subheader(
        f"Beam search: the {min(SHOWN, len(run.beams))} most probable continuations",
        help="A beam of width W keeps the W most probable partial texts at every character. The best one is "
        "the sample above; the table and inspector below show it.",
    )
    if run.clamped:
        st.info(f"Beam search writes at most {MAX_LENGTH:,} characters: the beams stop there.", icon="✂️")
    if keep:
        st.caption(f"After the {len(keep):,} character(s) you kept by branching.")
    st.dataframe(beams_frame(run.beams[:SHOWN], len(keep)), hide_index=True, column_config=_BEAM_COLUMNS)
    st.markdown("**Where the beams part**: each beam beside the best one, from just before the first difference.")
    st.dataframe(side_by_side(run.beams[:SHOWN], len(keep)), hide_index=True, column_config=_SIDE_COLUMNS)


def parting(best: str, other: str) -> int:
    """Where ``other`` first differs from ``best`` (its length when it never does)."""
    return next((i for i, (a, b) in enumerate(zip(best, other, strict=False)) if a != b), min(len(best), len(other)))


def shown(text: str) -> str:
    return "".join(table.visible(c) for c in text)


def beams_frame(beams: list[Beam], offset: int = 0) -> pd.DataFrame:
    """One row per beam: rank, total bits, bits/char, the position of the sample (``offset``: the
    characters before the beams) where it parts from the best, and its text."""
    best = beams[0].text
    return pd.DataFrame(
        {
            "#": range(1, len(beams) + 1),
            "bits": [round(b.bits, 1) for b in beams],
            "bits/char": [round(b.bits_per_char, 3) for b in beams],
            "parts at": [None] + [offset + parting(best, b.text) for b in beams[1:]],
            "text": [shown(b.text[:200]) for b in beams],
        }
    )


def side_by_side(beams: list[Beam], offset: int = 0) -> pd.DataFrame:
    """The beams aligned at the first point where any parts from the best (a position of the
    sample, ``offset`` characters before the beams): the shared context before it, then each
    one's own next characters."""
    best = beams[0].text
    start = min((parting(best, b.text) for b in beams[1:]), default=len(best))
    before = max(0, start - CONTEXT)
    return pd.DataFrame(
        {
            "#": range(1, len(beams) + 1),
            "before": [("…" if before else "") + shown(b.text[before:start]) for b in beams],
            f"from position {offset + start}": [shown(b.text[start : start + AFTER]) for b in beams],
        }
    )


_BEAM_COLUMNS = {
    "#": st.column_config.NumberColumn("#", width="small"),
    "bits": st.column_config.NumberColumn("bits", help="-log2 p(continuation | prime): total surprise", format="%.1f"),
    "bits/char": st.column_config.NumberColumn("bits/char", help="Total bits / characters", format="%.3f"),
    "parts at": st.column_config.NumberColumn("parts at", help="The first position where it differs from #1"),
    "text": st.column_config.TextColumn("continuation", width="large"),
}
_SIDE_COLUMNS = {"#": st.column_config.NumberColumn("#", width="small")}
