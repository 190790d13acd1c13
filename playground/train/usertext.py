"""A user's training text, as the Train tab takes it: pasted, uploaded (several files joined) or a
prepared corpus; decoded, cleaned as the trainer cleans it, refused with a reason (too short, over
the upload limit, binary, too many distinct characters), and measured."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from corpora.prepare import clean
from corpora.training_text import split_text

STREAMLIT_CONFIG = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"
MIN_CHARS = 5_000  # below this a model learns little more than the letter frequencies
MAX_DISTINCT = 1_000


class TextError(ValueError):
    """A training text the Train tab refuses; the message says why and what to do."""


def upload_limit_mb(config: Path = STREAMLIT_CONFIG) -> int:
    """The server's ``maxUploadSize`` in MB: the one limit that Streamlit's upload and the tab's own
    check both read, so they cannot drift apart. Read by hand (the ``[server]`` table's line)
    because Python 3.10, which the project supports, has no tomllib."""
    table = ""
    for line in config.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("["):
            table = line
        elif table == "[server]" and (found := re.fullmatch(r"maxUploadSize\s*=\s*(\d+)", line)):
            return int(found.group(1))
    raise ValueError(f"{config} sets no [server] maxUploadSize: the Train tab's upload limit is read from it")


MAX_MB = upload_limit_mb()
# Streamlit's page checks a file against maxUploadSize MB of 10**6 bytes (of 2**20 on Windows only;
# its server allows 2**20 and a margin): a file the page takes is one this check judges, in the same MB.
MB = 10**6
MAX_BYTES = MAX_MB * MB


@dataclass(frozen=True)
class TextStats:
    chars: int
    distinct: int
    train_chars: int
    val_chars: int


@dataclass(frozen=True)
class Given:
    """A checked training text and the figures of what the person gave (not of the cleaned text)."""

    text: str  # cleaned as the trainer reads it (BOM and CR removed, one final newline)
    chars: int  # characters given
    size: int  # bytes given
    names: tuple[str, ...] = ()  # the files, in the order they were joined


def check_text(data: bytes | str) -> str:
    """The text to train on (BOM and CR removed), or TextError saying what is wrong with it."""
    return check_given([("", data)]).text


def check_given(parts: Sequence[tuple[str, bytes | str]]) -> Given:
    """One pasted text or file, or several files (``(name, data)``) joined in the order given, each
    after a blank line; the limits apply to the joined text. TextError says what is wrong."""
    size = sum(len(data) if isinstance(data, bytes) else len(data.encode("utf-8")) for _, data in parts)
    if size > MAX_BYTES:
        raise TextError(f"The text is {format_size(size)}; the limit is {MAX_MB} MB.")
    given = [_decoded(name, data) for name, data in parts]
    text = "\n".join(clean(piece) for piece in given)  # the trainer's own cleaning, so its checksum agrees
    chars = sum(len(piece) for piece in given)
    _check_content(text, chars)
    return Given(text, chars, size, tuple(name for name, _ in parts if name))


def format_size(n: int) -> str:
    """Bytes in the MB of the limit (as the upload widget shows sizes), or in bytes below a tenth of one."""
    return f"{n / MB:.1f} MB" if n >= MB / 10 else f"{n:,} bytes"


def _decoded(name: str, data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    of = f" {name}" if name else ""
    if b"\0" in data[:65536]:
        raise TextError(f"The file{of} looks like a binary file (it holds NUL bytes), not text: give UTF-8 .txt files.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise TextError(
            f"The file{of} is not UTF-8 (byte {e.start:,} cannot be decoded): save it as UTF-8 text and try again."
        ) from None


def _check_content(text: str, chars: int) -> None:
    """``chars``: the characters given, for the messages (the cleaning adds a final newline)."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise TextError(f"The text is over {MAX_MB} MB; give a shorter one.")
    controls = sum(1 for c in text[:65536] if ord(c) < 32 and c not in "\n\t\f\v")
    if "\0" in text or controls > 0.01 * min(len(text), 65536):
        raise TextError("This looks like binary data (control characters), not text: give a UTF-8 text.")
    if len(text) < MIN_CHARS:
        raise TextError(
            f"The text has {chars:,} characters: too little to learn from. Give at least {MIN_CHARS:,} "
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
