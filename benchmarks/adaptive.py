"""Adaptive reading speed (``charrnn.adaptive``) against static reading, on one torch thread.

    python -m benchmarks.adaptive [--model models/shakespeare --length 3000 --repeats 3]

Reads the first ``--length`` characters of the model's validation split (its corpus prepared or
in $CHARRNN_CORPORA_MIRROR; else a sample of the model's own of that length), in chars/s:

  static    ``surprisal_nats``: one pass, no gradients (what ``training.evaluate`` runs)
  sgd       ``AdaptiveReader`` with the sgd rule (each segment scored, then a gradient step)
  rms       the same with the rms rule (its gradient statistics gathered once, before timing)

with the model's recorded segment length (``meta.adaptive``; else 100). The machine's speed
drifts, so the three alternate, repetition by repetition, and the medians are reported, with
adaptive / static ratios within the run. Last line: JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import torch

from charrnn import CharRNN, sample, surprisal_nats
from charrnn.adaptive import AdaptiveSettings, adaptive_surprisal, gradient_rms
from corpora import CorpusError
from training.adapt import training_splits


def reading_text(model: CharRNN, length: int) -> tuple[str, str]:
    """(where it came from, text): the start of the validation split, or the model's own sample."""
    try:
        _, val = training_splits(model)
        return "validation split", val[:length]
    except (CorpusError, ValueError, OSError):
        return "the model's own sample (no corpus here)", sample(model, "", length, temperature=1.0, seed=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.adaptive", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="models/shakespeare", help="model directory")
    parser.add_argument("--length", type=int, default=3000, help="characters read per measurement")
    parser.add_argument("--repeats", type=int, default=3, help="alternating repetitions; medians reported")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    model = CharRNN.from_pretrained(args.model)
    source, text = reading_text(model, args.length)
    ids = model.vocab.encode(text, policy="skip").ids
    recorded = model.meta.get("adaptive", {}).get("settings", {})
    segment = recorded.get("segment", 100)
    sgd = AdaptiveSettings("sgd", 0.1, 0.0, segment)
    rms_settings = AdaptiveSettings("rms", 1e-5, 0.0, segment)
    rms = gradient_rms(model, ids, segment)  # speed only: any text gives the statistics' shapes
    runs: dict[str, Callable[[], object]] = {
        "static": lambda: surprisal_nats(model, ids),
        "sgd": lambda: adaptive_surprisal(model, ids, sgd),
        "rms": lambda: adaptive_surprisal(model, ids, rms_settings, rms),
    }
    speeds: dict[str, list[float]] = {name: [] for name in runs}
    for r in range(args.repeats):
        names = list(runs)[r % len(runs) :] + list(runs)[: r % len(runs)]  # rotate the order
        for name in names:
            start = time.perf_counter()
            runs[name]()
            speeds[name].append(len(ids) / (time.perf_counter() - start))
    medians = {f"{name}_chars_per_s": round(statistics.median(v), 1) for name, v in speeds.items()}
    report = {
        "model": args.model,
        "text": source,
        "chars": len(ids),
        "segment": segment,
        "threads": 1,
        "repeats": args.repeats,
        **medians,
        "sgd_over_static": round(medians["sgd_chars_per_s"] / medians["static_chars_per_s"], 3),
        "rms_over_static": round(medians["rms_chars_per_s"] / medians["static_chars_per_s"], 3),
    }
    print(
        f"{args.model}, {len(ids):,} chars ({source}), segments of {segment}, 1 thread: static "
        f"{medians['static_chars_per_s']:,.0f} chars/s, adaptive sgd {medians['sgd_chars_per_s']:,.0f}, "
        f"adaptive rms {medians['rms_chars_per_s']:,.0f}"
    )
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
