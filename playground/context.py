"""What every page of the app is handed: one small frozen object, built by ``app.py`` once a run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from charrnn import CharRNN
from playground.session.catalog import ModelInfo
from playground.session.params import Settings
from playground.train.workspace import Run


@dataclass(frozen=True)
class PageContext:
    """The selected style and its model (None when it cannot be loaded: a page that sets
    ``NEEDS_MODEL`` is then not drawn), every style this session may see, the settings read from
    the URL and the widgets, this session's runs, where the app and the workspace are, when this
    script run began (``time.perf_counter``), and the session's two actions on styles."""

    info: ModelInfo
    model: CharRNN | None
    infos: list[ModelInfo]
    settings: Settings
    runs: list[Run]
    app_dir: Path
    work: Path
    started: float
    load_model: Callable[[ModelInfo], CharRNN | str]
    select_style: Callable[[str], None]
