"""Beam search and many futures in a real browser: ``streamlit run app.py`` driven by Debian's
headless Chromium through Playwright (``playwright install`` is never used)."""

from __future__ import annotations

from pathlib import Path

from test_browser import ARTIFACTS, PAGE_TIMEOUT_MS, server

from benchmarks.browser import CHROMIUM_ARGS, browser_executable, wait_for_text
from charrnn import CharRNN, SamplingSettings
from charrnn.beam import beam_search, futures

__all__ = ["server"]  # test_browser's app fixture, shared


def test_a_beam_link_and_futures_from_a_position_in_a_real_browser(
    server: str, tiny_models_root: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    tiny = CharRNN.from_pretrained(tiny_models_root / "tiny-lstm")
    beams = beam_search(tiny, "To", 60, 4)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(browser_executable(tmp_path)), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            # 1. A shared link with beam decoding: the best beam is the sample, the others beside it.
            page.goto(f"{server}/?style=tiny-lstm&seed=5&len=60&decode=beam&width=4")
            wait_for_text(page, "To" + beams[0].text)
            expect(page.get_by_text("Beam search: the 4 most probable continuations")).to_be_visible()
            expect(page.get_by_text("Where the beams part")).to_be_visible()
            expect(page.get_by_text("60 characters · seed 5 · beam 4")).to_be_visible()
            expect(page.get_by_role("spinbutton", name="Beam width")).to_have_value("4")  # the link's width
            expect(page.get_by_role("radio", name="🔦 beam")).to_be_checked()
            ARTIFACTS.mkdir(exist_ok=True)
            page.get_by_text("Where the beams part").scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "browser-beam-list.png"))
            # 2. Futures from an inspected position: the link follows, and lists them.
            page.get_by_role("spinbutton", name="Position", exact=True).fill("10")
            page.get_by_role("spinbutton", name="Position", exact=True).press("Enter")
            page.get_by_role("button", name="🔮 Show futures from position 10").click()
            page.wait_for_function("() => window.location.search.includes('fat=10')")
            expected = futures(tiny, "To" + beams[0].text[:10], 5, 80, SamplingSettings(0.8), seed=5)
            seeds = ", ".join(str(f.seed) for f in expected)
            expect(page.get_by_text(f"5 futures from position 10 (T=0.8, seeds {expected[0].seed}")).to_be_visible()
            assert "futures=5" in page.url and "decode=beam" in page.url, (page.url, seeds)
            page.screenshot(path=str(ARTIFACTS / "browser-beam-futures.png"))
        finally:
            browser.close()
