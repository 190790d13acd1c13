"""Crash-safe file writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _read_umask() -> int:
    mask = os.umask(0)  # the only way to read it; done once, at import, before any thread starts
    os.umask(mask)
    return mask


_UMASK = _read_umask()

# Test hook for the fault tests: seconds to pause after the temporary file is written and before it
# is renamed, so that a test can kill -9 a process in the middle of saving a checkpoint. A real write
# of a small checkpoint takes microseconds, too short to hit from outside. Unset in normal use.
PAUSE_ENV = "CHARRNN_TEST_WRITE_PAUSE"
_TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")  # what tempfile.mkstemp makes of our prefix and suffix


def atomic_write(path: str | Path, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, fsync it, then rename it over
    ``path``. A crash or a failed write at any moment leaves the previous ``path`` intact."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        if pause := float(os.environ.get(PAUSE_ENV) or 0):
            time.sleep(pause)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; shipped files must be readable by others
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:  # say which file: an fsync or a rename failing says nothing of it
        Path(tmp).unlink(missing_ok=True)
        raise OSError(e.errno, e.strerror or str(e), str(path)) from e
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable: without this a power cut can bring back the old file."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def is_temporary(path: Path) -> bool:
    """Whether ``path`` is named like an atomic_write temporary (``.NAME.XXXXXXXX.tmp``)."""
    return bool(_TEMPORARY.fullmatch(path.name))


def remove_stale_temporaries(directory: str | Path) -> list[Path]:
    """Delete the temporaries that writes killed mid-way (kill -9, power loss) left in ``directory``.
    Only for a directory whose one writer is the caller, as a resumed training run is."""
    directory = Path(directory)
    stale = [p for p in directory.iterdir() if p.is_file() and is_temporary(p)] if directory.is_dir() else []
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def atomic_write_json(path: str | Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
