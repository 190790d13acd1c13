"""The training timeline: loss curves and the samples recorded in ``history.json`` over training."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from charrnn.history import sampled_records
from charrnn.metrics import bits_per_char, perplexity

SPLITS = {"train_loss": "train", "val_loss": "validation"}


def _finite(value: Any) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if ok else None


def loss_frame(history: dict[str, Any]) -> pd.DataFrame:
    """Long format: one row per (record, split) with a finite loss: step, epoch, split, nats, bits."""
    rows = []
    for record in history.get("records", []):
        step = _finite(record.get("step"))
        if step is None:
            continue
        for key, split in SPLITS.items():
            loss = _finite(record.get(key))
            if loss is not None:
                epoch = _finite(record.get("epoch"))
                rows.append(
                    {"step": int(step), "epoch": epoch, "split": split, "nats": loss, "bits": bits_per_char(loss)}
                )
    return pd.DataFrame(rows, columns=["step", "epoch", "split", "nats", "bits"])


def points(history: dict[str, Any]) -> list[dict[str, Any]]:
    """The records that carry a sample, in step order: the stops of the timeline slider."""
    return sorted(sampled_records(history), key=lambda r: r.get("step", 0))


def stack(points: list[dict[str, Any]], most: int = 6) -> list[dict[str, Any]]:
    """The course's figure: up to ``most`` moments spaced evenly in log(step) from the first
    sample at or after step 100 (or the first one) to the last, which is always shown."""
    later = [r for r in points if r.get("step", 0) >= 100] or points
    if len(later) <= most:
        return later
    logs = [math.log10(max(r.get("step", 0), 1)) for r in later]
    chosen = []
    for i in range(most - 1):
        target = logs[0] + (logs[-1] - logs[0]) * i / (most - 1)
        nearest = min(range(len(later)), key=lambda j: abs(logs[j] - target))
        if nearest not in chosen:
            chosen.append(nearest)
    return [later[j] for j in sorted({*chosen, len(later) - 1})]


def point_label(record: dict[str, Any]) -> str:
    epoch = _finite(record.get("epoch"))
    return f"step {record.get('step', 0):,}" + (f" · epoch {epoch:.2f}" if epoch is not None else "")


def loss_text(value: Any, unit: str = "nats") -> str:
    """A recorded loss in ``unit`` per character ("nats" or "bits"), 3 decimals; "—" when missing.
    Short, so that it fits a metric in a fifth of the page."""
    loss = _finite(value)
    if loss is None:
        return "—"
    return f"{bits_per_char(loss) if unit == 'bits' else loss:.3f}"


def perplexity_text(value: Any) -> str:
    """e^(nats/char), the course's measure: how many characters the model is choosing between."""
    loss = _finite(value)
    return "—" if loss is None else f"{perplexity(loss):.2f}"


def stage_notes(history: dict[str, Any]) -> list[str]:
    """One line per resume that changed the training options (``history["stages"]``), such as
    "step 2,106: epochs 6 → 16": the learning rate may jump there, and the curves bend."""
    stages = history.get("stages")
    notes = []
    for stage in stages if isinstance(stages, list) else []:
        if not isinstance(stage, dict):
            continue
        changes = stage.get("changed") if isinstance(stage.get("changed"), dict) else {}
        shown = ", ".join(
            f"{name} {_shown(pair[0])} → {_shown(pair[1])}"
            for name, pair in changes.items()
            if isinstance(pair, list) and len(pair) == 2
        )
        step = _finite(stage.get("until_step"))
        notes.append(f"step {int(step or 0):,}: {shown or 'options changed'}")
    return notes


def _shown(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
