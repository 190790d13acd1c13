"""A scored text coloured by the rank of each actual character among the model's predictions, as
GLTR (Gehrmann, Strobelt and Rush, 2019) does for words: 1st, top 3, top 10 or beyond. A text the
style finds predictable is mostly its first guesses; a surprising one spreads to the right."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import numpy as np

from playground.html import coloured_text
from playground.table import visible

# (highest rank in the bucket, label, colour): GLTR's green, yellow, red and purple, lightened
# so that black text stays readable on them.
BUCKETS = (
    (1, "1st", "#bbf7d0"),
    (3, "top 3", "#fef08a"),
    (10, "top 10", "#fecaca"),
    (None, "beyond", "#e9d5ff"),
)


def bucket(rank: np.ndarray) -> np.ndarray:
    """The bucket index (0..3) of each rank (1 = the model's favourite); (N,) -> (N,)."""
    edges = np.array([b[0] for b in BUCKETS[:-1]])
    return np.searchsorted(edges, np.asarray(rank), side="left")


def shares(rank: np.ndarray) -> list[tuple[str, float]]:
    """(label, share of the characters) per bucket, in bucket order; the shares sum to 1."""
    counts = np.bincount(bucket(rank), minlength=len(BUCKETS))
    total = max(1, int(counts.sum()))
    return [(label, count / total) for (_, label, _), count in zip(BUCKETS, counts, strict=True)]


def rank_html(chars: Sequence[str], rank: np.ndarray) -> str:
    """The text with each character on its rank bucket's colour, its rank in the tooltip."""
    colours = [BUCKETS[b][2] for b in bucket(rank)]
    titles = [f"#{i}  {visible(c)}  rank {r}" for i, (c, r) in enumerate(zip(chars, rank, strict=True))]
    return coloured_text(chars, colours, titles)


def rank_legend(rank: np.ndarray) -> str:
    """The four colours with their labels and the share of the text in each."""
    items = "".join(
        f'<span style="background:{colour}; padding:0.1rem 0.45rem; border-radius:0.3rem;">'
        f"{escape(label)} {share:.0%}</span>"
        for (_, _, colour), (label, share) in zip(BUCKETS, shares(rank), strict=True)
    )
    return (
        '<div style="display:flex; gap:0.4rem; align-items:center; font-size:0.8rem; color:#111;">'
        f'<span style="color:#6b7280;">rank of the actual character:</span>{items}</div>'
    )
