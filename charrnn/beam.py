"""Beyond one sample: the most likely continuations of a prime (beam search), and many sampled
futures from one point.

``beam_search`` keeps the ``width`` most probable partial texts, extends each by every
character of the vocabulary and keeps the ``width`` most probable of those width * V texts,
``length`` times. The beams are the streams of one engine ``Stepper``: a step is one matrix
product per layer for all of them, and ``Stepper.select`` moves the chosen parents' states into
place. Width 1 is greedy decoding, character for character; a width of at least V^(length-1)
searches every continuation exhaustively.

``futures`` asks how open the model is at a point: N samples from the one sampler
(``charrnn.sampling.generate``) with seeds seed, seed + 1, ..., each scored under the model.

Shapes: W beams, V vocabulary, T generated characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from charrnn.engine import Engine
from charrnn.metrics import bits_per_char
from charrnn.model import CharRNN
from charrnn.sampling import SamplingSettings, check_whole_number, encode_prime, generate, softmax

MAX_WIDTH = 64  # W * V candidates are ranked every step and W streams stepped: a few ms at 64
MAX_LENGTH = 2_000  # a beam of 64 on the 2 x 512 flagship takes seconds per thousand characters
MAX_FUTURES = 32


@dataclass(frozen=True)
class Beam:
    """One continuation and how likely the model finds it, given the prime."""

    text: str
    ids: tuple[int, ...]
    logprob: float  # total ln p(text | prime), nats
    probs: np.ndarray  # (T,) float64: p of each character given the prime and the ones before it
    stopped: bool  # it ended with the stop string before ``length`` characters

    @property
    def bits(self) -> float:
        """-log2 p(text | prime): the total surprise, in bits."""
        return float(bits_per_char(-self.logprob))

    @property
    def bits_per_char(self) -> float:
        return self.bits / len(self.ids)


@dataclass(frozen=True)
class Future:
    """One sampled continuation, with the seed that reproduces it through ``generate``."""

    seed: int
    text: str
    probs: np.ndarray  # (T,) float64: p of each drawn character in the model's own distribution

    @property
    def bits_per_char(self) -> float:
        """Mean -log2 p under the model (temperature 1, nothing filtered), whatever drew it."""
        with np.errstate(divide="ignore"):  # a character the model gave p = 0 costs inf bits
            return float(bits_per_char(-np.log(self.probs).mean()))


class BatchStepper(Protocol):
    """What ``decode`` steps: W streams fed one character each, whose states can be reordered."""

    def step(self, ids: Sequence[int] | np.ndarray) -> np.ndarray: ...  # (W,) -> logits (W, V)

    def select(self, rows: Sequence[int] | np.ndarray) -> None: ...  # stream i takes stream rows[i]'s state


def beam_search(
    model: CharRNN,
    prime: str = "",
    length: int = 200,
    width: int = 8,
    stop: str | None = None,
    unknown: str = "error",
    replacement: str | None = None,
    max_width: int = MAX_WIDTH,
) -> list[Beam]:
    """The ``width`` most probable continuations of ``length`` characters after ``prime`` that
    the search found, best first (fewer when fewer exist). With ``stop`` a beam ends when its
    text ends with that string (which it keeps), and competes with the others as it stands: a
    shorter text is more probable, so stopped beams tend to win. ``unknown`` and
    ``replacement`` treat the prime as ``generate`` does. ``max_width`` is the guard against
    runaway cost; only offline checks (an exhaustive search) raise it."""
    _check_request(prime, length, width, max_width)
    stop_ids = _stop_ids(model, stop)
    logits, state = prime_state(model, prime, unknown, replacement)
    beams = Engine.for_model(model).stepper(width)
    beams.set_state(state)  # every beam starts from the prime's state
    return decode(beams, logits, width, length, stop_ids, model.vocab.chars)


def prime_state(
    model: CharRNN, prime: str, unknown: str = "error", replacement: str | None = None
) -> tuple[np.ndarray, object]:
    """The engine's prediction after the prime (1, V) and its state there (one stream)."""
    primer = Engine.for_model(model).stepper(1)
    logits = primer.run(np.asarray([encode_prime(model, prime, unknown, replacement).ids], dtype=np.intp))  # (1, V)
    return logits.copy(), primer.get_state()


def decode(
    stepper: BatchStepper, logits: np.ndarray, width: int, length: int, stop_ids: list[int], chars: list[str]
) -> list[Beam]:
    """The search itself, on ``width`` streams that start in the prime's state, whose prediction
    of the first character is ``logits`` (1, V)."""
    n_vocab = logits.shape[-1]
    scores = np.full(width, -np.inf)  # (W,) ln p of each beam so far; -inf marks an empty slot
    scores[0] = 0.0  # one beam, the prime, until the first step fills the others
    record = _Record(length, width)
    tails = np.full((width, max(len(stop_ids) - 1, 0)), -1, np.intp)  # (W, len(stop) - 1) last ids
    stop_tail, stop_last = np.asarray(stop_ids[:-1], np.intp), (stop_ids[-1] if stop_ids else -1)
    done: list[tuple[float, int, int]] = []  # stopped beams: (ln p, step, slot in the record)
    for t in range(length):
        logp = np.broadcast_to(softmax(logits, log=True), (width, n_vocab))  # (W, V); (1, V) at t = 0
        candidates = (scores[:, None] + logp).ravel()  # (W*V,) ln p of every one-character extension
        order = np.argsort(-candidates, kind="stable")  # best first; ties: the lower beam, then char id
        order = order[np.isfinite(candidates[order])]
        parents, ids = np.divmod(order, n_vocab)
        stopping = (ids == stop_last) & (tails[parents] == stop_tail).all(axis=1)  # ends with stop
        live = order[~stopping][:width]
        ended = order[stopping][:width]  # at most one per beam: the stop's last character
        done.extend((float(candidates[k]), t, record.add_stopped(k, n_vocab, logp)) for k in ended)
        done = sorted(done, key=lambda d: -d[0])[:width]
        if len(live) == 0:
            break
        parents, ids = np.divmod(live, n_vocab)
        scores = np.full(width, -np.inf)
        scores[: len(live)] = candidates[live]
        record.add_step(t, parents, ids, logp[parents, ids])
        tails = np.concatenate([tails[parents], ids[:, None]], axis=1)[:, 1:]
        tails = np.pad(tails, ((0, width - len(live)), (0, 0)), constant_values=-1)
        if len(done) == width and scores[0] < done[-1][0]:
            break  # a live beam only loses probability: none can overtake the stopped ones
        if t + 1 < length:
            stepper.select(np.pad(parents, (0, width - len(live))))  # empty slots copy beam 0
            logits = stepper.step(np.pad(ids, (0, width - len(live))))  # (W, V)
    ran = [(float(s), t, slot) for slot, s in enumerate(scores) if np.isfinite(s)] if len(live) else []
    best = sorted(done + ran, key=lambda d: -d[0])[:width]
    return [record.beam(score, step, slot, chars) for score, step, slot in best]


class _Record:
    """Back-pointers of every step, from which each beam's text is read once the search ends."""

    def __init__(self, length: int, width: int):
        self.parents = np.zeros((length, width), np.intp)  # (T, W) the slot each beam came from
        self.ids = np.zeros((length, width), np.intp)  # (T, W) the character it added
        self.logp = np.zeros((length, width))  # (T, W) ln p of that character
        self.extra: list[tuple[int, int, float]] = []  # stopped beams: (parent slot, id, ln p)

    def add_step(self, t: int, parents: np.ndarray, ids: np.ndarray, logp: np.ndarray) -> None:
        n = len(parents)
        self.parents[t, :n], self.ids[t, :n], self.logp[t, :n] = parents, ids, logp

    def add_stopped(self, flat: int, n_vocab: int, logp: np.ndarray) -> int:
        """Keep a beam that ended at step t (it has no slot there); returns its key (negative)."""
        parent, char = divmod(int(flat), n_vocab)
        self.extra.append((parent, char, float(logp[parent, char])))
        return -len(self.extra)

    def beam(self, score: float, step: int, slot: int, chars: list[str]) -> Beam:
        ids, logps = [], []
        stopped = slot < 0
        if stopped:  # a stopped beam: its last character, then its parent's path
            parent, char, lp = self.extra[-slot - 1]
            ids.append(char)
            logps.append(lp)
            step, slot = step - 1, parent
        for t in range(step, -1, -1):
            ids.append(int(self.ids[t, slot]))
            logps.append(self.logp[t, slot])
            slot = self.parents[t, slot]
        ids.reverse()
        logps.reverse()
        return Beam("".join(chars[i] for i in ids), tuple(ids), score, np.exp(logps), stopped)


def futures(
    model: CharRNN,
    prime: str = "",
    count: int = 5,
    length: int = 100,
    settings: SamplingSettings | None = None,
    seed: int | None = None,
    unknown: str = "error",
    replacement: str | None = None,
) -> list[Future]:
    """``count`` samples of ``length`` characters after ``prime``, drawn by ``generate`` with
    seeds ``seed``, ``seed + 1``, ... (one drawn at random when None), in that order: the same
    arguments give the same futures, and each one is reproduced by sampling with its seed."""
    check_whole_number("count", count, 1, MAX_FUTURES)
    check_whole_number("length", length, 1, MAX_LENGTH)
    base = int(np.random.default_rng().integers(2**31)) if seed is None else seed
    out = []
    for k in range(count):
        steps = list(generate(model, prime, length, settings, base + k, unknown, replacement))
        out.append(Future(base + k, "".join(s.char for s in steps), np.array([s.prob_raw for s in steps])))
    return out


def _check_request(prime: object, length: object, width: object, max_width: int) -> None:
    if not isinstance(prime, str):
        raise ValueError(f"prime must be a str (got {type(prime).__name__})")
    check_whole_number("length", length, 1, MAX_LENGTH)
    check_whole_number("beam width", width, 1, max_width)


def _stop_ids(model: CharRNN, stop: str | None) -> list[int]:
    if stop is None:
        return []
    if not isinstance(stop, str) or not stop:
        raise ValueError(f"stop must be a non-empty string or None (got {stop!r})")
    missing = model.vocab.unknown_chars(stop)
    if missing:
        shown = ", ".join(repr(c) for c in missing)
        raise ValueError(f"stop string {stop!r} holds {shown}, which the model never writes")
    return model.vocab.encode(stop).ids
