"""The Generate tab's "Show N futures": from one position of a sample (0: the end of the prime),
N samples of M characters with the current settings and the seeds seed, seed + 1, ..., listed
with their bits/char under the model: how open or settled the model is there. The count, length
and position are settings, so a link reproduces them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import streamlit as st

from charrnn import CharRNN
from charrnn.beam import Future, futures
from playground import table
from playground.session import params
from playground.trace import Sample

ss = st.session_state


def from_here(pos: int) -> None:
    ss.futures_at = pos
    ss.futures = ss.futures or params.FUTURES_DEFAULT


def controls(pos: int) -> None:
    """In the inspector: ask for futures from the inspected position."""
    st.button(
        f"🔮 Show futures from position {pos}",
        on_click=from_here,
        args=(pos,),
        width="stretch",
        help="Samples that start here (position 0: right after the prime) with the current settings, "
        "each with its bits/char under the model. The futures panel below sets how many and how long.",
    )


def render(model: CharRNN, sample: Sample, draw: Callable[..., None]) -> None:
    """The futures panel below the inspector: its settings (each drawn by the page's
    ``draw(field)`` from the settings table) and, when asked, the futures."""
    st.subheader("Many futures", help="How open is the model at one point? Sample many continuations from there.")
    for column, field in zip(st.columns(3), ("futures", "futures_length", "futures_at"), strict=True):
        with column:
            draw(field)
    st.button(
        "🔮 Show futures from the end of the prime", on_click=from_here, args=(0,),
        help="Samples of what could follow the prime itself, with the current settings.",
    )  # fmt: skip
    if not ss.futures:
        st.caption("Set how many futures, or press 🔮 here or in the inspector, to see them.")
        return
    s, at = sample.settings, min(ss.futures_at, len(sample.trace))
    if at < ss.futures_at:
        st.caption(f"Position {ss.futures_at:,} is past this text's end: the futures start at its end, {at:,}.")
    context = sample.prime_text + sample.trace.text[:at]
    key = (sample.uid, ss.futures, ss.futures_length, at)
    if ss.get("_futures", (None,))[0] != key:
        sampling = s.sampling_for(len(sample.vocab))
        found = futures(model, context, ss.futures, ss.futures_length, sampling, s.seed)
        ss._futures = (key, found)
    found = ss._futures[1]
    where = "the end of the prime" if at == 0 else f"position {at}"
    bits = np.array([f.bits_per_char for f in found])
    st.caption(
        f"{len(found)} futures from {where} ({s.sampling.label}, seeds {found[0].seed}–{found[-1].seed}): "
        f"{bits.min():.2f}–{bits.max():.2f} bits/char under the model (median {np.median(bits):.2f}); "
        f"{distinct_starts(found)} different openings (first 10 characters) among {len(found)}."
    )
    if s.sampling.greedy:
        st.info("Greedy decoding draws nothing at random: every future is the same. Choose sample to see many.")
    st.dataframe(futures_frame(context, found), hide_index=True, column_config=_COLUMNS)


def distinct_starts(found: list[Future], chars: int = 10) -> int:
    return len({f.text[:chars] for f in found})


def futures_frame(context: str, found: list[Future]) -> pd.DataFrame:
    """One row per future: its seed, its bits/char, the last characters before it and its text."""
    lead = "".join(table.visible(c) for c in context[-20:])
    return pd.DataFrame(
        {
            "seed": [f.seed for f in found],
            "bits/char": [round(f.bits_per_char, 3) for f in found],
            "before": [("…" if len(context) > 20 else "") + lead] * len(found),
            "future": ["".join(table.visible(c) for c in f.text) for f in found],
        }
    )


_COLUMNS = {
    "seed": st.column_config.NumberColumn("seed", help="Sample with this seed to get this future again"),
    "bits/char": st.column_config.NumberColumn(
        "bits/char", format="%.3f", help="Its mean surprise under the model (temperature 1, nothing filtered)"
    ),
    "future": st.column_config.TextColumn("future", width="large"),
}
