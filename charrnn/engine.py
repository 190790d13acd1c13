"""A CPU inference engine for ``CharRNN``: the same function as ``CharRNN.forward``, stepped
one character at a time with the per-call overhead of ``nn.Module`` removed.

What makes it fast (each choice measured on a 2-core CPU; see ``benchmarks/sampling.py``):

* Weights are laid out once, at load time, as contiguous float32 NumPy arrays in the
  ``x @ W`` orientation, so every step is plain BLAS calls on preallocated buffers.
* The first layer's input is one character, so its input projection (embedding, ``W_ih`` and
  both biases) is precomputed per vocabulary entry: a row lookup instead of a product.
* In every deeper RNN/LSTM layer ``W_ih`` and ``W_hh`` are fused into one ``[W_ih; W_hh]``
  matrix, applied to the window ``[h_l-1, h_l]`` of one buffer that holds every layer's h side
  by side: one product per layer, and no copies between layers.
* LSTM gates are reordered to (i, f, o, g) and the sigmoid rows (GRU: r, z) are pre-scaled by
  1/2, so all sigmoids and tanhs of a layer are one ``tanh`` call
  (sigmoid(x) = (1 + tanh(x / 2)) / 2; scaling by 1/2 is exact in binary floating point).
* NumPy (OpenBLAS) rather than torch for the products: for these shapes torch's ``mv``,
  ``mm`` and ``linear`` measured 1.5-4x slower per call, and small NumPy ufuncs cost about a
  microsecond of dispatch where torch ops cost several.
* BLAS threads are chosen by measurement, because the right answer flips with the machine's
  load: at batch 1 a second BLAS thread made a step ~1.5x faster while the other core was
  idle and 10-30x slower while training kept it busy (OpenBLAS's threads spin-wait for each
  other). So one-stream steps time themselves and every so often try the other setting
  (``_ThreadChooser``; the products are bit-identical either way, so the text never depends
  on it). Batches run BLAS single-threaded (their products do round differently per thread
  count); they can split each layer's hidden units over two Python threads instead
  (``Stepper(split=True)``), which degrades gracefully when the other core is busy.
* The prime is consumed in one call, layer by layer: one matrix product gives a layer's input
  projection for the whole prime, then only ``W_hh`` runs per character.

Dropout is never applied: this is the inference (eval-mode) function of the model.
"""

from __future__ import annotations

import ctypes
import os
import queue
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from charrnn.model import CharRNN

DTYPE = np.float32
_matmul, _add, _multiply, _tanh = np.matmul, np.add, np.multiply, np.tanh
DEFAULT_THREADS = "auto"  # BLAS threads while the engine computes: "auto", a number, or None; see Stepper
Threads = int | str | None


# ---- BLAS thread count ----
# NumPy's BLAS (OpenBLAS in the wheels) runs a matrix-vector product on every core. On a
# 2-core machine that also runs training, its second thread waits for a busy core and one
# product took 10-30x longer than on one thread (benchmarks/sampling.py measures both).
# OpenBLAS's thread count is process-wide, so the engine sets it only while it computes and
# restores it after; a lock and a count keep concurrent users (app sessions in threads) from
# restoring each other's values. Where no OpenBLAS is found this is a no-op.

_BLAS_SYMBOLS = (
    ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
    ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
    ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
    ("openblas_get_num_threads", "openblas_set_num_threads"),
)
_blas_api: tuple[Callable[[], int], Callable[[int], None]] | bool | None = False  # False: not looked up yet
_blas_lock = threading.Lock()
_blas_users = 0  # how many blas_threads blocks are open, in any thread
_blas_saved = 0  # the count before the first of them opened
_blas_now = 0  # the count the first of them set (later ones run with it)


def _find_blas_api() -> tuple[Callable[[], int], Callable[[int], None]] | None:
    """The get/set thread-count functions of the OpenBLAS that NumPy's wheel bundles."""
    root = Path(np.__file__).resolve().parent
    for folder in (root.parent / "numpy.libs", root / ".dylibs"):
        for path in sorted(folder.glob("*openblas*")) if folder.is_dir() else []:
            try:
                lib = ctypes.CDLL(str(path))
            except OSError:
                continue
            for get_name, set_name in _BLAS_SYMBOLS:
                if hasattr(lib, get_name) and hasattr(lib, set_name):
                    get, put = getattr(lib, get_name), getattr(lib, set_name)
                    get.restype, get.argtypes = ctypes.c_int, []
                    put.restype, put.argtypes = None, [ctypes.c_int]
                    return get, put
    return None


def _blas() -> tuple[Callable[[], int], Callable[[int], None]] | None:
    """NumPy's OpenBLAS get/set pair, looked up once (None where there is none)."""
    global _blas_api
    if _blas_api is False:
        _blas_api = _find_blas_api()
    return _blas_api  # type: ignore[return-value]


def blas_thread_count() -> int | None:
    """The thread count NumPy's BLAS runs with now (None where it cannot be read)."""
    api = _blas()
    return api[0]() if api else None


class blas_threads:
    """While inside, NumPy's BLAS uses ``n`` threads (``None``: leave it alone). Reusable, not
    reentrant per object. Blocks open at once in several threads share the first one's count."""

    def __init__(self, n: int | None):
        self.n = n
        self._active = False

    def __enter__(self) -> blas_threads:
        global _blas_users, _blas_saved, _blas_now
        api = _blas() if self.n is not None else None
        if api:
            get, put = api
            with _blas_lock:
                if _blas_users == 0:
                    _blas_saved, _blas_now = get(), self.n
                    if _blas_saved != self.n:
                        put(self.n)
                _blas_users += 1
            self._active = True
        return self

    def __exit__(self, *exc: object) -> None:
        global _blas_users
        if self._active:
            self._active = False
            with _blas_lock:
                _blas_users -= 1
                if _blas_users == 0 and _blas_now != _blas_saved:
                    _blas()[1](_blas_saved)  # type: ignore[index]


class _ThreadChooser:
    """Picks 1 or 2 BLAS threads for one-stream steps by timing them (throughput: mean times,
    since a starved second thread shows up as rare, huge spikes rather than in the median).

    One thread is the safe default. Every ``interval`` steps, ``TRIAL`` steps try the other
    count; 2 threads take over only if the trial's mean beats the mean of the last ``WINDOW``
    one-thread steps by 20%. While on 2, a window whose mean stops beating it by 10% goes back
    to 1. A step slower than ``STARVED`` times the one-thread mean (the second thread waited
    for a busy core) ends a trial, or the run on 2, at once. Each time 2 threads lose, the
    interval doubles, up to ``MAX_INTERVAL``: on a busy machine the trials soon become rare."""

    BASE_INTERVAL, MAX_INTERVAL, TRIAL, WINDOW, STARVED = 64, 8192, 8, 16, 10.0

    def __init__(self, cores: int | None = None):
        self.current = 1
        self.enabled = (cores or os.cpu_count() or 1) >= 2
        self.interval = self.countdown = self.BASE_INTERVAL
        self.one: deque[float] = deque(maxlen=self.WINDOW)  # recent one-thread step times
        self.two: deque[float] = deque(maxlen=self.WINDOW)  # recent two-thread step times
        self.trial: list[float] = []

    def threads(self) -> int:
        """The thread count for the next step."""
        return 2 if self.current == 2 or (self.countdown <= 0 and self.enabled) else 1

    def _lose(self) -> None:
        self.current, self.trial = 1, []
        self.two.clear()
        self.interval = min(2 * self.interval, self.MAX_INTERVAL)
        self.countdown = self.interval

    def record(self, threads: int, seconds: float) -> None:
        if threads == 1:
            self.one.append(seconds)
            self.countdown -= 1
            return
        one = sum(self.one) / len(self.one) if self.one else float("inf")
        if seconds > self.STARVED * one:
            self._lose()
        elif self.current == 2:  # running on 2: keep checking against the one-thread figure
            self.two.append(seconds)
            if len(self.two) == self.WINDOW and sum(self.two) > 0.9 * one * self.WINDOW:
                self._lose()
        else:  # a trial of 2
            self.trial.append(seconds)
            if len(self.trial) == self.TRIAL:
                if sum(self.trial) < 0.8 * one * self.TRIAL:
                    self.current = 2
                    self.two = deque(self.trial, maxlen=self.WINDOW)
                    self.trial = []
                else:
                    self._lose()


@dataclass(frozen=True)
class _Layer:
    """One recurrent layer's weights, laid out for ``x @ W`` with gates pre-ordered and scaled."""

    w_ih: np.ndarray | None  # (In, G); None for layer 0 (its input projection is the table)
    w_hh: np.ndarray  # (H, G)
    w_step: np.ndarray  # what one step multiplies: w_hh (layer 0, GRU) or [w_ih; w_hh] (In + H, G)
    b: np.ndarray  # (G,) bias added after the input projection (RNN/LSTM: b_ih + b_hh; GRU: b_ih)
    b_hh: np.ndarray | None  # GRU only: (G,) hidden bias (it sits inside r * (W_hn h + b_hn))
    fused: bool  # w_step is [w_ih; w_hh], applied to the window [h_l-1, h_l]


def _gate_layout(cell: str, hidden: int) -> tuple[np.ndarray, np.ndarray]:
    """Row permutation and per-row scale applied to PyTorch's gate blocks."""
    h = hidden
    if cell == "lstm":  # PyTorch order i, f, g, o -> i, f, o, g; sigmoid rows halved
        order = np.concatenate([np.arange(0, 2 * h), np.arange(3 * h, 4 * h), np.arange(2 * h, 3 * h)])
        scale = np.concatenate([np.full(3 * h, 0.5), np.ones(h)])
    elif cell == "gru":  # r, z, n; r and z are sigmoids
        order = np.arange(3 * h)
        scale = np.concatenate([np.full(2 * h, 0.5), np.ones(h)])
    else:
        order, scale = np.arange(h), np.ones(h)
    return order, scale


class Engine:
    """A model's weights laid out for fast stepping. Immutable; build once per model
    (``Engine.for_model`` caches it) and make any number of ``Stepper`` objects from it."""

    def __init__(self, model: CharRNN):
        self.cell, self.layers, self.hidden = model.cell, model.layers, model.hidden
        self.vocab_size = len(model.vocab)
        self.gates = {"rnn": 1, "gru": 3, "lstm": 4}[self.cell] * self.hidden
        with torch.no_grad():
            p = {k: v.detach().to("cpu", torch.float64).numpy() for k, v in model.state_dict().items()}
        order, scale = _gate_layout(self.cell, self.hidden)

        def rows(a: np.ndarray) -> np.ndarray:  # reorder + scale gate rows (works for (G,) and (G, K))
            return a[order] * (scale if a.ndim == 1 else scale[:, None])

        def f32(a: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray(a, dtype=DTYPE)

        self._layers: list[_Layer] = []
        for k in range(self.layers):
            w_ih, w_hh = rows(p[f"rnn.weight_ih_l{k}"]), rows(p[f"rnn.weight_hh_l{k}"])
            b_ih, b_hh = rows(p[f"rnn.bias_ih_l{k}"]), rows(p[f"rnn.bias_hh_l{k}"])
            gru = self.cell == "gru"
            b = b_ih if gru else b_ih + b_hh
            if k == 0:
                # Embedding -> W_ih -> bias for every vocabulary entry: one row lookup per character.
                self.table = f32(p["embed.weight"] @ w_ih.T + b)  # (V, G)
                w_hh_t = f32(w_hh.T)
                self._layers.append(_Layer(None, w_hh_t, w_hh_t, f32(b), f32(b_hh) if gru else None, False))
            elif gru:
                w_ih_t, w_hh_t = f32(w_ih.T), f32(w_hh.T)
                self._layers.append(_Layer(w_ih_t, w_hh_t, w_hh_t, f32(b), f32(b_hh), False))
            else:
                fused = f32(np.concatenate([w_ih.T, w_hh.T], axis=0))  # (In + H, G); row slices are contiguous
                self._layers.append(_Layer(fused[: self.hidden], fused[self.hidden :], fused, f32(b), None, True))
        self.head_w = f32(p["head.weight"].T)  # (H, V)
        self.head_b = f32(p["head.bias"])
        # Where every stream begins (and ``reset`` returns to): the model's start state, else zeros.
        shape = (self.layers, self.hidden)
        self.start_h = f32(p["start_h"]) if "start_h" in p else np.zeros(shape, DTYPE)  # (L, H)
        self.start_c = f32(p["start_c"]) if "start_c" in p else np.zeros(shape, DTYPE)  # (L, H), LSTM only
        self._part_weights: dict[tuple[int, int], tuple] = {}  # (lo, hi) -> (table, per-layer weights)
        self._chooser = _ThreadChooser()  # shared by this model's one-stream steppers

    def part_weights(self, lo: int, hi: int) -> tuple:
        """The table and every layer's (w_step, w_hh, w_ih, b, b_hh), restricted to the gate
        columns of hidden units [lo, hi) (contiguous copies, made once per engine)."""
        if (lo, hi) == (0, self.hidden):
            return self.table, [(x.w_step, x.w_hh, x.w_ih, x.b, x.b_hh) for x in self._layers]
        if (lo, hi) not in self._part_weights:
            h = self.hidden
            cols = np.concatenate([np.arange(k * h + lo, k * h + hi) for k in range(self.gates // h)])

            def take(a: np.ndarray | None) -> np.ndarray | None:
                return None if a is None else np.ascontiguousarray(a[..., cols])

            layers = [tuple(take(a) for a in (x.w_step, x.w_hh, x.w_ih, x.b, x.b_hh)) for x in self._layers]
            self._part_weights[(lo, hi)] = (take(self.table), layers)
        return self._part_weights[(lo, hi)]

    # ---- construction, cached per model ----

    _cache: ClassVar[weakref.WeakKeyDictionary] = weakref.WeakKeyDictionary()

    @classmethod
    def for_model(cls, model: CharRNN) -> Engine:
        """The engine for ``model``, rebuilt only when its weights changed since the last call
        (a training step or ``load_state_dict`` bumps the parameters' version counters)."""
        key = _fingerprint(model)
        cached = cls._cache.get(model)
        if key is not None and cached is not None and cached[0] == key:
            return cached[1]
        engine = cls(model)
        if key is not None:
            cls._cache[model] = (key, engine)
        return engine

    def stepper(self, batch: int = 1, threads: Threads = DEFAULT_THREADS, split: bool = False) -> Stepper:
        """Buffers and state for ``batch`` streams; ``threads`` and ``split``: see ``Stepper``."""
        return Stepper(self, batch, threads, split)

    def forward(self, ids: np.ndarray | torch.Tensor, state: object | None = None) -> tuple[np.ndarray, object]:
        """Like ``CharRNN.forward`` (eval mode): ids (B, T) -> logits (B, T, V) float32 and the
        state after the last character, as NumPy arrays shaped like the module's
        ((layers, B, H), or a pair of them for an LSTM)."""
        ids = np.asarray(ids, dtype=np.intp)
        stepper = Stepper(self, ids.shape[0], split=False)
        if state is not None:
            stepper.set_state(state)
        logits = stepper.run(ids, all_logits=True)
        return logits, stepper.get_state()


def _fingerprint(model: CharRNN) -> tuple | None:
    try:
        return tuple((t.data_ptr(), t._version, tuple(t.shape)) for t in model.state_dict().values())
    except RuntimeError:  # inference tensors keep no version counter: do not cache
        return None


class _Part:
    """Hidden units [lo, hi) of every layer, for ``batch`` streams: their gate columns of the
    weights (the engine's own arrays when the part is all units), gate buffers, and views.
    ``h_out``: where the cells write new h; the state itself unless the step is split, when
    another thread may still be reading the old h (each part then writes a private buffer)."""

    def __init__(self, engine: Engine, hs: np.ndarray, cs: list[np.ndarray], lo: int, hi: int, batch: int):
        e = self.engine = engine
        h, n = e.hidden, hi - lo
        blocks = e.gates // h
        self.whole = lo == 0 and hi == h
        self.table, self.weights = e.part_weights(lo, hi)  # per layer: (w_step, w_hh, w_ih, b, b_hh)
        self.src = [hs[:, max(k - 1, 0) * h : (k + 1) * h] if x.fused else hs[:, k * h : (k + 1) * h]
                    for k, x in enumerate(e._layers)]  # fmt: skip
        self.h = [hs[:, k * h + lo : k * h + hi] for k in range(e.layers)]
        self.h_in = [hs[:, (k - 1) * h : k * h] if k else None for k in range(e.layers)]  # GRU input: all units
        self.h_full = [hs[:, k * h : (k + 1) * h] for k in range(e.layers)]
        self.c = [c[:, lo:hi] for c in cs] or [None] * e.layers
        self.h_out = self.h if self.whole else [np.empty((batch, n), DTYPE) for _ in range(e.layers)]
        g = self.g = np.empty((batch, blocks * n), DTYPE)
        gi = self.gi = np.empty((batch, blocks * n), DTYPE)  # GRU input side; the table rows of layer 0
        self.tmp = np.empty((batch, n), DTYPE)
        if e.cell == "lstm":  # gates i, f, o (pre-halved sigmoids), g
            self.sig, self.i, self.f, self.o, self.gg = (
                g[:, : 3 * n],
                g[:, :n],
                g[:, n : 2 * n],
                g[:, 2 * n : 3 * n],
                g[:, 3 * n :],
            )
        elif e.cell == "gru":  # r, z (pre-halved sigmoids), n
            self.rz, self.r, self.z, self.ghn = g[:, : 2 * n], g[:, :n], g[:, n : 2 * n], g[:, 2 * n :]
            self.gi_rz, self.gi_n = gi[:, : 2 * n], gi[:, 2 * n :]
        self.cell = {"rnn": self._rnn, "gru": self._gru, "lstm": self._lstm}[e.cell]

    # ---- cells: g holds the pre-activation (GRU: g = W_hh h + b_hh, gi = the input side) ----

    def _rnn(self, c: np.ndarray | None, h_old: np.ndarray, h_out: np.ndarray) -> None:
        _tanh(self.g, out=h_out)

    def _lstm(self, c: np.ndarray | None, h_old: np.ndarray, h_out: np.ndarray) -> None:
        g, sig, tmp = self.g, self.sig, self.tmp
        _tanh(g, out=g)
        _multiply(sig, 0.5, out=sig)  # sigmoid(x) = (1 + tanh(x / 2)) / 2; rows were pre-halved
        _add(sig, 0.5, out=sig)
        _multiply(c, self.f, out=c)
        _multiply(self.i, self.gg, out=tmp)
        _add(c, tmp, out=c)
        _tanh(c, out=tmp)
        _multiply(self.o, tmp, out=h_out)

    def _gru(self, c: np.ndarray | None, h_old: np.ndarray, h_out: np.ndarray) -> None:
        rz, ghn, tmp = self.rz, self.ghn, self.tmp
        _add(rz, self.gi_rz, out=rz)
        _tanh(rz, out=rz)
        _multiply(rz, 0.5, out=rz)
        _add(rz, 0.5, out=rz)
        _multiply(ghn, self.r, out=ghn)  # r * (W_hn h + b_hn)
        _add(ghn, self.gi_n, out=ghn)
        _tanh(ghn, out=ghn)  # n
        np.subtract(h_old, ghn, out=tmp)  # h' = n + z * (h - n)
        _multiply(tmp, self.z, out=tmp)
        _add(ghn, tmp, out=h_out)

    def layer(self, k: int, ids: int | np.ndarray) -> None:
        """Step layer k of this part: read the old state (and layer k-1's new h), write h_out[k]."""
        w_step, w_hh, w_ih, b, b_hh = self.weights[k]
        g = self.g
        if self.engine.cell == "gru":
            _matmul(self.h_full[k], w_hh, out=g)
            _add(g, b_hh, out=g)
            if k == 0:
                self._table_rows(ids)
            else:
                _matmul(self.h_in[k], w_ih, out=self.gi)
                _add(self.gi, b, out=self.gi)
        else:
            _matmul(self.src[k], w_step, out=g)
            if k == 0:
                _add(g, self._table_rows(ids), out=g)
            else:
                _add(g, b, out=g)
        self.cell(self.c[k], self.h[k], self.h_out[k])

    def _table_rows(self, ids: int | np.ndarray) -> np.ndarray:
        """Layer 0's input projection for these characters (GRU: into gi)."""
        if isinstance(ids, int | np.integer):
            rows = self.table[ids : ids + 1]  # a view: no copy
            if self.engine.cell != "gru":
                return rows
            np.copyto(self.gi, rows)
            return self.gi
        return self.table.take(ids, axis=0, out=self.gi)


class _Helper:
    """A second thread for split steps: runs one job at a time while the caller runs another."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._done: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=_helper_loop, args=(self._jobs, self._done), name="charrnn-engine", daemon=True).start()

    def both(self, there: Callable[[], None], here: Callable[[], None]) -> None:
        self._jobs.put(there)
        try:
            here()
        finally:
            error = self._done.get()
        if error is not None:
            raise error

    def close(self) -> None:
        self._jobs.put(None)


def _helper_loop(jobs: queue.SimpleQueue, done: queue.SimpleQueue) -> None:
    while (job := jobs.get()) is not None:
        try:
            job()
        except BaseException as e:  # handed to the waiting caller
            done.put(e)
        else:
            done.put(None)


class Stepper:
    """State and preallocated buffers for ``batch`` streams stepped together.

    ``split=True`` computes each layer's two halves of hidden units in two threads (NumPy
    releases the GIL in its products and large ufuncs; each BLAS call stays single-threaded, so
    a busy core only makes the halves run one after the other instead of spinning). For a
    batch, whose step is compute-bound, that measured 1.6x faster while the second core was
    idle and about 20% slower while training kept it busy (benchmarks/sampling.py: batch16 and
    batch16_split), which is this machine's usual state: off by default. Splitting changes the
    blocking of the products, so logits differ from the unsplit step by float rounding.

    ``threads``: BLAS threads while it computes: a number, ``None`` for NumPy's own setting, or
    ``"auto"``: for one stream, 1 or 2 as measured (see ``_ThreadChooser``); for a batch, 1.

    ``step`` and ``run`` return a view of an internal logits buffer that the next call
    overwrites; copy it to keep it."""

    def __init__(self, engine: Engine, batch: int = 1, threads: Threads = DEFAULT_THREADS,
                 split: bool = False):  # fmt: skip
        if batch < 1:
            raise ValueError("batch must be positive")
        e = self.engine = engine
        self.batch = batch
        h = e.hidden
        # Every layer's h side by side in one buffer [h_0, h_1, ..., h_L-1]: layer l > 0 multiplies
        # the window [h_l-1, h_l] (its input, just written by layer l-1, and its own state) by
        # [W_ih; W_hh] in one product, and no h is ever copied between layers.
        self._hs = np.zeros((batch, e.layers * h), DTYPE)
        self._h = [self._hs[:, k * h : (k + 1) * h] for k in range(e.layers)]  # (B, H) views
        self._c = [np.zeros((batch, h), DTYPE) for _ in range(e.layers)] if e.cell == "lstm" else []
        self.reset()
        self._whole = _Part(e, self._hs, self._c, 0, h, batch)
        self._logits = np.empty((batch, e.vocab_size), DTYPE)
        if threads not in ("auto", None) and not (isinstance(threads, int) and threads >= 1):
            raise ValueError(f"threads must be 'auto', None or a positive number (got {threads!r})")
        self._chooser = engine._chooser if threads == "auto" and batch == 1 and not split else None
        self._by_count = {1: blas_threads(1), 2: blas_threads(2)}
        self._threads = blas_threads(1 if threads == "auto" else threads)  # type: ignore[arg-type]
        self._parts: list[_Part] = []
        self._helper: _Helper | None = None
        if split and h >= 2:
            self._parts = [_Part(e, self._hs, self._c, lo, hi, batch) for lo, hi in ((0, h // 2), (h // 2, h))]
            self._helper = _Helper()
            weakref.finalize(self, self._helper.close)

    # ---- state ----

    def reset(self) -> None:
        """Every stream back to the model's start state (zeros for a model without one)."""
        for k, h in enumerate(self._h):
            h[...] = self.engine.start_h[k]  # (B, H) <- (H,)
        for k, c in enumerate(self._c):
            c[...] = self.engine.start_c[k]

    def get_state(self) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        h = np.stack([a.copy() for a in self._h])
        return (h, np.stack([a.copy() for a in self._c])) if self.engine.cell == "lstm" else h

    def set_state(self, state: object) -> None:
        """Accept the module's state layout: (layers, B, H), or a pair for an LSTM (tensors or arrays)."""
        hs = state if self.engine.cell != "lstm" else state[0]  # type: ignore[index]
        for k, a in enumerate(self._h):
            a[...] = np.asarray(hs[k])
        if self.engine.cell == "lstm":
            for k, a in enumerate(self._c):
                a[...] = np.asarray(state[1][k])  # type: ignore[index]

    def copy_stream(self, source: Stepper, src: int, dst: int) -> None:
        """Copy stream ``src`` of ``source`` (same engine) into stream ``dst`` of this stepper."""
        for mine, theirs in zip([self._hs, *self._c], [source._hs, *source._c], strict=True):
            mine[dst] = theirs[src]

    # ---- stepping ----

    def _head(self, h: np.ndarray, out: np.ndarray) -> np.ndarray:
        _matmul(h, self.engine.head_w, out=out)
        _add(out, self.engine.head_b, out=out)
        return out

    def step(self, ids: int | Sequence[int] | np.ndarray) -> np.ndarray:
        """Feed one character per stream (an int when batch is 1); return logits (B, V)."""
        if not isinstance(ids, int | np.integer):
            ids = np.asarray(ids, dtype=np.intp)
        if self._chooser is not None:
            threads = self._chooser.threads()
            start = time.perf_counter()
            with self._by_count[threads]:
                self._whole_step(ids)
            self._chooser.record(threads, time.perf_counter() - start)
            return self._logits
        with self._threads:
            if self._helper is None:
                self._whole_step(ids)
                return self._logits
            first, second = self._parts
            for k in range(self.engine.layers):
                self._helper.both(partial(second.layer, k, ids), partial(first.layer, k, ids))
                # both halves have read the old h: now publish the new one
                np.copyto(first.h[k], first.h_out[k])
                np.copyto(second.h[k], second.h_out[k])
            return self._head(self._h[-1], self._logits)

    def _whole_step(self, ids: int | np.ndarray) -> None:
        layer = self._whole.layer
        for k in range(self.engine.layers):
            layer(k, ids)
        self._head(self._h[-1], self._logits)

    def run(self, ids: np.ndarray, all_logits: bool = False) -> np.ndarray:
        """Consume ids (B, T) in one call, layer by layer: each layer's input projection for all
        T characters is one matrix product, then only the recurrent product runs per character.
        Returns the logits after the last character (B, V), or for every character (B, T, V)."""
        ids = np.asarray(ids, dtype=np.intp)
        if ids.ndim != 2 or ids.shape[0] != self.batch or ids.shape[1] < 1:
            raise ValueError(f"ids must be (batch={self.batch}, T>=1); got shape {ids.shape}")
        threads = self._by_count[self._chooser.current] if self._chooser is not None else self._threads
        with threads:
            return self._run(ids, all_logits)

    def _run(self, ids: np.ndarray, all_logits: bool) -> np.ndarray:
        e, part = self.engine, self._whole
        g, gi = part.g, part.gi
        b, t_len = ids.shape
        h_size, gru = e.hidden, e.cell == "gru"
        x = None  # (B, T, H) outputs of the previous layer
        for k, layer in enumerate(e._layers):
            if k == 0:
                proj = e.table[ids]  # (B, T, G)
            else:
                proj = (x.reshape(b * t_len, h_size) @ layer.w_ih).reshape(b, t_len, -1)  # type: ignore[union-attr]
                proj += layer.b
            y = np.empty((b, t_len, h_size), DTYPE)
            state, c = self._h[k], (self._c[k] if self._c else None)
            h = state
            for t in range(t_len):
                _matmul(h, layer.w_hh, out=g)
                if gru:
                    _add(g, layer.b_hh, out=g)
                    np.copyto(gi, proj[:, t])
                else:
                    _add(g, proj[:, t], out=g)
                h_out = y[:, t]
                part.cell(c, h, h_out)
                h = h_out
            state[...] = h
            x = y
        if all_logits:
            out = x.reshape(b * t_len, h_size) @ e.head_w  # type: ignore[union-attr]
            out += e.head_b
            return out.reshape(b, t_len, -1)
        return self._head(x[:, -1], self._logits)  # type: ignore[index]

    def prime(self, sequences: Sequence[Sequence[int]]) -> np.ndarray:
        """Start every stream from its own prime (non-empty id lists, one per stream), each
        consumed in one ``run`` call; identical primes are run once. Returns logits (B, V)."""
        if len(sequences) != self.batch:
            raise ValueError(f"need {self.batch} primes, got {len(sequences)}")
        done: dict[tuple[int, ...], int] = {}
        single = Stepper(self.engine, 1, self._threads.n) if self.batch > 1 else self  # batches: fixed threads
        for i, seq in enumerate(sequences):
            key = tuple(seq)
            if key in done:  # same prime as an earlier stream: copy its state
                self.copy_stream(self, done[key], i)
                self._logits[i] = self._logits[done[key]]
                continue
            single.reset()
            logits = single.run(np.asarray([key], dtype=np.intp))
            if single is not self:
                self.copy_stream(single, 0, i)
                self._logits[i] = logits[0]
            done[key] = i
        return self._logits


class FastStepper:
    """One stream, with the stepper protocol ``generate`` uses: ``prime(ids) -> (V,)`` and
    ``step(char_id) -> (V,)`` (views of a buffer the next call overwrites)."""

    def __init__(self, model: CharRNN, threads: Threads = DEFAULT_THREADS):
        self._s = Engine.for_model(model).stepper(1, threads)

    def prime(self, ids: list[int]) -> np.ndarray:
        self._s.reset()
        return self._s.run(np.asarray([ids], dtype=np.intp))[0]

    def step(self, char_id: int) -> np.ndarray:
        return self._s.step(char_id)[0]
