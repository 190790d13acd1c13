"""The training text a model was trained on, found again from its ``config.json`` meta, for the
copy check: a registry corpus prepared on this machine, or the ``--text`` file it names.

The split is the one training made (``split_text``: the first 90% trains, the rest validates), so
the check sees exactly the characters the model learned from and never the validation text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from charrnn.copycheck import CopyCheckError, CopyIndex, text_checksum
from charrnn.files import atomic_write_text
from corpora.prepare import CorpusError, cached_path, prepare, prepare_text_file
from corpora.registry import CORPORA

VAL_FRACTION_DEFAULT = 0.1


def split_text(text: str, val_fraction: float = VAL_FRACTION_DEFAULT) -> tuple[str, str]:
    """The first (1 - val_fraction) of the text trains, the contiguous rest validates
    (nanoGPT's split, so figures on tiny shakespeare compare with its published ones)."""
    cut = int(len(text) * (1 - val_fraction))
    return text[:cut], text[cut:]


# The checksum training records of its clean text (``meta.text_sha256``): the one the copy
# index's header holds too (``charrnn.copycheck.text_checksum``), so the two never disagree.
text_sha256 = text_checksum


@dataclass(frozen=True)
class TrainingText:
    """A model's training split and where its index is cached (beside the prepared text)."""

    source: str  # "corpus NAME" or the path of a --text file
    text: str
    index_stem: Path

    def index(self) -> CopyIndex:
        return CopyIndex.load_or_build(self.index_stem, self.text)


def prepare_command(name: str) -> str:
    return f"python -m corpora prepare {name}"


def training_text(meta: dict, corpus: str | None = None) -> TrainingText:
    """The training split of the model whose ``config.json`` meta is ``meta`` (``corpus`` overrides
    the corpus it names). ``CopyCheckError`` says what is missing and the command that fixes it."""
    name, source, full, val_fraction = _full_text(meta, corpus)
    stem = cached_path(name or f"text-{text_sha256(full)[:16]}").with_suffix(".copyindex")
    expected = meta.get("text_sha256")
    if expected and expected != text_sha256(full) and not corpus:
        raise CopyCheckError(
            f"the {source} on this machine is not the text this model was trained on (its checksum differs)"
            + (f"; prepare it again: `{prepare_command(name)} --force`" if name else "")
        )
    return TrainingText(source, split_text(full, val_fraction)[0], stem)


def validation_text(meta: dict) -> str:
    """The validation split of the model whose ``config.json`` meta is ``meta``: text of its style
    that it never trained on. ``CopyCheckError`` as for ``training_text``."""
    _, _, full, val_fraction = _full_text(meta, None)
    return split_text(full, val_fraction)[1]


def _full_text(meta: dict, corpus: str | None) -> tuple[str | None, str, str, float]:
    """(registry corpus or None, a description of the source, the whole clean text, the validation
    fraction) of what ``meta`` names; the corpus must be prepared already (nothing is fetched)."""
    name, file, val_fraction = _named_source(meta, corpus)
    if name:
        return name, f"corpus {name}", _corpus_text(name), val_fraction
    if file:
        return None, str(file), _file_text(Path(file)), val_fraction
    raise CopyCheckError("this model's config.json names neither a corpus nor a text file it was trained on")


def _named_source(meta: dict, corpus: str | None) -> tuple[str | None, str | None, float]:
    """(registry corpus, or --text file, and the validation fraction) that ``meta`` names."""
    train = meta.get("train_config") or {}
    val_fraction = float(train.get("val_fraction") or VAL_FRACTION_DEFAULT)
    file = None if corpus else meta.get("text_path") or train.get("text")
    name = None if file else corpus or train.get("corpus") or meta.get("corpus")
    return name, file, val_fraction


def source_key(meta: dict) -> tuple:
    """What ``training_text(meta)`` depends on, found with one ``stat`` instead of reading and
    checksumming the text: the file it reads, its size and modification time, the split and the
    checksum the model expects. A cache keyed by it is rebuilt when any of them changes."""
    name, file, val_fraction = _named_source(meta, None)
    path = cached_path(name) if name else Path(file) if file else None
    try:
        stat = path.stat() if path else None
    except OSError:
        stat = None
    signature = (stat.st_size, stat.st_mtime_ns) if stat else None
    return str(path), signature, val_fraction, meta.get("text_sha256")


def _corpus_text(name: str) -> str:
    if name not in CORPORA:
        raise CopyCheckError(
            f"this model was trained on {name!r}, a corpus this checkout does not know; "
            f"pass the text itself with `--text FILE` or one of: {', '.join(CORPORA)}"
        )
    path = cached_path(name)
    if not path.is_file():
        raise CopyCheckError(f"the {name} corpus is not prepared on this machine: run `{prepare_command(name)}`")
    return path.read_text(encoding="utf-8")


def _file_text(path: Path) -> str:
    try:
        return prepare_text_file(path)
    except CorpusError as e:
        raise CopyCheckError(f"this model was trained on {path}, which cannot be read here: {e}") from None


SKIPPED_NOTE = "PREPARE-SKIPPED.txt"  # left beside the corpora when a build could not prepare them


def skipped_note_path() -> Path:
    """Where ``write_skipped_note`` leaves its note and the app reads it: beside the corpora."""
    return cached_path("x").parent / SKIPPED_NOTE


def prepare_for_models(models_dir: Path, mirror: str | None = None) -> list[str]:
    """Prepare the corpus of every model under ``models_dir`` and build its copy-check index (the
    Docker build runs this); returns one line per corpus that could not be prepared."""
    problems: list[str] = []
    names = sorted({_corpus_of(config) for config in models_dir.glob("*/config.json")} - {None})
    for name in names:
        try:
            prepare(name, mirror)
            training_text({"corpus": name}).index()
            print(f"{name}: prepared and indexed")
        except (CorpusError, CopyCheckError, OSError) as e:
            problems.append(f"{name}: {e}")
    return problems


def _corpus_of(config: Path) -> str | None:
    try:
        meta = json.loads(config.read_text(encoding="utf-8")).get("meta", {})
    except (OSError, ValueError, AttributeError):
        return None
    name = (meta.get("train_config") or {}).get("corpus") or meta.get("corpus")
    return name if name in CORPORA else None


def write_skipped_note(problems: list[str]) -> Path:
    """The note the app shows beside the check's message: why the corpora are missing in this build."""
    path = skipped_note_path()
    atomic_write_text(
        path,
        "This build could not prepare the corpora of the shipped styles (no network?): "
        + "; ".join(problems)
        + ". Run `python -m corpora prepare NAME` where the app runs to turn the check on.\n",
    )
    return path
