"""The "Who wrote it?" ranking as the Score tab shows it: a table and a bar chart (a Vega-Lite
spec, as ``playground.charts`` writes them), built from ``charrnn.whowrote`` readings."""

from __future__ import annotations

import pandas as pd

from charrnn.whowrote import Ranking
from playground.charts import Spec

WINNER_COLOUR = "#16a34a"
CLOSE_COLOUR = "#f59e0b"  # the runner-up of a close call
OTHER_COLOUR = "#94a3b8"
UNREADABLE_COLOUR = "#e5e7eb"


def ranking_frame(ranking: Ranking) -> pd.DataFrame:
    """One row per style, best first: rank, style, bits/char, perplexity, unknown share, note."""
    rows = [
        {
            "rank": i,
            "style": r.style,
            "bits/char": r.bits_per_char,
            "perplexity": r.perplexity,
            "unknown": r.unknown_share,
            "note": r.reason or ("the best guess" if i == 1 and ranking.winner is not None else ""),
        }
        for i, r in enumerate(ranking.readings, 1)
    ]
    return pd.DataFrame(rows, columns=["rank", "style", "bits/char", "perplexity", "unknown", "note"])


def bar_colour(ranking: Ranking, index: int) -> str:
    reading = ranking.readings[index]
    if not reading.readable:
        return UNREADABLE_COLOUR
    if index == 0:
        return WINNER_COLOUR
    return CLOSE_COLOUR if index == 1 and ranking.close_call else OTHER_COLOUR


def ranking_spec(ranking: Ranking) -> Spec:
    """Horizontal bars of bits/char, best at the top: the winner green, a close runner-up amber,
    styles that cannot read the text pale."""
    values = [
        {"style": r.style, "bits": round(r.bits_per_char, 4), "order": i, "colour": bar_colour(ranking, i)}
        for i, r in enumerate(ranking.readings)
    ]
    return {
        "data": {"values": values},
        "mark": {"type": "bar", "tooltip": True},
        "height": {"step": 22},
        "encoding": {
            "y": {"field": "style", "type": "nominal", "sort": {"field": "order"}, "title": None},
            "x": {"field": "bits", "type": "quantitative", "title": "bits per character (fewer: less surprised)"},
            "color": {"field": "colour", "type": "nominal", "scale": None},
            "tooltip": [
                {"field": "style", "type": "nominal"},
                {"field": "bits", "type": "quantitative", "format": ".3f", "title": "bits/char"},
            ],
        },
    }
