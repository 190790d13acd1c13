"""The Generate tab's inspector: one position of a sample, its whole distribution, how temperature
reshapes it, and a branch from it with another character (the model then goes on, or stops)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from charrnn import CharRNN
from playground import charts, table
from playground.pages.generate import futures, generation
from playground.session import params
from playground.trace import Sample

BRANCH_BUTTONS = (  # label, whether the model goes on after the new character, type, help
    (
        "↪ Branch and continue",
        True,
        "primary",
        "Keep the text before this position, put this character here, and let the model go on.",
    ),
    (
        "✎ Take it and stop",
        False,
        "secondary",
        "Keep the text up to this character and stop: build a text character by character.",
    ),
)
BRANCH_EXTEND = 200
TEMPERATURE_GRID = np.geomspace(0.05, params.TEMPERATURE_MAX, 48)
ss = st.session_state


def branch(pos: int, continue_after: bool) -> None:
    """Keep the text before ``pos``, put the chosen alternative there, and (maybe) continue."""
    sample: Sample = ss.sample
    keep = sample.trace.text[:pos] + sample.vocab[ss.branch_char]
    if len(keep) > params.LENGTH_MAX:
        ss.flash = f"The text is at its longest ({params.LENGTH_MAX:,} characters): it cannot grow further."
        return
    ss.keep = keep
    if continue_after:
        ss.length = ss.length if ss.length > len(keep) else min(params.LENGTH_MAX, len(keep) + BRANCH_EXTEND)
        ss.pos = pos
    else:
        ss.length = len(keep)
        ss.pos = len(keep)  # the next character: build a text one character at a time
    ss.pending = True


def render(model: CharRNN, sample: Sample) -> None:
    """Below a sample: one position's distributions, and a branch from it."""
    n = len(sample.trace)
    st.subheader(
        "Inspect a position and branch",
        help="Its whole distribution, how temperature reshapes it, and what if another character had been drawn.",
    )
    ss.pos = min(max(int(ss.get("pos", 0)), 0), n)
    left, right = st.columns([2, 3], gap="large")
    with left:
        pos = st.number_input(
            "Position",
            0,
            n,
            step=1,
            key="pos",
            help=f"0–{n - 1}: a generated character; {n}: the character that would come next.",
        )
        dists, chosen = position_distributions(model, sample, pos)
        branch_controls(sample, pos, dists, chosen)
        futures.controls(pos)
        preview = st.slider(
            "What if the temperature were…",
            0.05,
            params.TEMPERATURE_MAX,
            step=0.05,
            key="preview_t",
            help="Drag it and watch the distribution on the right sharpen (low) or flatten (high).",
        )
        st.toggle(f"Chart all {len(sample.vocab)} characters", key="dist_all")
    with right:
        distribution_charts(sample, dists, chosen, preview)


def position_distributions(model: CharRNN, sample: Sample, pos: int) -> tuple[generation.Distributions, int | None]:
    """(raw, tempered, final) at ``pos`` and the character drawn there (None past the end: the
    distribution of the character that would come next), said in one line."""
    trace = sample.trace
    if pos < len(trace):
        st.markdown(
            f"Position **{pos}**: the model drew **`{table.visible(trace.chars[pos])}`** with p = "
            f"{table.percent(float(trace.prob[pos]))} (model: {table.percent(float(trace.prob_raw[pos]))}, "
            f"rank {int(trace.rank[pos])} of {len(sample.vocab)}); entropy {trace.entropy_bits[pos]:.2f} bits."
        )
        return (trace.probs_raw[pos], trace.probs_tempered[pos], trace.probs[pos]), int(trace.char_ids[pos])
    if sample.next_dist is None:
        sampling = sample.settings.sampling_for(len(sample.vocab))
        sample.next_dist = generation.next_distribution(model, sample.prime_ids, trace.text, sampling)
    st.markdown(f"Position **{pos}**: what the model expects **next**, after the whole text.")
    return sample.next_dist, None


def branch_controls(sample: Sample, pos: int, dists: generation.Distributions, chosen: int | None) -> None:
    """Pick another character for ``pos`` (the model's favourites first) and branch with it."""
    raw, tempered_probs, _ = dists
    order = [int(i) for i in np.argsort(-raw, kind="stable")]
    if ss.get("_branch_pos") != (sample.uid, pos):
        ss._branch_pos = (sample.uid, pos)
        ss.branch_char = next((i for i in order if i != chosen), order[0])
    t_label = sample.settings.sampling.label
    st.selectbox(
        "Another character here",
        order,
        key="branch_char",
        format_func=lambda i: (
            f"{table.visible(sample.vocab[i])}   {table.percent(float(raw[i]))} model · "
            f"{table.percent(float(tempered_probs[i]))} {t_label}"
        ),
        help="Listed from the model's favourite down.",
    )
    for column, (text, go_on, kind, help_text) in zip(st.columns(2), BRANCH_BUTTONS, strict=True):
        column.button(text, on_click=branch, args=(pos, go_on), type=kind, width="stretch", help=help_text)


def distribution_charts(sample: Sample, dists: generation.Distributions, chosen: int | None, preview: float) -> None:
    """The position's distribution (model, tempered, drawn from, previewed) and temperature curves."""
    s, (raw, tempered_probs, final) = sample.settings, dists
    sampling = s.sampling_for(len(sample.vocab))
    greedy, temperature = sampling.greedy, sampling.temperature
    series = {"model (T=1)": raw}
    if not (greedy or temperature == 1):
        series[f"T={temperature:g}"] = tempered_probs
    if sampling.top_k or sampling.top_p or greedy:
        series["drawn from (top-k/top-p)" if not greedy else "greedy"] = final
    series[f"what if T={preview:g}"] = charts.tempered(raw, preview)
    limit = None if ss.get("dist_all") else 24
    frame = table.distribution_frame(sample.vocab, series, chosen, limit=limit)
    title = (
        f"Its distribution over all {len(sample.vocab)} characters"
        if limit is None
        else ("Its distribution (the 24 likeliest characters)")
    )
    st.vega_lite_chart(charts.distribution_spec(frame, list(series), title), width="stretch")
    marks = {f"what if {preview:g}": preview}
    if not greedy:
        marks[f"used {temperature:g}"] = temperature
    curves = charts.temperature_frame(sample.vocab, raw, TEMPERATURE_GRID)
    title = "How temperature reshapes it (the 6 likeliest characters)"
    st.vega_lite_chart(charts.temperature_spec(curves, marks, title), width="stretch")
