"""The copy check's two budgets: building the index of a corpus's training split (under
30 s for War and Peace) and checking a 2,000-character sample (under 50 ms).

    python -m benchmarks.copycheck [--corpus tolstoy --model models/tolstoy --repeats 3 --checks 21]

The corpus must be prepared (``python -m corpora prepare NAME``). The build is timed from the
text in memory to the finished suffix array and query tables (no cache; medians of ``--repeats``),
saving and loading the cache separately. Checks (medians of ``--checks`` runs, minimum length
20) on four kinds of 2,000-character text: the model's own samples at temperature 0.8 and 1.0,
random letters (nothing copied: one vectorised lookup) and a passage of the training split
(everything copied: the worst case). Last line: JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from charrnn import CharRNN, sample
from charrnn.copycheck import CopyIndex
from corpora.training_text import training_text

BUILD_BUDGET_S, CHECK_BUDGET_MS, CHECK_LENGTH = 30.0, 50.0, 2_000


def median_time(run: Callable[[], object], repeats: int, clock: Callable[[], float] = time.perf_counter) -> float:
    """The median seconds of ``repeats`` runs, on ``clock`` (wall time; ``time.process_time``: CPU)."""
    times = []
    for _ in range(repeats):
        started = clock()
        run()
        times.append(clock() - started)
    return statistics.median(times)


def check_texts(train: str, model_dir: str | None) -> dict[str, str]:
    rng = random.Random(0)
    texts = {
        "random_letters": "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(CHECK_LENGTH)),
        "training_passage": train[len(train) // 3 : len(train) // 3 + CHECK_LENGTH],
    }
    if model_dir:
        model = CharRNN.from_pretrained(model_dir)
        prime = model.meta.get("sample_prime") or ""
        for t in (0.8, 1.0):
            texts[f"sample_t{t:g}"] = sample(model, prime, CHECK_LENGTH, temperature=t, seed=1)
    return texts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.copycheck", description=__doc__)
    parser.add_argument("--corpus", default="tolstoy")
    parser.add_argument("--model", default="models/tolstoy", help="whose samples to check ('' for none)")
    parser.add_argument("--repeats", type=int, default=3, help="builds to time")
    parser.add_argument("--checks", type=int, default=21, help="checks to time per text")
    args = parser.parse_args(argv)
    train = training_text({"corpus": args.corpus}).text
    figures: dict = {"corpus": args.corpus, "train_chars": len(train)}
    index = CopyIndex.build(train)
    figures["build_s"] = round(median_time(lambda: CopyIndex.build(train), args.repeats), 3)
    with tempfile.TemporaryDirectory() as tmp:
        stem = Path(tmp) / "index"
        figures["save_s"] = round(median_time(lambda: index.save(stem), args.repeats), 3)
        figures["load_s"] = round(median_time(lambda: CopyIndex.load(stem, train), args.repeats), 3)
    figures["check_ms"], figures["longest_copied_chars"] = {}, {}
    for name, text in check_texts(train, args.model or None).items():
        figures["check_ms"][name] = round(1000 * median_time(lambda t=text: index.find(t, 20), args.checks), 2)
        figures["longest_copied_chars"][name] = index.find(text, 20).longest
    figures["build_within_budget"] = figures["build_s"] < BUILD_BUDGET_S
    figures["check_within_budget"] = max(figures["check_ms"].values()) < CHECK_BUDGET_MS
    print(f"build {figures['build_s']} s (budget {BUILD_BUDGET_S:g} s); load {figures['load_s']} s")
    for name, ms in figures["check_ms"].items():
        print(f"check {name:<18} {ms:7.2f} ms  longest {figures['longest_copied_chars'][name]}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
