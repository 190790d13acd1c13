"""The exported web page's speed in headless Chromium, beside the app's engine, and its size.

    python -m benchmarks.web [--model DIR ...] [--length 1000 --repeats 5]

For the flagship (``models/shakespeare``) and a model of the Train tab's "1 minute" preset's shape
(``playground.train.presets.PRESETS``, random weights: speed does not depend on them), each exported
with ``training.export_web`` and opened from ``file://`` with the network off, in characters/s:

  page    Generate clicked in the page: the text drawn and streamed into it, as a user sees it
  draw    the page's sampler alone (``charrnnPage.sample``: no drawing), timed in the browser
  engine  ``charrnn.sample`` in Python (the app's NumPy engine, one thread), for comparison

plus load_s (opening the page until it can write), and the file's size against the model's float16
weights. A fast reader reads about 300 words a minute, some 30 characters a second: ``reader_x`` is
``page`` over that. The measurements alternate, repetition by repetition, and the medians are
reported. Last line: JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

from benchmarks.browser import CHROMIUM_ARGS, browser_executable
from charrnn import CharRNN, sample
from playground.train.presets import PRESETS
from training.export_web import page_html

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "models" / "shakespeare"
VOCAB = list("\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")  # 65, as Tiny Shakespeare
READER_CHARS_PER_S = 30.0  # 300 words a minute, about 6 characters a word with its space
FORM = {"prime": "ROMEO:\n", "temperature": "0.8", "topK": "0", "topP": "1", "seed": "1"}


def preset_model(directory: Path, preset: str = "1 minute") -> Path:
    """A model of the preset's shape with random weights, saved in float16 as a model directory."""
    shape = PRESETS[preset][1]
    torch.manual_seed(0)
    model = CharRNN(
        replace(shape.model, vocab=VOCAB),
        meta={"name": f"preset-{preset.replace(' ', '-')}", "corpus": "random weights"},
    )
    model.save_pretrained(directory, dtype=torch.float16)
    return directory


def page_run(page, length: int) -> float:
    """Characters/s of one click on Generate, streamed into the page."""
    page.fill("#length", str(length))
    page.click("#generate")
    page.wait_for_function("() => charrnnPage.lastRun.done", timeout=600_000)
    run = page.evaluate("charrnnPage.lastRun")
    return run["chars"] * 1000 / run["ms"]


def draw_run(page, length: int) -> float:
    form = {**FORM, "length": str(length)}
    ms = page.evaluate(
        "f => { const t = performance.now(); charrnnPage.sample(f); return performance.now() - t; }", form
    )
    return length * 1000 / ms


def engine_run(model: CharRNN, length: int) -> float:
    start = time.perf_counter()
    sample(model, FORM["prime"], length, temperature=0.8, seed=1)
    return length / (time.perf_counter() - start)


def measure(browser, model_dir: Path, html_dir: Path, args: argparse.Namespace) -> dict:
    html = html_dir / f"{model_dir.name}.html"
    html.write_text(page_html(model_dir), encoding="utf-8")
    model = CharRNN.from_pretrained(model_dir)
    context = browser.new_context()
    context.set_offline(True)
    runs: dict[str, list[float]] = {"page": [], "draw": [], "engine": [], "load_s": []}
    for _ in range(args.repeats):
        page = context.new_page()
        start = time.perf_counter()
        page.goto(html.as_uri())
        page.wait_for_function("() => window.charrnnPage")
        runs["load_s"].append(time.perf_counter() - start)
        runs["page"].append(page_run(page, args.length))
        runs["draw"].append(draw_run(page, args.length))
        runs["engine"].append(engine_run(model, args.length))
        page.close()
    context.close()
    medians = {k: round(statistics.median(v), 2) for k, v in runs.items()}
    float16_bytes = 2 * model.num_parameters
    return {
        "model": model_dir.name,
        "shape": f"{model.cell} {model.layers}x{model.hidden}",
        **medians,
        "reader_x": round(medians["page"] / READER_CHARS_PER_S, 1),
        "html_mb": round(html.stat().st_size / 1e6, 3),
        "float16_mb": round(float16_bytes / 1e6, 3),
        "size_ratio": round(html.stat().st_size / float16_bytes, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", help="model directory (default: the flagship and the preset)")
    parser.add_argument("--length", type=int, default=1000, help="characters per run")
    parser.add_argument("--repeats", type=int, default=5, help="runs per model (medians reported)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        tmp_dir = Path(tmp)
        dirs = [Path(m) for m in args.model] if args.model else [FLAGSHIP, preset_model(tmp_dir / "preset-1-minute")]
        browser = p.chromium.launch(executable_path=str(browser_executable(tmp_dir)), args=CHROMIUM_ARGS)
        results = [measure(browser, d, tmp_dir, args) for d in dirs]
        browser.close()
    for r in results:
        print(
            f"{r['model']:>20} {r['shape']:>12}: page {r['page']:8.1f} chars/s ({r['reader_x']}x a fast reader), "
            f"draw {r['draw']:8.1f}, engine {r['engine']:8.1f}, load {r['load_s']:.2f} s, "
            f"{r['html_mb']} MB = {r['size_ratio']}x the float16 weights"
        )
    print(json.dumps({"length": args.length, "repeats": args.repeats, "results": results}))


if __name__ == "__main__":
    main()
