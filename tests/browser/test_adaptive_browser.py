"""Adaptive reading in a real headless Chromium (Debian's, through Playwright) against
``streamlit run app.py``: the flagship adapts to a pasted page and writes from there, beside the
same prime and seed written from its trained weights."""

from __future__ import annotations

import re
from pathlib import Path

from test_browser import ARTIFACTS, PAGE_TIMEOUT_MS
from texts import novel

from benchmarks.browser import CHROMIUM_ARGS, browser_executable, running_app

ROOT = Path(__file__).resolve().parents[2]


def test_the_flagship_adapts_to_a_pasted_page_and_writes(tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    page_text = novel(1_500, seed=4)  # a page of made-up prose: names and words Shakespeare never wrote
    ARTIFACTS.mkdir(exist_ok=True)
    with running_app(ROOT / "models", tmp_path / "streamlit.log") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(browser_executable(tmp_path)), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            page.goto(f"{url}/?style=shakespeare&seed=5&len=200")
            page.get_by_role("button", name="▶ Generate").wait_for()
            page.get_by_text("🧪 Adapt to a text first").click()
            area = page.get_by_role("textbox", name=re.compile("Paste up to"))
            area.fill(page_text)
            area.press("Control+Enter")
            page.get_by_role("button", name="🧪 Adapt and write").click()
            expect(page.get_by_text("From adapted weights")).to_be_visible(timeout=PAGE_TIMEOUT_MS)
            read = page.get_by_text(re.compile(r"adapted to ([\d,]+) of \1 characters"))  # the whole page read
            expect(read).to_be_visible()
            panel = page.get_by_test_id("stExpander").filter(has_text="Adapt to a text first")
            blocks = panel.locator('[data-testid="stCode"]')
            expect(blocks).to_have_count(2)
            adapted, plain = (blocks.nth(i).inner_text() for i in range(2))
            assert adapted.startswith("ROMEO:") and plain.startswith("ROMEO:")
            assert adapted != plain  # the same prime and seed, other weights: another text
            expect(page.get_by_test_id("stException")).to_have_count(0)
            page.screenshot(path=str(ARTIFACTS / "browser-adapted.png"), full_page=True)
        finally:
            browser.close()
