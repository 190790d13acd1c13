"""A generated sample as compact arrays: what the table, the colours and the inspector read."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from charrnn import Step
from playground.session.params import Settings


@dataclass(frozen=True)
class Trace:
    """N generated characters and, for each, the distributions it came from ((N, V) float32)."""

    chars: tuple[str, ...]
    char_ids: np.ndarray  # (N,) int
    prob: np.ndarray  # (N,) probability in the distribution sampled from
    prob_raw: np.ndarray  # (N,) probability under the model itself (temperature 1)
    rank: np.ndarray  # (N,) 1 = the model's favourite
    entropy_bits: np.ndarray  # (N,) of the distribution sampled from
    entropy_raw_bits: np.ndarray  # (N,)
    probs_raw: np.ndarray  # (N, V)
    probs_tempered: np.ndarray  # (N, V)
    probs: np.ndarray  # (N, V) after top-k / top-p

    @classmethod
    def from_steps(cls, steps: Sequence[Step], vocab_size: int) -> Trace:
        def stack(name: str) -> np.ndarray:
            if not steps:
                return np.zeros((0, vocab_size), dtype=np.float32)
            return np.stack([getattr(s, name) for s in steps]).astype(np.float32)

        def column(name: str, dtype: type) -> np.ndarray:
            return np.array([getattr(s, name) for s in steps], dtype=dtype)

        return cls(
            chars=tuple(s.char for s in steps),
            char_ids=column("char_id", np.int64),
            prob=column("prob", np.float64),
            prob_raw=column("prob_raw", np.float64),
            rank=column("rank", np.int64),
            entropy_bits=column("entropy_bits", np.float64),
            entropy_raw_bits=column("entropy_raw_bits", np.float64),
            probs_raw=stack("probs_raw"),
            probs_tempered=stack("probs_tempered"),
            probs=stack("probs"),
        )

    def __len__(self) -> int:
        return len(self.chars)

    @property
    def text(self) -> str:
        return "".join(self.chars)

    @property
    def bits_per_char(self) -> float:
        """Mean surprise of the sample under the model itself (temperature 1), bits/char."""
        return float(-np.log2(np.maximum(self.prob_raw, 1e-300)).mean()) if len(self) else float("nan")


_SAMPLE_IDS = itertools.count(1)


@dataclass
class Sample:
    """One press of Generate: its settings, the steps while they stream, then the trace."""

    settings: Settings
    prime_text: str  # the prime as the model read it
    prime_ids: list[int]
    vocab: tuple[str, ...]
    steps: list[Step] = field(default_factory=list)
    trace: Trace | None = None
    status: str = "running"  # running -> done | stopped
    first_s: float | None = None  # seconds from the start of the page run to the first character
    total_s: float | None = None
    next_dist: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # computed on demand
    uid: int = field(default_factory=lambda: next(_SAMPLE_IDS))  # unique in the process (unlike id())

    def finish(self, status: str) -> Trace:
        self.trace = Trace.from_steps(self.steps, len(self.vocab))
        self.steps = []
        self.status = status
        return self.trace
