"""Vega-Lite chart specifications (plain dicts with inline data) for ``st.vega_lite_chart``.

Plain specs instead of Altair objects: Altair validates every chart against the whole Vega-Lite
schema on each page run, which costs more than the rest of a run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from charrnn.sampling import softmax
from playground.table import visible

Spec = dict[str, Any]


def tempered(probs_raw: np.ndarray, temperature: float) -> np.ndarray:
    """``softmax(log p / T)``: how temperature ``T`` reshapes the model's distribution (T=1: as is)."""
    return softmax(np.log(np.maximum(probs_raw.astype(np.float64), 1e-300)), temperature)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]


def distribution_spec(frame: pd.DataFrame, series: Sequence[str], title: str) -> Spec:
    """Grouped bars: one group per character (in the frame's ``order``), one bar per series; the
    chosen character outlined. ``frame`` comes from ``table.distribution_frame``."""
    return {
        "title": title,
        "data": {"values": _records(frame)},
        "mark": {"type": "bar", "tooltip": True},
        "height": 300,
        "encoding": {
            "x": {
                "field": "char",
                "type": "nominal",
                "sort": {"field": "order"},
                "title": None,
                "axis": {"labelAngle": 0, "labelFontSize": 13},
            },
            "xOffset": {"field": "series", "type": "nominal", "sort": list(series)},
            "y": {"field": "probability", "type": "quantitative", "axis": {"format": "%"}, "title": "probability"},
            "color": {
                "field": "series",
                "type": "nominal",
                "sort": list(series),
                "legend": {"orient": "top", "title": None},
            },
            "stroke": {"condition": {"test": "datum.chosen", "value": "#111827"}, "value": "transparent"},
            "strokeWidth": {"condition": {"test": "datum.chosen", "value": 2}, "value": 0},
            "tooltip": [
                {"field": "char", "type": "nominal"},
                {"field": "series", "type": "nominal"},
                {"field": "probability", "type": "quantitative", "format": ".2%"},
            ],
        },
    }


def temperature_frame(vocab: Sequence[str], raw: np.ndarray, temperatures: np.ndarray, top: int = 6) -> pd.DataFrame:
    """The probabilities of the ``top`` likeliest characters at each temperature (long format)."""
    best = np.argsort(-raw, kind="stable")[:top]
    rows = []
    for t in temperatures:
        probs = tempered(raw, float(t))
        rows += [
            {"temperature": float(t), "char": visible(vocab[i]), "rank": r, "probability": float(probs[i])}
            for r, i in enumerate(best)
        ]
    return pd.DataFrame(rows)


def temperature_spec(frame: pd.DataFrame, marks: dict[str, float], title: str) -> Spec:
    """Lines of probability against temperature (log scale), with dashed rules at ``marks``."""
    rules = [{"temperature": t, "what": name} for name, t in marks.items()]
    return {
        "title": title,
        "height": 220,
        "layer": [
            {
                "data": {"values": _records(frame)},
                "mark": {"type": "line"},
                "encoding": {
                    "x": {
                        "field": "temperature",
                        "type": "quantitative",
                        "scale": {
                            "type": "log",
                            "nice": False,
                            "domain": [float(frame["temperature"].min()), float(frame["temperature"].max())],
                        },
                        "title": "temperature (log scale)",
                    },
                    "y": {"field": "probability", "type": "quantitative", "axis": {"format": "%"}},
                    "color": {
                        "field": "char",
                        "type": "nominal",
                        "sort": {"field": "rank"},
                        "legend": {"orient": "right", "title": None},
                    },
                    "tooltip": [
                        {"field": "char", "type": "nominal"},
                        {"field": "temperature", "type": "quantitative", "format": ".2f"},
                        {"field": "probability", "type": "quantitative", "format": ".1%"},
                    ],
                },
            },
            {
                "data": {"values": rules},
                "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#6b7280"},
                "encoding": {
                    "x": {"field": "temperature", "type": "quantitative"},
                    "tooltip": [{"field": "what", "type": "nominal"}],
                },
            },
        ],
    }


def loss_spec(frame: pd.DataFrame, x: str, unit: str, log_x: bool, marker: float | None) -> Spec:
    """Train and validation loss against ``x`` (step or epoch), with a dashed rule at ``marker``."""
    data = frame.dropna(subset=[x]) if not frame.empty else frame
    layers: list[Spec] = [
        {
            "data": {"values": _records(data)},
            "mark": {"type": "line", "point": {"size": 28}},
            "encoding": {
                "x": {
                    "field": x,
                    "type": "quantitative",
                    "title": x + (" (log scale)" if log_x else ""),
                    "scale": {"type": "symlog", "constant": 10} if log_x else {"type": "linear"},
                },
                "y": {"field": unit, "type": "quantitative", "title": f"{unit}/char", "scale": {"zero": False}},
                "color": {
                    "field": "split",
                    "type": "nominal",
                    "sort": ["train", "validation"],
                    "scale": {"domain": ["train", "validation"], "range": ["#94a3b8", "#c2410c"]},
                    "legend": {"orient": "top", "title": None},
                },
                "tooltip": [
                    {"field": "step", "type": "quantitative"},
                    {"field": "epoch", "type": "quantitative", "format": ".2f"},
                    {"field": "split", "type": "nominal"},
                    {"field": unit, "type": "quantitative", "format": ".3f"},
                ],
            },
        }
    ]
    if marker is not None:
        layers.append(
            {
                "data": {"values": [{x: marker}]},
                "mark": {"type": "rule", "color": "#111827", "strokeDash": [4, 3]},
                "encoding": {"x": {"field": x, "type": "quantitative"}},
            }
        )
    return {"title": f"Loss ({unit}/char)", "height": 300, "layer": layers}
