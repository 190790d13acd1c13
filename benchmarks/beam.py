"""Beam search speed: the beams stepped together as one batch against one beam at a time.

    python -m benchmarks.beam [--model models/shakespeare] [--width 8 --length 200 --repeats 7]

Both runs are the same search (``charrnn.beam.decode``, from the same primed state); they
differ only in how the W beams advance one character:

  batched      one engine ``Stepper`` of W streams: one matrix product per layer per step for
               all beams, and one gather (``Stepper.select``) to move the chosen parents' states
  one_by_one   W steppers of one stream each, stepped in turn, states copied stream by stream

Reported: chars/s of the search (characters of the best beam per second) and seconds per
search for each, as medians over alternating repetitions (the order rotating), the ratio
batched / one_by_one of the medians and the median of the per-repetition ratios, whether both
found the same texts, and the median time of one engine step of 1 and of W streams (what makes
the ratio). Last line: JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable, Sequence

import numpy as np

from charrnn import CharRNN, blas
from charrnn.beam import decode, prime_state
from charrnn.engine import Engine


class OneByOne:
    """W streams of one beam each, with the ``BatchStepper`` protocol ``decode`` steps."""

    def __init__(self, engine: Engine, width: int, state: object):
        self.streams = [engine.stepper(1) for _ in range(width)]
        for stream in self.streams:
            stream.set_state(state)

    def step(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        return np.concatenate([s.step(int(i)) for s, i in zip(self.streams, ids, strict=True)])  # (W, V)

    def select(self, rows: Sequence[int] | np.ndarray) -> None:
        states = [s.get_state() for s in self.streams]
        for stream, row in zip(self.streams, rows, strict=True):
            stream.set_state(states[row])


def step_ms(engine: Engine, batch: int, repeats: int, steps: int = 100) -> float:
    """Median milliseconds of one engine step of ``batch`` streams: what a product for all beams
    costs against one for a single beam."""
    stepper, ids = engine.stepper(batch), np.zeros(batch, np.intp)
    stepper.step(ids)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            stepper.step(ids)
        times.append((time.perf_counter() - start) / steps * 1e3)
    return statistics.median(times)


def measure(model: CharRNN, args: argparse.Namespace) -> dict:
    engine = Engine.for_model(model)
    logits, state = prime_state(model, args.prime)
    width, length, chars = args.width, args.length, model.vocab.chars

    def batched() -> list:
        stepper = engine.stepper(width)
        stepper.set_state(state)
        return decode(stepper, logits, width, length, [], chars)

    def one_by_one() -> list:
        return decode(OneByOne(engine, width, state), logits, width, length, [], chars)

    runs: dict[str, Callable[[], list]] = {"batched": batched, "one_by_one": one_by_one}
    found = {key: run() for key, run in runs.items()}  # also the warm-up
    seconds: dict[str, list[float]] = {key: [] for key in runs}
    keys = list(runs)
    for rep in range(args.repeats):
        for key in keys[rep % 2 :] + keys[: rep % 2]:
            start = time.perf_counter()
            runs[key]()
            seconds[key].append(time.perf_counter() - start)
    med = {key: statistics.median(v) for key, v in seconds.items()}
    step_1, step_w = step_ms(engine, 1, args.repeats), step_ms(engine, width, args.repeats)
    return {
        "width": width,
        "length": length,
        "layers": model.layers,
        "hidden": model.hidden,
        "cell": model.cell,
        "batched_s": round(med["batched"], 4),
        "one_by_one_s": round(med["one_by_one"], 4),
        "batched_chars_per_s": round(length / med["batched"], 1),
        "one_by_one_chars_per_s": round(length / med["one_by_one"], 1),
        "speedup": round(med["one_by_one"] / med["batched"], 2),
        "speedup_paired": round(
            statistics.median(b / a for a, b in zip(seconds["batched"], seconds["one_by_one"], strict=True)), 2
        ),
        "step_ms_1_stream": round(step_1, 3),
        f"step_ms_{width}_streams": round(step_w, 3),
        "same_texts": [b.text for b in found["batched"]] == [b.text for b in found["one_by_one"]],
        "best_bits_per_char": round(found["batched"][0].bits_per_char, 4),
        "repeats": args.repeats,
        "blas_threads": blas.fix_threads(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.beam", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="models/shakespeare", help="model directory (the 2 x 512 flagship)")
    parser.add_argument("--width", type=int, default=8, help="beams")
    parser.add_argument("--length", type=int, default=200, help="characters per search")
    parser.add_argument("--prime", default="ROMEO:", help="text the search starts after")
    parser.add_argument("--repeats", type=int, default=7, help="alternating measurements of each")
    args = parser.parse_args(argv)
    model = CharRNN.from_pretrained(args.model)
    load_before = os.getloadavg()[0]
    r = measure(model, args)
    print(f"{'':>12} {'s/search':>10} {'chars/s':>10}")
    for key in ("batched", "one_by_one"):
        print(f"{key:>12} {r[key + '_s']:>10.3f} {r[key + '_chars_per_s']:>10,.0f}")
    print(
        f"width {r['width']}, {r['length']} chars, {r['cell']} {r['layers']}x{r['hidden']}: batched is "
        f"{r['speedup']:.2f}x one beam at a time (paired {r['speedup_paired']:.2f}x), same texts {r['same_texts']}; "
        f"medians of {args.repeats}, BLAS threads {r['blas_threads']}, "
        f"load {load_before:.1f} -> {os.getloadavg()[0]:.1f}"
    )
    step_w = r[f"step_ms_{args.width}_streams"]
    print(f"one engine step: {r['step_ms_1_stream']:.2f} ms for 1 stream, {step_w:.2f} ms for {args.width}")
    print(json.dumps(r))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
