"""How many threads NumPy's BLAS uses: fixed once per process, at start-up.

The engine's step is a few matrix-vector products. On a 2-core machine that also trains, a
second OpenBLAS thread waits for the busy core and one product took 10-30x longer than on one
thread (``benchmarks/sampling.py`` measures both), while on an idle machine it saved ~1.5x. The
safe choice is one thread. The count is process-wide state, so it is set once, when
``charrnn.engine`` is first imported (before any engine runs), and never changed while another
thread may be inside BLAS: no per-step set and restore.

``CHARRNN_BLAS_THREADS`` overrides the count (a number; ``default`` leaves NumPy's own).
Where no OpenBLAS is found this module does nothing.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

ENV = "CHARRNN_BLAS_THREADS"
DEFAULT_THREADS = 1
_SYMBOLS = (
    ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
    ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
    ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
    ("openblas_get_num_threads", "openblas_set_num_threads"),
)
Api = tuple[Callable[[], int], Callable[[int], None]]
_lock = threading.Lock()
_fixed: list[int | None] = []  # the count fixed at start-up (one entry once done)


def _find_api() -> Api | None:
    """The get/set thread-count functions of the OpenBLAS that NumPy's wheel bundles."""
    root = Path(np.__file__).resolve().parent
    for folder in (root.parent / "numpy.libs", root / ".dylibs"):
        for path in sorted(folder.glob("*openblas*")) if folder.is_dir() else []:
            try:
                lib = ctypes.CDLL(str(path))
            except OSError:
                continue
            for get_name, set_name in _SYMBOLS:
                if hasattr(lib, get_name) and hasattr(lib, set_name):
                    get, put = getattr(lib, get_name), getattr(lib, set_name)
                    get.restype, get.argtypes = ctypes.c_int, []
                    put.restype, put.argtypes = None, [ctypes.c_int]
                    return get, put
    return None


_API = _find_api()


def thread_count() -> int | None:
    """The thread count NumPy's BLAS runs with now (None where it cannot be read)."""
    return _API[0]() if _API else None


def set_thread_count(n: int) -> None:
    """Set the count now. Only for a process's own start-up, benchmarks and tests: never while
    another thread may be inside BLAS."""
    if _API and n >= 1:
        _API[1](n)


def requested_threads() -> int | None:
    """The policy: ``CHARRNN_BLAS_THREADS`` if set (``default``: None, NumPy's own), else 1."""
    value = os.environ.get(ENV, "").strip()
    if value == "default":
        return None
    if value.isdigit() and int(value) >= 1:
        return int(value)
    return DEFAULT_THREADS


def fix_threads() -> int | None:
    """Apply the policy the first time it is called in this process; later calls do nothing.
    Returns the count BLAS runs with."""
    with _lock:
        if not _fixed:
            n = requested_threads()
            if n is not None:
                set_thread_count(n)
            _fixed.append(thread_count())
        return _fixed[0]
