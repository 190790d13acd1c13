"""``playground.train.presets``: estimates that follow what the last run of a shape really did."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from charrnn.files import atomic_write_json
from playground.train import presets, workspace


def test_estimates_follow_what_the_last_run_of_a_shape_really_did(ws: Path) -> None:
    budget, shape = presets.PRESETS["5 minutes"]
    probed = presets.speeds(ws, workspace.list_runs(ws))[shape.key]["train_cps"]  # the fixture's probe: 2e6 chars/s
    run = workspace.runs_dir(ws) / "earlier-abcdef"
    run.mkdir(parents=True)
    atomic_write_json(run / "run.json", {"name": "earlier", "created": time.time(), "plan": {"shape": shape.key}})
    records = [{"step": i, "chars_seen": 1000 * i, "elapsed_s": 0.5 * i, "val_loss": None} for i in range(8)]
    atomic_write_json(run / "model" / "history.json", {"records": records})
    atomic_write_json(run / "exit.json", {"code": 0})
    assert presets.observed_speeds(workspace.list_runs(ws)) == {shape.key: 2000.0}
    assert presets.speeds(ws, workspace.list_runs(ws))[shape.key]["train_cps"] == pytest.approx(2000.0) != probed
    fast = presets.plan(shape, budget, 500_000, 5_000, {"train_cps": probed, "eval_cps": 2e6, "sample_cps": 2e4})
    slow = presets.plan(shape, budget, 500_000, 5_000, presets.speeds(ws, workspace.list_runs(ws))[shape.key])
    assert slow.steps < fast.steps  # the same five minutes hold fewer steps on the slower machine


def test_the_presets_keep_their_keys_and_trainer_flags() -> None:
    # Run records and the probe's cache name a shape by its key: a preset's must never change.
    keys = [shape.key for _, shape in presets.PRESETS.values()]
    assert keys == ["lstm-1x128-e32-b32x64", "lstm-2x192-e48-b32x96", "lstm-2x320-e64-b32x128"]
    budget, shape = presets.PRESETS["5 minutes"]
    flags = presets.make_plan(shape, 100, 10, 1_000, {"train_cps": 1e5, "eval_cps": 1e6, "sample_cps": 1e4}).args()
    assert flags[:14] == [
        *("--cell", "lstm", "--layers", "2", "--hidden", "192", "--embedding", "48"),
        *("--batch-size", "32", "--seq-len", "96", "--dropout", "0.1"),
    ]
    assert budget == 300.0 and shape.model.vocab == []
