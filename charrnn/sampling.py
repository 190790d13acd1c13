"""Sampling: the one function that training samples, the CLI and the app all use.

``generate`` warms the state on a prime text, then draws characters one at a time. Each step
reports the whole distribution (raw, after temperature, after top-k/top-p), the chosen
character, its probability, rank and the entropy; the app's probability table is built from it.

By default the model runs on the fast CPU engine (``charrnn.engine``); ``engine="reference"``
steps ``CharRNN.forward`` instead. Both compute the same function and the same draws follow, so
the same seed gives the same text on either (up to float32 near ties).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from charrnn.engine import FastStepper
from charrnn.model import CharRNN
from charrnn.vocab import Encoded

MAX_LENGTH = 100_000
# Below this, logits / temperature can overflow float64 (float32 logits reach 3.4e38) and the
# softmax turns to NaN; a temperature this low is argmax in all but exact ties anyway.
MIN_TEMPERATURE = 1e-6
ENGINES = ("fast", "reference")
# The ufuncs behind ndarray.max/sum/cumsum, called directly: same results, less dispatch per step.
_max, _sum, _cumsum = np.maximum.reduce, np.add.reduce, np.add.accumulate
_TINY = np.finfo(np.float64).tiny


def generate(
    model: CharRNN,
    prime: str = "",
    length: int = 500,
    settings: SamplingSettings | None = None,
    seed: int | None = None,
    unknown: str = "error",
    replacement: str | None = None,
    stepper: Stepper | None = None,
    engine: str = "fast",
) -> Iterator[Step]:
    """Yield ``length`` sampled characters after ``prime``, one ``Step`` at a time.

    Same model, prime, settings and seed -> same text. ``unknown`` is the policy for prime
    characters outside the vocabulary (``error``, ``skip`` or ``replace`` with ``replacement``).
    ``engine`` picks how the model runs (``fast`` or ``reference``) unless a ``stepper`` is given.
    """
    settings = settings or SamplingSettings()
    _check_request(prime, length, seed)
    ids = encode_prime(model, prime, unknown, replacement).ids
    stepper = stepper or make_stepper(model, engine)
    rng = np.random.default_rng(seed)
    logits = stepper.prime(ids)  # (V,) the prediction after the prime's last character
    for position in range(length):
        dists = distributions(logits, settings)  # raw, tempered, final: (V,) each
        char_id = choose(dists[2], rng, settings.greedy)
        yield make_step(position, char_id, model.vocab.chars, dists)
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
    engine: str = "fast",
) -> str:
    """The generated text (without the prime) as one string: what ``generate`` yields, joined."""
    settings = SamplingSettings(temperature, top_k, top_p, greedy)
    steps = generate(model, prime, length, settings, seed, unknown, replacement, engine=engine)
    return "".join(step.char for step in steps)


@dataclass(frozen=True)
class SamplingSettings:
    """How the next character is drawn. ``greedy`` takes the most likely character and ignores
    temperature, top-k, top-p and seed. ``top_k`` of None/0 and ``top_p`` of None/1 are off."""

    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None
    greedy: bool = False

    def __post_init__(self) -> None:
        if not _is_real(self.temperature) or not math.isfinite(self.temperature):
            raise ValueError(f"temperature must be a finite number (got {self.temperature!r})")
        if not self.greedy and self.temperature < MIN_TEMPERATURE:
            raise ValueError(
                f"temperature must be at least {MIN_TEMPERATURE:g} (got {self.temperature!r}); use greedy for argmax"
            )
        if self.top_k is not None and not (isinstance(self.top_k, numbers.Integral) and self.top_k >= 0):
            raise ValueError(f"top_k must be a whole number >= 0 (got {self.top_k!r}); 0 turns it off")
        if self.top_p is not None and not (_is_real(self.top_p) and 0 < self.top_p <= 1):
            raise ValueError(f"top_p must be in (0, 1] (got {self.top_p!r}); 1 turns it off")

    @classmethod
    def from_temperature(
        cls, temperature: float, top_k: int | None = None, top_p: float | None = None, greedy: bool = False
    ) -> SamplingSettings:
        """Settings from a temperature as the app and its links give it, where 0 (or below)
        means greedy: the one place that rule lives."""
        greedy = greedy or temperature <= 0
        return cls(temperature if temperature > 0 else 1.0, top_k or None, top_p, greedy)

    @property
    def label(self) -> str:
        """``greedy`` or ``T=0.8``: how the app names these settings' temperature."""
        return "greedy" if self.greedy else f"T={self.temperature:g}"


# The bounds of an interactive sampler's settings: the app's widgets and links, and the exported
# web page, read these (one table). ``generate`` itself accepts more (MAX_LENGTH, MIN_TEMPERATURE).
LENGTH_MIN, LENGTH_MAX, LENGTH_DEFAULT = 1, 5_000, 500
TEMPERATURE_MIN, TEMPERATURE_MAX, TEMPERATURE_DEFAULT = 0.01, 3.0, 0.8
TOP_K_MAX = 100_000  # a page clamps further, to the model's vocabulary
TOP_P_MIN = 0.01
SEED_MAX = 2**32 - 1
PRIME_MAX = 1_000  # characters of prime the model reads: the last ones (an RNN forgets earlier ones)


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real)


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


def softmax(logits: np.ndarray, temperature: float = 1.0, *, log: bool = False) -> np.ndarray:
    """softmax(logits / temperature) over the last axis, in float64: the product's one softmax.
    Shifted by the maximum, so logits in the hundreds (or a tiny temperature) cannot overflow.
    ``log=True`` returns its logarithm, exact where the probabilities underflow to 0 (what a beam
    search adds up over hundreds of characters)."""
    z = _shifted(logits, temperature)  # (..., V); the maximum is 0, so the sum below is in [1, V]
    if log:
        z -= np.log(_sum(np.exp(z), axis=-1, keepdims=True))
        return z
    np.exp(z, out=z)
    z /= _sum(z, axis=-1, keepdims=True)
    return z


def _shifted(logits: np.ndarray, temperature: float) -> np.ndarray:
    """logits / temperature - their maximum over the last axis, as a float64 copy (..., V)."""
    z = logits.astype(np.float64)
    if temperature != 1:
        z /= temperature
    z -= _max(z, axis=-1, keepdims=True)
    return z


def entropy_bits(p: np.ndarray) -> float:
    """-sum p log2 p over (V,), with 0 log 0 = 0 (log2 of the smallest normal float stands in for
    log2 0; zero times it is zero)."""
    return 0.0 - float(p.dot(np.log2(np.maximum(p, _TINY))))  # 0.0 - x: a one-hot p gives 0.0, not -0.0


def distributions(logits: np.ndarray, settings: SamplingSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """logits (V,) -> (raw, tempered, final) probability vectors (V,) in float64; ``final`` is
    what is drawn from: one-hot on the most likely character when greedy."""
    raw = softmax(logits)
    if settings.greedy:
        final = np.zeros_like(raw)
        final[raw.argmax()] = 1.0
        return raw, raw, final
    tempered = raw if settings.temperature == 1 else softmax(logits, settings.temperature)
    return raw, tempered, filter_distribution(tempered, settings.top_k, settings.top_p)


def filter_distribution(probs: np.ndarray, top_k: int | None, top_p: float | None) -> np.ndarray:
    """Keep the ``top_k`` most likely entries of probs (V,), then the smallest head whose mass
    reaches ``top_p``; renormalise. The most likely entry always survives, so the result is
    never empty; with nothing cut, ``probs`` itself is returned."""
    size = len(probs)
    keep = min(top_k, size) if top_k else size
    nucleus = top_p is not None and top_p < 1
    if keep == size and not nucleus:
        return probs
    order = (-probs).argsort(kind="stable")
    if nucleus:
        cumulative = _cumsum(probs[order])
        keep = min(keep, int(cumulative.searchsorted(top_p * cumulative[-1])) + 1)
    if keep == size:
        return probs
    head = order[:keep]
    out = np.zeros(size)
    out[head] = probs[head]
    out /= _sum(out)
    return out


def choose(probs: np.ndarray, rng: np.random.Generator, greedy: bool = False) -> int:
    """The drawn id: the argmax when greedy, else an inverse-CDF draw with one uniform number
    (the same seed gives the same ids on any engine)."""
    if greedy:
        return int(probs.argmax())
    cumulative = _cumsum(probs)
    return min(int(cumulative.searchsorted(rng.random() * cumulative[-1], "right")), len(probs) - 1)


def make_step(position: int, char_id: int, chars: list[str], dists: tuple[np.ndarray, ...]) -> Step:
    """The one way a ``Step`` is built: the chosen id and the (raw, tempered, final) it came from."""
    raw, tempered, final = dists
    p_raw = raw[char_id]
    entropy = entropy_bits(final)
    return Step(
        position=position,
        char=chars[char_id],
        char_id=char_id,
        prob=float(final[char_id]),
        prob_raw=float(p_raw),
        rank=int(np.count_nonzero(raw > p_raw)) + 1,
        entropy_bits=entropy,
        entropy_raw_bits=entropy if final is raw else entropy_bits(raw),
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
        logits, self.state = self.model(torch.tensor([ids], dtype=torch.long), None)  # (1, T, V)
        return logits[0, -1].float().numpy()

    @torch.inference_mode()
    def step(self, char_id: int) -> np.ndarray:
        logits, self.state = self.model(torch.tensor([[char_id]], dtype=torch.long), self.state)  # (1, 1, V)
        return logits[0, -1].float().numpy()


Stepper = FastStepper | ReferenceStepper  # anything with prime(ids) -> (V,) and step(id) -> (V,)


def make_stepper(model: CharRNN, engine: str = "fast") -> Stepper:
    """The one-stream stepper ``generate`` uses: ``fast`` (``charrnn.engine``) or ``reference``."""
    if engine == "fast":
        return FastStepper(model)
    if engine == "reference":
        return ReferenceStepper(model)
    raise ValueError(f"engine must be one of {ENGINES} (got {engine!r})")


def encode_prime(model: CharRNN, prime: str, unknown: str = "error", replacement: str | None = None) -> Encoded:
    """Encode a prime under an unknown-character policy. An empty prime (or one left empty by
    ``skip``) starts from a newline if the vocabulary has one, else from its first character."""
    vocab = model.vocab
    encoded = vocab.encode(prime, unknown, replacement if replacement is not None else vocab.default_replacement())
    if not encoded.ids:
        return Encoded([vocab.start_id], encoded.unknown, encoded.unknown_count, started_empty=True)
    return encoded


def _check_request(prime: object, length: object, seed: object) -> None:
    """Refuse what would otherwise fail deep inside (or far from the caller) with one clear line."""
    if not isinstance(prime, str):
        raise ValueError(f"prime must be a str (got {type(prime).__name__})")
    check_whole_number("length", length, 0, MAX_LENGTH)
    if seed is not None and not (isinstance(seed, numbers.Integral) and seed >= 0):
        raise ValueError(f"seed must be None or a whole number >= 0 (got {seed!r})")


def check_whole_number(name: str, value: object, low: int, high: int) -> None:
    """Refuse anything but a whole number in [low, high], naming the setting in one line."""
    if not (isinstance(value, numbers.Integral) and low <= value <= high):
        raise ValueError(f"{name} must be a whole number between {low} and {high} (got {value!r})")
