"""The Train tab's workspace: a user's text kept (checked by ``usertext``), training runs started as
separate OS processes (``playground.train.runner`` around ``training.train``), followed through the files the trainer
writes atomically, stopped with a signal, and cleaned up. No Streamlit here: the page is a thin layer.

One folder per run under ``$CHARRNN_WORKSPACE/runs/<id>/`` (``runs/`` and each folder 0700, their
files 0600: a run holds someone's text; who may reach it is ``playground.train.access``'s to say):

    run.json      what was asked (name, text checksum and size, the trainer's arguments, planned steps)
    text.txt      the training text (the trainer's ``--text``; the copy check reads it again)
    runner.json   the runner's pid, written once it runs
    started.json  the trainer's pid, written when a slot was free and training began
    exit.json     how it ended (the trainer's exit code), written last
    model/        the trainer's ``--out``: config.json, model.safetensors, history.json, README.md
    state/        the trainer's resumable state
    log.txt       the trainer's output (its last line explains a failure)
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from charrnn.files import atomic_write_text
from corpora.prepare import clean
from corpora.training_text import text_sha256
from playground.session import catalog

PROJECT_DIR = Path(__file__).resolve().parents[2]  # where ``python -m`` finds playground and training
ENV_WORKSPACE = "CHARRNN_WORKSPACE"
ENV_MAX_TRAININGS = "CHARRNN_MAX_TRAININGS"
ENV_MAX_MINUTES = "CHARRNN_TRAIN_MAX_MINUTES"
MAX_QUEUED = 4  # runs waiting for a slot; a further Train is refused
STALE_AFTER_S = 24 * 3600  # unfinished runs older than this are removed
NICE = 10
YOURS_PREFIX = "yours."  # the style key of a run's model: yours.<run id>
ENDED = ("finished", "stopped", "killed", "failed", "cancelled")
_SLUG = re.compile(r"[^A-Za-z0-9_-]+")
ID_HEX = 32  # a run id ends in 128 random bits: the capability that opens the run (playground.train.access)
PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600


class BusyError(RuntimeError):
    """No run can be started now (this session has one, or the queue is full)."""


# ---------------------------------------------------------------- settings from the environment


def workspace_root(environ: Mapping[str, str] = os.environ) -> Path:
    """``$CHARRNN_WORKSPACE``, else the user's cache folder (``$XDG_CACHE_HOME`` or ``~/.cache``)."""
    value = environ.get(ENV_WORKSPACE, "").strip()
    if value:
        return Path(value).expanduser()
    cache = environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(cache) / "charrnn-playground"


def _env_number(name: str, default: float, environ: Mapping[str, str]) -> float:
    try:
        value = float(environ.get(name, "") or default)
    except ValueError:
        return default
    return value if value > 0 else default


def max_trainings(environ: Mapping[str, str] = os.environ) -> int:
    return int(_env_number(ENV_MAX_TRAININGS, 1, environ))


def max_minutes(environ: Mapping[str, str] = os.environ) -> float:
    return _env_number(ENV_MAX_MINUTES, 30, environ)


# ---------------------------------------------------------------- runs


@dataclass
class Run:
    """One run folder, as read now: what was asked (``spec``) and where it stands (``state``)."""

    path: Path
    spec: dict[str, Any]
    state: str  # queued | running | finished | stopped | killed | failed | cancelled
    message: str = ""
    history: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.path.name

    @property
    def name(self) -> str:
        return str(self.spec.get("name") or self.id)

    @property
    def model_dir(self) -> Path:
        return self.path / "model"

    @property
    def usable(self) -> bool:
        """Whether a checkpoint can be loaded (a stopped or killed run keeps its best one)."""
        return self.state in ENDED and (self.model_dir / "model.safetensors").is_file()

    @property
    def records(self) -> list[dict]:
        return self.history.get("records") or []


def runs_dir(root: Path) -> Path:
    return root / "runs"


def is_run_id(text: str) -> bool:
    """A run folder's name as new_run_id makes them (so a URL cannot name another path)."""
    return bool(re.fullmatch(rf"[A-Za-z0-9_-]{{1,40}}-[0-9a-f]{{{ID_HEX}}}", text or ""))


def slug(name: str) -> str:
    """A style name as a folder or repo name: letters, digits, '-' and '_'."""
    return _SLUG.sub("-", name).strip("-_")[:40] or "my-text"


def new_run_id(name: str) -> str:
    """The style's name (for whoever looks at the folder) and 128 random bits: only the bits open it."""
    return f"{slug(name)}-{secrets.token_hex(ID_HEX // 2)}"


def _read(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def pid_alive(pid: Any, marker: str) -> bool:
    """Whether process ``pid`` runs and its command line holds ``marker`` (a recycled pid does not).
    A zombie child of this process is reaped, and counts as gone."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.exists():
        return True  # no /proc (macOS): trust kill(0)
    try:
        return marker in cmdline.read_bytes().decode("utf-8", "replace") and " Z" not in _proc_state(pid)
    except OSError:
        return False


def _proc_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1][:2]
    except (OSError, IndexError):
        return ""


def read_run(path: Path) -> Run | None:
    """The run in ``path`` and its state, from its files alone (so it survives a server restart)."""
    spec = _read(path / "run.json")
    if spec is None:
        return None
    history = _read(path / "model" / "history.json") or {}
    state, message = _state(path, history)
    return Run(path, spec, state, message, history)


def _state(path: Path, history: dict) -> tuple[str, str]:
    ended = _read(path / "exit.json")
    if ended is not None:
        return _ended_state(path, ended, history)
    runner = _read(path / "runner.json") or {}
    if pid_alive(runner.get("pid"), str(path)):
        return ("running", "") if (path / "started.json").exists() else ("queued", "")
    if not runner and time.time() - _created(path) < 30:
        return "queued", ""  # just created: the runner has not written its pid yet
    return "killed", "The training process was killed from outside (or the machine restarted)." + _kept(path)


def _ended_state(path: Path, ended: dict, history: dict) -> tuple[str, str]:
    code = ended.get("code")
    if code == "cancelled":
        return "cancelled", "Stopped before it began."
    if code == 0:
        summary = history.get("summary") or {}
        if summary.get("time_limit"):
            return (
                "finished",
                f"Reached the time limit of {ended.get('max_minutes', '?')} min; the best checkpoint is kept.",
            )
        return "finished", ""
    if code == 130:
        return "stopped", "Stopped." + _kept(path)
    if isinstance(code, int) and code < 0 and ended.get("stop_requested"):
        return "stopped", "Stopped before its first checkpoint." + _kept(path)
    if isinstance(code, int) and code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        return "killed", f"The training process was killed ({name}), perhaps for lack of memory." + _kept(path)
    return "failed", (ended.get("error") or f"The trainer exited with code {code}.") + _kept(path)


def _kept(path: Path) -> str:
    if (path / "model" / "model.safetensors").is_file():
        return " The last checkpoint saved (the best so far) is kept and usable."
    return " No checkpoint had been saved yet."


def _created(path: Path) -> float:
    try:
        return (path / "run.json").stat().st_mtime
    except OSError:
        return 0.0


def list_runs(root: Path) -> list[Run]:
    """Every run of the workspace, newest first (stale unfinished ones are removed first)."""
    return _sweep(root, time.time())[0]


def cleanup(root: Path, now: float | None = None) -> list[str]:
    """Remove runs that ended without a usable model, and half-created folders, once a day old."""
    return _sweep(root, time.time() if now is None else now)[1]


def _sweep(root: Path, now: float) -> tuple[list[Run], list[str]]:
    """Each run folder read once: the runs kept, newest first, and the names of the stale ones removed."""
    folder = runs_dir(root)
    created = {p: _created(p) for p in folder.iterdir() if p.is_dir()} if folder.is_dir() else {}
    runs, removed = [], []
    for path in sorted(created, key=created.__getitem__, reverse=True):
        run = read_run(path)
        if now - created[path] >= STALE_AFTER_S and (run is None or (run.state in ENDED and not run.usable)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
        elif run is not None:
            runs.append(run)
    return runs, removed


def active(runs: list[Run]) -> list[Run]:
    return [r for r in runs if r.state in ("queued", "running")]


def start_run(root: Path, text: str, name: str, args: list[str], plan: dict[str, Any], owner: str) -> Run:
    """Write the run's folder (text first, run.json last, so a half-made folder is never listed) and
    start its runner as a new session: the server's signals, and its death, do not reach it."""
    running = active(list_runs(root))
    if any(r.spec.get("owner") == owner for r in running):
        raise BusyError("This session already has a run going: stop it or wait for it to end.")
    waiting = [r for r in running if r.state == "queued"]
    if len(waiting) >= MAX_QUEUED:
        raise BusyError(f"{len(waiting)} runs are already waiting for a free slot: try again later.")
    path = runs_dir(root) / new_run_id(name)
    text = clean(text)  # idempotent: as the trainer will read it, so the checksums agree
    try:
        private_dir(runs_dir(root))
        path.mkdir(mode=PRIVATE_DIR)
        write_private(path / "text.txt", text)
        spec = {"name": name, "owner": owner, "created": time.time(), "args": trainer_args(path, name, args)}
        spec["plan"] = plan
        spec.update(text_sha256=text_sha256(text), chars=len(text), max_minutes=max_minutes())
        write_private(path / "run.json", json.dumps(spec, indent=2, ensure_ascii=False) + "\n")
    except OSError as e:
        shutil.rmtree(path, ignore_errors=True)
        raise OSError(e.errno, f"could not write the run's files ({e.strerror or e}): is the disk full?") from e
    launch(path)
    return Run(path, spec, "queued")


def private_dir(path: Path) -> None:
    """``path`` made if missing, and readable by the server's user only (an older one is tightened)."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    path.chmod(PRIVATE_DIR)


def write_private(path: Path, text: str) -> None:
    """``atomic_write_text``, then readable by the server's user only (the folder already shuts others out)."""
    atomic_write_text(path, text)
    path.chmod(PRIVATE_FILE)


def delete_run(run: Run) -> None:
    """Remove an ended run's folder, its text with it. BusyError while it is queued or running."""
    now = read_run(run.path)
    if now is not None and now.state in ("queued", "running"):
        raise BusyError("This run is still going: stop it first, then delete it.")
    shutil.rmtree(run.path)


def trainer_args(path: Path, name: str, model_args: list[str]) -> list[str]:
    """``training.train``'s command line: the run's files, one thread, the time cap, then the recipe."""
    return [
        *("--text", str(path / "text.txt"), "--out", str(path / "model"), "--run-dir", str(path / "state")),
        *("--name", name, "--threads", "1", "--max-minutes", f"{max_minutes():g}", "--sample-prime", "\n"),
        *model_args,
    ]


def launch(path: Path) -> None:
    """Start ``python -m playground.train.runner RUN`` detached; it waits for a slot, then trains."""
    import subprocess  # here, not at import: the page never needs it otherwise

    log = open(path / "runner.log", "ab")  # noqa: SIM115 - handed to the child, closed below
    os.chmod(log.fileno(), PRIVATE_FILE)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "playground.train.runner", str(path)],
            cwd=PROJECT_DIR,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
            umask=0o077,  # the runner's and trainer's files (log, model, state) are the server user's only
        )
    finally:
        log.close()
    # At once, not when the runner gets to it (its imports take seconds on a busy machine): until
    # then a run without a runner.json would soon read as killed.
    write_private(path / "runner.json", json.dumps({"pid": process.pid, "time": time.time()}))


def stop_run(run: Run) -> bool:
    """Ask the runner to stop: the trainer finishes its step, keeps the best checkpoint and exits
    (a queued run is cancelled). Returns whether a process was signalled."""
    runner = _read(run.path / "runner.json") or {}
    if not pid_alive(runner.get("pid"), str(run.path)):
        return False
    os.kill(runner["pid"], signal.SIGTERM)
    return True


def trainer_pid(run: Run) -> int | None:
    started = _read(run.path / "started.json") or {}
    pid = started.get("pid")
    return pid if pid_alive(pid, "training.train") else None


def queue_position(run: Run, runs: list[Run]) -> int:
    """1 for the next run to get a slot."""
    waiting = sorted((r for r in runs if r.state == "queued"), key=lambda r: r.spec.get("created", 0))
    return next((i + 1 for i, r in enumerate(waiting) if r.path == run.path), 0)


def user_infos(runs: list[Run]) -> list[catalog.ModelInfo]:
    """The sidebar's "Yours": each of ``runs`` (``access.session_runs``) that ended with a usable
    checkpoint, newest first."""
    infos = []
    for run in runs:
        if run.usable:
            info = catalog.read_model_info(run.model_dir, YOURS_PREFIX + run.id, run.path, source="yours")
            infos.append(replace(info, name=run.name + ("" if run.state == "finished" else f" ({run.state})")))
    return infos


def zip_model(model_dir: Path) -> bytes:
    """The whole model folder as a zip (config, weights, history, card), built in memory."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in catalog.MODEL_FILES:
            path = catalog.safe_file(model_dir, name)
            if path is not None:
                archive.write(path, f"{model_dir.parent.name}/{name}")
    return buffer.getvalue()
