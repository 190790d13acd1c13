"""The README's screenshot: the Generate tab of ``streamlit run app.py`` with the shipped models, in
Debian's headless Chromium (the harness of ``benchmarks/browser.py``), written as a PNG.

    python -m benchmarks.screenshot --out docs/screenshot.png

Without an emoji font (Debian's ``fonts-noto-color-emoji``) Chromium draws the tabs' and headings'
emoji as empty boxes; the shot then leaves those emoji out rather than show the boxes.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.browser import CHROMIUM_ARGS, ROOT, browser_executable, running_app

PAGE_TIMEOUT_MS = 300_000
# Drops the astral-plane emoji and the media symbols (the Stop button's), each with a space after
# it, from the page's text nodes.
DROP_EMOJI_JS = r"""() => {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode())
        node.nodeValue = node.nodeValue.replace(/[\u{1F000}-\u{1FAFF}\u{23E9}-\u{23FA}]\uFE0F? ?/gu, '');
}"""


def has_emoji_font() -> bool:
    try:
        listed = subprocess.run(["fc-list", ":charset=1f4c8"], capture_output=True, text=True, check=False).stdout
    except FileNotFoundError:
        return False
    return bool(listed.strip())


@dataclass
class ShotConfig:
    out: Path = ROOT / "docs" / "screenshot.png"
    link: str = "/?style=shakespeare&prime=ROMEO%3A%0A&seed=7&len=400"
    width: int = 1280
    height: int = 860


def parse_args() -> ShotConfig:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ShotConfig.out, help="where the PNG goes")
    parser.add_argument("--link", default=ShotConfig.link, help="the app's link to open (path and query)")
    parser.add_argument("--width", type=int, default=ShotConfig.width, help="viewport width in CSS pixels")
    parser.add_argument("--height", type=int, default=ShotConfig.height, help="viewport height in CSS pixels")
    return ShotConfig(**vars(parser.parse_args()))


def take(cfg: ShotConfig) -> None:
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory() as tmp,
        running_app(ROOT / "models", Path(tmp) / "streamlit.log") as url,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=str(browser_executable(Path(tmp))), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": cfg.width, "height": cfg.height})
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            page.goto(url + cfg.link)
            page.locator(".charrnn-text").first.wait_for()
            # The sample is drawn once the status widget is gone: no half-streamed text in the shot.
            page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
            page.wait_for_timeout(3000)  # the sidebar's last redraw
            if not has_emoji_font():
                page.evaluate(DROP_EMOJI_JS)
            page.screenshot(path=str(cfg.out))
        finally:
            browser.close()
    print(f"wrote {cfg.out} ({cfg.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    take(parse_args())
