"""Sampling: the one function that training samples, the CLI and the app all use.

``generate`` warms the state on a prime text, then draws characters one at a time. Each step
can report the whole distribution (raw, after temperature, after top-k/top-p), the chosen
character, its probability, rank and the entropy; the app's probability table is built from it.

By default the model runs on the fast CPU engine (``charrnn.engine``); ``engine="reference"``
steps ``CharRNN.forward`` instead. Both compute the same function and use the same sampling
procedure, so the same seed gives the same text on either. ``generate_batch`` and
``sample_batch`` step several independent streams (own prime and seed each) together.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from charrnn.engine import Engine, FastStepper, Stepper
from charrnn.model import CharRNN
from charrnn.vocab import Encoded

MAX_LENGTH = 100_000
# Below this, logits / temperature can overflow float64 (float32 logits reach 3.4e38) and the
# softmax turns to NaN; a temperature this low is argmax in all but exact ties anyway.
MIN_TEMPERATURE = 1e-6
ENGINES = ("fast", "reference")
# The ufuncs behind ndarray.max/sum/cumsum, called directly: same results, less dispatch per step.
_max, _sum, _accumulate = np.maximum.reduce, np.add.reduce, np.add.accumulate


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


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def _softmax_(x: np.ndarray) -> np.ndarray:
    """``softmax`` in place on a float64 array (V,) or (B, V); same operations, no temporaries."""
    x -= _max(x, axis=-1, keepdims=True)
    np.exp(x, out=x)
    x /= _sum(x, axis=-1, keepdims=True)
    return x


def entropy_bits(p: np.ndarray) -> float:
    nz = p[p > 0]
    return float(-nz.dot(np.log2(nz)))


def _filtering(top_k: int | None, top_p: float | None, size: int) -> bool:
    return bool(top_k and top_k < size) or (top_p is not None and top_p < 1)


def filter_distribution(probs: np.ndarray, top_k: int | None, top_p: float | None) -> np.ndarray:
    """Keep the ``top_k`` most likely entries, then the smallest head whose mass reaches ``top_p``;
    renormalise. The most likely entry always survives, so the result is never empty.
    ``probs`` is (V,) or (B, V) (each row filtered on its own, exactly as if alone)."""
    size = probs.shape[-1]
    if not _filtering(top_k, top_p, size):
        return probs
    if probs.ndim == 2:
        return _filter_rows(probs, top_k, top_p)
    order = (-probs).argsort(kind="stable")
    keep = size
    if top_k:
        keep = min(keep, top_k)
    if top_p is not None and top_p < 1:
        cumulative = _accumulate(probs[order])  # np.cumsum
        keep = min(keep, int(cumulative.searchsorted(top_p * cumulative[-1])) + 1)
    if keep == size:
        return probs
    head = order[:keep]
    out = np.zeros(size)
    out[head] = probs[head]
    out /= _sum(out)
    return out


def _filter_rows(probs: np.ndarray, top_k: int | None, top_p: float | None) -> np.ndarray:
    """``filter_distribution`` for (B, V), vectorised, giving each row the 1-D result."""
    batch, size = probs.shape
    order = np.argsort(-probs, axis=-1, kind="stable")
    keep = np.full(batch, size)
    if top_k:
        keep = np.minimum(keep, top_k)
    if top_p is not None and top_p < 1:
        cumulative = np.cumsum(np.take_along_axis(probs, order, axis=-1), axis=-1)
        # searchsorted(side="left") on a sorted row = how many entries lie below the value
        keep = np.minimum(keep, (cumulative < top_p * cumulative[:, -1:]).sum(axis=-1) + 1)
    kept = np.zeros_like(probs, dtype=bool)
    np.put_along_axis(kept, order, np.arange(size) < keep[:, None], axis=-1)
    out = np.where(kept, probs, 0.0)
    cut = keep < size
    out[cut] /= out[cut].sum(axis=-1, keepdims=True)
    out[~cut] = probs[~cut]  # untouched rows stay bit-identical, as in the 1-D case
    return out


def distributions(logits: np.ndarray, settings: SamplingSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """logits (V,) -> (raw, tempered, final) probability vectors in float64.
    Also accepts (B, V) logits, giving each row exactly what (V,) would."""
    raw = _softmax_(logits.astype(np.float64))
    if settings.greedy:
        final = np.zeros_like(raw)
        if raw.ndim == 1:
            final[raw.argmax()] = 1.0
        else:
            final[np.arange(len(raw)), raw.argmax(axis=-1)] = 1.0
        return raw, raw, final
    return (raw, *_tempered_final(logits, raw, settings))


def _tempered_final(
    logits: np.ndarray, raw: np.ndarray | None, settings: SamplingSettings
) -> tuple[np.ndarray, np.ndarray]:
    """(tempered, final) for a non-greedy draw; ``raw`` may be None when not needed elsewhere."""
    if settings.temperature == 1:
        tempered = raw if raw is not None else _softmax_(logits.astype(np.float64))
    else:
        tempered = logits.astype(np.float64)
        tempered /= settings.temperature
        _softmax_(tempered)
    return tempered, filter_distribution(tempered, settings.top_k, settings.top_p)


def draw(probs: np.ndarray, rng: np.random.Generator) -> int:
    """Inverse-CDF draw with one uniform number: the same seed gives the same ids on any engine."""
    cumulative = _accumulate(probs)  # np.cumsum
    return min(int(cumulative.searchsorted(rng.random() * cumulative[-1], "right")), len(probs) - 1)


def draw_batch(probs: np.ndarray, rngs: Sequence[np.random.Generator]) -> np.ndarray:
    """``draw`` for every row of probs (B, V), row i with ``rngs[i]``: the same ids as B calls."""
    cumulative = _accumulate(probs, axis=-1)
    target = np.fromiter((r.random() for r in rngs), np.float64, len(rngs)) * cumulative[:, -1]
    # searchsorted(side="right") on a nondecreasing row = how many entries are <= the value
    found = (cumulative <= target[:, None]).sum(axis=-1)
    return np.minimum(found, probs.shape[-1] - 1)


def make_step(position: int, char_id: int, chars: list[str], dists: tuple[np.ndarray, ...]) -> Step:
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


_LN2 = math.log(2)


def _entropy_rows_bits(p: np.ndarray) -> np.ndarray:
    """``entropy_bits`` of every row of p (B, V)."""
    logs = np.zeros_like(p)
    np.log2(p, out=logs, where=p > 0)
    return -_sum(p * logs, axis=-1)


class _Sampler:
    """One sampling step for B streams at once, from logits (B, V) (or (V,) for one stream).

    The final distribution and the draw are exactly those of ``distributions`` and ``draw``,
    so every path gives the same text. What is vectorised is the rest: the raw and the tempered
    softmax in one pass over a (2, B, V) array, the entropies from the logits
    (H = log S - sum(p * z) with z = logits - max and S = sum(exp z), no logarithm per entry),
    and each stream's probabilities and rank of the chosen character.
    ``lean`` skips what only a ``Step`` shows (the raw distribution when tempered)."""

    def __init__(self, settings: SamplingSettings, rngs: Sequence[np.random.Generator], chars: list[str],
                 lean: bool = False):  # fmt: skip
        self.settings, self.rngs, self.chars = settings, rngs, chars
        self.greedy = settings.greedy
        self.tempered = not settings.greedy and settings.temperature != 1
        self.filtering = not settings.greedy and _filtering(settings.top_k, settings.top_p, len(chars))
        self.lean = lean
        self.rows = 2 if self.tempered and not lean else 1  # softmax rows: raw (+ tempered)
        self._divisors = np.array([1.0, settings.temperature]).reshape(2, 1, 1)

    def probs(self, logits: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(p, z, s): p (rows, B, V) the softmax rows (raw, then tempered; lean: tempered only),
        z the shifted logits they came from, s (rows, B, 1) their normalisers."""
        z = logits.astype(np.float64).reshape(1, -1, logits.shape[-1])
        if self.rows == 2:  # dividing by 1 is exact: row 0 is the raw logits, row 1 logits / T
            z = np.divide(z, self._divisors)
        elif self.tempered:
            z /= self.settings.temperature
        z -= _max(z, axis=-1, keepdims=True)
        p = np.exp(z)
        s = _sum(p, axis=-1, keepdims=True)
        p /= s
        return p, z, s

    def final(self, p: np.ndarray) -> np.ndarray:
        """What is drawn from (B, V): one-hot (greedy), filtered, or the tempered softmax."""
        tempered = p[-1]
        if self.greedy:
            final = np.zeros_like(tempered)
            final[np.arange(len(final)), tempered.argmax(axis=-1)] = 1.0
            return final
        if not self.filtering:
            return tempered
        top_k, top_p = self.settings.top_k, self.settings.top_p
        if len(tempered) == 1:
            return filter_distribution(tempered[0], top_k, top_p)[None]
        return filter_distribution(tempered, top_k, top_p)

    def pick(self, logits: np.ndarray) -> list[int]:
        """The chosen ids alone (lean): nothing that only a ``Step`` shows is computed."""
        if self.greedy:  # the argmax of the logits is the argmax of their softmax (the first on ties)
            return np.atleast_1d(logits.argmax(axis=-1)).tolist()
        return self.choose(self.final(self.probs(logits)[0]))

    def choose(self, final: np.ndarray) -> list[int]:
        if self.greedy:
            return final.argmax(axis=-1).tolist()
        if len(final) == 1:
            return [draw(final[0], self.rngs[0])]
        return draw_batch(final, self.rngs).tolist()

    def steps(self, position: int, ids: list[int], p: np.ndarray, z: np.ndarray, s: np.ndarray,
              final: np.ndarray) -> list[Step]:  # fmt: skip
        """One ``Step`` per stream for the chosen ``ids``."""
        if len(ids) == 1:
            return [self._step(position, ids[0], p[:, 0], z[:, 0], s[:, 0, 0], final[0])]
        raw, tempered = p[0], p[-1]
        rows, chosen = np.arange(len(ids)), np.asarray(ids)
        p_raw = raw[rows, chosen]
        p_final = final[rows, chosen]
        rank = _sum(raw > p_raw[:, None], axis=-1) + 1
        entropy = np.log(s[..., 0]) - _sum(p * z, axis=-1)
        entropy /= _LN2
        np.maximum(entropy, 0.0, out=entropy)  # rounding can leave -1e-16 for a one-hot row
        if self.greedy:
            e_final = [0.0] * len(ids)
        elif self.filtering:
            e_final = _entropy_rows_bits(final).tolist()
        else:
            e_final = entropy[-1].tolist()
        chars = self.chars
        columns = zip(ids, p_final.tolist(), p_raw.tolist(), rank.tolist(), e_final, entropy[0].tolist(),
                      raw, tempered, final, strict=True)  # fmt: skip
        return [Step(position, chars[c], c, *rest) for c, *rest in columns]

    def _step(self, position: int, c: int, p: np.ndarray, z: np.ndarray, s: np.ndarray, final: np.ndarray) -> Step:
        """``steps`` for one stream: p, z (rows, V), s (rows,)."""
        raw = p[0]
        p_raw = raw[c]
        e_raw = max(0.0, float(math.log(s[0]) - raw.dot(z[0])) / _LN2)
        if self.greedy:
            e_final = 0.0
        elif self.filtering:
            e_final = entropy_bits(final)
        elif self.rows == 2:
            e_final = max(0.0, float(math.log(s[1]) - p[1].dot(z[1])) / _LN2)
        else:
            e_final = e_raw
        rank = int(_sum(raw > p_raw)) + 1
        char = self.chars[c]
        return Step(position, char, c, float(final[c]), float(p_raw), rank, e_final, e_raw, raw, p[-1], final)


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


class ReferenceBatchStepper:
    """Several streams, each a ``ReferenceStepper`` (for tests and benchmarks of ``generate_batch``)."""

    def __init__(self, model: CharRNN, batch: int):
        self.streams = [ReferenceStepper(model) for _ in range(batch)]

    def prime(self, sequences: Sequence[Sequence[int]]) -> np.ndarray:
        return np.stack([s.prime(list(ids)) for s, ids in zip(self.streams, sequences, strict=True)])

    def step(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        return np.stack([s.step(int(i)) for s, i in zip(self.streams, ids, strict=True)])


def make_stepper(model: CharRNN, engine: str = "fast") -> FastStepper | ReferenceStepper:
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
        return Encoded([vocab.start_id], encoded.unknown, encoded.unknown_count)
    return encoded


def _check_request(primes: Sequence[object], length: object, seeds: Sequence[object]) -> None:
    """Refuse what would otherwise fail deep inside (or far from the caller) with one clear line."""
    for prime in primes:
        if not isinstance(prime, str):
            raise ValueError(f"prime must be a str (got {type(prime).__name__})")
    if not (isinstance(length, numbers.Integral) and 0 <= length <= MAX_LENGTH):
        raise ValueError(f"length must be a whole number between 0 and {MAX_LENGTH} (got {length!r})")
    for seed in seeds:
        if seed is not None and not (isinstance(seed, numbers.Integral) and seed >= 0):
            raise ValueError(f"seed must be None or a whole number >= 0 (got {seed!r})")


def generate(
    model: CharRNN,
    prime: str = "",
    length: int = 500,
    settings: SamplingSettings | None = None,
    seed: int | None = None,
    unknown: str = "error",
    replacement: str | None = None,
    stepper: object | None = None,
    engine: str = "fast",
) -> Iterator[Step]:
    """Yield ``length`` sampled characters after ``prime``, one ``Step`` at a time.

    Same model, prime, settings and seed -> same text. ``unknown`` is the policy for prime
    characters outside the vocabulary (``error``, ``skip`` or ``replace`` with ``replacement``).
    ``engine`` picks how the model runs (``fast`` or ``reference``) unless a ``stepper`` is given.
    """
    settings = settings or SamplingSettings()
    _check_request([prime], length, [seed])
    ids = encode_prime(model, prime, unknown, replacement).ids
    stepper = stepper or make_stepper(model, engine)
    sampler = _Sampler(settings, [np.random.default_rng(seed)], model.vocab.chars)
    logits = stepper.prime(ids)
    for position in range(length):
        p, z, s = sampler.probs(logits)
        final = sampler.final(p)
        chosen = sampler.choose(final)
        yield sampler.steps(position, chosen, p, z, s, final)[0]
        if position + 1 < length:
            logits = stepper.step(chosen[0])


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
    """The generated text (without the prime) as one string: the text ``generate`` yields, drawn
    without building a ``Step`` (or the distributions only a ``Step`` shows) per character."""
    settings = SamplingSettings(temperature, top_k, top_p, greedy)
    _check_request([prime], length, [seed])
    ids = encode_prime(model, prime, unknown, replacement).ids
    stepper = make_stepper(model, engine)
    sampler = _Sampler(settings, [np.random.default_rng(seed)], model.vocab.chars, lean=True)
    chosen: list[int] = []
    logits = stepper.prime(ids)
    for position in range(length):
        char_id = sampler.pick(logits)[0]
        chosen.append(char_id)
        if position + 1 < length:
            logits = stepper.step(char_id)
    return model.vocab.decode(chosen)


def _batch_setup(
    model: CharRNN,
    primes: str | Sequence[str],
    seeds: Sequence[int | None] | None,
    length: int,
    unknown: str,
    replacement: str | None,
    engine: str,
    stepper: object | None,
) -> tuple[list[list[int]], list[np.random.Generator], Stepper | ReferenceBatchStepper]:
    if isinstance(primes, str):
        primes = [primes] * (len(seeds) if seeds is not None else 1)
    if seeds is None:
        seeds = [None] * len(primes)
    if len(primes) != len(seeds) or not primes:
        raise ValueError(f"need one seed per prime (got {len(primes)} primes and {len(seeds)} seeds)")
    _check_request(primes, length, seeds)
    ids = [encode_prime(model, p, unknown, replacement).ids for p in primes]
    if stepper is not None:
        return ids, [np.random.default_rng(s) for s in seeds], stepper  # type: ignore[return-value]
    if engine == "fast":
        stepper: Stepper | ReferenceBatchStepper = Engine.for_model(model).stepper(len(ids))
    elif engine == "reference":
        stepper = ReferenceBatchStepper(model, len(ids))
    else:
        raise ValueError(f"engine must be one of {ENGINES} (got {engine!r})")
    return ids, [np.random.default_rng(s) for s in seeds], stepper


def generate_batch(
    model: CharRNN,
    primes: str | Sequence[str] = "",
    length: int = 500,
    settings: SamplingSettings | None = None,
    seeds: Sequence[int | None] | None = None,
    unknown: str = "error",
    replacement: str | None = None,
    engine: str = "fast",
    stepper: object | None = None,
) -> Iterator[list[Step]]:
    """Independent streams stepped together: per position, yield one ``Step`` per stream.

    Stream i starts from ``primes[i]`` (one prime string is shared by all) and draws with
    ``seeds[i]``; it yields what ``generate(model, primes[i], ..., seed=seeds[i])`` would (the
    same procedure; batched products round differently, by ~1e-7 in the logits, so a draw that
    lands that close to a boundary between two characters could go the other way).
    ``stepper``: a batched stepper to run the model instead of ``engine``'s (for one with other
    options, e.g. ``Engine.for_model(model).stepper(n, split=False)``).
    """
    settings = settings or SamplingSettings()
    ids, rngs, stepper = _batch_setup(model, primes, seeds, length, unknown, replacement, engine, stepper)
    sampler = _Sampler(settings, rngs, model.vocab.chars)
    logits = stepper.prime(ids)
    for position in range(length):
        p, z, s = sampler.probs(logits)
        final = sampler.final(p)
        chosen = sampler.choose(final)
        yield sampler.steps(position, chosen, p, z, s, final)
        if position + 1 < length:
            logits = stepper.step(chosen)


def sample_batch(
    model: CharRNN,
    primes: str | Sequence[str] = "",
    length: int = 500,
    settings: SamplingSettings | None = None,
    seeds: Sequence[int | None] | None = None,
    unknown: str = "error",
    replacement: str | None = None,
    engine: str = "fast",
    stepper: object | None = None,
) -> list[str]:
    """The texts of ``generate_batch`` (one per stream), drawn without building ``Step`` objects."""
    settings = settings or SamplingSettings()
    ids, rngs, stepper = _batch_setup(model, primes, seeds, length, unknown, replacement, engine, stepper)
    sampler = _Sampler(settings, rngs, model.vocab.chars, lean=True)
    chosen_ids = np.empty((length, len(ids)), dtype=np.intp)
    logits = stepper.prime(ids)
    for position in range(length):
        chosen = sampler.pick(logits)
        chosen_ids[position] = chosen
        if position + 1 < length:
            logits = stepper.step(chosen)
    return [model.vocab.decode(column) for column in chosen_ids.T.tolist()]
