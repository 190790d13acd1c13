"""The app's speed in a real browser: cold start, time to the first character, and a
2,000-character sample with its whole table, printed as JSON.

    python -m benchmarks.speed --models models --style shakespeare

A measurement, not a test: the figures depend on the machine and on what else it runs.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from benchmarks.browser import CHROMIUM_ARGS, FIRST_CHARACTER_JS, browser_executable, running_app

PAGE_TIMEOUT_MS = 180_000


def first_characters(page, rounds: int) -> list[int]:
    """Milliseconds from a new seed to its first character, one per round, sorted."""
    firsts = []
    for seed in range(rounds):
        page.get_by_role("spinbutton", name="Seed").fill(str(100 + seed))
        page.keyboard.press("Enter")
        page.wait_for_timeout(1500)
        firsts.append(page.evaluate(FIRST_CHARACTER_JS)["first_ms"])
    return sorted(round(f) for f in firsts)


def measure(models: Path, style: str, folder: Path, rounds: int = 5) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    started = time.perf_counter()
    figures: dict[str, object] = {}
    with running_app(models.resolve(), folder / "streamlit.log") as url, sync_playwright() as p:
        figures["health_s"] = round(time.perf_counter() - started, 2)
        browser = p.chromium.launch(executable_path=str(browser_executable(folder)), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        page.goto(f"{url}/?style={style}&len=500&seed=1")
        page.get_by_role("button", name="▶ Generate").wait_for()
        figures["cold_start_to_ready_s"] = round(time.perf_counter() - started, 2)
        page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached")
        figures["first_character_ms"] = first_characters(page, rounds)
        page.get_by_role("spinbutton", name="Length").fill("2000")
        page.keyboard.press("Enter")
        page.wait_for_timeout(1500)
        figures["sample_2000_with_table_ms"] = round(page.evaluate(FIRST_CHARACTER_JS)["total_ms"])
        browser.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=Path, default=Path("models"), help="the models folder the app serves")
    parser.add_argument("--style", default="shakespeare", help="the style to open")
    parser.add_argument("--rounds", type=int, default=5, help="new seeds timed to their first character")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        print(json.dumps(measure(args.models, args.style, Path(folder), args.rounds)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
