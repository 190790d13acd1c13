"""Loss units and the stateful scoring of a whole text."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from charrnn.model import CharRNN

LN2 = math.log(2)
COLD_COUNT = 200  # paragraph starts that the cold-start measure reads
COLD_CONTEXT = 256  # characters before each that the warm reading has
COLD_SPAN = 32  # characters after each that both readings score


def bits_per_char(nats_per_char: float | np.ndarray) -> float | np.ndarray:
    """Nats to bits (a number or an array of them): the one place the unit changes."""
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
def scored_chunks(
    model: CharRNN, ids: torch.Tensor, chunk: int, targets: torch.Tensor | None = None
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """The one stateful scoring loop: read ids (S, N) as S streams, ``chunk`` characters at a time
    with the state carried between chunks (so the result equals one full-length pass), in eval
    mode. Yields (logits (S, T, V), targets (S, T)) per chunk.

    ``targets`` None: every character of ids is predicted from the ones before it, the first from
    the model's start state (``CharRNN.predictions``; for a model without one, from zeros: the
    head's bias alone). Else the logits after ids[:, t] predict targets[:, t] (training's split)."""
    was_training = model.training
    model.eval()
    device = model.head.weight.device
    state, following = None, None
    try:
        for start in range(0, ids.shape[1], chunk):
            x = ids[:, start : start + chunk].to(device)  # (S, T)
            if targets is None:
                logits, state, following = model.predictions(x, state, following)  # (S, T, V)
                yield logits, x
            else:
                logits, state = model(x, state)  # (S, T, V)
                yield logits, targets[:, start : start + chunk].to(device)
    finally:
        model.train(was_training)


def surprisal_nats(
    model: CharRNN, ids: list[int] | torch.Tensor, chunk: int = 4096, span: int | None = None, context: int = 0
) -> np.ndarray:
    """-ln p(ids[t] | ids[:t]) for every t = 0..N-1 (``scored_chunks``). Returns (N,) float64.

    ``span`` None: one stream, the exact full-length pass. Else the text is read as parallel
    streams in one batched pass (``windows``): one per ``span`` characters, each after the
    ``context`` characters before it (read, not scored). The first span is scored exactly as the
    full pass does; the others as if the text began ``context`` characters before them. A step
    then multiplies a matrix instead of a vector (several times faster on a CPU); the price is
    whatever the model would have remembered from further back than ``context``."""
    ids = torch.as_tensor(ids, dtype=torch.long).view(-1)
    if len(ids) == 0:
        return np.zeros(0)
    streams, scored = windows(ids, span or len(ids), context)  # (S, T) each
    out = [
        F.cross_entropy(logits.flatten(0, 1).float(), y.flatten(), reduction="none").view(y.shape)  # (S, T)
        for logits, y in scored_chunks(model, streams, chunk)
    ]
    nats = torch.cat(out, dim=1)  # (S, T)
    return nats[scored.to(nats.device)].double().cpu().numpy()


def windows(ids: torch.Tensor, span: int, context: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Cut ids (N > 0,) into streams (S, T), stream k holding characters [k * span, (k + 1) * span)
    after up to ``context`` before them, padded on the right; and the mask (S, T) of the
    characters each stream scores, so that ``nats[mask]`` lists every character once, in order."""
    n = len(ids)
    starts = range(0, n, span)
    width = max(min(context, start) + min(n - start, span) for start in starts)
    streams = torch.zeros(len(starts), width, dtype=torch.long)
    scored = torch.zeros(len(starts), width, dtype=torch.bool)
    for k, start in enumerate(starts):
        warm, end = min(context, start), min(n, start + span)
        streams[k, : warm + end - start] = ids[start - warm : end]
        scored[k, warm : warm + end - start] = True
    return streams, scored


def mean_nats(model: CharRNN, ids: torch.Tensor, targets: torch.Tensor, chunk: int) -> float:
    """Mean -ln p(targets | ids so far) over S streams ids, targets (S, N) (``scored_chunks``)."""
    total, count = 0.0, 0
    for logits, y in scored_chunks(model, ids, chunk, targets):
        total += F.cross_entropy(logits.flatten(0, 1).float(), y.flatten(), reduction="sum").item()
        count += y.numel()
    return total / count


def nats_per_char(model: CharRNN, ids: list[int] | torch.Tensor, chunk: int = 4096) -> float:
    scores = surprisal_nats(model, ids, chunk)
    if len(scores) == 0:
        raise ValueError("need at least one character to measure a loss")
    return float(scores.mean())


def paragraph_starts(text: str, context: int = COLD_CONTEXT, span: int = COLD_SPAN) -> list[int]:
    """Offsets of the first character after each blank line ("\n\n", the character itself not a
    newline) with ``context`` characters before it and ``span`` after it inside ``text``."""
    return [
        i
        for i in range(max(2, context), len(text) - span + 1)
        if text[i - 2] == "\n" and text[i - 1] == "\n" and text[i] != "\n"
    ]


@torch.inference_mode()
def cold_start(
    model: CharRNN, text: str, count: int = COLD_COUNT, context: int = COLD_CONTEXT, span: int = COLD_SPAN
) -> dict:
    """How much worse the model reads the start of a text than the same characters in context.

    At ``count`` paragraph starts spread evenly over ``text``: mean nats/char of the ``span``
    characters from there, read cold (from the model's own start state, the first character
    predicted from it) and warm (after the ``context`` characters before them). Characters
    outside the vocabulary raise. Returns cold, warm (nats/char), their ratio and the count."""
    starts = paragraph_starts(text, context, span)
    if not starts:
        raise ValueError(f"no paragraph start with {context} characters before it and {span} after it")
    chosen = [starts[round(k * (len(starts) - 1) / max(1, count - 1))] for k in range(min(count, len(starts)))]
    chosen = sorted(set(chosen))
    ids = torch.tensor([model.vocab.encode(text[p - context : p + span]).ids for p in chosen])  # (S, C + span)
    was_training = model.training
    model.eval()
    logits, _ = model(ids)  # warm: (S, C + span, V) from the start state
    warm = F.cross_entropy(logits[:, context - 1 : -1].flatten(0, 1).float(), ids[:, context:].flatten())
    cold_ids = ids[:, context:]  # (S, span)
    predictions, _, _ = model.predictions(cold_ids)  # (S, span, V), the first from the start state
    cold = F.cross_entropy(predictions.flatten(0, 1).float(), cold_ids.flatten())
    model.train(was_training)
    return {"cold": cold.item(), "warm": warm.item(), "ratio": cold.item() / warm.item(), "starts": len(chosen)}
