"""Make a trained model directory ready to ship: the official validation figure, the n-gram
baseline beside it, how it reads the start of a text (cold / warm at paragraph starts, see
``training.evaluate --cold-start``), optionally float16 weights (refused if validation moves by
0.002 or more), and a model card written from all of it. A model whose config.json holds adaptive
settings (``python -m training.adapt``) gets its adaptive validation figure measured again beside
the static one, with those settings.

    python -m training.finalize models/shakespeare --corpus shakespeare --float16

The validation loss is ``training.evaluate``'s: the whole split in one stateful pass (training
itself validates in parallel streams, which differs slightly). Last line: JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import torch

from charrnn import CharRNN, CheckpointError, cold_start
from charrnn.adaptive import AdaptiveSettings
from corpora import CorpusError
from training.adapt import statistics_for, validation_figures
from training.card import write_card
from training.data import load_text, split_text
from training.evaluate import evaluate, known_text
from training.ngram import NGramCounts, fit_and_score, parse_orders

FLOAT16_TOLERANCE = 0.002  # nats/char a float16 copy may lose


def best_ngram(train: str, val: str, orders: list[int]) -> dict:
    counts = NGramCounts(train, sorted(set(train)), max(orders))
    reports = [fit_and_score(train, val, order, counts=counts) for order in orders]
    best = min(reports, key=lambda r: r["nats_per_char"])
    return {"order": best["order"], "nats_per_char": best["nats_per_char"], "orders_tried": orders}


def float16_copy(model: CharRNN) -> CharRNN:
    """The model as its float16 file loads: what ships."""
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp, dtype=torch.float16)
        return CharRNN.from_pretrained(tmp)


def start_of_text(model: CharRNN, val: str) -> dict | None:
    """``cold_start`` on the validation split; None for a text without paragraph starts."""
    try:
        return cold_start(model, val)
    except ValueError:
        return None


def finalize(
    model_dir: Path,
    corpus: str | None,
    text: str | None,
    float16: bool,
    orders: list[int],
    baseline_from: Path | None,
    notes: list[str] | None = None,
) -> dict:
    model = CharRNN.from_pretrained(model_dir)
    _, full = load_text(corpus, text)
    train, val = split_text(full, model.meta.get("train_config", {}).get("val_fraction", 0.1))
    val_loss = evaluate(model, val)["nats_per_char"]
    result = {"model": str(model_dir), "val_loss": val_loss}
    shipped = float16_copy(model) if float16 else model
    if float16:
        half = evaluate(shipped, val)["nats_per_char"]
        result.update(val_loss_float32=val_loss, val_loss=half)
        if abs(half - val_loss) >= FLOAT16_TOLERANCE:
            raise ValueError(f"float16 weights move validation by {half - val_loss:+.4f} nats/char; kept float32")
    if baseline_from:  # the same corpus and split: reuse its measured baseline instead of refitting
        baseline = CharRNN.from_pretrained(baseline_from).meta["ngram_baseline"]
    else:
        baseline = best_ngram(train, val, orders)
    result.update(ngram_baseline=baseline, margin=1 - result["val_loss"] / baseline["nats_per_char"])
    result["cold_start"] = start_of_text(shipped, known_text(model, val))
    if adaptive := model.meta.get("adaptive"):  # settings chosen by training.adapt: measure both again
        settings = AdaptiveSettings.from_dict(adaptive["settings"])
        figures = validation_figures(shipped, val, settings, statistics_for(shipped, settings, train))
        result["adaptive"] = model.meta["adaptive"] = {**adaptive, "val": figures}
    model.meta.update(
        cold_start=result["cold_start"],
        val_loss=result["val_loss"],
        # training's own figure (parallel streams); kept from the first finalize when run again
        val_loss_training=model.meta.get("val_loss_training", model.meta.get("val_loss")),
        ngram_baseline=baseline,
        margin_vs_ngram=result["margin"],
    )
    if notes is not None:  # replaces earlier notes: the card says what is true of this model now
        model.meta["notes"] = notes
    model.save_pretrained(model_dir, dtype=torch.float16 if float16 else None)
    write_card(model_dir)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.finalize", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("model", type=Path, help="model directory written by training.train")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--corpus", help="the registry corpus it was trained on")
    source.add_argument("--text", help="the text file it was trained on")
    parser.add_argument("--float16", action="store_true", help="store float16 weights (half the file)")
    parser.add_argument(
        "--ngram-orders",
        type=parse_orders,
        default=parse_orders("5-10"),
        help="Kneser-Ney orders for the baseline; the best is quoted",
    )
    parser.add_argument("--baseline-from", type=Path, help="finalized model dir on the same text: reuse its baseline")
    parser.add_argument(
        "--note",
        action="append",
        dest="notes",
        help="a line for the card's Notes (repeatable; replaces earlier notes), e.g. the recipes tried",
    )
    args = parser.parse_args(argv)
    try:
        result = finalize(
            args.model, args.corpus, args.text, args.float16, args.ngram_orders, args.baseline_from, args.notes
        )
    except (CheckpointError, CorpusError, ValueError, OSError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    baseline = result["ngram_baseline"]
    print(
        f"{args.model}: validation {result['val_loss']:.4f} nats/char; n-gram (order {baseline['order']}) "
        f"{baseline['nats_per_char']:.4f}; margin {result['margin']:.1%}"
    )
    if adaptive := result.get("adaptive"):
        v = adaptive["val"]
        print(f"validation read adaptively: static {v['static']:.4f}, adaptive {v['adaptive']:.4f} nats/char")
    if cold := result["cold_start"]:
        print(f"at paragraph starts: cold {cold['cold']:.4f}, warm {cold['warm']:.4f}, cold/warm {cold['ratio']:.3f}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
