"""The model catalogue, read from each model's own files without loading its weights, and the rules
that keep model names (from the URL or the sidebar) inside ``models/`` or the Hub cache."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from charrnn.metrics import bits_per_char, perplexity

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
HISTORY_FILE = "history.json"
CARD_FILE = "README.md"
MODEL_FILES = (CONFIG_FILE, WEIGHTS_FILE, HISTORY_FILE, CARD_FILE)
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
ENV_MODELS_DIR = "CHARRNN_MODELS_DIR"
FLAGSHIP = "shakespeare"
FALLBACK_PRIME = "The "

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
# The sidebar's groups, in order: one line per style under each heading.
GROUPS = {
    "styles": "📚 The styles",
    "course": "🎓 The course's models",
    "comparison": "⚖️ The comparison",
    "yours": "✍️ Yours",
    "hub": "🤗 From the Hub",
}
_COMPARISON = re.compile(r"shakespeare-(rnn|gru|lstm)")
_COURSE = re.compile(r"minrnn-.*|latex|linux")  # min-char-rnn, and the course's LaTeX and kernel-C demos


class UnsafeNameError(ValueError):
    """A model name that is not a plain directory name inside the models folder."""


def models_root(app_dir: Path, environ: Mapping[str, str] = os.environ) -> Path:
    """``$CHARRNN_MODELS_DIR`` when set, else ``models/`` beside the app."""
    value = environ.get(ENV_MODELS_DIR, "").strip()
    return Path(value).expanduser() if value else app_dir / "models"


def is_valid_name(name: str) -> bool:
    """A single path component of letters, digits, ``.``, ``_`` and ``-`` (no ``..``, no slash)."""
    return isinstance(name, str) and bool(_NAME.fullmatch(name)) and ".." not in name


def is_within(path: Path, base: Path) -> bool:
    """Whether ``path`` exists and, symlinks followed, lies inside ``base``."""
    try:
        path.resolve(strict=True).relative_to(base.resolve(strict=True))
    except (OSError, ValueError, RuntimeError):
        return False
    return True


def resolve_model_dir(root: Path, name: str) -> Path:
    """The directory of model ``name`` under ``root``; UnsafeNameError for anything that is not a
    plain name or that resolves outside ``root`` (``../``, absolute paths, symlinks)."""
    if not is_valid_name(name):
        raise UnsafeNameError(f"{name!r} is not a model name (letters, digits, '.', '_' and '-' only)")
    path = root / name
    if not path.is_dir():
        raise UnsafeNameError(f"there is no model called {name!r}")
    if not is_within(path, root):
        raise UnsafeNameError(f"{name!r} points outside the models folder")
    return path


def safe_file(directory: Path, filename: str, base: Path | None = None) -> Path | None:
    """``directory/filename`` when it is a regular file resolving inside ``base`` (default: the
    directory itself), else None. Hub snapshots link into their repo's blob store: pass its root."""
    path = directory / filename
    if not path.is_file() or not is_within(path, base or directory):
        return None
    return path


@lru_cache(maxsize=64)
def _read_json(path: str, mtime_ns: int, size: int) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def read_json(path: Path) -> Any:
    """Parse a JSON file, memoised on (path, mtime, size): a catalogue refresh costs a few stats.
    The result is shared between callers: never mutate it."""
    stat = path.stat()
    return _read_json(str(path), stat.st_mtime_ns, stat.st_size)


def _number(value: Any) -> float | None:
    return (
        float(value)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        else None
    )


@dataclass(frozen=True)
class ModelInfo:
    """What the sidebar shows of one model, and where its files are."""

    key: str  # the directory name, "hf:owner/name" for a Hub model, "yours.RUN" for a Train-tab run
    path: Path
    base: Path  # every file of the model must resolve inside this folder
    source: str = "local"  # or "hub", or "yours" (trained in the Train tab)
    error: str | None = None  # why this model cannot be used; None when it looks complete
    name: str = ""
    title: str = ""
    corpus: str = ""
    author: str = ""
    cell: str = ""
    layers: int = 0
    hidden: int = 0
    embedding: int = 0
    parameters: int = 0
    vocab_size: int = 0
    val_loss: float | None = None  # nats/char on the validation split
    ngram_loss: float | None = None  # the n-gram baseline on the same split, nats/char
    train_time_s: float | None = None
    hardware: str = ""
    weights_dtype: str = ""
    default_prime: str = FALLBACK_PRIME
    sample_temperature: float | None = None
    history_error: str | None = None  # history.json missing or unreadable: no timeline

    @property
    def val_bits(self) -> float | None:
        return None if self.val_loss is None else bits_per_char(self.val_loss)

    @property
    def label(self) -> str:
        shown = self.name if self.source == "yours" else self.key.removeprefix("hf:")
        return f"⚠️ {shown}" if self.error else shown

    @property
    def architecture(self) -> str:
        return f"{self.cell.upper()} {self.layers}×{self.hidden}" if self.cell else "?"

    @property
    def loss_text(self) -> str:
        if self.val_loss is None:
            return "validation loss not recorded"
        return (
            f"{self.val_loss:.3f} nats/char ({self.val_bits:.3f} bits/char, perplexity {perplexity(self.val_loss):.2f})"
        )

    def caption(self) -> str:
        """One line for the style list: everything a user compares styles by."""
        if self.error:
            return f"cannot be used: {self.error}"
        work = " · ".join(p for p in (self.title or self.corpus, self.author) if p)
        parts = [work, f"{self.architecture}, {format_count(self.parameters)} parameters", self.loss_text]
        if self.train_time_s is not None:
            parts.append(
                f"trained {format_duration(self.train_time_s)}" + (f" on {self.hardware}" if self.hardware else "")
            )
        return " · ".join(p for p in parts if p)

    @property
    def group(self) -> str:
        """Which heading of the sidebar lists this style (a key of GROUPS)."""
        if self.source in ("hub", "yours"):
            return self.source
        if _COURSE.fullmatch(self.key):
            return "course"
        return "comparison" if _COMPARISON.fullmatch(self.key) else "styles"

    @property
    def line(self) -> str:
        """The style's one line in the sidebar: name, corpus, bits/char (details in About)."""
        if self.error:
            return f"{self.label} :small[· cannot be used]"
        corpus = self.corpus if self.source != "yours" else "your text"
        bits = f"{self.val_bits:.2f} bits/char" if self.val_bits is not None else "not validated"
        if corpus and corpus in self.label:  # shakespeare-gru: its corpus is in its name; one line fits
            return f"{self.label} :small[· {bits}]"
        return f"{self.label} :small[· {corpus} · {bits}]"

    def file(self, filename: str) -> Path | None:
        return safe_file(self.path, filename, self.base)


def read_model_info(path: Path, key: str, base: Path, source: str = "local") -> ModelInfo:
    """Describe the model in ``path`` from its config.json and history.json; never raises: what is
    wrong with the directory goes into ``error`` (unusable) or ``history_error`` (no timeline)."""
    common: dict[str, Any] = {"key": key, "path": path, "base": base, "source": source, "name": key.removeprefix("hf:")}
    if not is_within(path, base):
        return ModelInfo(**common, error="the folder points outside the models folder")
    config_path = safe_file(path, CONFIG_FILE, base)
    if config_path is None:
        missing = "is missing" if not (path / CONFIG_FILE).exists() else "is not a regular file inside the folder"
        return ModelInfo(**common, error=f"{CONFIG_FILE} {missing}")
    try:
        config = read_json(config_path)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        return ModelInfo(**common, error=f"{CONFIG_FILE} is not valid JSON ({e})")
    vocab = config.get("vocab") if isinstance(config, dict) else None
    if not isinstance(vocab, list) or not vocab or not all(isinstance(c, str) and len(c) == 1 for c in vocab):
        return ModelInfo(**common, error=f"{CONFIG_FILE} has no valid 'vocab': it was not written by charrnn")
    meta = config.get("meta") if isinstance(config.get("meta"), dict) else {}
    history, history_error = _read_history(path, base)
    summary = history.get("summary") if isinstance(history.get("summary"), dict) else {}
    baseline = meta.get("ngram_baseline") if isinstance(meta.get("ngram_baseline"), dict) else {}
    error = None
    if safe_file(path, WEIGHTS_FILE, base) is None:
        error = f"{WEIGHTS_FILE} {_why_no_weights(path)}"
    val_loss = _number(meta.get("val_loss"))
    train_time = _number(meta.get("train_time_s"))
    return ModelInfo(
        **{**common, "name": str(meta.get("name") or common["name"])},
        error=error,
        title=str(meta.get("title") or ""),
        corpus=str(meta.get("corpus") or history.get("corpus") or ""),
        author=str(meta.get("author") or ""),
        cell=str(config.get("cell") or ""),
        layers=int(_number(config.get("layers")) or 0),
        hidden=int(_number(config.get("hidden")) or 0),
        embedding=int(_number(config.get("embedding")) or 0),
        parameters=int(_number(config.get("parameters")) or 0),
        vocab_size=len(vocab),
        val_loss=val_loss if val_loss is not None else _number(summary.get("best_val_loss")),
        ngram_loss=_number(baseline.get("nats_per_char")),
        train_time_s=train_time if train_time is not None else _number(summary.get("train_time_s")),
        hardware=str(meta.get("hardware") or summary.get("hardware") or ""),
        weights_dtype=str(meta.get("weights_dtype") or ""),
        default_prime=default_prime(set(vocab), history.get("sample_prime"), meta.get("sample_prime")),
        sample_temperature=_number(history.get("sample_temperature")),
        history_error=history_error,
    )


def _why_no_weights(path: Path) -> str:
    """Why the weights file is unusable. Weights in a pickle format are never loaded (unpickling
    runs code): say so rather than let a user wonder why their file is ignored."""
    if (path / WEIGHTS_FILE).is_symlink() or (path / WEIGHTS_FILE).exists():
        return "is not a regular file inside the folder"
    pickled = sorted(p.name for p in path.iterdir() if p.suffix in PICKLE_SUFFIXES) if path.is_dir() else []
    if pickled:
        return f"is missing ({pickled[0]} is never loaded: pickle files can run code; convert it to safetensors)"
    return "is missing (training may still be running)"


def _read_history(path: Path, base: Path) -> tuple[dict[str, Any], str | None]:
    history_path = safe_file(path, HISTORY_FILE, base)
    if history_path is None:
        return {}, f"{HISTORY_FILE} is missing"
    try:
        history = read_json(history_path)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        return {}, f"{HISTORY_FILE} is not valid JSON ({e})"
    if not isinstance(history, dict) or not isinstance(history.get("records"), list):
        return {}, f"{HISTORY_FILE} has no 'records' list"
    return history, None


def default_prime(vocab: set[str], *candidates: Any) -> str:
    """The first candidate the model can read (training's sample prime, say), else ``"The "``
    when every character of it is known, else the empty prime."""
    for candidate in (*candidates, FALLBACK_PRIME):
        if isinstance(candidate, str) and candidate and set(candidate) <= vocab:
            return candidate
    return ""


def scan_models(root: Path) -> list[ModelInfo]:
    """Every directory under ``root`` (hidden ones aside), usable ones first, alphabetically."""
    try:
        entries = sorted(p for p in root.iterdir() if not p.name.startswith((".", "_")))
    except OSError:
        return []
    infos = []
    for entry in entries:
        if not entry.is_dir():
            continue
        if not is_valid_name(entry.name):
            infos.append(
                ModelInfo(
                    key=entry.name,
                    path=entry,
                    base=root,
                    name=entry.name,
                    error="rename the folder: letters, digits, '.', '_' and '-' only",
                )
            )
            continue
        infos.append(read_model_info(entry, entry.name, root))
    return sorted(infos, key=lambda i: (i.error is not None, i.key))


def grouped(infos: list[ModelInfo]) -> list[tuple[str, list[ModelInfo]]]:
    """(group, its styles) for each group that has any, in the order of GROUPS."""
    groups = [(g, [i for i in infos if i.group == g]) for g in GROUPS]
    return [(g, members) for g, members in groups if members]


def default_style(infos: list[ModelInfo]) -> str | None:
    """The flagship when it is usable, else the first usable model, else the first listed."""
    usable = [i.key for i in infos if i.error is None]
    if FLAGSHIP in usable:
        return FLAGSHIP
    return usable[0] if usable else (infos[0].key if infos else None)


def format_count(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:.2f}M"
    if n >= 1_000:
        return f"{n / 1e3:.1f}k"
    return str(n)


def format_duration(seconds: float) -> str:
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = seconds / 60
    if minutes < 60:
        return f"{minutes:.0f} min"
    hours, rest = divmod(round(minutes), 60)
    return f"{hours} h {rest:02d} min"
