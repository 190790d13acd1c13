"""Who wrote it, measured: passages from each style's validation split, attributed by every style.

    python -m benchmarks.whowrote --threads 1 > whowrote.txt

For each length (50, 200 and 1,000 characters) and each of the eight main styles, ``--passages``
passages are drawn from the validation split the style's model never trained on (a fixed seed;
each starts at a word: the first character after a space or a line end at or after a uniformly
drawn offset) and ranked by ``charrnn.whowrote.who_wrote`` under all eight models. Prints, per
length, the accuracy overall and per style, the close calls and the confusion table (markdown);
then the time for all eight styles to read 2,000 characters, as read (parallel streams) and in
one exact full-length pass side by side, medians of ``--rounds``; JSON last. Needs the corpora
(``python -m corpora prepare NAME`` with ``CHARRNN_CORPORA_MIRROR``). A measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from collections import Counter
from pathlib import Path

import torch

from charrnn import CharRNN
from charrnn.metrics import surprisal_nats
from charrnn.whowrote import CLOSE_CALL_BITS, check_text, who_wrote
from corpora import prepare
from corpora.training_text import validation_text
from training.whowrote import load_styles

STYLES = ("shakespeare", "tolstoy", "doyle", "austen", "twain", "python", "latex", "linux")
LENGTHS = (50, 200, 1_000)
SPEED_CHARS = 2_000


def validation_split(model: CharRNN, mirror: str | None) -> str:
    """The validation split of the corpus ``model`` trained on (prepared first), as training cut it."""
    prepare(model.meta["corpus"], mirror)
    return validation_text(model.meta)


def passages(text: str, length: int, count: int, rng: random.Random) -> list[str]:
    """``count`` passages of ``length`` characters, each from the first word start at or after
    a uniform offset (so none begins mid-word)."""
    drawn = []
    while len(drawn) < count:
        start = rng.randrange(1, len(text) - 2 * length)
        while not text[start - 1].isspace():
            start += 1
        drawn.append(text[start : start + length])
    return drawn


def accuracy(models: dict[str, CharRNN], texts: dict[str, list[str]]) -> dict:
    """Attribute every passage; accuracy overall and per style, close calls, the confusion counts."""
    confusion: Counter[tuple[str, str]] = Counter()
    close, close_right = 0, 0
    for style, drawn in texts.items():
        for passage in drawn:
            ranking = who_wrote(models, passage)
            guess = ranking.winner.style if ranking.winner else "none"
            confusion[style, guess] += 1
            close += ranking.close_call
            close_right += ranking.close_call and guess == style
    total = sum(confusion.values())
    right = sum(n for (style, guess), n in confusion.items() if style == guess)
    per_style = {s: confusion[s, s] / len(drawn) for s, drawn in texts.items()}
    return {
        "overall": right / total,
        "per_style": per_style,
        "passages": total,
        "close_calls": close,
        "close_calls_right": close_right,
        "right_outside_close_calls": (right - close_right) / max(1, total - close),
        "confusion": {s: {g: confusion[s, g] for g in [*texts, "none"] if confusion[s, g]} for s in texts},
    }


def confusion_table(result: dict, styles: list[str]) -> str:
    """Markdown: one row per true style, one column per guess."""
    head = "| written by \\ guessed | " + " | ".join(styles) + " | accuracy |"
    rule = "|---|" + "---:|" * (len(styles) + 1)
    rows = [
        f"| {s} | " + " | ".join(str(result["confusion"][s].get(g, "")) for g in styles)
        + f" | {result['per_style'][s]:.0%} |"
        for s in styles
    ]  # fmt: skip
    return "\n".join([head, rule, *rows])


def reading_speed(models: dict[str, CharRNN], text: str, rounds: int) -> dict:
    """Seconds for every style to read ``text``: as ``who_wrote`` reads it, and in one exact pass."""
    text, _ = check_text(text)

    def exact() -> None:
        for model in models.values():
            surprisal_nats(model, model.vocab.encode(text, "skip").ids)

    def timed(run) -> float:
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        return round(statistics.median(times), 3)

    return {
        "chars": len(text),
        "styles": len(models),
        "as_read_s": timed(lambda: who_wrote(models, text)),
        "one_exact_pass_s": timed(exact),
        "rounds": rounds,
        "load_average_1min": round(os.getloadavg()[0], 2),  # others' work on a shared machine slows both
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.whowrote", description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=Path, default=Path("models"), help="the folder of the styles' models")
    parser.add_argument("--styles", default=",".join(STYLES), help="comma-separated styles (model folders)")
    parser.add_argument("--lengths", default=",".join(map(str, LENGTHS)), help="passage lengths, comma-separated")
    parser.add_argument("--passages", type=int, default=100, help="passages per style and length")
    parser.add_argument("--seed", type=int, default=1234, help="seed of the passage draw")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds of the 2,000-character reading")
    parser.add_argument("--mirror", help="corpus mirror folder (else $CHARRNN_CORPORA_MIRROR)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    styles = [s.strip() for s in args.styles.split(",") if s.strip()]
    started = time.perf_counter()
    models = load_styles(args.models, styles)
    load_s = round(time.perf_counter() - started, 2)
    validation = {s: validation_split(m, args.mirror) for s, m in models.items()}
    report: dict = {"styles": styles, "seed": args.seed, "load_s": load_s, "close_call_bits": CLOSE_CALL_BITS}
    for length in [int(n) for n in args.lengths.split(",")]:
        rng = random.Random(f"{args.seed}-{length}")
        texts = {s: passages(validation[s], length, args.passages, rng) for s in styles}
        result = accuracy(models, texts)
        report[f"chars_{length}"] = result
        print(
            f"\n## {length} characters: {result['overall']:.1%} of {result['passages']} passages; "
            f"{result['close_calls']} close calls ({result['close_calls_right']} right), "
            f"{result['right_outside_close_calls']:.1%} right outside them\n"
        )
        print(confusion_table(result, styles), flush=True)
    speed_text = passages(validation[styles[0]], SPEED_CHARS, 1, random.Random(args.seed))[0]
    report["speed"] = reading_speed(models, speed_text, args.rounds)
    print(f"\n{json.dumps(report['speed'])}")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
