"""The Memory tab in a real headless Chromium against ``streamlit run app.py``: generate a sample,
pick a position of it, see the history coloured by influence and the comparison models' curves."""

from __future__ import annotations

from pathlib import Path

from conftest import TINY_TEXT, train_tiny, write_model_dir

from benchmarks.browser import CHROMIUM_ARGS, browser_executable, running_app
from charrnn import CharRNN
from playground.pages import memory

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
PAGE_TIMEOUT_MS = 180_000


def test_pick_a_position_see_the_coloured_history_and_the_curves(tiny_model: CharRNN, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    root = tmp_path / "models"
    write_model_dir(tiny_model, root / "tiny-lstm", "tiny-lstm")
    for cell in ("rnn", "gru", "lstm"):
        write_model_dir(train_tiny(TINY_TEXT, cell=cell, steps=20), root / f"shakespeare-{cell}", f"shakespeare-{cell}")
    with running_app(root, tmp_path / "streamlit.log") as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(browser_executable(tmp_path)), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1400})
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            page.goto(f"{server}/?style=tiny-lstm&seed=2&len=400")  # a generated sample of 2 + 400 characters
            page.locator(".charrnn-text").first.wait_for()
            page.get_by_role("tab", name=memory.LABEL).click()
            expect(page.get_by_text("Reading the last sample generated in this session.")).to_be_visible()
            position = page.get_by_role("spinbutton", name="Position (1–401)")
            position.fill("150")
            position.press("Enter")
            expect(page.get_by_title("position 150: the character predicted")).to_be_visible()
            history = page.locator(".charrnn-text").first
            expect(history.locator('span[title*="k = 1 back"]')).to_have_count(1)
            assert history.locator('span[title*=" back: "]').count() == 150  # every earlier character, coloured
            expect(page.get_by_text("The model predicts")).to_be_visible()
            chart = page.locator('[data-testid="stVegaLiteChart"]').first
            expect(chart).to_be_visible()
            for key in ("tiny-lstm", "shakespeare-rnn", "shakespeare-gru", "shakespeare-lstm"):
                expect(page.get_by_text(f"{key} at k =").or_(page.get_by_text(f"{key} not within"))).to_be_visible()
            expect(page.get_by_test_id("stException")).to_have_count(0)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "browser-memory.png"), full_page=True)
        finally:
            browser.close()
