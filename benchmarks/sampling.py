"""Sampling throughput: the per-character nn.Module loop, the fast engine, and the bare
matrix-vector products of one step (the floor), side by side in one run.

    python -m benchmarks.sampling [--model DIR ...] [--length 2000 --repeats 5]

For each model (the given directories, else a 2x512 LSTM with random weights, embedding 64,
vocabulary 65), in chars/s:

  naive     generate(engine="reference"): CharRNN.forward once per character, + sampling
            (torch's default threads, as the app ran before; naive_torch1 with 1 torch thread)
  fast      generate() on the engine, one stream, every Step built (what the app consumes),
            with the BLAS threads ``charrnn.blas`` fixed at start-up (1 unless CHARRNN_BLAS_THREADS)
  lean      sample() on the engine: the same text, no Step objects
  floor     only the products one step needs (each layer's W_hh, deeper layers' W_ih, the head),
            in NumPy, batch 1: the faster of 1 BLAS thread and NumPy's default

Extra fields: fast_blas_default (fast with NumPy's own BLAS thread count, one per CPU), the two
floors, blas_threads (the count fixed at start-up), and
*_paired: the median over repetitions of the ratio within each repetition (a check on the
ratios of medians when the machine's speed drifts).

The machine's speed drifts, so the measurements alternate, repetition by repetition (their
order rotating), and the medians are reported; speedup = fast / naive and fraction_of_floor =
fast / floor are ratios within this one run; fraction_of_floor_1thread compares with the floor on
one BLAS thread, the engine's count unless CHARRNN_BLAS_THREADS says otherwise. Last line: JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from charrnn import CharRNN, ModelConfig, SamplingSettings, blas
from charrnn.engine import Engine
from charrnn.sampling import generate, sample

VOCAB = list("\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")  # 65
BLAS_FIXED = blas.fix_threads()  # what the engine runs with (fixed when charrnn.engine was imported)
BLAS_DEFAULT = os.cpu_count() or 1  # OpenBLAS's own default: one thread per CPU
PRIME = "ROMEO:\n"  # short: the runs time stepping; priming is one call either way


def random_model() -> CharRNN:
    torch.manual_seed(0)
    return CharRNN(ModelConfig(VOCAB, cell="lstm", layers=2, hidden=512, embedding=64)).eval()


def floor_step(engine: Engine) -> Callable[[], None]:
    """One step's bare products for one stream, on preallocated buffers: nothing else."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, engine.hidden)).astype(np.float32)
    mats = [m for layer in engine._layers for m in (layer.w_ih, layer.w_hh) if m is not None] + [engine.head_w]
    ops = [(np.ascontiguousarray(m), np.empty((1, m.shape[1]), np.float32)) for m in mats]
    matmul = np.matmul

    def step() -> None:
        for w, out in ops:
            matmul(x, w, out=out)

    return step


def chars_per_s(run: Callable[[], object], chars: int) -> float:
    start = time.perf_counter()
    run()
    return chars / (time.perf_counter() - start)


def measure(model: CharRNN, name: str, args: argparse.Namespace) -> dict:
    settings = SamplingSettings(args.temperature, args.top_k, args.top_p)
    n, n_naive = args.length, args.naive_length
    kw = {"unknown": "replace"}
    engine = Engine.for_model(model)
    floor = floor_step(engine)

    def with_threads(threads: int, run: Callable[[], object]) -> Callable[[], object]:
        def wrapped() -> object:  # this process runs one thing at a time: safe to switch here
            blas.set_thread_count(threads)
            try:
                return run()
            finally:
                blas.set_thread_count(BLAS_FIXED or 1)

        return wrapped

    def floor_run(threads: int) -> Callable[[], object]:
        def run() -> None:
            for _ in range(n):
                floor()

        return with_threads(threads, run)

    def torch_threads(n: int, run: Callable[[], object]) -> Callable[[], object]:
        def wrapped() -> object:
            before = torch.get_num_threads()
            torch.set_num_threads(n)
            try:
                return run()
            finally:
                torch.set_num_threads(before)

        return wrapped

    def naive() -> object:
        return list(generate(model, PRIME, n_naive, settings, 1, engine="reference", **kw))

    def runs_fast() -> object:
        return list(generate(model, PRIME, n, settings, 1, **kw))

    runs: dict[str, tuple[Callable[[], object], int]] = {
        "naive": (naive, n_naive),
        "naive_torch1": (torch_threads(1, naive), n_naive),
        "fast": (runs_fast, n),
        "lean": (lambda: sample(model, PRIME, n, args.temperature, args.top_k, args.top_p, seed=1, **kw), n),
        "fast_blas_default": (with_threads(BLAS_DEFAULT, runs_fast), n),
        "floor_1thread": (floor_run(1), n),
        "floor_blas_default": (floor_run(BLAS_DEFAULT), n),
    }
    for run, _ in runs.values():  # warm up: engine cache, BLAS thread pool, allocator
        run()
    keys = list(runs)
    samples: dict[str, list[float]] = {key: [] for key in keys}
    for rep in range(args.repeats):
        for key in keys[rep % len(keys) :] + keys[: rep % len(keys)]:  # rotate the order
            run, chars = runs[key]
            samples[key].append(chars_per_s(run, chars))
    med = {key: statistics.median(v) for key, v in samples.items()}
    floors = [max(a, b) for a, b in zip(samples["floor_1thread"], samples["floor_blas_default"], strict=True)]
    floor_best = max(med["floor_1thread"], med["floor_blas_default"])

    def paired(top: str, bottom: list[float]) -> float:
        return round(statistics.median(a / b for a, b in zip(samples[top], bottom, strict=True)), 3)

    return {
        "model": name,
        "cell": model.cell,
        "layers": model.layers,
        "hidden": model.hidden,
        "naive_chars_per_s": round(med["naive"], 1),
        "fast_chars_per_s": round(med["fast"], 1),
        "floor_chars_per_s": round(floor_best, 1),
        "speedup": round(med["fast"] / med["naive"], 2),
        "fraction_of_floor": round(med["fast"] / floor_best, 3),
        "speedup_paired": paired("fast", samples["naive"]),
        "fraction_of_floor_paired": paired("fast", floors),
        "lean_chars_per_s": round(med["lean"], 1),
        "naive_torch1_chars_per_s": round(med["naive_torch1"], 1),
        "fast_blas_default_chars_per_s": round(med["fast_blas_default"], 1),
        "blas_threads": BLAS_FIXED,
        "floor_1thread_chars_per_s": round(med["floor_1thread"], 1),
        "floor_blas_default_chars_per_s": round(med["floor_blas_default"], 1),
        "fraction_of_floor_1thread": round(med["fast"] / med["floor_1thread"], 3),
        "seconds_for_2000_chars": round(2000 / med["fast"], 3),
        "repeats": args.repeats,
        **({"runs": {key: [round(v, 1) for v in values] for key, values in samples.items()}} if args.raw else {}),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sampling", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--model", action="append", default=[], metavar="DIR", help="model directory (repeatable)")
    parser.add_argument("--length", type=int, default=500, help="characters per fast / lean / floor run")
    parser.add_argument("--naive-length", type=int, default=50, help="characters per naive run")
    parser.add_argument("--repeats", type=int, default=11, help="alternating measurements of each")
    parser.add_argument("--raw", action="store_true", help="add every measurement to the JSON")
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--top-k", type=int)
    parser.add_argument("--top-p", type=float)
    args = parser.parse_args(argv)
    models = [(Path(d).name, CharRNN.from_pretrained(d)) for d in args.model] or [("random-lstm-2x512", random_model())]
    load_before = os.getloadavg()[0]
    results = [measure(model, name, args) for name, model in models]
    header = ("model", "cell", "LxH", "naive", "fast", "lean", "floor", "speedup", "of floor", "of 1-thr")  # fmt: skip
    print(" ".join(f"{h:>10}" for h in header))
    for r in results:
        row = [r["model"][:18], r["cell"], f"{r['layers']}x{r['hidden']}"]
        row += [f"{r[k + '_chars_per_s']:,.0f}" for k in ("naive", "fast", "lean", "floor")]
        row += [f"{r['speedup']:.1f}x", f"{r['fraction_of_floor']:.2f}", f"{r['fraction_of_floor_1thread']:.2f}"]
        print(" ".join(f"{c:>10}" for c in row))
    print(
        f"chars/s, medians of {args.repeats}; engine BLAS threads {BLAS_FIXED}, torch threads "
        f"{torch.get_num_threads()}, {os.cpu_count()} CPUs, load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}"
    )
    print(json.dumps({"results": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
