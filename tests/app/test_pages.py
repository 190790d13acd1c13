"""The page registry (``playground.pages.PAGES``) as the app reads it: a page added to it is drawn,
linked by ``?tab=`` and keeps its widgets; every page's own ``KEPT`` keys survive a tab switch."""

from __future__ import annotations

import types
from pathlib import Path

import pytest
import streamlit as st
from sidebar import pick_style
from streamlit.testing.v1 import AppTest

from playground import pages
from playground.context import PageContext
from playground.pages import PAGES, lesson
from playground.session import params
from playground.train import workspace

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TIMEOUT = 240  # seconds for one page run; generous: the machine is shared


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, tiny_models_root: Path, tmp_path: Path):
    """``app(tab)``: the page opened by a link to ``?tab=tab`` (tiny models, an empty workspace)."""
    monkeypatch.setenv("CHARRNN_MODELS_DIR", str(tiny_models_root))
    monkeypatch.setenv(workspace.ENV_WORKSPACE, str(tmp_path / "work"))

    def run(tab: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.query_params["tab"] = tab
        return ok(at.run())

    return run


def switch(at: AppTest, page: types.ModuleType) -> AppTest:
    at.session_state["tab"] = page.LABEL
    return ok(at.run())


def throwaway_page() -> types.ModuleType:
    """A page as another engineer would add one: a module with the five declarations."""
    page = types.ModuleType("throwaway")
    page.NAME, page.LABEL, page.NEEDS_MODEL = "throwaway", "🧪 Throwaway", False
    page.KEPT = {"throwaway_word": "hello"}

    def render(ctx: PageContext) -> None:
        st.text_input("A word", key="throwaway_word")
        st.caption(f"The throwaway page, beside {ctx.info.key}.")

    page.render = render
    return page


def test_the_first_page_is_the_settings_default_tab() -> None:
    assert params.Settings().tab == PAGES[0].NAME
    assert len({p.NAME for p in PAGES}) == len({p.LABEL for p in PAGES}) == len(PAGES)


def test_a_registered_page_is_drawn_linked_by_its_tab_and_keeps_its_keys(app, monkeypatch: pytest.MonkeyPatch) -> None:
    page = throwaway_page()
    monkeypatch.setattr(pages, "PAGES", (*PAGES, page))
    at = app("throwaway")
    assert at.session_state["tab"] == page.LABEL  # the link opened it
    assert any("The throwaway page, beside" in c.value for c in at.caption)  # drawn, from its context
    assert at.text_input(key="throwaway_word").value == "hello"  # its default, set on the first run
    at = ok(at.text_input(key="throwaway_word").set_value("kept").run())
    at = switch(at, PAGES[1])
    assert not any("The throwaway page" in c.value for c in at.caption)  # only the open page is drawn
    assert at.query_params["tab"] == PAGES[1].NAME
    at = ok(at.run())
    assert at.session_state["throwaway_word"] == "kept"
    at = switch(at, page)
    assert at.text_input(key="throwaway_word").value == "kept"
    assert at.query_params["tab"] == "throwaway"  # the address links to it again


def test_a_new_style_resets_what_belonged_to_the_old_ones_sample_timeline_and_scores() -> None:
    declared = {key for page in PAGES for key in getattr(page, "RESET_ON_STYLE", ())}
    assert declared == {"pos", "timeline_point", "score_cache", "whowrote_view"}


def test_a_page_declares_what_a_new_style_resets(app, monkeypatch: pytest.MonkeyPatch) -> None:
    page = throwaway_page()
    page.RESET_ON_STYLE = ("throwaway_seen",)

    def render(ctx: PageContext) -> None:
        st.session_state.setdefault("throwaway_seen", ctx.info.key)  # what belongs to the first style it saw
        st.caption(f"First seen: {st.session_state.throwaway_seen}.")

    page.render = render
    monkeypatch.setattr(pages, "PAGES", (*PAGES, page))
    at = app("throwaway")
    first = at.session_state["throwaway_seen"]
    other = next(i.key for i in at.session_state["_infos"] if i.key != first)
    at = ok(pick_style(at, other).run())
    assert at.session_state["throwaway_seen"] == other  # cleared by the change, then set by the page again


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.NAME)
def test_each_pages_kept_keys_survive_a_tab_switch(app, page: types.ModuleType) -> None:
    at = app(page.NAME)
    drawn = {key: at.session_state[key] for key in page.KEPT if key in at.session_state}
    assert set(drawn) >= {k for k, v in page.KEPT.items() if v is not None}  # every default was set
    other = next(p for p in PAGES if p is not page and p.NAME != "train")
    at = ok(switch(at, other).run())  # two runs without the page: Streamlit forgets an undrawn widget
    assert {key: at.session_state[key] for key in drawn if key in at.session_state} == drawn
    at = switch(at, page)
    assert {key: at.session_state[key] for key in drawn} == drawn


def test_the_lessons_learning_rate_survives_a_tab_switch(app) -> None:
    at = app("lesson")
    assert at.number_input(key="lesson_eta").value == lesson.ETA_DEFAULT
    at = ok(at.number_input(key="lesson_eta").set_value(0.35).run())
    at = ok(switch(at, PAGES[0]).run())
    at = switch(at, lesson)
    assert at.number_input(key="lesson_eta").value == pytest.approx(0.35)
