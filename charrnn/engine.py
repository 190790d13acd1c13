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
* The prime is consumed in one call, layer by layer: one matrix product gives a layer's input
  projection for the whole prime, then only ``W_hh`` runs per character.
* BLAS threads are fixed once per process when this module is imported (``charrnn.blas``):
  a step never sets or restores them.

Shapes: B streams, H hidden units, G = gates * H (RNN 1, GRU 3, LSTM 4), V vocabulary, T time.
Dropout is never applied: this is the inference (eval-mode) function of the model.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from charrnn import blas
from charrnn.model import CharRNN

DTYPE = np.float32
_matmul, _add, _multiply, _tanh = np.matmul, np.add, np.multiply, np.tanh
blas.fix_threads()  # start-up: before any engine computes, and never again


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


def _f32(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=DTYPE)


class Engine:
    """A model's weights laid out for fast stepping. Immutable; build once per model
    (``Engine.for_model`` caches it) and make any number of ``Stepper`` objects from it."""

    def __init__(self, model: CharRNN):
        self.cell, self.layers, self.hidden = model.cell, model.layers, model.hidden
        self.vocab_size = len(model.vocab)
        with torch.no_grad():
            p = {k: v.detach().to("cpu", torch.float64).numpy() for k, v in model.state_dict().items()}
        self._layers = [self._layer(p, k) for k in range(self.layers)]
        self.head_w = _f32(p["head.weight"].T)  # (H, V)
        self.head_b = _f32(p["head.bias"])  # (V,)
        # Where every stream begins (and ``reset`` returns to): the model's start state, else zeros.
        shape = (self.layers, self.hidden)
        self.start_h = _f32(p["start_h"]) if "start_h" in p else np.zeros(shape, DTYPE)  # (L, H)
        self.start_c = _f32(p["start_c"]) if "start_c" in p else np.zeros(shape, DTYPE)  # (L, H), LSTM only

    def _layer(self, p: dict[str, np.ndarray], k: int) -> _Layer:
        order, scale = _gate_layout(self.cell, self.hidden)

        def rows(a: np.ndarray) -> np.ndarray:  # reorder + scale gate rows ((G,) or (G, K))
            return a[order] * (scale if a.ndim == 1 else scale[:, None])

        w_ih, w_hh = rows(p[f"rnn.weight_ih_l{k}"]), rows(p[f"rnn.weight_hh_l{k}"])  # (G, In), (G, H)
        b_ih, b_hh = rows(p[f"rnn.bias_ih_l{k}"]), rows(p[f"rnn.bias_hh_l{k}"])  # (G,)
        gru = self.cell == "gru"
        b = b_ih if gru else b_ih + b_hh
        if k == 0:
            # Embedding -> W_ih -> bias for every vocabulary entry: one row lookup per character.
            self.table = _f32(p["embed.weight"] @ w_ih.T + b)  # (V, E) @ (E, G) -> (V, G)
            w_hh_t = _f32(w_hh.T)  # (H, G)
            return _Layer(None, w_hh_t, w_hh_t, _f32(b), _f32(b_hh) if gru else None, False)
        if gru:
            w_ih_t, w_hh_t = _f32(w_ih.T), _f32(w_hh.T)
            return _Layer(w_ih_t, w_hh_t, w_hh_t, _f32(b), _f32(b_hh), False)
        fused = _f32(np.concatenate([w_ih.T, w_hh.T], axis=0))  # (H + H, G); row slices are contiguous
        return _Layer(fused[: self.hidden], fused[self.hidden :], fused, _f32(b), None, True)

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

    def stepper(self, batch: int = 1) -> Stepper:
        """Buffers and state for ``batch`` streams."""
        return Stepper(self, batch)

    def forward(self, ids: np.ndarray | torch.Tensor, state: object | None = None) -> tuple[np.ndarray, object]:
        """Like ``CharRNN.forward`` (eval mode): ids (B, T) -> logits (B, T, V) float32 and the
        state after the last character, as NumPy arrays shaped like the module's
        ((layers, B, H), or a pair of them for an LSTM)."""
        ids = np.asarray(ids, dtype=np.intp)
        stepper = Stepper(self, ids.shape[0])
        if state is not None:
            stepper.set_state(state)
        logits = stepper.run(ids, all_logits=True)
        return logits, stepper.get_state()


def _fingerprint(model: CharRNN) -> tuple | None:
    try:
        return tuple((t.data_ptr(), t._version, tuple(t.shape)) for t in model.state_dict().values())
    except RuntimeError:  # inference tensors keep no version counter: do not cache
        return None


class Stepper:
    """State and preallocated buffers for ``batch`` streams stepped together.

    ``step`` and ``run`` return a view of an internal logits buffer that the next call
    overwrites; copy it to keep it."""

    def __init__(self, engine: Engine, batch: int = 1):
        if batch < 1:
            raise ValueError("batch must be positive")
        e = self.engine = engine
        self.batch, h, n_layers = batch, e.hidden, e.layers
        # Every layer's h side by side in one buffer [h_0, h_1, ..., h_L-1]: layer l > 0 multiplies
        # the window [h_l-1, h_l] (its input, just written by layer l-1, and its own state) by
        # [W_ih; W_hh] in one product, and no h is ever copied between layers.
        self._hs = np.zeros((batch, n_layers * h), DTYPE)  # (B, L*H)
        self._h = [self._hs[:, k * h : (k + 1) * h] for k in range(n_layers)]  # L views (B, H)
        self._c = [np.zeros((batch, h), DTYPE) for _ in range(n_layers)] if e.cell == "lstm" else []  # (B, H)
        # What each layer's step multiplies: the window [h_l-1, h_l] (B, 2H) when fused, else h_l (B, H)
        self._src = [self._hs[:, (k - 1) * h : (k + 1) * h] if x.fused else self._h[k] for k, x in enumerate(e._layers)]
        self._logits = np.empty((batch, e.vocab_size), DTYPE)  # (B, V)
        self._buffers(batch, h)
        self.reset()

    def _buffers(self, batch: int, h: int) -> None:
        """Gate buffers and their named views, for the cell."""
        cell = self.engine.cell
        g = self.g = np.empty((batch, {"rnn": 1, "gru": 3, "lstm": 4}[cell] * h), DTYPE)  # (B, G)
        gi = self.gi = np.empty_like(g)  # (B, G) GRU input side; the table rows of layer 0
        self.tmp = np.empty((batch, h), DTYPE)  # (B, H)
        if cell == "lstm":  # gates i, f, o (pre-halved sigmoids), g: each (B, H)
            self.sig, self.gg = g[:, : 3 * h], g[:, 3 * h :]
            self.i, self.f, self.o = g[:, :h], g[:, h : 2 * h], g[:, 2 * h : 3 * h]
        elif cell == "gru":  # r, z (pre-halved sigmoids), n: each (B, H)
            self.rz, self.r, self.z, self.ghn = g[:, : 2 * h], g[:, :h], g[:, h : 2 * h], g[:, 2 * h :]
            self.gi_rz, self.gi_n = gi[:, : 2 * h], gi[:, 2 * h :]
        self.cell = {"rnn": self._rnn, "gru": self._gru, "lstm": self._lstm}[cell]

    # ---- state ----

    def reset(self) -> None:
        """Every stream back to the model's start state (zeros for a model without one)."""
        for k, h in enumerate(self._h):
            h[...] = self.engine.start_h[k]  # (B, H) <- (H,)
        for k, c in enumerate(self._c):
            c[...] = self.engine.start_c[k]

    def get_state(self) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        h = np.stack([a.copy() for a in self._h])  # (L, B, H)
        return (h, np.stack([a.copy() for a in self._c])) if self.engine.cell == "lstm" else h

    def set_state(self, state: object) -> None:
        """Accept the module's state layout: (layers, B, H), or a pair for an LSTM (tensors or arrays)."""
        hs = state if self.engine.cell != "lstm" else state[0]  # type: ignore[index]
        for k, a in enumerate(self._h):
            a[...] = np.asarray(hs[k])
        if self.engine.cell == "lstm":
            for k, a in enumerate(self._c):
                a[...] = np.asarray(state[1][k])  # type: ignore[index]

    def select(self, rows: Sequence[int] | np.ndarray) -> None:
        """Stream i takes the state of stream ``rows[i]`` (B,), all streams at once: how a beam
        search keeps the states of the partial texts it chose (a row may be taken many times)."""
        rows = np.asarray(rows, dtype=np.intp)
        self._hs[...] = self._hs[rows]  # (B, L*H): every layer's h in one gather
        for c in self._c:
            c[...] = c[rows]  # (B, H)

    # ---- cells: g holds the pre-activation (B, G) (GRU: g = W_hh h + b_hh, gi = the input side) ----

    def _rnn(self, c: np.ndarray | None, h_old: np.ndarray, h_out: np.ndarray) -> None:
        _tanh(self.g, out=h_out)  # h' = tanh(W x + U h + b)  (B, H)

    def _lstm(self, c: np.ndarray | None, h_old: np.ndarray, h_out: np.ndarray) -> None:
        g, sig, tmp = self.g, self.sig, self.tmp
        _tanh(g, out=g)  # (B, 4H)
        _multiply(sig, 0.5, out=sig)  # sigmoid(x) = (1 + tanh(x / 2)) / 2; rows were pre-halved
        _add(sig, 0.5, out=sig)  # i, f, o  (B, 3H)
        _multiply(c, self.f, out=c)  # c' = f * c + i * g  (B, H)
        _multiply(self.i, self.gg, out=tmp)
        _add(c, tmp, out=c)
        _tanh(c, out=tmp)
        _multiply(self.o, tmp, out=h_out)  # h' = o * tanh(c')  (B, H)

    def _gru(self, c: np.ndarray | None, h_old: np.ndarray, h_out: np.ndarray) -> None:
        rz, ghn, tmp = self.rz, self.ghn, self.tmp
        _add(rz, self.gi_rz, out=rz)  # (B, 2H)
        _tanh(rz, out=rz)
        _multiply(rz, 0.5, out=rz)
        _add(rz, 0.5, out=rz)  # r, z
        _multiply(ghn, self.r, out=ghn)  # r * (W_hn h + b_hn)  (B, H)
        _add(ghn, self.gi_n, out=ghn)
        _tanh(ghn, out=ghn)  # n  (B, H)
        np.subtract(h_old, ghn, out=tmp)  # h' = n + z * (h - n)  (B, H)
        _multiply(tmp, self.z, out=tmp)
        _add(ghn, tmp, out=h_out)

    # ---- stepping ----

    def _layer_step(self, k: int, ids: int | np.ndarray) -> None:
        """Step layer k: read the old state (and layer k-1's new h), write the new h_k in place."""
        layer, g = self.engine._layers[k], self.g
        if self.engine.cell == "gru":
            _matmul(self._h[k], layer.w_hh, out=g)  # (B, H) @ (H, G) -> (B, G)
            _add(g, layer.b_hh, out=g)
            if k == 0:
                self._table_rows(ids)  # -> gi (B, G)
            else:
                _matmul(self._h[k - 1], layer.w_ih, out=self.gi)  # (B, H) @ (H, G) -> (B, G)
                _add(self.gi, layer.b, out=self.gi)
        else:
            _matmul(self._src[k], layer.w_step, out=g)  # (B, H or 2H) @ (H or 2H, G) -> (B, G)
            _add(g, self._table_rows(ids) if k == 0 else layer.b, out=g)
        self.cell(self._c[k] if self._c else None, self._h[k], self._h[k])

    def _table_rows(self, ids: int | np.ndarray) -> np.ndarray:
        """Layer 0's input projection for these characters (B, G) (GRU: into gi)."""
        table = self.engine.table  # (V, G)
        if isinstance(ids, int | np.integer):
            rows = table[ids : ids + 1]  # (1, G), a view: no copy
            if self.engine.cell != "gru":
                return rows
            np.copyto(self.gi, rows)
            return self.gi
        return table.take(ids, axis=0, out=self.gi)

    def _head(self, h: np.ndarray, out: np.ndarray) -> np.ndarray:
        _matmul(h, self.engine.head_w, out=out)  # (B, H) @ (H, V) -> (B, V)
        _add(out, self.engine.head_b, out=out)
        return out

    def step(self, ids: int | Sequence[int] | np.ndarray) -> np.ndarray:
        """Feed one character per stream (an int when batch is 1); return logits (B, V)."""
        if not isinstance(ids, int | np.integer):
            ids = np.asarray(ids, dtype=np.intp)  # (B,)
        for k in range(self.engine.layers):
            self._layer_step(k, ids)
        return self._head(self._h[-1], self._logits)

    def run(self, ids: np.ndarray, all_logits: bool = False) -> np.ndarray:
        """Consume ids (B, T) in one call, layer by layer: each layer's input projection for all
        T characters is one matrix product, then only the recurrent product runs per character.
        Returns the logits after the last character (B, V), or for every character (B, T, V)."""
        ids = np.asarray(ids, dtype=np.intp)
        if ids.ndim != 2 or ids.shape[0] != self.batch or ids.shape[1] < 1:
            raise ValueError(f"ids must be (batch={self.batch}, T>=1); got shape {ids.shape}")
        x = None  # (B, T, H) outputs of the previous layer
        for k, layer in enumerate(self.engine._layers):
            x = self._run_layer(k, layer, ids if k == 0 else x)
        b, t_len, h = x.shape  # type: ignore[union-attr]
        if all_logits:
            out = x.reshape(b * t_len, h) @ self.engine.head_w  # (B*T, H) @ (H, V) -> (B*T, V)
            out += self.engine.head_b
            return out.reshape(b, t_len, -1)  # (B, T, V)
        return self._head(x[:, -1], self._logits)  # type: ignore[index]

    def _run_layer(self, k: int, layer: _Layer, x: np.ndarray) -> np.ndarray:
        """Layer k over a whole sequence: ids (B, T) for layer 0, else the layer below's h (B, T, H)."""
        e = self.engine
        if k == 0:
            proj = e.table[x]  # (B, T, G)
        else:
            b, t_len, h = x.shape
            proj = (x.reshape(b * t_len, h) @ layer.w_ih).reshape(b, t_len, -1)  # (B, T, G)
            proj += layer.b
        b, t_len = proj.shape[:2]
        y = np.empty((b, t_len, e.hidden), DTYPE)  # (B, T, H)
        g, gru = self.g, e.cell == "gru"
        c, h = (self._c[k] if self._c else None), self._h[k]
        for t in range(t_len):
            _matmul(h, layer.w_hh, out=g)  # (B, H) @ (H, G) -> (B, G)
            if gru:
                _add(g, layer.b_hh, out=g)
                np.copyto(self.gi, proj[:, t])
            else:
                _add(g, proj[:, t], out=g)
            self.cell(c, h, y[:, t])
            h = y[:, t]
        self._h[k][...] = h
        return y


class FastStepper:
    """One stream, with the stepper protocol ``generate`` uses: ``prime(ids) -> (V,)`` and
    ``step(char_id) -> (V,)`` (views of a buffer the next call overwrites)."""

    def __init__(self, model: CharRNN):
        self._s = Engine.for_model(model).stepper(1)

    def prime(self, ids: list[int]) -> np.ndarray:
        self._s.reset()
        return self._s.run(np.asarray([ids], dtype=np.intp))[0]  # (V,)

    def step(self, char_id: int) -> np.ndarray:
        return self._s.step(char_id)[0]  # (V,)
