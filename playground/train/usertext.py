"""A user's training text, as the Train tab takes it: decoded, cleaned as the trainer cleans it,
refused with a reason (too short, too long, binary, too many distinct characters), and measured."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from corpora.prepare import clean
from corpora.training_text import split_text

MIN_CHARS = 5_000  # below this a model learns little more than the letter frequencies
MAX_BYTES = 10 * 1024 * 1024
MAX_DISTINCT = 1_000


class TextError(ValueError):
    """A training text the Train tab refuses; the message says why and what to do."""


@dataclass(frozen=True)
class TextStats:
    chars: int
    distinct: int
    train_chars: int
    val_chars: int


def check_text(data: bytes | str) -> str:
    """The text to train on (BOM and CR removed), or TextError saying what is wrong with it."""
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise TextError(f"The text is {len(data) / 2**20:.1f} MB; the limit is {MAX_BYTES // 2**20} MB.")
        if b"\0" in data[:65536]:
            raise TextError("This looks like a binary file (it holds NUL bytes), not text: give a UTF-8 .txt file.")
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise TextError(
                f"The file is not UTF-8 (byte {e.start:,} cannot be decoded): save it as UTF-8 text and try again."
            ) from None
    text = clean(data)  # the trainer's own cleaning, so the checksum here is the one it records
    _check_content(text)
    return text


def _check_content(text: str) -> None:
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise TextError(f"The text is over {MAX_BYTES // 2**20} MB; give a shorter one.")
    controls = sum(1 for c in text[:65536] if ord(c) < 32 and c not in "\n\t\f\v")
    if "\0" in text or controls > 0.01 * min(len(text), 65536):
        raise TextError("This looks like binary data (control characters), not text: give a UTF-8 text.")
    if len(text) < MIN_CHARS:
        raise TextError(
            f"The text has {len(text):,} characters: too little to learn from. Give at least {MIN_CHARS:,} "
            "(a few pages; 100,000 or more learns a style)."
        )
    distinct = len(set(text))
    if distinct > MAX_DISTINCT:
        raise TextError(
            f"The text has {distinct:,} distinct characters; the limit is {MAX_DISTINCT:,} "
            "(a character model needs to see each one many times)."
        )


def text_stats(text: str) -> TextStats:
    train, val = split_text(text)
    return TextStats(len(text), len(set(text)), len(train), len(val))


def prepared_corpora() -> dict[str, Path]:
    """Registry corpora whose clean text is already on this machine (nothing is downloaded here)."""
    from corpora import CORPORA
    from corpora.prepare import cached_path

    return {name: cached_path(name) for name in sorted(CORPORA) if cached_path(name).is_file()}
