"""The app's tabs, in order: one module each. Adding a tab is one module and one line in ``PAGES``.

A page module declares ``NAME`` (its ``?tab=`` key), ``LABEL`` (the tab's label, with its emoji),
``KEPT`` (the widget keys it keeps across tab switches, with their defaults: ``None`` leaves the
default to the widget), ``NEEDS_MODEL`` (the app shows the load error instead when the selected
model cannot be loaded) and ``render(ctx: PageContext) -> None``. A page may also define
``boot(query, infos, style) -> notes`` (its URL keys, read on a session's first run) and
``query() -> dict`` (its URL keys while it is open), and ``RESET_ON_STYLE`` (the session-state keys
that belong to the selected style, cleared when another is selected).
"""

from __future__ import annotations

from types import ModuleType

from playground.pages import compare, download, generate, lesson, memory, neurons, score, train, training

PAGES: tuple[ModuleType, ...] = (generate, score, training, lesson, neurons, memory, compare, download, train)
TAB_NAMES = tuple(page.NAME for page in PAGES)  # what ``?tab=`` may say
