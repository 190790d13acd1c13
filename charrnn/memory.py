"""How far back a model looks: the influence of each earlier character on one prediction, and the
memory curve of a model (that influence against the distance, averaged over many positions).

The influence of the character k steps before position t is the norm of the gradient

    g_k = || d log p(x_t | x_<t) / d e_{t-k} ||      e: the character's embedding (one-hot for a
                                                     model whose embedding is the identity)

computed exactly by autograd, every k of one position in one backward pass (positions of the
memory curve go through in batches, one backward pass per batch). Only the last ``window``
characters before t are differentiated; those before them are read without gradients, with the
state carried, so a long text costs one cheap forward pass. A vanilla RNN multiplies the gradient
by W_hh^T diag(1 - h^2) at every step back, so g_k falls geometrically (the vanishing gradient);
gates let a GRU or an LSTM keep it longer. ``charrnn.lesson.jacobian_products`` shows the same
product on the course's hand-sized RNN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from charrnn.model import CharRNN, ModelConfig, State

WINDOW = 300  # characters differentiated before a position (earlier ones only carry the state)
CURVE_POSITIONS = 50
CURVE_DISTANCE = 200  # the largest k of a memory curve
CURVE_CONTEXT = 100  # characters each curve position reads, without gradients, before its window
FRACTIONS = (0.01, 0.001)  # the memory distances reported: where the influence falls under these
MAX_CARRIED = 1_000_000  # the longest history read before a position (a huge text is refused)
BATCH = 64  # curve positions per backward pass
CHUNK = 4096  # characters per forward call while the state is carried


@dataclass(frozen=True)
class Influence:
    """What the prediction of the character at ``position`` depends on."""

    position: int  # t: the prediction of ids[t] from ids[:t]
    norms: np.ndarray  # (W,) g_k at norms[k - 1], k = 1 .. W (the last W characters before t)
    probs: np.ndarray  # (V,) p(. | x_<t)
    target: int  # ids[t]

    @property
    def relative(self) -> np.ndarray:
        """(W,) g_k / g_1: the influence relative to the character just before t."""
        return relative_to_first(self.norms[None])[0]

    def distance(self, fraction: float) -> int | None:
        """The first k whose influence is under ``fraction`` of g_1 (None: not within the window)."""
        return fall_distance(self.relative, fraction)


@dataclass(frozen=True)
class MemoryCurve:
    """A model's memory: g_k / g_1 averaged over ``positions`` of a text, against k = 1 .. K."""

    curve: np.ndarray  # (K,) at curve[k - 1]
    positions: list[int]
    context: int  # characters read without gradients before each position's window

    def distance(self, fraction: float) -> int | None:
        return fall_distance(self.curve, fraction)

    def report(self) -> dict:
        """The JSON of the command line: the distances, then the curve (k = 1 first)."""
        return {
            "positions": len(self.positions),
            "max_distance": len(self.curve),
            "context": self.context,
            **{distance_key(f): self.distance(f) for f in FRACTIONS},
            "curve": [float(f"{v:.4g}") for v in self.curve],
        }


def distance_key(fraction: float) -> str:
    """'distance_1%' for 0.01, 'distance_0.1%' for 0.001."""
    return f"distance_{fraction * 100:g}%"


def fall_distance(relative: np.ndarray, fraction: float) -> int | None:
    """The first k (1-based) with relative[k - 1] < fraction; None if it never falls that low."""
    below = np.flatnonzero(np.asarray(relative) < fraction)
    return int(below[0]) + 1 if len(below) else None


def relative_to_first(norms: np.ndarray) -> np.ndarray:
    """(B, W) norms divided by their k = 1 column; rows whose g_1 is 0 become NaN (nothing to
    compare with: the prediction ignores even the character before it)."""
    first = norms[:, :1]
    return np.divide(norms, first, out=np.full_like(norms, np.nan), where=first > 0)


# ---------------------------------------------------------------- gradients


def window_gradients(
    model: CharRNN, windows: torch.Tensor, targets: torch.Tensor, state: State | None
) -> tuple[np.ndarray, np.ndarray]:
    """The core: read windows (B, W) from ``state`` (None: the model's start state) and
    differentiate log p(targets[b] | window b) with respect to every embedding of the window, all
    rows in one backward pass (the rows are independent, so the gradient of their sum holds each
    row's own). Returns the norms (B, W) with column k - 1 for k steps back, and probs (B, V)."""
    device = model.head.weight.device
    was_training = model.training
    model.eval()  # no dropout: the gradient of the function the model computes
    try:
        with torch.enable_grad():
            x = model.embed(windows.to(device)).detach().requires_grad_()  # (B, W, E)
            logits, _ = model.read_embedded(x, state)  # (B, W, V)
            log_probs = F.log_softmax(logits[:, -1], dim=-1)  # (B, V): the prediction after the window
            picked = log_probs.gather(1, targets.to(device)[:, None]).sum()
            (grad,) = torch.autograd.grad(picked, x)  # (B, W, E)
    finally:
        model.train(was_training)
    norms = grad.norm(dim=-1).flip(1)  # (B, W): column 0 is the character just before the target
    return norms.double().cpu().numpy(), log_probs.detach().exp().double().cpu().numpy()


@torch.no_grad()
def carried_state(model: CharRNN, ids: torch.Tensor, chunk: int = CHUNK) -> State | None:
    """The state after reading ids (B, N) from the start state, ``chunk`` characters at a time;
    None for N = 0 (the start state itself)."""
    was_training = model.training
    model.eval()
    state = None
    for start in range(0, ids.shape[1], chunk):
        _, state = model(ids[:, start : start + chunk].to(model.head.weight.device), state)
    model.train(was_training)
    return state


def check_position(ids: list[int] | np.ndarray, position: int) -> None:
    """A clear message for a position that has no prediction to explain."""
    if not 0 <= position < len(ids):
        raise ValueError(f"position {position} is outside the text (0 .. {len(ids) - 1})")
    if position == 0:
        raise ValueError("position 0 has no history: its character is predicted from the start state alone")
    if position > MAX_CARRIED:
        raise ValueError(f"position {position:,} is too far into the text: at most {MAX_CARRIED:,} characters are read")


def influence(model: CharRNN, ids: list[int] | np.ndarray, position: int, window: int = WINDOW) -> Influence:
    """The influence of each of the ``window`` characters before ``position`` (fewer near the
    start) on the prediction of ids[position]; the text before the window carries the state."""
    check_position(ids, position)
    if window < 1:
        raise ValueError(f"the window must hold at least one character, not {window}")
    ids = torch.as_tensor(np.asarray(ids), dtype=torch.long)
    begin = max(0, position - window)
    state = carried_state(model, ids[None, :begin])
    norms, probs = window_gradients(model, ids[None, begin:position], ids[position : position + 1], state)
    return Influence(position, norms[0], probs[0], int(ids[position]))


# ---------------------------------------------------------------- the memory curve


def curve_positions(length: int, count: int, max_distance: int, context: int) -> list[int]:
    """``count`` positions spread evenly over a text of ``length`` characters, each with
    ``context + max_distance`` characters before it."""
    first = context + max_distance
    if length <= first:
        raise ValueError(
            f"the text has {length:,} characters; a memory curve to k = {max_distance} with {context} "
            f"characters of context needs more than {first:,}"
        )
    if count < 1:
        raise ValueError(f"need at least one position, not {count}")
    return sorted({round(p) for p in np.linspace(first, length - 1, count)})


def memory_curve(
    model: CharRNN,
    ids: list[int] | np.ndarray,
    positions: int = CURVE_POSITIONS,
    max_distance: int = CURVE_DISTANCE,
    context: int = CURVE_CONTEXT,
    batch: int = BATCH,
) -> MemoryCurve:
    """g_k / g_1 for k = 1 .. max_distance, averaged over ``positions`` positions spread over the
    text. Each position reads the ``context`` characters before its window without gradients (from
    the start state: by then the state has forgotten where it began, which is what the curve
    measures), then its window; the positions go through ``batch`` at a time."""
    if max_distance < 1:
        raise ValueError(f"max distance must be at least 1, not {max_distance}")
    chosen = curve_positions(len(ids), positions, max_distance, context)
    ids = torch.as_tensor(np.asarray(ids), dtype=torch.long)
    rows = []
    for start in range(0, len(chosen), batch):
        group = torch.tensor(chosen[start : start + batch])  # (B,)
        offsets = torch.arange(-(context + max_distance), 0)  # (C + K,)
        reads = ids[group[:, None] + offsets]  # (B, C + K)
        state = carried_state(model, reads[:, :context])
        norms, _ = window_gradients(model, reads[:, context:], ids[group], state)
        rows.append(norms)
    relative = relative_to_first(np.concatenate(rows))  # (P, K)
    kept = ~np.isnan(relative[:, 0])
    if not kept.any():
        raise ValueError("no prediction depends on the characters before it: there is no memory to measure")
    return MemoryCurve(relative[kept].mean(axis=0), [p for p, k in zip(chosen, kept, strict=True) if k], context)


# ---------------------------------------------------------------- the course's hand-sized RNN


def hand_rnn(W_X: np.ndarray, W_H: np.ndarray, W_Y: np.ndarray, vocab: list[str],
             b_h: np.ndarray | None = None, b_y: np.ndarray | None = None, dtype: torch.dtype = torch.float64
             ) -> CharRNN:  # fmt: skip
    """The course's vanilla RNN (h_t = tanh(W_H h_{t-1} + W_X x_t + b_h), y_t = softmax(W_Y h_t +
    b_y)) as a ``CharRNN(cell="rnn", layers=1)`` whose embedding is the identity, so that its
    embeddings are the one-hot x_t and ``influence`` differentiates with respect to them."""
    d, k = W_H.shape[0], len(vocab)
    model = CharRNN(ModelConfig(list(vocab), cell="rnn", layers=1, hidden=d, embedding=k)).to(dtype)
    weights = {
        "embed.weight": np.eye(k),
        "rnn.weight_ih_l0": W_X,
        "rnn.weight_hh_l0": W_H,
        "rnn.bias_ih_l0": np.zeros(d) if b_h is None else b_h,
        "rnn.bias_hh_l0": np.zeros(d),
        "head.weight": W_Y,
        "head.bias": np.zeros(k) if b_y is None else b_y,
    }
    model.load_state_dict({name: torch.tensor(value, dtype=dtype) for name, value in weights.items()})
    return model.eval()
