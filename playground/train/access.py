"""Who may reach a Train-tab run: the one gate every route to a run goes through.

A run belongs to the browser session that started it. Its id (``workspace.new_run_id``: 128 bits
from ``secrets``) is a capability: a session holds the ids of the runs it started or opened by
their link (``?tab=train&run=ID``), in its session state, and reaches those runs only. The sidebar's
Yours, the Train tab's lists, ``?style=yours.ID``, ``?run=ID`` and every tab that uses a style
(generate, score, compare, timeline, download, the copy check) see a run only through
``allowed``: ``session_runs`` for the lists, ``session_run`` for one run, ``open_link`` for a link.

``CHARRNN_SHARED_WORKSPACE=1`` (a person on their own machine) lets every session reach every run.
No Streamlit here: ``state`` is any mutable mapping (``st.session_state`` in the app).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

from playground.train import workspace

ENV_SHARED = "CHARRNN_SHARED_WORKSPACE"
HELD = "held_runs"  # the session-state key of the run ids this session holds
# One message for a wrong, guessed, deleted or expired id: it says nothing of other people's runs.
NO_SUCH_RUN = "There is no such run here: the link may be incomplete, or the run was deleted or expired."


def shared_workspace(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether every session may reach every run (``CHARRNN_SHARED_WORKSPACE=1``; off by default)."""
    return environ.get(ENV_SHARED, "").strip().lower() in ("1", "true", "yes")


def held(state: MutableMapping[str, Any]) -> set[str]:
    """The run ids this session holds (created empty on first use)."""
    if not isinstance(state.get(HELD), set):
        state[HELD] = set()
    return state[HELD]


def grant(state: MutableMapping[str, Any], run_id: str) -> None:
    held(state).add(run_id)


def revoke(state: MutableMapping[str, Any], run_id: str) -> None:
    held(state).discard(run_id)


def allowed(state: MutableMapping[str, Any], run_id: str, environ: Mapping[str, str] = os.environ) -> bool:
    """THE check: whether this session may reach run ``run_id`` (list, select, use, download, delete)."""
    return shared_workspace(environ) or run_id in held(state)


def session_runs(root: Path, state: MutableMapping[str, Any]) -> list[workspace.Run]:
    """The runs this session may reach, newest first: the only list the app builds on."""
    return [run for run in workspace.list_runs(root) if allowed(state, run.id)]


def session_run(root: Path, state: MutableMapping[str, Any], run_id: str) -> workspace.Run | None:
    """Run ``run_id`` if this session may reach it and it exists, else None (the same for both)."""
    if not workspace.is_run_id(run_id) or not allowed(state, run_id):
        return None
    return workspace.read_run(workspace.runs_dir(root) / run_id)


def open_link(root: Path, state: MutableMapping[str, Any], run_id: str) -> workspace.Run | None:
    """``?run=ID``: the full id is the capability, so a link to an existing run grants it (a reload,
    another tab, the same person after a restart). None, for ``NO_SUCH_RUN``, otherwise."""
    if not workspace.is_run_id(run_id) or workspace.read_run(workspace.runs_dir(root) / run_id) is None:
        return None
    grant(state, run_id)
    return session_run(root, state, run_id)


def open_links(root: Path, state: MutableMapping[str, Any], query: Mapping[str, str]) -> list[str]:
    """A session's first run: a link's run (``?run=ID``, or ``?style=yours.ID``) opened, its id being
    the capability; anything else gets the one ``NO_SUCH_RUN`` note. The Train tab follows the
    linked run (``train_run``): a reload, another tab, a restart."""
    link = query.get("run")
    if link is not None:
        if open_link(root, state, link) is None:
            return [NO_SUCH_RUN]
        state["train_run"] = link
    style = query.get("style", "")
    if style.startswith(workspace.YOURS_PREFIX):
        open_link(root, state, style.removeprefix(workspace.YOURS_PREFIX))  # else boot says "no style"
    return []
