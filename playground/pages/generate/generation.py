"""Primes, kept characters (branching) and the stream of steps that the page shows as they come.

A sample is ``keep`` (characters a user chose by branching, possibly none) followed by what the
model draws after ``prime + keep``: ``generate`` with the same seed, so a link reproduces it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from charrnn import CharRNN, SamplingSettings, Step, generate
from charrnn.sampling import distributions, encode_prime, make_step
from playground.session.params import PRIME_MAX

Distributions = tuple[np.ndarray, np.ndarray, np.ndarray]  # raw, tempered, final


@dataclass(frozen=True)
class Prime:
    """A prime as the model reads it, and what was done to the user's text to get there."""

    text: str  # what the model reads: policy applied, trimmed, never empty
    ids: list[int]
    given: str  # the user's prime, after trimming
    unknown: list[str]  # distinct characters outside the vocabulary, in order of appearance
    unknown_count: int
    trimmed: int  # characters dropped from the front (a prime longer than PRIME_MAX)
    started_empty: bool  # nothing readable was left: the model starts from ``text`` (a newline)


def prepare_prime(model: CharRNN, prime: str, policy: str, replacement: str | None = None) -> Prime:
    """Apply the length limit and the unknown-character policy; ``UnknownCharactersError`` under
    ``error`` (the library's rule: an empty prime starts from a newline, or the first character)."""
    trimmed = max(0, len(prime) - PRIME_MAX)
    given = prime[trimmed:]
    e = encode_prime(model, given, policy, replacement)
    return Prime(model.vocab.decode(e.ids), e.ids, given, e.unknown, e.unknown_count, trimmed, e.started_empty)


@torch.inference_mode()
def logits_for(model: CharRNN, ids: list[int]) -> np.ndarray:
    """The model's logits (T, V) after each of ``ids``, in one stateful forward pass. The model is
    only read (it is in eval mode, as ``from_pretrained`` returns it), so sessions can share it."""
    logits, _ = model(torch.tensor([ids], dtype=torch.long))
    return logits[0].float().numpy()


def forced_steps(model: CharRNN, context: list[int], forced: str, settings: SamplingSettings) -> list[Step]:
    """Steps for characters imposed on the model after ``context``, each with the distribution the
    model gave it there, as if it had been drawn. ValueError if a character is not in the vocabulary."""
    if not forced:
        return []
    unknown = model.vocab.unknown_chars(forced)
    if unknown:
        raise ValueError(f"the kept text holds characters this model does not know: {unknown[:5]}")
    forced_ids = [model.vocab.index[c] for c in forced]
    logits = logits_for(model, context + forced_ids[:-1])[len(context) - 1 :]
    chars = model.vocab.chars
    return [make_step(i, fid, chars, distributions(logits[i], settings)) for i, fid in enumerate(forced_ids)]


def next_distribution(model: CharRNN, context: list[int], text: str, settings: SamplingSettings) -> Distributions:
    """The distributions for the character that would follow ``text`` (raw, tempered, final)."""
    ids = context + [model.vocab.index[c] for c in text]
    return distributions(logits_for(model, ids)[-1], settings)


def stream(
    model: CharRNN, prime: Prime, length: int, settings: SamplingSettings, seed: int | None, keep: str = ""
) -> Iterator[Step]:
    """``keep`` as forced steps, then ``length - len(keep)`` sampled characters; positions from 0."""
    yield from forced_steps(model, prime.ids, keep, settings)
    remaining = max(0, length - len(keep))
    if remaining:
        offset = len(keep)
        for step in generate(model, prime.text + keep, remaining, settings, seed=seed):
            yield dataclasses.replace(step, position=step.position + offset)
