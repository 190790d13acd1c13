"""What single hidden units do: the activation of every unit of every layer after each character of
a text, simple features of the text, and the units that follow each feature best (Karpathy's
"Unreasonable Effectiveness" post found a quote cell and a line-length cell this way).

The pass runs each layer over the whole text at once (one call of a one-layer torch RNN per layer),
never a Python loop of module calls per character; only an LSTM's cell state needs a loop, over
cheap element-wise products.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from charrnn.model import CharRNN

STATES = ("h", "c")  # the hidden state, or (LSTM only) the cell state
QUOTES = ('"', "“", "”")


@torch.inference_mode()
def activations(model: CharRNN, ids: list[int] | np.ndarray, state: str = "h") -> np.ndarray:
    """(layers, T, H) float32: h_t (or an LSTM's c_t) of every layer after reading ids[t], from the
    model's start state (zeros for a model without one). The top layer's h is exactly what
    ``model.forward`` feeds its head."""
    if state not in STATES:
        raise ValueError(f"state must be one of {STATES}, not {state!r}")
    if state == "c" and model.cell != "lstm":
        raise ValueError(f"only an LSTM has a cell state; this model is a {model.cell.upper()}")
    device = model.head.weight.device
    x = model.embed(torch.as_tensor(np.asarray(ids), dtype=torch.long, device=device)[None])  # (1, T, E)
    start = model.initial_state(1)  # (L, 1, H), a pair for an LSTM
    h0, c0 = start if isinstance(start, tuple) else (start, None)
    out = []
    for layer in range(model.layers):
        single = _one_layer(model, layer)
        begin = (h0[layer : layer + 1], c0[layer : layer + 1]) if c0 is not None else h0[layer : layer + 1]
        h, _ = single(x, begin)  # (1, T, H)
        out.append(_cell_states(single, x[0], h[0], begin) if state == "c" else h[0])
        x = h  # the next layer reads this one's h (dropout between layers is off in eval)
    return torch.stack(out).float().cpu().numpy()  # (L, T, H)


def _one_layer(model: CharRNN, layer: int) -> nn.RNNBase:
    """A one-layer module of the same kind holding ``layer``'s weights (shared, not copied)."""
    rnn = model.rnn
    single = type(rnn)(rnn.input_size if layer == 0 else rnn.hidden_size, rnn.hidden_size, 1, batch_first=True)
    if isinstance(rnn, nn.RNN):
        single.nonlinearity = rnn.nonlinearity
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        setattr(single, f"{name}_l0", getattr(rnn, f"{name}_l{layer}"))
    single.flatten_parameters()
    return single.to(dtype=rnn.weight_hh_l0.dtype).eval()


def _cell_states(
    lstm: nn.LSTM, x: torch.Tensor, h: torch.Tensor, begin: tuple[torch.Tensor, torch.Tensor]
) -> torch.Tensor:
    """(T, H) cell states of a one-layer LSTM, rebuilt from its inputs x (T, E), outputs h (T, H)
    and the state (h_0, c_0) it began from, each (1, 1, H): every gate at once (h_{t-1} is known
    for all t), then c_t = f_t c_{t-1} + i_t g_t."""
    h_prev = torch.cat([begin[0][0], h[:-1]])  # (T, H)
    gates = x @ lstm.weight_ih_l0.T + lstm.bias_ih_l0 + h_prev @ lstm.weight_hh_l0.T + lstm.bias_hh_l0  # (T, 4H)
    i, f, g, _ = gates.chunk(4, dim=1)  # PyTorch's gate order: input, forget, cell, output
    i, f, g = torch.sigmoid(i).numpy(), torch.sigmoid(f).numpy(), torch.tanh(g).numpy()
    c = np.empty_like(g)  # (T, H)
    previous = begin[1][0, 0].numpy().astype(g.dtype)  # (H,) c_0
    for t in range(len(g)):
        previous = c[t] = f[t] * previous + i[t] * g[t]
    return torch.from_numpy(c)


# ---------------------------------------------------------------- features of the text


def inside_quotes(text: str) -> np.ndarray:
    """1 after an opening double quote has been read, until its closing quote is read."""
    is_quote = np.array([c in QUOTES for c in text], dtype=np.int64)
    return (np.cumsum(is_quote) % 2).astype(np.float64)


def position_in_line(text: str) -> np.ndarray:
    """Characters read since the last newline (0 on the newline itself)."""
    index = np.arange(len(text))
    newlines = np.where(np.array([c == "\n" for c in text], dtype=bool), index, -1)
    return (index - np.maximum.accumulate(newlines) if len(text) else index).astype(np.float64)


def inside_parentheses(text: str) -> np.ndarray:
    """1 while an opened '(' has not been closed (the ')' itself reads 0); a stray ')' is ignored."""
    depth, out = 0, np.zeros(len(text))
    for t, char in enumerate(text):
        depth = depth + 1 if char == "(" else max(depth - 1, 0) if char == ")" else depth
        out[t] = depth > 0
    return out


def uppercase(text: str) -> np.ndarray:
    return np.array([c.isupper() for c in text], dtype=np.float64)


def after_newline(text: str) -> np.ndarray:
    """1 where the character just read is a newline: the state that begins a line."""
    return np.array([c == "\n" for c in text], dtype=np.float64)


FEATURES: dict[str, Callable[[str], np.ndarray]] = {
    "inside quotes": inside_quotes,
    "position in line": position_in_line,
    "inside parentheses": inside_parentheses,
    "uppercase": uppercase,
    "after a newline": after_newline,
}


def text_features(text: str) -> dict[str, np.ndarray]:
    """Every feature of ``FEATURES``, each (T,): its value after reading character t."""
    return {name: feature(text) for name, feature in FEATURES.items()}


# ---------------------------------------------------------------- ranking units


@dataclass(frozen=True)
class NeuronScore:
    feature: str
    layer: int  # 0-based
    unit: int
    correlation: float  # Pearson r between the unit's activation and the feature over the text


def correlations(acts: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """(N,) Pearson correlation of each column of ``acts`` (T, N) with ``feature`` (T,); 0 where
    either is constant (nothing to follow)."""
    a = acts.astype(np.float64) - acts.mean(axis=0)  # (T, N)
    f = feature.astype(np.float64) - feature.mean()  # (T,)
    norms = np.linalg.norm(a, axis=0) * np.linalg.norm(f)  # (N,)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (f @ a) / norms
    return np.where(norms > 1e-12, r, 0.0)


def rank_neurons(acts: np.ndarray, features: dict[str, np.ndarray], top: int = 5) -> dict[str, list[NeuronScore]]:
    """For each feature, the ``top`` units of ``acts`` (L, T, H) most correlated with it (by |r|,
    either sign: a unit that is negative inside quotes detects them as well). A feature that is
    constant over the text (no quotes in it, say) ranks nothing: its list is empty."""
    layers, steps, hidden = acts.shape
    flat = acts.transpose(1, 0, 2).reshape(steps, layers * hidden)  # (T, L*H), unit u of layer l at l*H + u
    ranked = {}
    for name, feature in features.items():
        if np.ptp(feature) == 0:
            ranked[name] = []
            continue
        r = correlations(flat, feature)
        best = np.argsort(-np.abs(r), kind="stable")[:top]
        ranked[name] = [NeuronScore(name, int(i // hidden), int(i % hidden), float(r[i])) for i in best]
    return ranked
