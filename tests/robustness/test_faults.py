"""Fault tests for training: kill -9 at random moments and in the middle of a checkpoint, then
``--resume``; writes that fail (disk full, file-size limit). Nothing recorded may be lost, and the
resumed run must end with the weights of a run that was never interrupted.

Every run is a 1x16 LSTM on a 4.5 kB text for at most 160 steps. The kill moments come from
``random.Random(SEED)`` and are printed with the figures (``pytest -s`` shows them)."""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import random
import resource
import signal
import stat
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from charrnn import CharRNN
from charrnn.files import PAUSE_ENV, is_temporary
from charrnn.history import load_history
from tests.conftest import TINY_TEXT, tiny_config
from training import train as train_module
from training.config import TrainConfig
from training.state import STATE_FILE, load_state
from training.train import Trainer, TrainingError

SEED = 7
STEPS = 160  # over two epochs of the tiny text: crosses epoch boundaries (hidden state reset)
EVAL_EVERY = 8  # a checkpoint every 8 steps: 20 in the run
FLAGS = [
    *("--layers", "1", "--hidden", "16", "--embedding", "8", "--batch-size", "4", "--seq-len", "16"),
    *("--dropout", "0.1", "--embedding-dropout", "0.1", "--ema", "0.9", "--warmup-steps", "5"),
    *("--eval-every", str(EVAL_EVERY), "--log-every", "5", "--sample-length", "20", "--threads", "1"),
    *("--epochs", "10"),
]
RANDOM_KILLS = 5
MID_WRITE_KILLS = ("state.safetensors", "model.safetensors", "history.json")
# A random kill lands up to one checkpoint interval (as the uninterrupted run measured it) after the
# child's latest checkpoint, and no later than the next one: anywhere in a step, a validation, a
# sample or a save, on a fast machine or a busy one, while leaving work for every planned kill.
PAUSE_S = "0.4"  # CHARRNN_TEST_WRITE_PAUSE for the mid-write kills
WAIT_S = 900  # the machine may be shared: generous, but every wait is bounded


@pytest.fixture(scope="module")
def text_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("text") / "hamlet.txt"
    path.write_text(TINY_TEXT, encoding="utf-8")
    return path


def cli_args(text_file: Path, run: Path, steps: int = STEPS) -> list[str]:
    out, state = str(run / "model"), str(run / "state")
    return ["--text", str(text_file), "--out", out, "--run-dir", state, "--max-steps", str(steps), *FLAGS]


# ---------------------------------------------------------------- child processes


def train_child(argv: list[str], env: dict[str, str], log: str, file_limit: int | None) -> None:
    """``python -m training.train ARGV`` in a child process, stderr to ``log``."""
    os.environ.update(env)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(fd, 2)
    sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115 (lives as long as the child)
    if file_limit is not None:  # Python ignores SIGXFSZ, so an oversized write raises EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))
    sys.exit(train_module.main(argv))


@pytest.fixture(scope="module")
def launch():
    """Start the CLI as a real child process. The children fork from a server that imported torch
    once, so a kill -9 still hits a separate process, but no run pays for the import again."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["training.train"])

    def start(argv: list[str], log: Path, env: dict[str, str] | None = None, file_limit: int | None = None):
        log.parent.mkdir(parents=True, exist_ok=True)
        process = context.Process(target=train_child, args=(argv, env or {}, str(log), file_limit))
        process.start()
        return process

    return start


def finish(process, log: Path) -> None:
    process.join(WAIT_S)
    assert process.exitcode == 0, log.read_text()[-2000:]


def signature(path: Path) -> tuple | None:
    try:
        s = path.stat()
    except FileNotFoundError:
        return None
    return s.st_ino, s.st_mtime_ns, s.st_size


def wait_until(condition, process, what: str) -> bool:
    """Poll ``condition`` every 5 ms; False when the child ended first."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if not process.is_alive():
            return False
        assert time.monotonic() < deadline, f"waited {WAIT_S} s for {what}"
        time.sleep(0.005)
    return True


def temporaries(*directories: Path) -> list[Path]:
    return [p for d in directories if d.is_dir() for p in d.iterdir() if is_temporary(p)]


# ---------------------------------------------------------------- kill -9, then --resume


def check_survivor(run: Path, seen: list[dict]) -> int:
    """After a kill: the model directory loads, history.json is valid and still holds every record
    seen before (the same, in the same places). Returns how many of those records are lost."""
    if (run / "state" / STATE_FILE).exists():
        CharRNN.from_pretrained(run / "model")  # the first checkpoint writes the model before the state
    if not (run / "model" / "history.json").exists():
        return 0
    records = load_history(run / "model")["records"]
    lost = sum(1 for i, record in enumerate(seen) if i >= len(records) or records[i] != record)
    seen[:] = records if len(records) >= len(seen) else seen
    return lost


def kill_plan(rng: random.Random) -> list[str]:
    plan = ["random"] * RANDOM_KILLS + list(MID_WRITE_KILLS)
    rng.shuffle(plan)
    return plan


def kill_once(launch, argv: list[str], run: Path, kind: str, rng: random.Random, interval: float) -> dict:
    """Start (or resume) the run, wait for a fresh checkpoint, then kill -9: after a random delay,
    or while a temporary of ``kind`` exists (the write paused by the test hook before its rename)."""
    state, model = run / "state", run / "model"
    before = signature(state / STATE_FILE)
    env = {} if kind == "random" else {PAUSE_ENV: PAUSE_S}
    process = launch(argv, run / "log.txt", env)
    trial = {"kind": kind, "killed": False}
    if wait_until(lambda: signature(state / STATE_FILE) not in (None, before), process, "a checkpoint"):
        if kind == "random":
            trial["delay_s"] = round(rng.uniform(0, interval), 3)
            # The delay ends early at the next checkpoint, so a trial never uses more than two of the
            # run's checkpoints, even when the machine runs faster than when ``interval`` was measured.
            due, seen = time.monotonic() + trial["delay_s"], signature(state / STATE_FILE)
            hit = wait_until(
                lambda: time.monotonic() >= due or signature(state / STATE_FILE) != seen, process, "the kill"
            )
        else:
            hit = wait_until(
                lambda: any(p.name.startswith(f".{kind}.") for p in temporaries(state, model)), process, kind
            )
        if hit:
            os.kill(process.pid, signal.SIGKILL)
    process.join(WAIT_S)
    trial["killed"] = process.exitcode == -signal.SIGKILL
    trial["left_temporaries"] = [p.name[1:].rsplit(".", 2)[0] for p in temporaries(state, model)]
    trial["state_step"] = load_state(state)[1]["step"] if (state / STATE_FILE).exists() else None
    return trial


def max_difference(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    assert a.keys() == b.keys()
    return max((a[k].float() - b[k].float()).abs().max().item() for k in a)


def without_time(records: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "elapsed_s"} for r in records]


@pytest.mark.slow
def test_kill_9_at_random_moments_and_mid_write_then_resume_matches_an_uninterrupted_run(
    launch, text_file: Path, tmp_path: Path
) -> None:
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    started = time.monotonic()
    finish(launch(cli_args(text_file, straight), tmp_path / "straight.log"), tmp_path / "straight.log")
    interval = (time.monotonic() - started) / (STEPS // EVAL_EVERY)

    rng, seen, lost, trials = random.Random(SEED), [], 0, []
    argv = cli_args(text_file, killed)
    for kind in kill_plan(rng):
        trials.append(kill_once(launch, argv + ["--resume"] * bool(trials), killed, kind, rng, interval))
        lost += check_survivor(killed, seen)
    finish(launch([*argv, "--resume"], killed / "log.txt"), killed / "log.txt")
    lost += check_survivor(killed, seen)

    kills = [t for t in trials if t["killed"]]
    assert len(kills) >= RANDOM_KILLS + len(MID_WRITE_KILLS) - 1, trials  # at most one ran out of work
    for kind in MID_WRITE_KILLS:  # each of these was killed with its temporary file on disk
        assert any(t["kind"] == kind and kind in t["left_temporaries"] for t in kills), trials
    assert lost == 0
    assert not temporaries(killed / "state", killed / "model")  # the resume cleared what the kills left

    a, b = load_state(straight / "state"), load_state(killed / "state")
    live = max_difference(*({k: v for k, v in t.items() if k.startswith("model.")} for t in (a[0], b[0])))
    shipped = max_difference(
        load_file(straight / "model/model.safetensors"), load_file(killed / "model/model.safetensors")
    )
    assert live <= 1e-6 and shipped <= 1e-6
    assert b[1]["step"] == STEPS
    straight_records, killed_records = (load_history(r / "model")["records"] for r in (straight, killed))
    assert without_time(killed_records) == without_time(straight_records)
    figures = {"seed": SEED, "interval_s": round(interval, 3), "trials": trials, "kills": len(kills)}
    figures.update(records_lost=lost, max_abs_weight_difference=max(live, shipped))
    print("\nkill -9 figures:", json.dumps(figures))


def test_a_corrupt_state_file_is_one_line_on_resume(launch, text_file: Path, tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / STATE_FILE).write_bytes(b"\x80\x04not a safetensors file")
    argv = [*cli_args(text_file, tmp_path), "--resume"]
    process = launch(argv, tmp_path / "log.txt")
    process.join(WAIT_S)
    lines = (tmp_path / "log.txt").read_text().strip().splitlines()
    assert process.exitcode == 2 and len(lines) == 1, lines
    assert STATE_FILE in lines[0] and "cannot be read" in lines[0]


# ---------------------------------------------------------------- failed writes


def config(text_file: Path, run: Path) -> TrainConfig:
    """test_training's tiny run, with the state beside the model as in the CLI runs above."""
    return tiny_config(text_file, run, run_dir=str(run / "state"), hidden=16, eval_every=10, max_steps=40)


def snapshot(*directories: Path) -> dict[str, bytes]:
    """Every finished file (temporaries aside), by ``folder/name``."""
    files = [p for d in directories for p in sorted(d.iterdir()) if p.is_file() and not is_temporary(p)]
    return {f"{p.parent.name}/{p.name}": p.read_bytes() for p in files}


class FullDisk:
    """os.fsync that fails with ENOSPC on the ``nth`` file written after the first checkpoint is
    complete (its card exists), as a full disk does on file systems that allocate late. Until then,
    and for directories, the real fsync."""

    def __init__(self, run: Path, nth: int):
        self.run, self.nth, self.count, self.before = run, nth, 0, None
        self.real = os.fsync

    def __call__(self, fd: int) -> None:
        if stat.S_ISREG(os.fstat(fd).st_mode) and (self.run / "model" / "README.md").exists():
            self.before = self.before or snapshot(self.run / "model", self.run / "state")
            self.count += 1
            if self.count == self.nth:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.real(fd)


@pytest.fixture(scope="module")
def straight_weights(text_file: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, torch.Tensor]:
    trainer = Trainer(config(text_file, tmp_path_factory.mktemp("straight")))
    trainer.run()
    return {k: v.clone() for k, v in trainer.model.state_dict().items()}


# The writes of a checkpoint whose validation improved: weights, config, state, history, card.
@pytest.mark.parametrize("nth", [1, 2, 3, 4, 5])
def test_a_full_disk_keeps_the_last_checkpoint_and_resume_finishes_the_same(
    text_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nth: int, straight_weights
) -> None:
    disk = FullDisk(tmp_path, nth)
    monkeypatch.setattr(os, "fsync", disk)
    with pytest.raises(TrainingError) as info:
        Trainer(config(text_file, tmp_path)).run()
    monkeypatch.undo()
    message = str(info.value)
    assert "\n" not in message and "No space left on device" in message and "--resume" in message
    failed = message.split("could not save ")[1].split(" (")[0]
    after = snapshot(tmp_path / "model", tmp_path / "state")
    assert after.keys() == disk.before.keys()  # no temporaries left, nothing removed
    failed_key = f"{Path(failed).parent.name}/{Path(failed).name}"
    assert after[failed_key] == disk.before[failed_key]  # the file being saved is the previous one, byte for byte
    state_records = load_state(tmp_path / "state")[1]["history"]["records"]
    disk_records = load_history(tmp_path / "model")["records"]
    assert state_records[: len(disk_records)] == disk_records  # a resume restores every record on disk
    CharRNN.from_pretrained(tmp_path / "model")

    resumed = Trainer(config(text_file, tmp_path), resume=True)
    resumed.run()
    for name, value in resumed.model.state_dict().items():
        torch.testing.assert_close(value, straight_weights[name], atol=1e-6, rtol=0)


def test_the_cli_says_a_full_disk_in_one_line_without_a_traceback(
    text_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setattr(os, "fsync", FullDisk(tmp_path, 1))
    monkeypatch.setattr(signal, "signal", lambda *args: None)  # main() must not take over pytest's Ctrl-C
    assert train_module.main(cli_args(text_file, tmp_path, steps=2 * EVAL_EVERY)) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error")]
    assert len(lines) == 1 and "No space left on device" in lines[0] and "Traceback" not in err, err[-2000:]


def test_a_real_write_failure_in_the_cli_keeps_the_checkpoint(launch, text_file: Path, tmp_path: Path) -> None:
    """The kernel refuses the write itself (RLIMIT_FSIZE, EFBIG) in a real CLI process: the state
    grows with the history it holds, so a limit just above its first size fails a later save."""
    state = tmp_path / "state" / STATE_FILE
    first = launch(cli_args(text_file, tmp_path, steps=EVAL_EVERY), tmp_path / "first.log")
    finish(first, tmp_path / "first.log")
    before = snapshot(tmp_path / "model", tmp_path / "state")
    argv = [*cli_args(text_file, tmp_path), "--resume"]
    process = launch(argv, tmp_path / "log.txt", file_limit=state.stat().st_size + 1)
    process.join(WAIT_S)
    log = (tmp_path / "log.txt").read_text()
    errors = [line for line in log.splitlines() if line.startswith("error")]
    assert process.exitcode == 2 and len(errors) == 1 and "Traceback" not in log, log[-2000:]
    assert "could not save" in errors[0] and "--resume" in errors[0]
    assert state.read_bytes() == before[f"state/{STATE_FILE}"]
    assert not temporaries(tmp_path / "model", tmp_path / "state")
    assert load_history(tmp_path / "model")["records"] == json.loads(before["model/history.json"])["records"]
    CharRNN.from_pretrained(tmp_path / "model")
