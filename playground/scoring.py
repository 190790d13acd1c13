"""Score mode: how surprised the model is by each character of any text."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from charrnn import CharRNN
from playground.table import percent, top_alternatives, visible

SCORE_MAX = 10_000  # characters scored at most; the rest of a longer text is left out (and said)
CHUNK = 2_048
GUESSES = 3


@dataclass(frozen=True)
class Score:
    """Per-character surprise of a text. Arrays are (N,): every character is scored, the first
    one predicted from the model's start state (zeros for a model without one), as in
    ``charrnn.metrics.surprisal_nats``."""

    chars: tuple[str, ...]  # the text as scored: unknown-character policy applied
    bits: np.ndarray
    prob: np.ndarray
    rank: np.ndarray
    expected: tuple[str, ...]  # the model's favourite guesses at each position
    unknown: list[str]
    unknown_count: int
    truncated: int  # characters left out beyond SCORE_MAX

    @property
    def scored(self) -> int:
        return len(self.chars)

    @property
    def total_bits(self) -> float:
        return float(np.nansum(self.bits))

    @property
    def bits_per_char(self) -> float:
        return self.total_bits / self.scored if self.scored else float("nan")

    @property
    def nats_per_char(self) -> float:
        return self.bits_per_char * math.log(2)


@torch.inference_mode()
def score_text(model: CharRNN, text: str, policy: str, replacement: str | None = None) -> Score:
    """Score ``text`` (its first SCORE_MAX characters) in one stateful pass, ``CHUNK`` at a time.
    ValueError (UnknownCharactersError under ``error``) when there is nothing to score."""
    truncated = max(0, len(text) - SCORE_MAX)
    vocab = model.vocab
    encoded = vocab.encode(
        text[:SCORE_MAX], policy, replacement if replacement is not None else vocab.default_replacement()
    )
    ids = encoded.ids
    if not ids:
        raise ValueError("Give at least one character the model can read.")
    n = len(ids)
    bits = np.full(n, np.nan)
    prob = np.full(n, np.nan)
    rank = np.zeros(n, dtype=np.int64)
    guesses = np.zeros((n, GUESSES), dtype=np.int64)
    guess_probs = np.zeros((n, GUESSES))
    tensor = torch.tensor(ids, dtype=torch.long)
    state, following = None, None  # carried from chunk to chunk; the first chunk begins at the start state
    for start in range(0, n, CHUNK):
        y = tensor[start : start + CHUNK]  # (T,): the characters scored in this chunk
        predictions, state, following = model.predictions(y.view(1, -1), state, following)  # (1, T, V)
        logp = F.log_softmax(predictions[0].double(), dim=-1).numpy()  # (T, V)
        rows = np.arange(len(y))
        target = logp[rows, y.numpy()]
        at = slice(start, start + len(y))
        bits[at] = -target / math.log(2)
        prob[at] = np.exp(target)
        rank[at] = (logp > target[:, None]).sum(axis=1) + 1
        top = top_alternatives(logp, GUESSES)
        guesses[at] = top
        guess_probs[at] = np.exp(np.take_along_axis(logp, top, axis=1))
    chars = vocab.chars
    expected = tuple(
        "  ".join(f"{visible(chars[g])} {percent(p)}" for g, p in zip(guesses[i], guess_probs[i], strict=True))
        for i in range(n)
    )
    return Score(
        tuple(vocab.decode(ids)), bits, prob, rank, expected, encoded.unknown, encoded.unknown_count, truncated
    )
