"""Loss units and the stateful scoring of a whole text."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from charrnn.model import CharRNN

LN2 = math.log(2)


def bits_per_char(nats_per_char: float) -> float:
    return nats_per_char / LN2


def perplexity(nats_per_char: float) -> float:
    return math.exp(nats_per_char)


def loss_report(nats_per_char: float, chars: int, **extra: object) -> dict:
    """The metrics dictionary that evaluation prints and model cards quote."""
    return {
        "nats_per_char": nats_per_char,
        "bits_per_char": bits_per_char(nats_per_char),
        "perplexity": perplexity(nats_per_char),
        "chars": chars,
        **extra,
    }


@torch.inference_mode()
def surprisal_nats(model: CharRNN, ids: list[int] | torch.Tensor, chunk: int = 4096) -> np.ndarray:
    """-ln p(ids[t] | ids[:t]) for t = 1..N-1, in one stateful pass fed ``chunk`` chars at a
    time (state carried between chunks, so the result equals a single full-length pass).
    The first character has no context and gets no score; returns (N-1,) float64."""
    was_training = model.training
    model.eval()
    ids = torch.as_tensor(ids, dtype=torch.long).view(1, -1)
    state, out = None, []
    device = next(model.parameters()).device
    for start in range(0, ids.shape[1] - 1, chunk):
        x = ids[:, start : start + chunk].to(device)  # (1, T)
        y = ids[:, start + 1 : start + chunk + 1].to(device)
        x = x[:, : y.shape[1]]
        logits, state = model(x, state)  # (1, T, V)
        out.append(F.cross_entropy(logits[0].float(), y[0], reduction="none").double().cpu().numpy())
    model.train(was_training)
    return np.concatenate(out) if out else np.zeros(0)


def nats_per_char(model: CharRNN, ids: list[int] | torch.Tensor, chunk: int = 4096) -> float:
    scores = surprisal_nats(model, ids, chunk)
    if len(scores) == 0:
        raise ValueError("need at least two characters to measure a loss")
    return float(scores.mean())
