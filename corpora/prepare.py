"""Fetch (from a mirror folder or the origin URL), verify and clean a corpus into the cache."""

from __future__ import annotations

import hashlib
import os
import sysconfig
import urllib.request
from pathlib import Path

from tqdm import tqdm

from charrnn.files import atomic_write, atomic_write_text
from corpora.registry import PYTHON_MODULES, Corpus, get

CACHE_DIR = Path(__file__).resolve().parent / "cache"
CACHE_ENV = "CHARRNN_CORPORA_CACHE"  # where clean texts go (default corpora/cache/)
MIRROR_ENV = "CHARRNN_CORPORA_MIRROR"


class CorpusError(RuntimeError):
    """A corpus that cannot be prepared; the message says what to do."""


def cached_path(name: str) -> Path:
    return Path(os.environ.get(CACHE_ENV) or CACHE_DIR) / f"{name}.txt"


def prepare(name: str, mirror: str | os.PathLike | None = None, force: bool = False) -> Path:
    """Return the path of the clean text of corpus ``name``, preparing it if needed."""
    try:
        corpus = get(name)
    except KeyError as e:
        raise CorpusError(e.args[0]) from None
    out = cached_path(name)
    if out.exists() and not force:
        return out
    if corpus.cleaning == "python":
        text = python_stdlib_text()
    else:
        raw = read_source(corpus, mirror if mirror is not None else os.environ.get(MIRROR_ENV))
        text = clean(decode_utf8(raw, corpus.name), corpus.cleaning)
    if not text.strip():
        raise CorpusError(f"corpus {name!r} is empty after cleaning; check the source file")
    atomic_write_text(out, text)
    return out


def read_source(corpus: Corpus, mirror: str | os.PathLike | None) -> bytes:
    if corpus.manifest:
        return read_files(corpus, mirror)
    return fetch(corpus.name, corpus.url, corpus.mirror_path, corpus.sha256, mirror)


def read_files(corpus: Corpus, mirror: str | os.PathLike | None) -> bytes:
    """Every file of a many-file corpus, checked, joined in the manifest's order, each one after
    its separator line (so a sample shows which file a style learned from)."""
    parts = []
    for file, digest in corpus.files():
        data = fetch(file, corpus.url.format(file=file), corpus.mirror_path.format(file=file), digest, mirror)
        parts.append(corpus.separator.format(file=file).encode() + b"\n" + data.rstrip(b"\n") + b"\n")
    return b"\n".join(parts)


def fetch(name: str, url: str | None, mirror_path: str | None, sha256: str | None, mirror) -> bytes:
    """One file, from the mirror folder when one is given, else from its origin; checksummed."""
    if mirror:
        path = Path(mirror) / mirror_path
        if not path.is_file():
            raise CorpusError(f"{path} not found in the mirror folder; check --mirror / {MIRROR_ENV}")
        data = path.read_bytes()
    else:
        data = download(url, name)
    digest = hashlib.sha256(data).hexdigest()
    if sha256 and digest != sha256:
        raise CorpusError(
            f"checksum mismatch for {name}: got {digest[:12]}..., expected {sha256[:12]}...; "
            "the file is damaged or a different revision: delete it and fetch again"
        )
    return data


def download(url: str, name: str) -> bytes:
    """Download with a progress bar; the bytes stay in memory (corpora are a few MB)."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            chunks = []
            with tqdm(total=total, unit="B", unit_scale=True, desc=f"downloading {name}") as bar:
                while chunk := response.read(1 << 16):
                    chunks.append(chunk)
                    bar.update(len(chunk))
    except OSError as e:
        raise CorpusError(f"could not download {url} ({e}); set {MIRROR_ENV} to a folder holding the file") from e
    return b"".join(chunks)


def decode_utf8(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CorpusError(f"{name} is not UTF-8 text (byte {e.start}); convert it to UTF-8 first") from None


def clean(text: str, cleaning: str = "plain") -> str:
    """Drop the BOM, normalise line ends to LF and, for Gutenberg files, keep only the text
    between the ``*** START OF`` and ``*** END OF`` lines."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if cleaning == "gutenberg":
        text = strip_gutenberg(text)
    return text.strip("\n") + "\n"


def strip_gutenberg(text: str) -> str:
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if line.startswith("*** START OF")), None)
    end = next((i for i, line in enumerate(lines) if line.startswith("*** END OF")), None)
    if start is None or end is None or end <= start:
        raise CorpusError("no '*** START OF' / '*** END OF' lines: this does not look like a Gutenberg file")
    while start < end and not lines[start].rstrip().endswith("***"):  # a title may wrap the marker line
        start += 1
    return "\n".join(lines[start + 1 : end])


def python_stdlib_text() -> str:
    """The ``PYTHON_MODULES`` source files of the running Python, concatenated in order."""
    lib = Path(sysconfig.get_paths()["stdlib"])
    parts = []
    for module in PYTHON_MODULES:
        path = lib / f"{module}.py"
        if path.is_file():  # a module removed in a newer Python is skipped, not an error
            parts.append(f"# ---- {module}.py ----\n" + path.read_text(encoding="utf-8"))
    if not parts:
        raise CorpusError(f"no standard-library sources found under {lib}")
    return "\n".join(parts)


def prepare_text_file(path: str | os.PathLike) -> str:
    """Read a user's ``--text`` file: UTF-8, BOM and CR removed, not empty."""
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"{path} not found; give --text the path of a UTF-8 text file")
    text = clean(decode_utf8(path.read_bytes(), str(path)))
    if not text.strip():
        raise CorpusError(f"{path} is empty; give a text with at least a few thousand characters")
    return text


__all__ = ["CorpusError", "atomic_write", "clean", "prepare", "prepare_text_file"]
