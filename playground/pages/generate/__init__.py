"""The "Generate" tab: the settings, a sample streamed as it is drawn, the text coloured by
probability, the probability table of every character, and the inspector to branch from any
position."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import streamlit as st

from charrnn import CharRNN, UnknownCharactersError
from charrnn.copycheck import MIN_LENGTH_DEFAULT
from playground import copycheck, html, table
from playground.context import PageContext
from playground.pages.generate import adapted, beams, futures, generation, inspector
from playground.session import params
from playground.session.params import Settings
from playground.trace import Sample

STREAM_EVERY_S = 0.04
PRIME_SHOWN = 300
ss = st.session_state

NAME = "generate"
LABEL = "✍️ Generate"
KEPT: dict[str, object] = {
    **{spec.key: spec.default for spec in params.WIDGETS},  # a link's values replace these on its first run
    "alts": 5,
    "pos": None,
    "preview_t": 1.5,
    "branch_char": None,
    "dist_all": False,
    "copy_min": MIN_LENGTH_DEFAULT,
    **adapted.KEPT,
}
NEEDS_MODEL = True
RESET_ON_STYLE = ("pos",)  # the inspected position belongs to the old style's sample


# ---------------------------------------------------------------- callbacks


def request_generate() -> None:
    ss.pending = True


def new_seed() -> None:
    ss.seed = params.random_seed()
    ss.pending = True


def forget_keep() -> None:
    ss.keep = ""


def continue_stopped() -> None:
    ss.keep = ss.sample.trace.text
    ss.pending = True


# ---------------------------------------------------------------- the tab


def percent_column(label: str, help: str):
    return st.column_config.ProgressColumn(label, min_value=0.0, max_value=1.0, format="percent", help=help)


def column_config(vocab_size: int, k: int, temperature_label: str) -> dict:
    cc = st.column_config
    config = {
        "pos": cc.NumberColumn("#", help="Position in the generated text", width="small"),
        "char": cc.TextColumn("char", help="The character drawn (␣ space, ⏎ newline, ⇥ tab)", width="small"),
        "p": percent_column(
            "p drawn", "Its probability in the distribution it was drawn from (after temperature, top-k, top-p)"
        ),
        "p model": percent_column("p model", "Its probability under the model itself (temperature 1)"),
        "rank": cc.NumberColumn("rank", help="1 = the model's favourite", width="small"),
        "entropy": cc.ProgressColumn(
            "entropy",
            min_value=0.0,
            max_value=float(np.log2(max(vocab_size, 2))),
            format="%.2f bits",
            help="Uncertainty of the distribution drawn from",
        ),
        "surprise": cc.NumberColumn("surprise", format="%.2f bits", help="-log2 p model"),
        "top model": cc.BarChartColumn("top-k T=1", y_min=0.0, y_max=1.0, help="The favourites before temperature"),
        f"top {temperature_label}": cc.BarChartColumn(
            f"top-k {temperature_label}", y_min=0.0, y_max=1.0, help="The same characters after temperature"
        ),
    }
    for j in range(1, k + 1):
        config[f"#{j}"] = cc.TextColumn(f"#{j}", help=f"The model's favourite no. {j}: p before → after temperature")
    return config


def read_prime(model: CharRNN) -> generation.Prime | UnknownCharactersError:
    try:
        return generation.prepare_prime(model, ss.prime, ss.unknown)
    except UnknownCharactersError as e:
        return e


def prime_feedback(model: CharRNN, prime: generation.Prime | UnknownCharactersError) -> None:
    """Say what happens to the prime: refused, emptied, trimmed, characters skipped or replaced."""
    replacement = model.vocab.default_replacement()
    if isinstance(prime, UnknownCharactersError):
        st.error(f"{prime}. The policy is **error**: change it, or the prime.", icon="🚫")
        st.html(html.marked_prime(ss.prime[-params.PRIME_MAX :], set(prime.unknown), "error", replacement))
        return
    if prime.trimmed:
        st.info(
            f"The prime has {len(ss.prime):,} characters: the model reads its last {params.PRIME_MAX:,} "
            "(an RNN remembers far less than that anyway).",
            icon="✂️",
        )
    if prime.unknown:
        shown = ", ".join(table.visible(c) for c in prime.unknown[:12]) + (" …" if len(prime.unknown) > 12 else "")
        action = "skipped" if ss.unknown == "skip" else f"replaced by {table.visible(replacement)}"
        st.warning(
            f"{prime.unknown_count} character(s) the model has never seen ({shown}): "
            f"policy **{ss.unknown}**, so they are {action}.",
            icon="🔎",
        )
        st.html(html.marked_prime(prime.given, set(prime.unknown), ss.unknown, replacement))
    if prime.started_empty:
        start = "a newline" if prime.text == "\n" else repr(prime.text)
        st.info(f"The prime is empty: the model starts from {start}, as at the start of a text.", icon="ℹ️")


def settings_panel(model: CharRNN) -> None:
    vocab_size = len(model.vocab)
    left, right = st.columns([3, 2], gap="large")
    with left:
        setting_widget("prime", height=112, on_change=forget_keep)
    with right:
        c1, c2 = st.columns(2)
        with c1:
            setting_widget("length")
        with c2:
            setting_widget("seed")
        setting_widget("temperature")
    filter_settings(vocab_size)
    beams.settings_row(setting_widget)


def filter_settings(vocab_size: int) -> None:
    """Top-k, top-p, the unknown-character policy and greedy: the panel's second row."""
    c3, c4, c5, c6 = st.columns([1, 1, 1, 1])
    with c3:
        setting_widget("top_k", high=vocab_size)  # the model's vocabulary bounds it, not the link's
    with c4:
        setting_widget("top_p")
    with c5:
        setting_widget("unknown", format_func=lambda p: f"{p}: {params.POLICY_HELP[p]}")
    with c6:
        st.space("small")
        setting_widget("greedy")


def setting_widget(field: str, high: float | None = None, **extra: object) -> None:
    """The widget of one setting, drawn from its spec (label, bounds, step, help; ``{min}`` and
    ``{max}`` in the help are the widget's bounds). ``high`` replaces the spec's upper bound where
    the model sets it; ``extra`` goes to the widget as is."""
    spec = params.SPEC[field]
    low, high = spec.low, spec.high if high is None else high
    common = {"key": spec.key, "help": spec.help.format(min=low, max=high), **extra}
    if spec.greedy_off:
        common["disabled"] = ss.greedy
    _DRAW[spec.widget](spec, low, high, common)


_DRAW: dict[str, Callable[[params.Spec, float, float, dict], object]] = {  # one small helper per widget kind
    "number": lambda spec, low, high, kw: st.number_input(spec.label, low, high, step=spec.step, **kw),
    "slider": lambda spec, low, high, kw: st.slider(spec.label, low, high, step=spec.step, **kw),
    "toggle": lambda spec, low, high, kw: st.toggle(spec.label, **kw),
    "select": lambda spec, low, high, kw: st.selectbox(spec.label, spec.options, **kw),
    "radio": lambda spec, low, high, kw: st.radio(spec.label, spec.options, horizontal=True, **kw),
    "text": lambda spec, low, high, kw: st.text_area(spec.label, **kw),
}


def run_generation(model: CharRNN, prime: generation.Prime, out, stop_slot, s: Settings, run_started: float) -> None:
    """Stream the sample into ``out`` as it is drawn; the steps land in the session as they come,
    so a Stop (which interrupts this run) keeps what was drawn so far."""
    sample = Sample(s, prime.text, prime.ids, tuple(model.vocab.chars))
    ss.sample = sample
    with stop_slot:
        st.button("⏹ Stop", key="stop_live", help="Stop here and keep what has been drawn so far.")
    head = ("…" if len(prime.text) > PRIME_SHOWN else "") + prime.text[-PRIME_SHOWN:]
    chars: list[str] = []
    last = 0.0
    try:
        steps = beams.stream(model, prime, s, sample.uid)  # the sampler's steps, or the best beam's
        for step in steps:
            sample.steps.append(step)
            chars.append(step.char)
            now = time.perf_counter()
            if sample.first_s is None:
                sample.first_s = now - run_started
            if now - last >= STREAM_EVERY_S:
                out.html(html.streaming_text(head, "".join(chars)))
                last = now
    except ValueError as e:
        ss.keep = ""
        st.error(f"Cannot generate: {e}")
    sample.total_s = time.perf_counter() - run_started
    sample.finish("done")
    stop_slot.empty()


def render(ctx: PageContext) -> None:
    """The tab; ``ctx.started`` is when this script run began (the first character's latency is
    measured from it)."""
    model = ctx.model
    # Drawn top to bottom: settings, buttons, the sample. Filled in another order: the buttons and
    # the stream first, so that the first character reaches the browser before anything else.
    panel, buttons, out = st.container(), st.container(), st.empty()
    prime = read_prime(model)
    usable = isinstance(prime, generation.Prime)
    dropped_keep = bool(ss.keep and model.vocab.unknown_chars(ss.keep))
    if dropped_keep:
        ss.keep = ""
    settings = replace(ctx.settings, keep=ss.keep)
    with buttons:
        b1, b2, b3, b4 = st.columns([1, 1, 1, 3], vertical_alignment="center")
        b1.button("▶ Generate", type="primary", on_click=request_generate, disabled=not usable, width="stretch")
        b2.button(
            "🎲 New seed", on_click=new_seed, disabled=not usable, width="stretch", help="Draw a new seed and generate."
        )
        stop_slot = b3.empty()
        if ss.keep:
            with b4:
                k1, k2 = st.columns([3, 1], vertical_alignment="center")
                k1.caption(
                    f"✂️ Keeping the {len(ss.keep):,} character(s) you chose by branching; "
                    "the model continues after them."
                )
                k2.button("Forget", on_click=forget_keep, help="Generate from the prime alone again.")
        if "flash" in ss:
            st.warning(ss.pop("flash"))
    if ss.get("pending") and usable:
        ss.pending = False
        run_generation(model, prime, out, stop_slot, settings, ctx.started)
    elif ss.get("sample") is not None and ss.sample.status == "running":
        ss.sample.finish("stopped")  # the run that drew it was interrupted (Stop, or another widget)
    stop_slot.button("⏹ Stop", key="stop_idle", disabled=True)
    with panel:
        settings_panel(model)
        prime_feedback(model, prime)
        if dropped_keep:
            st.warning("The kept text holds characters this model does not know: it is dropped.")
        if not ss.greedy and settings.sampling.greedy:
            st.info("Temperature 0 means greedy: the most likely character every time (the seed does not matter).")
        if usable:
            adapted.render(model, ctx.info.key, prime.text, settings)
    result: Sample | None = ss.get("sample")
    if result is None or result.trace is None:
        out.info(
            "Press **Generate** to write a sample. Every character's distribution is kept: "
            "the table below shows how sure the model was, and you can branch at any position."
        )
        return
    show_sample(model, result, out, settings)


def table_selection() -> int | None:
    """The row selected in the probability table (its state is known before the table is drawn)."""
    state = ss.get("table")
    try:
        rows = list(state["selection"]["rows"]) if state is not None else []
    except (KeyError, TypeError):
        rows = []
    return int(rows[0]) if rows else None


def show_sample(model: CharRNN, sample: Sample, out, current: Settings) -> None:
    n = len(sample.trace)
    row = table_selection()
    if row is not None and row != ss.get("_table_row") and row <= n:
        ss.pos = row  # a row picked in the table chooses the position to inspect
    ss._table_row = row
    with out.container():
        sample_status(sample, current)
        prefix = ("…" if len(sample.prime_text) > PRIME_SHOWN else "") + sample.prime_text[-PRIME_SHOWN:]
        sample_text(sample, prefix)
        if n and sample.status != "running":
            copycheck.render(model, prefix, sample.trace.text, "generate")
    if n == 0:
        return
    beams.render(sample)
    probability_table(sample)
    inspector.render(model, sample)
    futures.render(model, sample, setting_widget)


def sample_status(sample: Sample, current: Settings) -> None:
    """One line of facts, and what to do when the sample was stopped or the settings changed."""
    trace, s = sample.trace, sample.settings
    n = len(trace)
    facts = [f"{n:,} characters", f"seed {s.seed}", s.label]
    if sample.first_s is not None:
        facts.append(f"first character after {sample.first_s:.2f} s")
    if sample.total_s and n:
        facts.append(f"done in {sample.total_s:.2f} s")
    if n:
        facts.append(f"{trace.bits_per_char:.2f} bits/char under the model")
    if sample.status == "stopped":
        w1, w2 = st.columns([4, 1], vertical_alignment="center")
        w1.warning(f"Stopped after {n:,} of {s.length:,} characters.", icon="⏹")
        w2.button(
            "▶ Continue",
            on_click=continue_stopped,
            disabled=n == 0,
            width="stretch",
            help="Keep what was drawn and let the model go on to the full length.",
        )
    if not s.same_sample(current):
        st.caption("⚠️ The settings have changed since this sample: press **Generate** to apply them.")
    st.caption(" · ".join(facts))


def sample_text(sample: Sample, prefix: str) -> None:
    """The sample coloured by probability, and as plain text to copy or download."""
    trace, s = sample.trace, sample.settings
    st.html(
        html.legend("unlikely", "likely")
        + html.probability_html(
            trace.chars, trace.prob, trace.prob_raw, trace.rank, prefix, ss.get("pos"), len(s.keep), sample.uid
        )
    )
    st.caption(
        "Hover a character for its probability and rank; select a row of the table below, or a "
        "position, to see its whole distribution and branch from it."
    )
    with st.expander("Plain text, to copy or download"):
        st.code(sample.prime_text + trace.text, language=None, wrap_lines=True)
        st.download_button(
            "⬇️ Download sample.txt",
            data=sample.prime_text + trace.text,
            file_name="sample.txt",
            mime="text/plain",
            on_click="ignore",
        )


def probability_table(sample: Sample) -> None:
    """One row per generated character (built once per sample and width), selectable."""
    st.subheader("Probability table", help="One row per generated character. Select a row to inspect it below.")
    k = st.segmented_control("Alternatives per row", [3, 5, 10], key="alts") or 5
    label = "T=1" if sample.settings.decoding == "beam" else sample.settings.sampling.label.replace("greedy", "T=1")
    cache_key = (sample.uid, k)
    if ss.get("table_cache", (None,))[0] != cache_key:
        ss.table_cache = (cache_key, table.probability_table(sample.trace, sample.vocab, k, label))
    st.dataframe(
        ss.table_cache[1],
        key="table",
        on_select="rerun",
        selection_mode="single-row",
        hide_index=True,
        column_config=column_config(len(sample.vocab), k, label),
        height=min(420, 36 * (len(sample.trace) + 1) + 3),
    )
