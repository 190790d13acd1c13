"""Picking a style in the sidebar from an AppTest: one radio per group (``style_in_<group>``)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def style_radios(at: AppTest) -> list:
    return [r for r in at.radio if (r.key or "").startswith("style_in_")]


def pick_style(at: AppTest, key: str) -> AppTest:
    """Select style ``key`` in the radio of its group, as a click on its line would; run the app after."""
    infos = {i.key: i for i in at.session_state["_infos"]}
    assert key in infos, f"no style {key!r} in the sidebar: {sorted(infos)}"
    at.radio(key=f"style_in_{infos[key].group}").set_value(key)
    return at
