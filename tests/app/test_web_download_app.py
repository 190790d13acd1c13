"""The Download tab offers every style as one web page, built only when the button is clicked."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from training import export_web

APP = str(Path(__file__).resolve().parents[2] / "app.py")
LABEL = "⬇️ One web page that writes offline (.html)"


def test_the_download_tab_offers_the_web_page_without_building_it(
    tiny_models_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = []
    monkeypatch.setattr(export_web, "page_html", lambda *a, **k: built.append(a) or "")
    monkeypatch.setenv("CHARRNN_MODELS_DIR", str(tiny_models_root))
    at = AppTest.from_file(APP, default_timeout=240)
    at.query_params.update({"style": "tiny-gru", "len": "20", "tab": "download"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert LABEL in [b.label for b in at.download_button]
    assert built == []  # a rerun does not export: the page is built on click
