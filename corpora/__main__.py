"""python -m corpora list | prepare NAME [--mirror DIR] [--force] | index MODELS_DIR [--allow-missing]"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from corpora.prepare import CorpusError, prepare
from corpora.registry import CORPORA
from corpora.training_text import prepare_for_models, write_skipped_note


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m corpora", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="print the registry")
    p = sub.add_parser("prepare", help="produce the clean training text in corpora/cache/")
    p.add_argument("names", nargs="+", metavar="NAME", help="corpus name(s), or 'all'")
    p.add_argument("--mirror", help="read from this folder instead of downloading (env CHARRNN_CORPORA_MIRROR)")
    p.add_argument("--force", action="store_true", help="prepare again even if cached")
    p = sub.add_parser("index", help="prepare and index (copy check) the corpora of every model in a folder")
    p.add_argument("models", help="folder of model directories (models/)")
    p.add_argument("--mirror", help="read from this folder instead of downloading (env CHARRNN_CORPORA_MIRROR)")
    p.add_argument("--allow-missing", action="store_true", help="exit 0 and leave a note when one cannot be fetched")
    args = parser.parse_args(argv)
    if args.command == "index":
        return index_models(args.models, args.mirror, args.allow_missing)
    if args.command == "list":
        print(f"{'name':<12} {'author':<44} {'title':<56} origin")
        for c in CORPORA.values():
            print(f"{c.name:<12} {c.author:<44} {c.title:<56} {c.url or 'local Python stdlib'}")
        return 0
    names = list(CORPORA) if args.names == ["all"] else args.names
    try:
        for name in names:
            path = prepare(name, args.mirror, args.force)
            text = path.read_text(encoding="utf-8")
            print(f"{name}: {len(text):,} characters, {len(set(text))} distinct -> {path}")
    except CorpusError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


def index_models(models: str, mirror: str | None, allow_missing: bool) -> int:
    problems = prepare_for_models(Path(models), mirror)
    for problem in problems:
        print(f"skipped {problem}", file=sys.stderr)
    if problems and allow_missing:
        print(f"the copy check will say so: {write_skipped_note(problems)}", file=sys.stderr)
        return 0
    return 2 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
