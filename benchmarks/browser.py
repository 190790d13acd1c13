"""A real browser against a real app: ``streamlit run app.py`` on a loopback port and Debian's
headless Chromium (``/usr/bin/chromium``, driven by Playwright; ``playwright install`` is never
used). Shared by the browser tests (tests/test_browser.py, tests/test_load.py) and
``python -m benchmarks.load``.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_TIMEOUT_S = 180
# Resolves {first_ms, total_ms} for a click on Generate: to the first streamed character (or, when
# no stream view was ever seen, to the end), and to the finished sample: the status widget gone and
# a coloured text with a new sample id (data-sample) drawn. Only the id tells a sample from the one
# before it: the same link draws the same text, and on a loaded machine the whole run (status
# widget, stream and result) can arrive in one batch of DOM mutations, so neither the stream view
# nor the status widget is ever seen.
FIRST_CHARACTER_JS = """() => new Promise(resolve => {
    const sampleId = () => document.querySelector('.charrnn-text')?.dataset.sample ?? null;
    const before = sampleId();
    const t0 = performance.now(); let first = null;
    const check = () => {
        const now = performance.now() - t0;
        if (first === null && document.querySelector('.charrnn-stream')) first = now;
        const idle = !document.querySelector('[data-testid="stStatusWidget"]');
        const drawn = sampleId();
        if (idle && drawn !== null && drawn !== before) {
            observer.disconnect(); resolve({first_ms: first ?? now, total_ms: now});
        }
    };
    const observer = new MutationObserver(check);
    observer.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
    [...document.querySelectorAll('button')].find(b => b.innerText.includes('Generate')).click();
})"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(models: Path, log_path: Path) -> Iterator[str]:
    """``streamlit run app.py`` on a free loopback port serving ``models``; its URL once healthy."""
    port = free_port()
    env = {**os.environ, "CHARRNN_MODELS_DIR": str(models), "HF_HUB_OFFLINE": "1"}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
    ]
    with log_path.open("w") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                        if response.read() == b"ok":
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    raise RuntimeError(f"streamlit did not become healthy: {log_path.read_text()[-2000:]}")
                time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def shown_text(page) -> str:
    """The generated text as the coloured view shows it (newlines drawn as ⏎ + a line break)."""
    return page.locator(".charrnn-text").first.inner_text().replace("⏎", "")


def wait_for_text(page, expected: str, timeout_s: float = 120) -> None:
    """Until the coloured view shows ``expected`` (whitespace aside: the view wraps lines)."""
    want = re.sub(r"\s", "", expected)
    deadline = time.monotonic() + timeout_s
    while True:
        locator = page.locator(".charrnn-text").first
        got = re.sub(r"\s", "", shown_text(page)) if locator.count() else ""
        if got == want:
            return
        assert time.monotonic() < deadline, f"the page shows {got[:80]!r}..., expected {want[:80]!r}..."
        page.wait_for_timeout(200)


def browser_executable(folder: Path) -> Path:
    """Chromium raises some of its threads to nice -8 when it may (as root it may), which takes CPU
    from whatever else runs, a training run say. Started without CAP_SYS_NICE it keeps the niceness
    it was started with: a wrapper in ``folder`` drops that capability where setpriv exists."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        return CHROMIUM
    wrapper = folder / "chromium"
    wrapper.write_text(f'#!/bin/sh\nexec {setpriv} --inh-caps=-sys_nice --bounding-set=-sys_nice {CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    return wrapper
