"""The real thing: `streamlit run app.py` driven by Debian's headless Chromium through Playwright.

Skipped only when /usr/bin/chromium is absent (CI installs it: ``apt-get install -y chromium``);
``playwright install`` is never used. The screenshot lands in ``artifacts/`` (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from benchmarks.browser import (
    CHROMIUM_ARGS,
    browser_executable,
    running_app,
    wait_for_text,
)
from charrnn import CharRNN, ModelConfig, sample

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
PAGE_TIMEOUT_MS = 180_000


@pytest.fixture
def server(tiny_models_root: Path, tmp_path: Path) -> Iterator[str]:
    with running_app(tiny_models_root, tmp_path / "streamlit.log") as url:
        yield url


def test_generate_and_inspect_in_a_real_browser(server: str, tiny_models_root: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    tiny = CharRNN.from_pretrained(tiny_models_root / "tiny-lstm")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(browser_executable(tmp_path)), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            # 1. A shared link: the sample appears with its table.
            page.goto(f"{server}/?style=tiny-lstm&seed=5&len=300")
            page.locator(".charrnn-text").first.wait_for()
            expected = sample(tiny, "To", 300, temperature=0.8, seed=5)
            wait_for_text(page, "To" + expected)
            grid = page.locator('[data-testid="stDataFrame"]').first
            expect(grid).to_be_visible()
            expect(page.get_by_text("Probability table")).to_be_visible()
            expect(page.get_by_text("300 characters · seed 5")).to_be_visible()
            # 2. A new prime and Generate: the text streams in, and the URL follows the settings.
            prime = page.get_by_role("textbox", name="Prime")
            prime.fill("Whether")
            prime.press("Control+Enter")
            page.get_by_role("button", name="▶ Generate").click()
            expected = sample(tiny, "Whether", 300, temperature=0.8, seed=5)
            wait_for_text(page, "Whether" + expected)
            page.wait_for_function("() => window.location.search.includes('prime=Whether')")
            page.screenshot(path=str(ARTIFACTS / "browser-generate.png"), full_page=True)
            # 3. The other tabs render.
            page.get_by_role("tab", name="📈 Training timeline").click()
            expect(page.get_by_text("Samples over training")).to_be_visible()
            expect(page.get_by_text("Moment in training")).to_be_visible()
            expect(page.get_by_test_id("stMetricValue")).to_have_count(6)  # step, epoch, losses, perplexity, time
            expect(page.get_by_test_id("stMetricValue").first).to_have_text("0")  # the first moment
            page.screenshot(path=str(ARTIFACTS / "browser-timeline.png"), full_page=True)
        finally:
            browser.close()


# Counts the stream views (a cell being drawn) the page ever shows, from before the page loads.
COUNT_STREAMS_JS = """
window.__streams = 0;
new MutationObserver(() => {
    window.__streams = Math.max(window.__streams, document.querySelectorAll('.charrnn-stream').length);
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def test_the_compare_grid_streams_in_a_real_browser(tmp_path: Path) -> None:
    """A 2 style x 2 temperature link: the cells stream side by side, then each shows its text.
    Untrained 2 x 384 models: slow enough (a few thousand characters a second) that the stream
    views reach the browser before the cells finish, where tiny ones finish in one batch."""
    from playwright.sync_api import sync_playwright

    from tests.conftest import TINY_TEXT, write_model_dir

    root, length, seed = tmp_path / "models", 2000, 4
    expected = {}
    for style, cell in (("wide-lstm", "lstm"), ("wide-gru", "gru")):
        torch.manual_seed(0)
        model = CharRNN(ModelConfig(sorted(set(TINY_TEXT)), cell=cell, layers=2, hidden=384, embedding=32)).eval()
        write_model_dir(model, root / style, style)
        for t in (0.8, 1.2):
            expected[f"{style}|T={t:g}"] = "To" + sample(model, "To", length, temperature=t, seed=seed)
    query = f"tab=compare&grid=wide-lstm,wide-gru&temps=0.8,1.2&gprime=To&gseed={seed}&glen={length}"
    with running_app(root, tmp_path / "streamlit.log") as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(browser_executable(tmp_path)), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1200})
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            page.add_init_script(COUNT_STREAMS_JS)
            page.goto(f"{server}/?{query}")
            page.wait_for_function("() => document.querySelectorAll('.charrnn-cell').length === 4")
            shown = {cell.get_attribute("data-cell"): cell.inner_text() for cell in page.locator(".charrnn-cell").all()}
            assert {k: v.replace("\n", "") for k, v in shown.items()} == {
                k: v.replace("\n", "") for k, v in expected.items()
            }
            assert page.evaluate("window.__streams") >= 2  # cells were seen drawing side by side
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "browser-compare.png"), full_page=True)
        finally:
            browser.close()
