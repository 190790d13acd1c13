"""The probability table: one row per generated character, whitespace made visible."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import numpy as np
import pandas as pd

from playground.trace import Trace

_GLYPHS = {" ": "␣", "\n": "⏎", "\t": "⇥", "\r": "␍", "\x0b": "␋", "\x0c": "␌", "\x7f": "␡", "\u00a0": "⍽"}
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"}

COLUMNS = ("pos", "char", "p", "p model", "rank", "entropy", "surprise")


def visible(char: str) -> str:
    """A character as the table shows it: whitespace and control characters as visible symbols."""
    if char in _GLYPHS:
        return _GLYPHS[char]
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␀ ␁ ...
    if unicodedata.category(char) in _INVISIBLE:
        return f"U+{code:04X}"
    return char


def percent(p: float) -> str:
    """A probability for a table cell: "41%", "1.2%", "0.012%", "<0.01%"."""
    if p >= 0.095:
        return f"{p:.0%}"
    if p >= 0.0001:
        return f"{p * 100:.2g}%"
    return "<0.01%"


def top_alternatives(probs: np.ndarray, k: int) -> np.ndarray:
    """Indices (N, k) of the ``k`` most likely entries of each row, most likely first."""
    k = min(k, probs.shape[1])
    if k == 0:
        return np.zeros((probs.shape[0], 0), dtype=np.int64)
    part = np.argpartition(-probs, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(probs, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def probability_table(trace: Trace, vocab: Sequence[str], k: int = 5, temperature_label: str = "T") -> pd.DataFrame:
    """For every generated character: position, character, its probability (as drawn, and under the
    model), rank, entropy in bits, surprise in bits, then the model's ``k`` favourites with their
    probabilities before and after temperature, and the same as bar-chart lists."""
    n = len(trace)
    top = top_alternatives(trace.probs_raw, k)
    raw_top = np.take_along_axis(trace.probs_raw, top, axis=1) if n else np.zeros((0, top.shape[1]))
    tempered_top = np.take_along_axis(trace.probs_tempered, top, axis=1) if n else np.zeros((0, top.shape[1]))
    glyphs = [visible(c) for c in vocab]
    data: dict[str, object] = {
        "pos": np.arange(n),
        "char": [visible(c) for c in trace.chars],
        "p": trace.prob,
        "p model": trace.prob_raw,
        "rank": trace.rank,
        "entropy": trace.entropy_bits,
        "surprise": -np.log2(np.maximum(trace.prob_raw, 1e-300)),
    }
    for j in range(top.shape[1]):
        data[f"#{j + 1}"] = [
            f"{glyphs[top[i, j]]}  {percent(raw_top[i, j])} → {percent(tempered_top[i, j])}" for i in range(n)
        ]
    data["top model"] = [row.tolist() for row in raw_top]
    data[f"top {temperature_label}"] = [row.tolist() for row in tempered_top]
    return pd.DataFrame(data)


def distribution_frame(
    vocab: Sequence[str], series: dict[str, np.ndarray], chosen: int | None = None, limit: int | None = 30
) -> pd.DataFrame:
    """Long-format rows (char, series, probability) for a bar chart of one position: the ``limit``
    characters most likely under the first series (all when None), in that order."""
    first = next(iter(series.values()))
    order = np.argsort(-first, kind="stable")[: limit or len(first)]
    if chosen is not None and chosen not in order:
        order = np.append(order, chosen)
    rows = []
    for rank, idx in enumerate(order):
        for name, probs in series.items():
            rows.append(
                {
                    "order": rank,
                    "char": visible(vocab[idx]),
                    "series": name,
                    "probability": float(probs[idx]),
                    "chosen": bool(chosen is not None and idx == chosen),
                }
            )
    return pd.DataFrame(rows)


def score_table(
    chars: Sequence[str], bits: np.ndarray, prob: np.ndarray, rank: np.ndarray, expected: Sequence[str]
) -> pd.DataFrame:
    """Per-character surprise of a scored text (every character, the first one included)."""
    return pd.DataFrame(
        {
            "pos": np.arange(len(chars)),
            "char": [visible(c) for c in chars],
            "surprise": bits,
            "p": prob,
            "rank": pd.array([None if r == 0 else int(r) for r in rank], dtype="Int64"),
            "model expected": list(expected),
        }
    )
