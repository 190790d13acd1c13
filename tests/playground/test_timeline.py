"""``playground.pages.training.timeline``: the training timeline from a model's history."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from playground.pages.training import timeline


def test_the_stack_spaces_moments_evenly_in_log_steps() -> None:
    records = [{"step": s, "sample": "x"} for s in (0, 10, 30, 100, 300, 1000, 3000, 10000, 30000, 100000, 250000)]
    shown = [r["step"] for r in timeline.stack(records)]
    assert shown == [100, 300, 3000, 10000, 30000, 250000]  # from step 100 on, up to six, the end always
    few = [{"step": s, "sample": "x"} for s in (0, 10, 30)]
    assert timeline.stack(few) == few  # nothing at step 100 yet: every moment there is
    assert timeline.perplexity_text(math.log(4.0)) == "4.00" and timeline.perplexity_text(None) == "—"


def test_timeline_from_history(tiny_models_root: Path) -> None:
    history = json.loads((tiny_models_root / "tiny-lstm" / "history.json").read_text())
    frame = timeline.loss_frame(history)
    assert len(frame) == 4 + 3  # 4 train losses, 3 validation ones (the first is null)
    assert set(frame["split"]) == {"train", "validation"}
    assert frame["bits"].tolist() == pytest.approx((frame["nats"] / math.log(2)).tolist())
    points = timeline.points(history)
    assert [p["step"] for p in points] == [0, 10, 30, 60]
    assert timeline.point_label(points[1]) == "step 10 · epoch 0.17"
    assert timeline.loss_text(None) == "—" and timeline.loss_text(math.log(2), "bits") == "1.000"
    assert timeline.loss_text(1.0) == "1.000" and timeline.loss_text(float("nan")) == "—"
    broken = {"records": [{"step": "x"}, {"step": 5, "train_loss": float("nan")}, {"step": 6, "train_loss": 1}]}
    assert timeline.loss_frame(broken)["step"].tolist() == [6]
    assert timeline.stage_notes(history) == []
    stages = [
        {"until_step": 2106, "changed": {"epochs": [6.0, 16.0], "lr": [0.002, 0.001]}},
        {"until_step": 3000, "changed": {"epochs": "6 -> 16"}},  # malformed: still one line, no traceback
        "not a stage",
    ]
    assert timeline.stage_notes({"stages": stages}) == [
        "step 2,106: epochs 6 → 16, lr 0.002 → 0.001",
        "step 3,000: options changed",
    ]
    assert timeline.stage_notes({"stages": {"x": 1}}) == []
