"""Score mode: how surprised the model is by each character of any text."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from charrnn import CharRNN
from charrnn.metrics import bits_per_char, scored_chunks
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
    nats: np.ndarray  # -ln p of each character
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
    def bits(self) -> np.ndarray:
        return bits_per_char(self.nats)

    @property
    def total_bits(self) -> float:
        return float(np.nansum(self.bits))

    @property
    def nats_per_char(self) -> float:
        return float(np.nansum(self.nats)) / self.scored if self.scored else float("nan")

    @property
    def bits_per_char(self) -> float:
        return bits_per_char(self.nats_per_char)


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
    nats = np.full(n, np.nan)
    prob = np.full(n, np.nan)
    rank = np.zeros(n, dtype=np.int64)
    guesses = np.zeros((n, GUESSES), dtype=np.int64)
    guess_probs = np.zeros((n, GUESSES))
    chunks = scored_chunks(model, torch.tensor([ids], dtype=torch.long), CHUNK)
    for i, (predictions, y) in enumerate(chunks):  # (1, T, V), (1, T)
        logp = F.log_softmax(predictions[0].double(), dim=-1).cpu().numpy()  # (T, V)
        target = logp[np.arange(y.shape[1]), y[0].cpu().numpy()]  # (T,) ln p of each character
        at = slice(i * CHUNK, i * CHUNK + len(target))
        nats[at] = -target
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
        tuple(vocab.decode(ids)), nats, prob, rank, expected, encoded.unknown, encoded.unknown_count, truncated
    )
