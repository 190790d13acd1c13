"""How far back a model looks: its memory curve on a corpus split or any text.

    python -m training.memory models/shakespeare --corpus shakespeare --split val
    python -m training.memory models/shakespeare-rnn --corpus shakespeare --positions 100 --max-distance 300
    python -m training.memory models/shakespeare --text my.txt

At ``--positions`` positions spread evenly over the text, the influence of the character k steps
back on the prediction there (the norm of the gradient of log p(x_t | x_<t) with respect to its
embedding, ``charrnn.memory``), relative to k = 1, averaged over the positions, for k = 1 ..
``--max-distance``. Each position first reads ``--context`` characters without gradients.
Characters outside the vocabulary are dropped first. Prints the curve at a few distances and the
distances where it falls under 1% and 0.1% (none: not within --max-distance), then as its last
line JSON with those distances and the whole curve (k = 1 first).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from charrnn import CheckpointError
from charrnn.memory import CURVE_CONTEXT, CURVE_DISTANCE, CURVE_POSITIONS, FRACTIONS, distance_key, memory_curve
from corpora import CorpusError
from training.evaluate import add_model_and_text, model_and_text

SHOWN = (1, 2, 5, 10, 20, 50, 100, 200, 500)  # the distances printed (the JSON holds every one)


def summary(name: str, report: dict) -> str:
    """Lines for people: the curve at a few distances, then the two memory distances."""
    curve = report["curve"]
    lines = [
        f"{name}: influence of the character k steps back, relative to k = 1, mean of {report['positions']} positions"
    ]
    lines += [f"  k = {k:>3}: {curve[k - 1]:.3g}" for k in SHOWN if k <= len(curve)]
    for fraction in FRACTIONS:
        k = report[distance_key(fraction)]
        where = f"k = {k}" if k is not None else f"not within k = {len(curve)}"
        lines.append(f"  falls under {fraction:.1%}: {where}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.memory", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_model_and_text(parser)
    parser.add_argument("--positions", type=int, default=CURVE_POSITIONS, help="positions averaged over")
    parser.add_argument("--max-distance", type=int, default=CURVE_DISTANCE, help="the largest k of the curve")
    parser.add_argument(
        "--context", type=int, default=CURVE_CONTEXT, help="characters read without gradients before each window"
    )
    args = parser.parse_args(argv)
    try:
        model, name, text = model_and_text(args)
        started = time.perf_counter()
        curve = memory_curve(
            model, model.vocab.encode(text, policy="skip").ids, args.positions, args.max_distance, args.context
        )
    except (CheckpointError, CorpusError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    report = {
        "model": args.model,
        "text": name,
        "split": args.split if args.corpus else "all",
        "seconds": round(time.perf_counter() - started, 2),
        **curve.report(),
    }
    print(summary(f"{args.model} on {name} ({report['split']})", report))
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
