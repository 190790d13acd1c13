"""Score a model on a corpus split or any text, in one stateful pass over the whole text.

    python -m training.evaluate models/shakespeare --corpus shakespeare --split val
    python -m training.evaluate models/shakespeare --text my.txt
    python -m training.evaluate models/shakespeare --corpus shakespeare --split val --cold-start
    python -m training.evaluate models/shakespeare --corpus shakespeare --split val --adaptive

Every character is scored, the first one predicted from the model's start state (from zeros for
a model without one). Prints a summary, then as its last line JSON with nats_per_char,
bits_per_char, perplexity, chars and unknown_chars (characters outside the vocabulary; dropped
before scoring). ``--cold-start`` instead reads 200 paragraph starts (the first character after
a blank line) and reports cold and warm nats/char over the 32 characters from each: cold from
the model's own start state, warm after the 256 characters before them; and cold / warm.
``--adaptive`` scores the text twice, statically and adaptively (``charrnn.adaptive``: the model
learns as it reads, with the settings in its config.json, ``python -m training.adapt``, or those
given by the ``--adapt-*`` options), and prints both side by side; the JSON's ``adaptive`` holds the
adaptive figures and settings.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import torch

from charrnn import CharRNN, CheckpointError, cold_start, loss_report, nats_per_char
from charrnn.adaptive import RULES, AdaptiveSettings, adaptive_surprisal
from corpora import CorpusError
from training.adapt import statistics_for, training_splits
from training.data import load_text, split_text


def select_split(text: str, split: str, val_fraction: float) -> str:
    train, val = split_text(text, val_fraction)
    return {"train": train, "val": val, "all": text}[split]


def evaluate(model: CharRNN, text: str) -> dict:
    encoded = model.vocab.encode(text, policy="skip")
    if not encoded.ids:
        raise ValueError("the text has no known characters; nothing to score")
    start = time.time()
    nats = nats_per_char(model, encoded.ids)
    return loss_report(
        nats, len(encoded.ids), unknown_chars=encoded.unknown_count, seconds=round(time.time() - start, 2)
    )


def evaluate_adaptive(model: CharRNN, text: str, settings: AdaptiveSettings, rms: dict | None) -> dict:
    """``evaluate``'s report (the static figures) with ``adaptive``: the same text read adaptively."""
    report = evaluate(model, text)
    ids = model.vocab.encode(text, policy="skip").ids
    start = time.time()
    nats = float(adaptive_surprisal(model, ids, settings, rms).mean())
    seconds = round(time.time() - start, 2)
    return {**report, "adaptive": loss_report(nats, len(ids), settings=settings.to_dict(), seconds=seconds)}


def adaptive_settings(model: CharRNN, args: argparse.Namespace) -> AdaptiveSettings:
    """The model's recorded settings (``meta.adaptive``), each replaced by its ``--adapt-*`` option if given."""
    recorded = model.meta.get("adaptive", {}).get("settings")
    given = {k: getattr(args, f"adapt_{k}") for k in ("rule", "lr", "decay", "segment")}
    given = {k: v for k, v in given.items() if v is not None}
    if recorded is None and "lr" not in given:
        raise ValueError(
            f"{args.model} has no adaptive settings in its config.json: choose them with "
            f"python -m training.adapt {args.model}, or give --adapt-lr (and --adapt-rule, --adapt-decay)"
        )
    return AdaptiveSettings.from_dict({**(recorded or {}), **given})


def adaptive_reader(model: CharRNN, args: argparse.Namespace) -> tuple[AdaptiveSettings, dict | None]:
    """The settings, and for the rms rule its gradient statistics from the model's training split."""
    settings = adaptive_settings(model, args)
    if settings.rule != "rms" or not settings.lr:
        return settings, None
    train, _ = training_splits(model, args.corpus, None, args.mirror)  # the text scored is not the training text
    return settings, statistics_for(model, settings, train)


def known_text(model: CharRNN, text: str) -> str:
    """``text`` without the characters outside the model's vocabulary (``evaluate`` skips them too)."""
    return model.vocab.decode(model.vocab.encode(text, policy="skip").ids)


def evaluate_cold_start(model: CharRNN, text: str) -> dict:
    """Cold and warm nats/char at paragraph starts (``charrnn.cold_start``) of the known text."""
    start = time.time()
    return {**cold_start(model, known_text(model, text)), "seconds": round(time.time() - start, 2)}


def add_model_and_text(parser: argparse.ArgumentParser) -> None:
    """The arguments of a command that reads a model and a text: a corpus split or a file."""
    parser.add_argument("model", help="model directory or Hugging Face repo id")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--corpus", help="registry corpus name")
    source.add_argument("--text", help="any UTF-8 text file (read whole)")
    parser.add_argument("--split", choices=["val", "train", "all"], default="val", help="part of --corpus to read")
    parser.add_argument("--val-fraction", type=float, default=0.1, help="as in training")
    parser.add_argument("--mirror", help="corpus mirror folder (else $CHARRNN_CORPORA_MIRROR)")
    parser.add_argument("--threads", type=int, help="torch CPU threads")


def model_and_text(args: argparse.Namespace) -> tuple[CharRNN, str, str]:
    """The model, the text's name and the text (the split of a corpus) that ``add_model_and_text``'s
    arguments name; raises CheckpointError, CorpusError, ValueError or OSError with a message."""
    if args.threads:
        torch.set_num_threads(args.threads)
    model = CharRNN.from_pretrained(args.model)
    name, text = load_text(args.corpus, args.text, args.mirror)
    return model, name, select_split(text, args.split, args.val_fraction) if args.corpus else text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.evaluate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_model_and_text(parser)
    parser.add_argument(
        "--cold-start",
        action="store_true",
        help="report cold (from the start state) and warm (after 256 chars) nats/char over the 32 chars "
        "after 200 blank lines, and their ratio",
    )
    adaptive = parser.add_argument_group("adaptive reading (with --adaptive)")
    adaptive.add_argument("--adaptive", action="store_true", help="also read the text adaptively; print both")
    adaptive.add_argument("--adapt-rule", choices=RULES, help="update rule (else the model's recorded one)")
    adaptive.add_argument("--adapt-lr", type=float, help="learning rate (else the recorded one)")
    adaptive.add_argument("--adapt-decay", type=float, help="pull back to the trained weights per update")
    adaptive.add_argument("--adapt-segment", type=int, help="characters read between two updates")
    args = parser.parse_args(argv)
    if args.adaptive and args.cold_start:
        parser.error("--adaptive and --cold-start are separate measures; give one")
    try:
        model, name, text = model_and_text(args)
        if args.adaptive:
            report = evaluate_adaptive(model, text, *adaptive_reader(model, args))
        elif args.cold_start:
            report = evaluate_cold_start(model, text)
        else:
            report = evaluate(model, text)
    except (CheckpointError, CorpusError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    report = {"model": args.model, "text": name, "split": args.split if args.corpus else "all", **report}
    if args.cold_start:
        print(
            f"{args.model} on {name} ({report['split']}), {report['starts']} paragraph starts: cold "
            f"{report['cold']:.4f}, warm {report['warm']:.4f} nats/char, cold/warm {report['ratio']:.3f}"
        )
        print(json.dumps(report))
        return 0
    if args.adaptive:
        a = report["adaptive"]
        print(
            f"{args.model} on {name} ({report['split']}), {report['chars']:,} chars: static "
            f"{report['nats_per_char']:.4f} nats/char ({report['bits_per_char']:.4f} bits/char), adaptive "
            f"{a['nats_per_char']:.4f} nats/char ({a['bits_per_char']:.4f} bits/char); "
            f"{AdaptiveSettings.from_dict(a['settings']).label}"
        )
        print(json.dumps(report))
        return 0
    print(
        f"{args.model} on {name} ({report['split']}): {report['nats_per_char']:.4f} nats/char, "
        f"{report['bits_per_char']:.4f} bits/char, perplexity {report['perplexity']:.3f} "
        f"over {report['chars']:,} chars ({report['unknown_chars']} unknown)"
    )
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
