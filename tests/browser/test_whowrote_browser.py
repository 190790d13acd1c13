"""The Score tab's "Who wrote it?" in a real headless Chromium against ``streamlit run app.py``: the
tab opens on an example, and a pasted text is ranked by every style without an error."""

from __future__ import annotations

import re
from pathlib import Path

from benchmarks.browser import CHROMIUM_ARGS, browser_executable, running_app

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
PAGE_TIMEOUT_MS = 180_000
WAIT_MS = 120_000  # for the page to show something: every style reads the text first
PASTED = "Whether 'tis nobler in the mind to suffer the slings and arrows of outrageous fortune"


def test_the_score_tab_opens_on_an_example_and_ranks_a_pasted_text(tiny_models_root: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    verdict = re.compile(r"wrote it|A close call")
    with running_app(tiny_models_root, tmp_path / "streamlit.log") as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(browser_executable(tmp_path)), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1400})
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            page.goto(f"{server}/?style=tiny-lstm&tab=score")
            box = page.get_by_role("textbox", name="Text to score")
            expect(box).not_to_have_value("", timeout=WAIT_MS)  # an example, not an empty box
            expect(page.get_by_text("An example from")).to_be_visible(timeout=WAIT_MS)
            expect(page.get_by_role("heading", name="Who wrote it?")).to_be_visible(timeout=WAIT_MS)
            expect(page.get_by_text(verdict).first).to_be_visible(timeout=WAIT_MS)
            box.fill(PASTED)
            box.press("Control+Enter")
            scored = page.get_by_test_id("stMetricValue").last  # characters scored
            expect(scored).to_have_text(str(len(PASTED)), timeout=WAIT_MS)
            expect(page.get_by_text(verdict).first).to_be_visible(timeout=WAIT_MS)
            # The run's end clears the example's ranking, drawn at another place on the page (no caption now)
            expect(page.locator("[class*=st-key-whowrote_rows]")).to_have_count(1, timeout=WAIT_MS)
            table = page.locator("[class*=st-key-whowrote_rows]").get_by_test_id("stDataFrame")
            expect(table).to_contain_text("tiny-lstm", timeout=WAIT_MS)
            expect(table).to_contain_text("tiny-gru", timeout=WAIT_MS)
            open_another_row(page, table)
            page.get_by_role("tab", name="Rank among the predictions").click()
            expect(page.get_by_text("rank of the actual character")).to_be_visible(timeout=WAIT_MS)
            expect(page.get_by_test_id("stException")).to_have_count(0, timeout=WAIT_MS)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "browser-whowrote.png"), full_page=True)
        finally:
            browser.close()


def open_another_row(page, table) -> None:
    """A click on the row of a style whose view is not open (its selection box: the grid is drawn on
    a canvas, rows 35 px high under a 35 px header) opens that style's per-character view."""
    from playwright.sync_api import expect

    reader = page.get_by_test_id("stSelectbox").filter(has_text="Each character, as read by").get_by_role("combobox")
    styles = [table.get_by_test_id(f"glide-cell-2-{row}").text_content() for row in (0, 1)]  # the grid's text copy
    row = 1 if reader.input_value() == styles[0] else 0
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + 35 * (row + 1) + 17)
    expect(reader).to_have_value(styles[row], timeout=WAIT_MS)
