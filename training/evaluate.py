"""Score a model on a corpus split or any text, in one stateful pass over the whole text.

    python -m training.evaluate models/shakespeare --corpus shakespeare --split val
    python -m training.evaluate models/shakespeare --text my.txt

Prints a summary, then as its last line JSON with nats_per_char, bits_per_char, perplexity,
chars and unknown_chars (characters outside the vocabulary; dropped before scoring).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import torch

from charrnn import CharRNN, CheckpointError, loss_report, nats_per_char
from corpora import CorpusError
from training.data import load_text, split_text


def select_split(text: str, split: str, val_fraction: float) -> str:
    train, val = split_text(text, val_fraction)
    return {"train": train, "val": val, "all": text}[split]


def evaluate(model: CharRNN, text: str) -> dict:
    encoded = model.vocab.encode(text, policy="skip")
    if len(encoded.ids) < 2:
        raise ValueError("the text has fewer than two known characters; nothing to score")
    start = time.time()
    nats = nats_per_char(model, encoded.ids)
    # The first character has no context, so chars counts the scored characters.
    return loss_report(
        nats, len(encoded.ids) - 1, unknown_chars=encoded.unknown_count, seconds=round(time.time() - start, 2)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.evaluate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("model", help="model directory or Hugging Face repo id")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--corpus", help="registry corpus name")
    source.add_argument("--text", help="any UTF-8 text file (scored whole)")
    parser.add_argument("--split", choices=["val", "train", "all"], default="val", help="part of --corpus to score")
    parser.add_argument("--val-fraction", type=float, default=0.1, help="as in training")
    parser.add_argument("--mirror", help="corpus mirror folder (else $CHARRNN_CORPORA_MIRROR)")
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        model = CharRNN.from_pretrained(args.model)
        name, text = load_text(args.corpus, args.text, args.mirror)
        if args.corpus:
            text = select_split(text, args.split, args.val_fraction)
        report = evaluate(model, text)
    except (CheckpointError, CorpusError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    report = {"model": args.model, "text": name, "split": args.split if args.corpus else "all", **report}
    print(
        f"{args.model} on {name} ({report['split']}): {report['nats_per_char']:.4f} nats/char, "
        f"{report['bits_per_char']:.4f} bits/char, perplexity {report['perplexity']:.3f} "
        f"over {report['chars']:,} chars ({report['unknown_chars']} unknown)"
    )
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
