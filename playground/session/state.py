"""A session's state between runs: its first run (settings from the URL, each page's defaults), the
pages' kept widgets, the settings read back from the widgets, and the URL written from them. Each
function is handed the page registry (``playground.pages.PAGES``, which app.py reads): the pages
read this session's settings, so the session does not import them back."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

import streamlit as st

from charrnn import CharRNN
from playground.session import catalog, hub, params, styles
from playground.session.catalog import ModelInfo
from playground.session.params import Settings

ss = st.session_state
Pages = Sequence[ModuleType]
SIDEBAR_KEPT = ("hub_repo",)  # the sidebar's Hub form (drawn by app.py), kept like the pages' widgets


def labels(pages: Pages) -> dict[str, str]:
    """Each tab's label by its ``?tab=`` name, in the registry's order."""
    return {page.NAME: page.LABEL for page in pages}


def open_page(pages: Pages, label: str | None) -> ModuleType:
    """The page whose tab is open (the first one before any is)."""
    return next((page for page in pages if label == page.LABEL), pages[0])


def boot(pages: Pages, infos: list[ModelInfo]) -> list[str]:
    """First run of a session: settings from the URL (a shared link), else defaults; then each
    page's own URL keys and its kept widgets' defaults. The notes say what the link got wrong."""
    query = st.query_params.to_dict()
    s, notes = params.parse_query(query, tuple(labels(pages)))
    ss.booted = True
    ss.hub_styles = []
    ss.sample = None
    ss.style = _linked_style(s.style, infos, notes) or catalog.default_style(infos)
    info = styles.find(infos + styles.hub_infos(), ss.style)
    ss.style_default_prime = info.default_prime if info else ""
    for spec in params.WIDGETS:  # the Generate tab's widgets open on the link's values
        ss[spec.key] = spec.get(s)
    ss.prime = s.prime if s.prime is not None else ss.style_default_prime
    ss.seed = s.seed if s.seed is not None else params.random_seed()
    ss.keep = s.keep
    ss.tab = labels(pages)[s.tab]
    ss.pending = "seed" in query  # a shared link shows its sample at once
    for page in pages:
        if hasattr(page, "boot"):
            notes += page.boot(query, infos, ss.style)
        for key, default in page.KEPT.items():
            if default is not None:
                ss.setdefault(key, default)
    return notes


def _linked_style(style: str | None, infos: list[ModelInfo], notes: list[str]) -> str | None:
    """The link's style if it can be offered (a Hub one is fetched now), else None with a note."""
    if style and hub.is_hub_key(style):
        error = styles.add_hub_style(hub.repo_of(style))
        if error:
            notes.append(f"The link's Hub model cannot be loaded: {error}.")
            return None
    elif style and style not in {i.key for i in infos}:
        notes.append(f"There is no style called {style!r} here.")
        return None
    return style


def keep_widget_state(pages: Pages) -> None:
    """Widgets inside tabs keep their values while another tab is open: Streamlit forgets a widget's
    state in a run that does not draw it, unless the value is written back each run."""
    for key in [*SIDEBAR_KEPT, *(key for page in pages for key in page.KEPT)]:
        if key in ss:
            ss[key] = ss[key]


def current_settings(pages: Pages) -> Settings:
    """The settings as the widgets hold them now (and the open tab)."""
    widgets = {spec.field: spec.of(ss[spec.key]) for spec in params.WIDGETS}
    return Settings.of(style=ss.style, keep=ss.keep, tab=open_page(pages, ss.get("tab")).NAME, **widgets)


def sync_url(pages: Pages) -> None:
    """The address bar follows the settings, plus the open page's own keys (other links stay short)."""
    settings = current_settings(pages)
    query = params.to_query(settings)
    page = open_page(pages, ss.get("tab"))
    if hasattr(page, "query"):
        query.update(page.query())
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)


def fit_top_k(model: CharRNN | str) -> None:
    """Top-k beyond the model's vocabulary is off (said once, as the widget resets)."""
    if isinstance(model, CharRNN) and ss.top_k > len(model.vocab):
        st.warning(f"Top-k {ss.top_k} is more than the {len(model.vocab)} characters this model knows: top-k is off.")
        ss.top_k = 0
