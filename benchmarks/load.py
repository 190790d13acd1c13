"""Load: several browser sessions generating at once against one ``streamlit run app.py``.

    python -m benchmarks.load [--model DIR] [--sessions 8] [--length 300] [--rounds 2]

Starts the app on a free loopback port serving the model's folder and opens Debian's headless
Chromium (/usr/bin/chromium) with one browser context per session: each is its own Streamlit
session, opened on its own seeded link (own seed, temperature, top-k, top-p). First one session
generates alone (``--rounds`` times), then every session clicks Generate at the same moment
(``--rounds`` times). Each text on screen must equal the library's ``sample`` for that session's
settings: what the same request gives run alone, so no state leaks between sessions.

Printed: time to first character and total time (click -> text complete, timed in the page, as
tests/test_browser.py measures them), medians over sessions and rounds, single vs concurrent; and
the server's resident memory (VmRSS) once the sessions are open, and after each concurrent round.
Last line: JSON.

With ``--while-training`` it also measures what a Train-tab run costs other sessions: one session's
time to the first character with no run going, then while a run of the "20 minutes" preset trains
(started as the Train tab starts it: its own process, one thread, nice 10), and their ratio
(``training_first_char_ratio``; the target is under 2). The texts must match in both.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.browser import CHROMIUM_ARGS, FIRST_CHARACTER_JS, browser_executable, running_app, wait_for_text
from charrnn import CharRNN, sample
from playground.session import params
from playground.train import presets, usertext, workspace

TIMEOUT_S = 300  # for one round of every session, and for the pages to open
START_ROUND = f"() => {{ window.__charrnnRound = ({FIRST_CHARACTER_JS})(); }}"
FINISH_ROUND = """ms => Promise.race([window.__charrnnRound,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`no finished sample after ${ms} ms`)), ms))])"""


@dataclass(frozen=True)
class Session:
    """One session's request: a link that fixes every setting, and the text it must show."""

    settings: params.Settings

    def url(self, server: str) -> str:
        return f"{server}/?{urlencode(params.to_query(self.settings))}"

    def expected(self, model: CharRNN) -> str:
        """Prime + the library's sample: the same request run alone, outside the app."""
        s = self.settings
        sampling = s.sampling_for(len(model.vocab))
        text = sample(model, s.prime, s.length, sampling.temperature, sampling.top_k, sampling.top_p,
                      sampling.greedy, s.seed)  # fmt: skip
        return s.prime + text


def sessions_for(style: str, count: int, length: int, prime: str) -> list[Session]:
    """``count`` different requests: the seed, temperature, top-k and top-p all vary by session."""
    sessions = []
    for i in range(count):
        temperature, top_k, top_p = round(0.5 + 0.1 * (i % 8), 2), (0, 5, 20)[i % 3], (1.0, 0.9)[i % 2]
        settings = params.Settings.of(temperature, top_k, top_p, style=style, prime=prime, length=length, seed=1000 + i)
        sessions.append(Session(settings))
    return sessions


def open_pages(browser, server: str, sessions: list[Session], model: CharRNN, timeout_s: float) -> list:
    """One browser context (= one Streamlit session) per request; each link shows its sample at once,
    so opening them is already a concurrent round: every page must show its own text."""
    pages = []
    for session in sessions:
        page = browser.new_context(viewport={"width": 1300, "height": 900}).new_page()
        page.set_default_timeout(timeout_s * 1000)
        page.goto(session.url(server))
        pages.append(page)
    for page, session in zip(pages, sessions, strict=True):
        page.get_by_role("button", name="▶ Generate").wait_for()
        wait_for_text(page, session.expected(model), timeout_s=timeout_s)
        page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached")
    return pages


def generate_at_once(pages: list, sessions: list[Session], model: CharRNN, timeout_s: float) -> list[dict]:
    """Click Generate in every page (without waiting between clicks), then collect each page's
    in-page timings {first_ms, total_ms} and check its text."""
    for page in pages:
        page.evaluate(START_ROUND)
    timings = [page.evaluate(FINISH_ROUND, timeout_s * 1000) for page in pages]
    for page, session in zip(pages, sessions, strict=True):
        wait_for_text(page, session.expected(model), timeout_s=60)
    return timings


def server_pid() -> int:
    """The ``streamlit run`` process this process started (its child), found through /proc."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getpid() and b"streamlit" in command:
            return int(stat.parent.name)
    raise RuntimeError("no streamlit process among this process's children")


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` in MiB (VmRSS from /proc; psutil is not a dependency)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def median_ms(timings: list[dict], key: str) -> float:
    return round(statistics.median(t[key] for t in timings))


def run_load(server: str, model: CharRNN, sessions: list[Session], rounds: int, timeout_s: float = TIMEOUT_S) -> dict:
    """The whole measurement against a running app (see the module docstring)."""
    from playwright.sync_api import sync_playwright

    pid = server_pid()
    with sync_playwright() as p, tempfile.TemporaryDirectory() as folder:
        browser = p.chromium.launch(executable_path=str(browser_executable(Path(folder))), args=CHROMIUM_ARGS)
        try:
            alone = open_pages(browser, server, sessions[:1], model, timeout_s)
            single = [t for _ in range(rounds) for t in generate_at_once(alone, sessions[:1], model, timeout_s)]
            alone[0].context.close()
            rss = [rss_mib(pid)]  # the model is loaded and one session has run
            pages = open_pages(browser, server, sessions, model, timeout_s)
            rss.append(rss_mib(pid))
            concurrent = []
            for _ in range(rounds):
                concurrent += generate_at_once(pages, sessions, model, timeout_s)
                rss.append(rss_mib(pid))
        finally:
            browser.close()
    return {
        "sessions": len(sessions),
        "rounds": rounds,
        "length": sessions[0].settings.length,
        "single_first_char_ms": median_ms(single, "first_ms"),
        "single_total_ms": median_ms(single, "total_ms"),
        "concurrent_first_char_ms": median_ms(concurrent, "first_ms"),
        "concurrent_total_ms": median_ms(concurrent, "total_ms"),
        "concurrent_total_max_ms": round(max(t["total_ms"] for t in concurrent)),
        "rss_mib_single": round(rss[0], 1),
        "rss_mib_sessions_open": round(rss[1], 1),
        "rss_mib_after_rounds": [round(r, 1) for r in rss[2:]],
        "all_texts_match": True,  # generate_at_once raises on the first mismatch
    }


def training_text(model: CharRNN, path: str | None) -> str:
    """The run's text: ``--train-text``, else 60,000 characters the model writes itself."""
    if path:
        return usertext.check_text(Path(path).read_bytes())
    return sample(model, "", 60_000, temperature=1.0, seed=0)


def start_training(root: Path, text: str) -> workspace.Run:
    """A run of the slowest preset, as the Train tab starts it; returns once it trains."""
    stats = usertext.text_stats(text)
    budget, shape = presets.PRESETS["20 minutes"]
    speed = presets.scaled_speed(shape, presets.speeds(root, workspace.list_runs(root)))
    plan = presets.plan(shape, budget, stats.train_chars, stats.val_chars, speed)
    run = workspace.start_run(root, text, "load-benchmark", plan.args(), plan.to_dict(), "benchmark")
    deadline = time.monotonic() + TIMEOUT_S
    while not presets.progress(now := workspace.read_run(run.path)).step:  # past the start, into the steps
        if time.monotonic() > deadline or now.state not in ("queued", "running"):
            raise RuntimeError(f"the training run did not start: {now.message}")
        time.sleep(0.5)
    return run


def run_while_training(server: str, model: CharRNN, session: Session, rounds: int, text: str) -> dict:
    """One session's first-character time idle, then while a training run goes (see the docstring)."""
    from playwright.sync_api import sync_playwright

    root = Path(os.environ[workspace.ENV_WORKSPACE])
    with sync_playwright() as p, tempfile.TemporaryDirectory() as folder:
        browser = p.chromium.launch(executable_path=str(browser_executable(Path(folder))), args=CHROMIUM_ARGS)
        try:
            (page,) = open_pages(browser, server, [session], model, TIMEOUT_S)
            idle = [t for _ in range(rounds) for t in generate_at_once([page], [session], model, TIMEOUT_S)]
            run = start_training(root, text)
            try:
                busy = [t for _ in range(rounds) for t in generate_at_once([page], [session], model, TIMEOUT_S)]
            finally:
                workspace.stop_run(run)
        finally:
            browser.close()
    idle_ms, busy_ms = median_ms(idle, "first_ms"), median_ms(busy, "first_ms")
    return {
        "idle_first_char_ms": idle_ms,
        "training_first_char_ms": busy_ms,
        "training_first_char_ratio": round(busy_ms / max(idle_ms, 1), 2),
        "training_run": workspace.read_run(run.path).spec["plan"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--model", default="models/shakespeare", metavar="DIR", help="model directory")
    parser.add_argument("--sessions", type=int, default=8, help="concurrent browser sessions")
    parser.add_argument("--length", type=int, default=300, help="characters per sample")
    parser.add_argument("--rounds", type=int, default=2, help="single and concurrent rounds")
    parser.add_argument("--prime", default="ROMEO:\n")
    parser.add_argument("--while-training", action="store_true", help="also time Generate while a run trains")
    parser.add_argument("--train-text", metavar="FILE", help="the run's text (default: the model's own sample)")
    args = parser.parse_args(argv)
    if args.while_training:
        os.environ.setdefault(workspace.ENV_WORKSPACE, tempfile.mkdtemp(prefix="charrnn-load-workspace-"))
    model_dir = Path(args.model).resolve()
    model = CharRNN.from_pretrained(model_dir)
    sessions = sessions_for(model_dir.name, args.sessions, args.length, args.prime)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with running_app(model_dir.parent, Path("/tmp/charrnn-load-streamlit.log")) as server:
        result = run_load(server, model, sessions, args.rounds)
        if args.while_training:
            text = training_text(model, args.train_text)
            result.update(run_while_training(server, model, sessions[0], args.rounds, text))
    result.update(model=model_dir.name, wall_s=round(time.perf_counter() - started, 1))
    result.update(load_average=[round(load_before, 1), round(os.getloadavg()[0], 1)], cpus=os.cpu_count())
    print(f"{'':>22} {'first char':>12} {'total':>10}   ({result['length']} characters, medians)")
    print(f"{'1 session':>22} {result['single_first_char_ms']:>10} ms {result['single_total_ms']:>7} ms")
    n = f"{args.sessions} sessions at once"
    print(f"{n:>22} {result['concurrent_first_char_ms']:>10} ms {result['concurrent_total_ms']:>7} ms")
    print(
        f"server RSS {result['rss_mib_single']} MiB after one session, {result['rss_mib_sessions_open']} MiB "
        f"with {args.sessions} open, after each round "
        f"{result['rss_mib_after_rounds']} MiB; every text equals the library's sample; "
        f"load average {load_before:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    if args.while_training:
        print(
            f"first character while a Train-tab run trains: {result['training_first_char_ms']} ms against "
            f"{result['idle_first_char_ms']} ms idle ({result['training_first_char_ratio']}x)"
        )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
