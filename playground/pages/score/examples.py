"""Example passages of a style: text of its kind that its model never trained on (the validation
split), so that the Score tab opens on something to read instead of an empty box."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from functools import lru_cache

from charrnn.copycheck import CopyCheckError
from corpora.training_text import source_key, validation_text
from playground.session.catalog import CONFIG_FILE, HISTORY_FILE, ModelInfo, read_json

EXAMPLE_CHARS = 400  # about five lines: long enough for a clear verdict (see docs/who-wrote.md)


@dataclass(frozen=True)
class Example:
    text: str
    source: str  # where it comes from, for a caption


@lru_cache(maxsize=8)
def _validation(key: tuple, meta_json: str) -> str:
    """The validation text, read and split once per source (``source_key``: file, size, mtime)."""
    return validation_text(json.loads(meta_json))


def _meta(info: ModelInfo) -> dict:
    config = info.file(CONFIG_FILE)
    data = read_json(config) if config else {}
    meta = data.get("meta") if isinstance(data, dict) else None
    return meta if isinstance(meta, dict) else {}


def example(info: ModelInfo, seed: int, chars: int = EXAMPLE_CHARS) -> Example | None:
    """A passage of about ``chars`` characters of ``info``'s validation text, from the first line
    start at or after a place ``seed`` draws, cut at the last space or line end. Where the text is
    not on this machine, a sample the style wrote while training (said in ``source``); None when
    there is neither."""
    meta = _meta(info)
    try:
        text = _validation(source_key(meta), json.dumps(meta, sort_keys=True, default=str))
    except (CopyCheckError, OSError, ValueError):
        return _own_sample(info, chars)
    if len(text) < 2 * chars:
        return Example(text[:chars], f"the validation text of {info.label}") if text.strip() else None
    start = random.Random(seed).randrange(0, len(text) - 2 * chars)
    start = text.find("\n", start, start + chars) + 1 or start  # a line start, if one is near
    passage = text[start : start + chars]
    end = max(passage.rfind(" "), passage.rfind("\n"))
    passage = passage[:end] if end > chars // 2 else passage
    return Example(passage.strip("\n"), f"the validation text of {info.label} (text it never trained on)")


def _own_sample(info: ModelInfo, chars: int) -> Example | None:
    """The last sample in the style's training history: its own writing, when its text is absent."""
    history = info.file(HISTORY_FILE)
    try:
        records = read_json(history).get("records", []) if history else []
        sample = next(r["sample"] for r in reversed(records) if isinstance(r.get("sample"), str) and r["sample"])
    except (OSError, ValueError, AttributeError, StopIteration):
        return None
    return Example(sample[:chars], f"a sample {info.label} wrote while training (its validation text is not here)")
