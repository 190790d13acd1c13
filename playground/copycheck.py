"""The copy check on the page: the spans of a shown text that the model's training text
holds verbatim, marked, with the longest one's length and, for a picked span, where it occurs.

The index is the library's (``charrnn.copycheck``), found from the model's own ``config.json`` meta
(``corpora.training_text``), built or loaded once per process and shared by every session.
"""

from __future__ import annotations

from html import escape

import streamlit as st

from charrnn import CharRNN
from charrnn.copycheck import MIN_LENGTH_DEFAULT, CopyCheckError, CopyIndex, CopyReport
from corpora.training_text import skipped_note_path, source_key, training_text
from playground import html

MIN_LENGTH_MIN, MIN_LENGTH_MAX = 5, 500  # the copy check's shortest counted match, on the page

MARK_STYLE = "background:#fde68a; border-bottom:2px solid #d97706;"
MARK_TITLE = "found verbatim in the training text"


@st.cache_resource(show_spinner=False, max_entries=8)
def _index(key: tuple, _meta: dict) -> CopyIndex:
    """One index per training text and process. ``key`` (``source_key``) changes with the text's
    file, so a page run costs a ``stat``, not a read and checksum of the whole corpus."""
    return training_text(_meta).index()


def index_for(model: CharRNN) -> CopyIndex | str:
    """The index of the model's training split, or one line saying what is missing and how to fix it."""
    try:
        with st.spinner("Indexing the training text for the copy check…"):
            return _index(source_key(model.meta), model.meta)
    except CopyCheckError as e:
        return f"Copy check unavailable: {e}." + skipped_note()
    except (OSError, ValueError, MemoryError) as e:
        return f"Copy check unavailable: {type(e).__name__}: {e}."


def skipped_note() -> str:
    try:
        return " " + skipped_note_path().read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def marked_html(
    prefix: str, text: str, report: CopyReport | None, css_class: str = "charrnn-copies", tag: str = ""
) -> str:
    """The prime in grey, then the text with every character inside a copied span highlighted
    (``report`` None: unchecked, plain); ``tag`` goes into ``data-cell`` for a browser to find it."""
    mask = report.mask() if report is not None else [False] * len(text)
    data = f' data-cell="{escape(tag)}"' if tag else ""
    parts = [f'<div class="{css_class}"{data} style="{html.TEXT_STYLE}">']
    if prefix:
        parts.append(f'<span style="{html.PRIME_STYLE}" title="prime">{escape(prefix)}</span>')
    i = 0
    while i < len(text):
        j = i
        while j < len(text) and mask[j] == mask[i]:
            j += 1
        chunk = escape(text[i:j])
        parts.append(f'<mark style="{MARK_STYLE}" title="{MARK_TITLE}">{chunk}</mark>' if mask[i] else chunk)
        i = j
    parts.append("</div>")
    return "".join(parts)


def summary(report: CopyReport) -> str:
    if not report.spans:
        return f"No span of {report.min_length}+ characters is in the training text."
    return (
        f"Longest copied span: **{report.longest}** characters · {report.copied_fraction:.1%} of the text in "
        f"{len(report.spans)} span(s) of {report.min_length}+ found verbatim in the training text"
    )


def span_picker(index: CopyIndex, text: str, report: CopyReport, key: str) -> None:
    """Pick a copied span (longest first) and see where it occurs in the training text."""
    if not report.spans:
        return
    spans = sorted(report.spans, key=lambda s: (-s.length, s.start))
    with st.expander(f"🔁 Where the {len(spans)} copied span(s) come from"):
        choice = st.selectbox(
            "Copied span",
            range(len(spans)),
            format_func=lambda i: (
                f"{spans[i].length} chars at {spans[i].start}: {text[spans[i].start : spans[i].end][:40]!r}"
            ),
            key=key,
        )
        span = spans[choice or 0]
        before, match, after = index.context(span.corpus_offset, span.length, 120)
        st.caption(f"Training text, character {span.corpus_offset:,}:")
        st.html(
            f'<div style="{html.TEXT_STYLE}">…{escape(before)}<mark style="{MARK_STYLE}">{escape(match)}</mark>'
            f"{escape(after)}…</div>"
        )


def min_length_input(key: str = "copy_min") -> int:
    st.session_state.setdefault(key, MIN_LENGTH_DEFAULT)
    return int(
        st.number_input(
            "Shortest copied span",
            MIN_LENGTH_MIN,
            MIN_LENGTH_MAX,
            step=5,
            key=key,
            help="Spans of the text at least this long that appear verbatim in the model's training text are marked.",
        )
    )


def render(model: CharRNN, prefix: str, text: str, key: str) -> None:
    """The check of one shown text, under it: summary, marked text, and the spans' sources."""
    st.markdown("##### Is it copied?")
    index = index_for(model)
    if isinstance(index, str):
        st.info(index, icon="📚")
        return
    c1, c2 = st.columns([1, 3], vertical_alignment="bottom")
    with c1:
        min_length = min_length_input()
    report = index.find(text, min_length)
    c2.markdown(summary(report))
    if report.spans:
        st.html(marked_html(prefix, text, report))
    span_picker(index, text, report, f"{key}_span")
