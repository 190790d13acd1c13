"""The "Score a text" tab: how surprised the model is by each character of any text, in bits."""

from __future__ import annotations

import streamlit as st

from charrnn import CharRNN, UnknownCharactersError
from charrnn.metrics import perplexity
from charrnn.whowrote import UNKNOWN_BITS
from playground import html, table
from playground.context import PageContext
from playground.pages.score import adaptive, scoring, whowrote
from playground.session import params
from playground.session.catalog import ModelInfo

NAME = "score"
LABEL = "🔬 Score a text"
KEPT: dict[str, object] = {"score_text": None, **adaptive.KEPT}
NEEDS_MODEL = True
RESET_ON_STYLE = ("score_cache", whowrote.VIEW_KEY)  # the old style's scores and its open view


def use_sample_for_score() -> None:
    ss = st.session_state
    sample = ss.get("sample")
    if sample is not None and sample.trace is not None:
        ss.score_text = sample.prime_text + sample.trace.text


INTRO = (
    "Paste any text: the model reads it character by character and says how surprised it is by each "
    "one, in bits (−log₂ p). Low is expected, high is a surprise. Every character counts, the first "
    "one too: the model predicts it from its learned start state (a model trained without one starts "
    "from zeros, where the first character is little more than a guess)."
)


def render(ctx: PageContext) -> None:
    info, model = ctx.info, ctx.model
    st.markdown(INTRO)
    ss = st.session_state
    whowrote.open_on_example(ctx)
    st.text_area(
        "Text to score", key="score_text", height=160, placeholder="To be, or not to be, that is the question…"
    )
    c1, c2 = st.columns([1, 4], vertical_alignment="center")
    c1.button("Use the last sample", on_click=use_sample_for_score, disabled=ss.get("sample") is None)
    c2.caption(
        f"Unknown characters: policy **{ss.unknown}** ({params.POLICY_HELP[ss.unknown]}); change it under Generate. "
        f"At most {scoring.SCORE_MAX:,} characters are scored."
    )
    whowrote.example_buttons(ctx)
    text = ss.get("score_text") or ""
    if not text.strip():
        st.info("Paste a text above to score it.")
        return
    info, model = whowrote.who_wrote_it(ctx, text)
    result = scored(info, model, text)
    if result is not None:
        show_score(info, result, text)
        adaptive.render(model, info.key, result)


def scored(info: ModelInfo, model: CharRNN, text: str) -> scoring.Score | None:
    """The score of ``text`` (kept in the session until the text, model or policy change), or
    None after saying why the text cannot be scored."""
    ss = st.session_state
    key = (info.key, text, ss.unknown)
    cached = ss.get("score_cache")
    if cached is None or cached[0] != key:
        try:
            with st.spinner("Scoring…"):
                result = scoring.score_text(model, text, ss.unknown)
        except ValueError as e:  # UnknownCharactersError included
            st.error(str(e), icon="🚫")
            if isinstance(e, UnknownCharactersError):
                st.html(
                    html.marked_prime(
                        text[: scoring.SCORE_MAX], set(e.unknown), "error", model.vocab.default_replacement()
                    )
                )
            return None
        ss.score_cache = cached = (key, result)
    return cached[1]


def show_score(info: ModelInfo, result: scoring.Score, text: str) -> None:
    """What was left out or replaced, the totals, the text coloured by surprise and the table."""
    ss = st.session_state
    if result.truncated:
        st.info(f"The text has {len(text):,} characters: the first {scoring.SCORE_MAX:,} are scored.", icon="✂️")
    if result.unknown:
        shown = ", ".join(table.visible(c) for c in result.unknown[:12])
        st.warning(
            f"{result.unknown_count} character(s) the model has never seen ({shown}): "
            f"{'skipped' if ss.unknown == 'skip' else 'replaced'} before scoring here. Who wrote it? charges "
            f"{UNKNOWN_BITS:.1f} bits for each instead, so its bits/char for this style differ from these.",
            icon="🔎",
        )
    score_metrics(info, result)
    whowrote.colourings(result)
    score_table(result)


def score_metrics(info: ModelInfo, result: scoring.Score) -> None:
    m1, m2, m3, m4, m5 = st.columns(5)
    delta = None if info.val_bits is None else f"{result.bits_per_char - info.val_bits:+.2f} vs validation"
    m1.metric(
        "bits/char",
        f"{result.bits_per_char:.3f}",
        delta=delta,
        delta_color="inverse",
        help="Mean surprise per character, the first one included (predicted from the model's start state).",
    )
    m2.metric("nats/char", f"{result.nats_per_char:.3f}")
    m3.metric(
        "perplexity",
        f"{perplexity(result.nats_per_char):.2f}",
        help="e^(nats/char): how many characters the model was, in effect, choosing between.",
    )
    m4.metric("total", f"{result.total_bits:,.0f} bits")
    m5.metric("characters scored", f"{result.scored:,}")


def score_table(result: scoring.Score) -> None:
    frame = table.score_table(result.chars, result.bits, result.prob, result.rank, result.expected)
    st.dataframe(
        frame,
        hide_index=True,
        height=min(380, 36 * (len(frame) + 1) + 3),
        column_config={
            "pos": st.column_config.NumberColumn("#", width="small"),
            "surprise": st.column_config.ProgressColumn(
                "surprise", min_value=0.0, max_value=html.SURPRISE_MAX_BITS, format="%.2f bits"
            ),
            "p": st.column_config.ProgressColumn("p", min_value=0.0, max_value=1.0, format="percent"),
            "model expected": st.column_config.TextColumn("the model expected", help="Its three favourites there"),
        },
    )
