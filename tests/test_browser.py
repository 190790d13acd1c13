"""The real thing: `streamlit run app.py` driven by Debian's headless Chromium through Playwright.

Skipped only when /usr/bin/chromium is absent (CI installs it: ``apt-get install -y chromium``);
``playwright install`` is never used. The screenshot lands in ``artifacts/`` (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    browser_executable,
    running_app,
    wait_for_text,
)
from charrnn import CharRNN, sample

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
PAGE_TIMEOUT_MS = 180_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium "
        "(apt-get install -y chromium); the browser test needs it",
    ),
]


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
