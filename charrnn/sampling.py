"""Sampling: the one function that training samples, the CLI and the app all use.

``generate`` warms the state on a prime text, then draws characters one at a time. Each step
can report the whole distribution (raw, after temperature, after top-k/top-p), the chosen
character, its probability, rank and the entropy; the app's probability table is built from it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from charrnn.model import CharRNN
from charrnn.vocab import Encoded

MAX_LENGTH = 100_000


@dataclass(frozen=True)
class SamplingSettings:
    """How the next character is drawn. ``greedy`` takes the most likely character and ignores
    temperature, top-k, top-p and seed. ``top_k`` of None/0 and ``top_p`` of None/1 are off."""

    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None
    greedy: bool = False

    def __post_init__(self) -> None:
        if not self.greedy and not (isinstance(self.temperature, int | float) and self.temperature > 0):
            raise ValueError(f"temperature must be > 0 (got {self.temperature}); use greedy for argmax")
        if not math.isfinite(self.temperature):
            raise ValueError("temperature must be a finite number")
        if self.top_k is not None and self.top_k < 0:
            raise ValueError(f"top_k must be >= 0 (got {self.top_k}); 0 turns it off")
        if self.top_p is not None and not (0 < self.top_p <= 1):
            raise ValueError(f"top_p must be in (0, 1] (got {self.top_p}); 1 turns it off")


@dataclass(frozen=True)
class Step:
    """One generated character and the distribution it was drawn from (arrays are (V,))."""

    position: int  # index in the generated text
    char: str
    char_id: int
    prob: float  # probability of the chosen char in the distribution it was drawn from
    prob_raw: float  # ... in the model's own distribution (temperature 1, no filtering)
    rank: int  # 1 = the model's most likely character
    entropy_bits: float  # entropy of the distribution it was drawn from
    entropy_raw_bits: float
    probs_raw: np.ndarray  # softmax(logits)
    probs_tempered: np.ndarray  # softmax(logits / temperature)
    probs: np.ndarray  # after top-k and top-p, renormalised: what was sampled from


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def entropy_bits(p: np.ndarray) -> float:
    nz = p[p > 0]
    return float(-(nz * np.log2(nz)).sum())


def filter_distribution(probs: np.ndarray, top_k: int | None, top_p: float | None) -> np.ndarray:
    """Keep the ``top_k`` most likely entries, then the smallest head whose mass reaches ``top_p``;
    renormalise. The most likely entry always survives, so the result is never empty."""
    order = np.argsort(-probs, kind="stable")
    keep = len(probs)
    if top_k:
        keep = min(keep, top_k)
    if top_p is not None and top_p < 1:
        cumulative = np.cumsum(probs[order])
        keep = min(keep, int(np.searchsorted(cumulative, top_p * cumulative[-1])) + 1)
    if keep == len(probs):
        return probs
    out = np.zeros_like(probs)
    out[order[:keep]] = probs[order[:keep]]
    return out / out.sum()


def distributions(logits: np.ndarray, settings: SamplingSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """logits (V,) -> (raw, tempered, final) probability vectors in float64."""
    logits = logits.astype(np.float64)
    raw = softmax(logits)
    if settings.greedy:
        final = np.zeros_like(raw)
        final[int(np.argmax(raw))] = 1.0
        return raw, raw, final
    tempered = raw if settings.temperature == 1 else softmax(logits / settings.temperature)
    return raw, tempered, filter_distribution(tempered, settings.top_k, settings.top_p)


def draw(probs: np.ndarray, rng: np.random.Generator) -> int:
    """Inverse-CDF draw with one uniform number: the same seed gives the same ids on any engine."""
    cumulative = np.cumsum(probs)
    return min(int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right")), len(probs) - 1)


def make_step(position: int, char_id: int, chars: list[str], dists: tuple[np.ndarray, ...]) -> Step:
    raw, tempered, final = dists
    return Step(
        position=position,
        char=chars[char_id],
        char_id=char_id,
        prob=float(final[char_id]),
        prob_raw=float(raw[char_id]),
        rank=int((raw > raw[char_id]).sum()) + 1,
        entropy_bits=entropy_bits(final),
        entropy_raw_bits=entropy_bits(raw),
        probs_raw=raw,
        probs_tempered=tempered,
        probs=final,
    )


class ReferenceStepper:
    """Steps the model through ``CharRNN.forward``: the plain, obviously-correct path."""

    def __init__(self, model: CharRNN):
        self.model = model
        self.state = None

    @torch.inference_mode()
    def prime(self, ids: list[int]) -> np.ndarray:
        """Consume the prime in one forward call; return the logits (V,) after its last char."""
        logits, self.state = self.model(torch.tensor([ids], dtype=torch.long), None)
        return logits[0, -1].float().numpy()

    @torch.inference_mode()
    def step(self, char_id: int) -> np.ndarray:
        logits, self.state = self.model(torch.tensor([[char_id]], dtype=torch.long), self.state)
        return logits[0, -1].float().numpy()


def encode_prime(model: CharRNN, prime: str, unknown: str = "error", replacement: str | None = None) -> Encoded:
    """Encode a prime under an unknown-character policy. An empty prime (or one left empty by
    ``skip``) starts from a newline if the vocabulary has one, else from its first character."""
    vocab = model.vocab
    encoded = vocab.encode(prime, unknown, replacement if replacement is not None else vocab.default_replacement())
    if not encoded.ids:
        start = vocab.index.get("\n", 0)
        return Encoded([start], encoded.unknown, encoded.unknown_count)
    return encoded


def generate(
    model: CharRNN,
    prime: str = "",
    length: int = 500,
    settings: SamplingSettings | None = None,
    seed: int | None = None,
    unknown: str = "error",
    replacement: str | None = None,
    stepper: object | None = None,
) -> Iterator[Step]:
    """Yield ``length`` sampled characters after ``prime``, one ``Step`` at a time.

    Same model, prime, settings and seed -> same text. ``unknown`` is the policy for prime
    characters outside the vocabulary (``error``, ``skip`` or ``replace`` with ``replacement``).
    """
    settings = settings or SamplingSettings()
    if not 0 <= length <= MAX_LENGTH:
        raise ValueError(f"length must be between 0 and {MAX_LENGTH} (got {length})")
    ids = encode_prime(model, prime, unknown, replacement).ids
    stepper = stepper or ReferenceStepper(model)
    rng = np.random.default_rng(seed)
    chars = model.vocab.chars
    logits = stepper.prime(ids)
    for position in range(length):
        dists = distributions(logits, settings)
        char_id = int(np.argmax(dists[2])) if settings.greedy else draw(dists[2], rng)
        yield make_step(position, char_id, chars, dists)
        if position + 1 < length:
            logits = stepper.step(char_id)


def sample(
    model: CharRNN,
    prime: str = "",
    length: int = 500,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    greedy: bool = False,
    seed: int | None = None,
    unknown: str = "error",
    replacement: str | None = None,
) -> str:
    """The generated text (without the prime) as one string."""
    settings = SamplingSettings(temperature, top_k, top_p, greedy)
    return "".join(s.char for s in generate(model, prime, length, settings, seed, unknown, replacement))
