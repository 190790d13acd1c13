"""The copy check from the command line: which spans of a text a model's training text
holds verbatim, or the copied share of the model's own long samples (stored for its card).

    python -m training.copycheck --model models/shakespeare --text my_sample.txt
    python -m training.copycheck --model models/shakespeare --sample-stats   # re-runnable; rewrites the card

The last line printed is JSON: ``longest_copied_chars``, ``copied_fraction`` and the spans (start,
length, corpus offset), or, with ``--sample-stats``, those figures per temperature.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from charrnn import CharRNN, CheckpointError, sample
from charrnn.copycheck import MIN_LENGTH_DEFAULT, CopyCheckError, CopyIndex
from charrnn.files import atomic_write_text
from charrnn.model import CONFIG_FILE
from corpora import CorpusError
from corpora.training_text import training_text
from training.card import write_card

STATS_LENGTH, STATS_SEED, STATS_TEMPERATURES = 20_000, 0, (0.8, 1.0)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m training.copycheck", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", required=True, help="model directory (its config.json names its training text)")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--text", help="UTF-8 file to check (say, a sample of the model)")
    what.add_argument("--sample-stats", action="store_true", help="sample the model, check, store in config.json")
    parser.add_argument("--corpus", help="check against this registry corpus instead of the one the model names")
    parser.add_argument("--min-length", type=int, default=MIN_LENGTH_DEFAULT, help="shortest span that counts")
    parser.add_argument("--length", type=int, default=STATS_LENGTH, help="--sample-stats: characters per sample")
    parser.add_argument("--seed", type=int, default=STATS_SEED, help="--sample-stats: sampling seed")
    parser.add_argument(
        "--temperatures", type=float, nargs="+", default=list(STATS_TEMPERATURES), help="--sample-stats: temperatures"
    )
    return parser.parse_args(argv)


def load_index(meta: dict, corpus: str | None) -> CopyIndex:
    source = training_text(meta, corpus)
    started = time.perf_counter()
    index = source.index()
    print(f"index of {source.source} ({len(source.text):,} training characters): {time.perf_counter() - started:.2f} s")
    return index


def check_file(model_dir: Path, args: argparse.Namespace) -> dict:
    meta = json.loads((model_dir / CONFIG_FILE).read_text(encoding="utf-8")).get("meta", {})
    index = load_index(meta, args.corpus)
    text = Path(args.text).read_text(encoding="utf-8")
    report = index.find(text, args.min_length)
    for span in sorted(report.spans, key=lambda s: -s.length)[:5]:
        before, match, after = index.context(span.corpus_offset, span.length, 30)
        print(f"{span.length} chars at {span.start} (corpus offset {span.corpus_offset}): …{before}[{match}]{after}…")
    return report.to_json()


def sample_stats(model_dir: Path, args: argparse.Namespace) -> dict:
    """Copied figures of one long seeded sample per temperature, written into config.json's meta
    (``copy_stats``) and the card re-rendered: run again after the weights change."""
    model = CharRNN.from_pretrained(model_dir)
    index = load_index(model.meta, args.corpus)
    prime = model.meta.get("sample_prime") or ""
    stats: dict = {"length": args.length, "seed": args.seed, "min_length": args.min_length, "prime": prime}
    stats["temperatures"] = {}
    for temperature in args.temperatures:
        text = sample(model, prime, args.length, temperature=temperature, seed=args.seed)
        report = index.find(text, args.min_length)
        stats["temperatures"][f"{temperature:g}"] = {
            "longest_copied_chars": report.longest,
            "copied_fraction": round(report.copied_fraction, 4),
            "spans": len(report.spans),
        }
        print(f"T={temperature:g}: longest {report.longest} chars, {report.copied_fraction:.1%} in copied spans")
    if args.corpus:
        stats["corpus"] = args.corpus
    config_path = model_dir / CONFIG_FILE
    raw = config_path.read_text(encoding="utf-8")
    config = json.loads(raw)
    config.setdefault("meta", {})["copy_stats"] = stats  # only this key changes
    # Written as it was (a file with \u escapes keeps them), so that the diff is the one key.
    atomic_write_text(config_path, json.dumps(config, indent=2, ensure_ascii=raw.isascii()) + "\n")
    write_card(model_dir)
    return stats


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    model_dir = Path(args.model)
    try:
        if args.min_length < 1:
            raise ValueError(f"--min-length must be at least 1 (got {args.min_length})")
        if not (model_dir / CONFIG_FILE).is_file():
            raise ValueError(f"{model_dir} holds no {CONFIG_FILE}; give a model directory")
        result = sample_stats(model_dir, args) if args.sample_stats else check_file(model_dir, args)
    except (CopyCheckError, CorpusError, CheckpointError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
