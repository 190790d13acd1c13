"""``playground.train.workspace``: runs in their own processes that vanish, time out, go stale or fail."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from conftest import SLOW, slow_run, state, wait_for
from texts import novel

from charrnn.files import atomic_write_json
from playground.train import workspace


def test_a_run_whose_processes_all_vanish_is_reported_killed(ws: Path) -> None:
    run = slow_run(ws)
    wait_for(lambda: state(run) == "running", 60, "the run")
    runner = json.loads((run.path / "runner.json").read_text())["pid"]
    os.killpg(os.getpgid(runner), signal.SIGKILL)  # runner and trainer: no exit.json is written
    wait_for(lambda: state(run) == "killed", 30, "the state")
    assert "killed from outside" in workspace.read_run(run.path).message


def test_the_time_limit_stops_a_run_cleanly(ws: Path, monkeypatch) -> None:
    monkeypatch.setenv(workspace.ENV_MAX_MINUTES, "0.05")  # 3 s
    run = slow_run(ws)
    wait_for(lambda: state(run) not in ("queued", "running"), 120, "the time limit")
    ended = workspace.read_run(run.path)
    assert ended.state == "finished" and "time limit of 0.05 min" in ended.message
    assert ended.history["summary"]["time_limit"] is True and ended.usable


def test_stale_unfinished_runs_are_cleaned_up_after_a_day(ws: Path) -> None:
    folder = workspace.runs_dir(ws)
    for name, exit_code in (("old-failed-aaaaaa", 2), ("old-done-bbbbbb", 0)):
        (folder / name).mkdir(parents=True)
        atomic_write_json(folder / name / "run.json", {"name": name, "created": 0})
        atomic_write_json(folder / name / "exit.json", {"code": exit_code})
        os.utime(folder / name / "run.json", (0, time.time() - 2 * workspace.STALE_AFTER_S))
    (folder / "old-done-bbbbbb" / "model").mkdir()
    (folder / "old-done-bbbbbb" / "model" / "model.safetensors").write_bytes(b"kept")
    assert workspace.cleanup(ws) == ["old-failed-aaaaaa"]
    assert (folder / "old-done-bbbbbb").is_dir()


def test_a_trainer_that_fails_is_reported_with_its_own_message(ws: Path) -> None:
    run = workspace.start_run(ws, novel(6_000), "bad", [*SLOW, "--cell", "transformer"], {"steps": 1}, "me")
    wait_for(lambda: state(run) == "failed", 120, "the failure")
    ended = workspace.read_run(run.path)
    assert "unknown cell 'transformer'" in ended.message and "No checkpoint had been saved yet" in ended.message
    assert not ended.usable
