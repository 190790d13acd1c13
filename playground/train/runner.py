"""The process around one Train-tab run: ``python -m playground.train.runner RUN_DIR``.

Started detached by ``playground.train.workspace.launch``. It waits its turn for one of
``$CHARRNN_MAX_TRAININGS`` slots (a lock file each: the kernel frees it when its holder dies, however
it dies), runs the project's trainer at low priority on one thread, and writes ``exit.json`` with the
trainer's exit code. SIGTERM is passed on to the trainer (which saves and stops cleanly) or, while
still queued, cancels the run. No training happens in this process.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from charrnn.files import atomic_write_json
from playground.train import workspace

POLL_S = 0.5


class Runner:
    def __init__(self, path: Path):
        self.path = path
        self.root = path.parents[1]
        self.spec = workspace.read_run(path).spec  # type: ignore[union-attr]
        self.child: subprocess.Popen | None = None
        self.stop_requested = False

    def on_term(self, signum: int, _frame) -> None:
        self.stop_requested = True
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signal.SIGTERM)  # the trainer finishes its step, saves, exits 130

    def take_slot(self) -> IO[str] | None:
        """An open, locked slot file once this run is first in the queue and a slot is free; None if
        cancelled meanwhile."""
        slots = self.root / "slots"
        slots.mkdir(parents=True, exist_ok=True)
        while not self.stop_requested:
            runs = workspace.active(workspace.list_runs(self.root))
            me = next((r for r in runs if r.path == self.path), None)  # read in the listing: not again
            if me is not None and workspace.queue_position(me, runs) <= 1:
                for i in range(workspace.max_trainings()):
                    slot = open(slots / f"{i}.lock", "a")  # noqa: SIM115 - held until this process ends
                    try:
                        fcntl.flock(slot, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        return slot
                    except OSError:
                        slot.close()
            time.sleep(POLL_S)
        return None

    def train(self) -> dict:
        log = open(self.path / "log.txt", "ab")  # noqa: SIM115 - closed below
        try:
            self.child = subprocess.Popen(
                [sys.executable, "-m", "training.train", *self.spec["args"]],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=lambda: os.nice(workspace.NICE),  # the runner has one thread: safe
            )
            atomic_write_json(self.path / "started.json", {"pid": self.child.pid, "time": time.time()})
            if self.stop_requested:  # a Stop that came between the slot and the start
                self.child.send_signal(signal.SIGTERM)
            code = self.child.wait()
        finally:
            log.close()
        return {"code": code, "error": last_error(self.path / "log.txt")}

    def run(self) -> None:
        atomic_write_json(self.path / "runner.json", {"pid": os.getpid(), "time": time.time()})
        slot = self.take_slot()
        if slot is None:
            result: dict = {"code": "cancelled"}
        else:
            result = self.train()
        result.update(stop_requested=self.stop_requested, max_minutes=self.spec.get("max_minutes"), time=time.time())
        atomic_write_json(self.path / "exit.json", result)


def last_error(log: Path) -> str | None:
    """The trainer's one-line ``error: ...`` message, if it printed one."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    errors = [line.removeprefix("error: ") for line in lines if line.startswith("error: ")]
    return errors[-1] if errors else None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    runner = Runner(Path(argv[0]).resolve())
    signal.signal(signal.SIGTERM, runner.on_term)
    signal.signal(signal.SIGINT, runner.on_term)
    runner.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
