"""The Score tab's "Who wrote it?": every style in the sidebar reads the text, the ranking streamed
as each one finishes (a table and a bar chart, the winner named, a close call said), and any of
them opens its per-character view; the example passage the tab opens on; and the second
colouring, by the rank of each actual character among the style's predictions.

The score page calls ``open_on_example`` before its text box, ``example_buttons`` under it,
``who_wrote_it`` for the style whose characters it then shows, and ``colourings`` to show them."""

from __future__ import annotations

import random

import streamlit as st

from charrnn import CharRNN
from charrnn.whowrote import CLOSE_CALL_BITS, UNKNOWN_BITS, Ranking, Reading, check_text, rank, read
from playground import html
from playground.context import PageContext
from playground.pages.score.examples import example
from playground.pages.score.rank_colours import rank_html, rank_legend
from playground.pages.score.scoring import Score
from playground.pages.score.whowrote_table import ranking_frame, ranking_spec
from playground.session.catalog import ModelInfo

ss = st.session_state
TEXT_KEY = "score_text"  # the score page's text box
OPENED_KEY = "score_example_opened"  # the box was filled once: a box the user empties stays empty
SOURCE_KEY = "score_example_source"  # (the example's text, where it comes from)
OTHER_KEY = "score_example_of"
CACHE_KEY = "whowrote_cache"
VIEW_KEY = "whowrote_view"  # the style (its label) whose per-character view is open
ROWS_KEY = "whowrote_rows"  # the ranking table's row selection; a new key (``_n``) for each new ranking
FORMATS = {"bits/char": "{:.3f}", "perplexity": "{:.2f}", "unknown": "{:.1%}"}
RULES = (
    f"Fewest bits per character first. A character outside a style's vocabulary costs it {UNKNOWN_BITS:.1f} bits; "
    "a style that cannot read over half of the text ranks last. A close call: the best two fewer than "
    f"{CLOSE_CALL_BITS:.0f} bits apart over the whole text. Rules and measured accuracy: docs/who-wrote.md."
)


def usable(ctx: PageContext) -> list[ModelInfo]:
    """Every style in the sidebar that can be used."""
    return [i for i in ctx.infos if not i.error]


def put_example(info: ModelInfo, tries: int = 5) -> None:
    """Fill the text box with a new passage of ``info``'s validation text (a button's callback):
    another than the box holds, unless a few draws find none (a short text has few line starts)."""
    drawn = None
    for _ in range(tries):
        drawn = example(info, random.randrange(1 << 30))
        if drawn is None or drawn.text != ss.get(TEXT_KEY):
            break
    if drawn is not None:
        ss[TEXT_KEY] = drawn.text
        ss[SOURCE_KEY] = (drawn.text, f"An example from {drawn.source}.")


def open_on_example(ctx: PageContext) -> None:
    """On the tab's first visit, the box holds an example of the selected style, not nothing."""
    if not ss.get(OPENED_KEY) and not ss.get(TEXT_KEY):
        put_example(ctx.info)
    ss[OPENED_KEY] = True


def example_of_other(others: dict[str, ModelInfo]) -> None:
    """The "an example of" pills' callback: the clicked style's example, then the pills clear."""
    if ss.get(OTHER_KEY) in others:
        put_example(others[ss[OTHER_KEY]])
    ss[OTHER_KEY] = None


def example_buttons(ctx: PageContext) -> None:
    """ "Another example" of the selected style, and any other style's one click away."""
    shown, source = ss.get(SOURCE_KEY) or (None, "")
    if shown is not None and shown == ss.get(TEXT_KEY):  # said while the box still holds the example
        st.caption(source)
    c1, c2 = st.columns([1, 4], vertical_alignment="bottom")
    c1.button(
        "🎲 Another example", on_click=put_example, args=(ctx.info,),
        help=f"A new passage of {ctx.info.label}'s validation text (text it never trained on)",
    )  # fmt: skip
    others = {i.key: i for i in usable(ctx) if i.key != ctx.info.key}
    c2.pills(
        "An example of", list(others), format_func=lambda key: others[key].label, key=OTHER_KEY,
        on_change=example_of_other, args=(others,),
    )  # fmt: skip


def who_wrote_it(ctx: PageContext, text: str) -> tuple[ModelInfo, CharRNN]:
    """The ranking of every style for ``text``, and the style (with its model) whose per-character
    view is open: the one the user picks from the ranking, first the sidebar's."""
    st.subheader("Who wrote it?")
    try:
        checked, truncated = check_text(text)
    except ValueError as e:
        st.warning(str(e), icon="✍️")
        return ctx.info, ctx.model
    infos = {i.label: i for i in usable(ctx)}
    ranking = ranked(ctx, list(infos.values()), checked, truncated)
    order = [r.style for r in ranking.readings]
    if not order:
        return ctx.info, ctx.model
    if ss.get(VIEW_KEY) not in order:  # first the sidebar's style
        ss[VIEW_KEY] = ctx.info.label if ctx.info.label in order else order[0]
    st.selectbox(
        "Each character, as read by", order, key=VIEW_KEY, on_change=new_table,
        help="Open any style's per-character view of the text (or click its row in the ranking)",
    )  # fmt: skip
    info = infos[ss[VIEW_KEY]]
    model = ctx.model if info.key == ctx.info.key else ctx.load_model(info)
    return (info, model) if isinstance(model, CharRNN) else (ctx.info, ctx.model)


def ranked(ctx: PageContext, infos: list[ModelInfo], text: str, truncated: int) -> Ranking:
    """Every style reads ``text``; the verdict, table and chart are redrawn as each one finishes.
    Kept in the session until the text or the styles change."""
    key = (text, tuple(i.key for i in infos))
    verdict, table, chart = st.empty(), st.empty(), st.empty()
    cached = ss.get(CACHE_KEY)
    if cached is None or cached[0] != key:
        done: list[Reading] = []
        for info in infos:
            model = ctx.load_model(info)
            if isinstance(model, CharRNN):
                done.append(read(model, text, info.label))
                show_ranking(rank(done, truncated), verdict, table, chart, to_go=len(infos) - len(done))
        cached = ss[CACHE_KEY] = (key, rank(done, truncated))
        new_table()
    show_ranking(cached[1], verdict, table, chart, rows_key=table_key())
    for note in cached[1].notes:
        st.caption(note)
    st.caption(RULES)
    st.caption("Click a row of the table (the box at its left) to see how that style read each character, below.")
    return cached[1]


def table_key() -> str:
    """The widget key of this ranking's table (``new_table`` moves it on)."""
    return f"{ROWS_KEY}_{ss.get(ROWS_KEY, 0)}"


def new_table() -> None:
    """The next ranking table starts with no row selected: a new ranking, or a style opened from
    the selectbox, would otherwise keep another row highlighted than the view shows."""
    ss[ROWS_KEY] = ss.get(ROWS_KEY, 0) + 1


def open_row(order: list[str], key: str) -> None:
    """A click on a row of the ranking opens that style's per-character view."""
    rows = ss[key].selection.rows
    if rows:
        ss[VIEW_KEY] = order[rows[0]]


def show_ranking(ranking: Ranking, verdict, table, chart, to_go: int = 0, rows_key: str = "") -> None:
    """The verdict (or how many styles are still reading), the table and the bar chart. With a
    ``rows_key`` (the finished ranking, drawn once a run) a click on a row opens that style."""
    if to_go:
        verdict.info(f"Reading… {len(ranking.readings)} styles done, {to_go} to go.", icon="⏳")
    elif ranking.winner is None:
        verdict.error(ranking.verdict, icon="🤷")
    elif ranking.close_call:
        verdict.warning(ranking.verdict, icon="⚖️")
    else:
        verdict.success(ranking.verdict, icon="🏆")
    frame = ranking_frame(ranking).style.format(FORMATS)
    if rows_key:
        order = [r.style for r in ranking.readings]
        table.dataframe(
            frame, hide_index=True, key=rows_key, on_select=lambda: open_row(order, rows_key),
            selection_mode="single-row", width="stretch",
        )  # fmt: skip
    else:
        table.table(frame)
    chart.vega_lite_chart(ranking_spec(ranking), width="stretch")


def colourings(result: Score) -> None:
    """The text coloured by surprise, and beside it by the rank of each actual character (GLTR)."""
    surprise, ranks = st.tabs(["Surprise", "Rank among the predictions"])
    legend = html.legend("surprising (8+ bits)", "expected (0 bits)")
    surprise.html(legend + html.surprise_html(result.chars, result.bits))
    ranks.html(rank_legend(result.rank) + rank_html(result.chars, result.rank))
