"""Who wrote this? Every style reads a text; the ranking puts the least surprised first.

    python -m training.whowrote passage.txt
    python -m training.whowrote passage.txt --models models --styles austen,twain,doyle --chars 2000
    cat passage.txt | python -m training.whowrote -

Reads the first --chars characters of FILE (UTF-8; "-" reads standard input) under every model
folder in --models (or the --styles named), and prints the ranking: bits/char, perplexity and
the share of characters outside each style's vocabulary. An unknown character costs 20.1 bits
(log2 of the number of Unicode code points); a style that cannot read more than half of the
text ranks last, with the reason; the best two fewer than 10 bits apart over the whole text are
"a close call"
(``charrnn.whowrote``, docs/who-wrote.md). The last line is the ranking as JSON.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import torch

from charrnn import CharRNN, CheckpointError
from charrnn.whowrote import READ_MAX, Ranking, who_wrote

CONFIG_FILE = "config.json"


def load_styles(models: Path, styles: list[str] | None = None) -> dict[str, CharRNN]:
    """{folder name: model} for the ``styles`` named, else every model folder under ``models``."""
    if not models.is_dir():
        raise ValueError(f"{models}: no such models folder")
    names = styles or sorted(p.name for p in models.iterdir() if (p / CONFIG_FILE).is_file())
    if not names:
        raise ValueError(f"{models}: no model folders (each holds a {CONFIG_FILE})")
    return {name: CharRNN.from_pretrained(models / name) for name in names}


def read_file(path: str, max_chars: int) -> tuple[str, int]:
    """(the first ``max_chars`` characters of UTF-8 ``path``, or of standard input for "-"; how
    many more there are, counted a megabyte at a time: a huge file is never held whole).
    ValueError when what is read is not UTF-8 text."""
    f = sys.stdin if path == "-" else open(path, encoding="utf-8", errors="surrogateescape", newline="")  # noqa: SIM115
    try:
        text, more = f.read(max_chars), 0
        while chunk := f.read(1 << 20):
            more += len(chunk)
    except UnicodeDecodeError:  # standard input keeps its own (strict) decoding
        raise ValueError(f"{path} is not UTF-8 text; is it a binary file?") from None
    finally:
        if f is not sys.stdin:
            f.close()
    bad = next((i for i, c in enumerate(text) if "\udc80" <= c <= "\udcff"), None)
    if bad is not None:
        raise ValueError(
            f"{path} is not UTF-8 text (character {bad} is the byte {ord(text[bad]) - 0xDC00:#04x}); is it binary?"
        )
    return text, more


def report(ranking: Ranking) -> str:
    """The ranking as a table a person reads, then the verdict and notes."""
    lines = [f"{'#':>2}  {'style':<20} {'bits/char':>9} {'perplexity':>10} {'unknown':>8}"]
    for i, r in enumerate(ranking.readings, 1):
        line = f"{i:>2}  {r.style:<20} {r.bits_per_char:>9.3f} {r.perplexity:>10.2f} {r.unknown_share:>8.1%}"
        lines.append(line + (f"  last: {r.reason}" if r.reason else ""))
    return "\n".join([*lines, ranking.verdict, *ranking.notes])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.whowrote", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("file", help='a UTF-8 text file ("-" for standard input)')
    parser.add_argument("--models", type=Path, default=Path("models"), help="folder of model folders")
    parser.add_argument("--styles", help="comma-separated model folders to use (default: every one)")
    parser.add_argument("--chars", type=int, default=READ_MAX, help="characters of the file read at most")
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    args = parser.parse_args(argv)
    if args.chars < 1:
        parser.error("--chars must be at least 1")
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        text, more = read_file(args.file, args.chars)
        styles = [s.strip() for s in args.styles.split(",") if s.strip()] if args.styles else None
        ranking = who_wrote(load_styles(args.models, styles), text)
        ranking = dataclasses.replace(ranking, truncated=more)
    except (CheckpointError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(report(ranking))
    print(json.dumps({"file": args.file, **ranking.as_dict()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
