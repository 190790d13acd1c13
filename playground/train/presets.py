"""The Train tab's presets by time ("1 minute", "5 minutes", "20 minutes"): a model shape each, and a
number of steps that fits the text's size and this machine's measured speed.

The speed comes from a probe (``python -m playground.train.presets``: a few timed training steps and a
validation pass of each shape, one thread at low priority, as a real run gets), run once as its own
process and cached in the workspace for a day, so the estimate is measured, never guessed.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from charrnn.files import atomic_write_json
from charrnn.history import sample_steps
from charrnn.model import ModelConfig
from playground.train import workspace

PROBE_FILE = "probe.json"
PROBE_MAX_AGE_S = 24 * 3600
STARTUP_S = 6.0  # the trainer's own start (imports, reading the text), measured on this machine
MAX_EPOCHS = 40  # a small text gains nothing from more passes (the best checkpoint is kept anyway)
VALIDATIONS = 4
SAMPLE_LENGTH = 200


@dataclass(frozen=True)
class Shape:
    """A run's model (``model.vocab`` is empty: the trainer takes the text's) and its batches."""

    model: ModelConfig
    batch_size: int
    seq_len: int

    @property
    def key(self) -> str:
        """The shape's name in the probe's cache and in run records (their speeds are looked up by it)."""
        m = self.model
        return f"{m.cell}-{m.layers}x{m.hidden}-e{m.embedding}-b{self.batch_size}x{self.seq_len}"


def architecture(**fields: Any) -> ModelConfig:
    """A model config without a vocabulary (a preset's, or the advanced settings')."""
    return ModelConfig([], **fields)


PRESETS: dict[str, tuple[float, Shape]] = {
    "1 minute": (60.0, Shape(architecture(cell="lstm", layers=1, hidden=128, embedding=32, dropout=0.0), 32, 64)),
    "5 minutes": (300.0, Shape(architecture(cell="lstm", layers=2, hidden=192, embedding=48, dropout=0.1), 32, 96)),
    "20 minutes": (1200.0, Shape(architecture(cell="lstm", layers=2, hidden=320, embedding=64, dropout=0.2), 32, 128)),
}


@dataclass(frozen=True)
class Plan:
    """A run's recipe and its estimated duration, for a text of ``train_chars`` + ``val_chars``."""

    shape: Shape
    steps: int
    epochs: float
    eval_every: int
    estimate_s: float
    train_cps: float  # measured training characters per second of this shape
    extra: tuple[str, ...] = ()  # further trainer flags (the advanced settings' --start-state)

    def args(self) -> list[str]:
        s, m = self.shape, self.shape.model
        return [
            *("--cell", m.cell, "--layers", str(m.layers), "--hidden", str(m.hidden)),
            *("--embedding", str(m.embedding), "--batch-size", str(s.batch_size), "--seq-len", str(s.seq_len)),
            *("--dropout", str(m.dropout), "--epochs", f"{self.epochs + 1:.6g}", "--max-steps", str(self.steps)),
            *("--eval-every", str(self.eval_every), "--warmup-steps", str(max(1, min(50, self.steps // 10)))),
            *("--log-every", str(max(1, self.steps // 200)), "--save-every", str(max(1, self.steps // 60))),
            *("--sample-length", str(SAMPLE_LENGTH)),
            *self.extra,
        ]

    def to_dict(self) -> dict[str, Any]:
        return {"steps": self.steps, "epochs": self.epochs, "estimate_s": self.estimate_s, "shape": self.shape.key}


def steps_per_epoch(train_chars: int, shape: Shape) -> int:
    """As training.data.to_streams cuts the text (at least one: shorter texts fail there, with a message)."""
    return max(1, ((train_chars - 1) // shape.batch_size) // shape.seq_len)


def plan(shape: Shape, budget_s: float, train_chars: int, val_chars: int, speed: dict[str, float]) -> Plan:
    """The most steps whose estimate fits ``budget_s`` at the measured ``speed``, at most
    MAX_EPOCHS passes over the text (at least 10 steps)."""
    spe = steps_per_epoch(train_chars, shape)
    overhead = estimate_s(shape, 0, spe, val_chars, speed)
    steps = int(max(0.0, budget_s - overhead) * speed["train_cps"] / (shape.batch_size * shape.seq_len))
    steps = max(10, min(steps, int(MAX_EPOCHS * spe)))
    return make_plan(shape, steps, spe, val_chars, speed)


def make_plan(shape: Shape, steps: int, spe: int, val_chars: int, speed: dict[str, float]) -> Plan:
    eval_every = max(1, steps // VALIDATIONS)
    return Plan(
        shape, steps, steps / spe, eval_every, estimate_s(shape, steps, spe, val_chars, speed), speed["train_cps"]
    )


def estimate_s(shape: Shape, steps: int, spe: int, val_chars: int, speed: dict[str, float]) -> float:
    """Seconds for the trainer to start, take ``steps`` steps, validate (VALIDATIONS times and at
    each epoch's end) and write its samples (log-spaced, and one per validation)."""
    validations = VALIDATIONS + steps // spe
    samples = validations + len(sample_steps(steps))
    return (
        STARTUP_S
        + steps * shape.batch_size * shape.seq_len / speed["train_cps"]
        + validations * val_chars / speed["eval_cps"]
        + samples * SAMPLE_LENGTH / speed["sample_cps"]
    )


def scaled_speed(shape: Shape, speeds: dict[str, dict[str, float]]) -> dict[str, float]:
    """The measured speed of ``shape``, or for an unprobed one (the advanced settings) the nearest
    probed shape's, scaled by the recurrent work per character (layers x hidden^2)."""
    if shape.key in speeds:
        return speeds[shape.key]
    work = _work(shape.key)
    key = min(speeds, key=lambda k: abs(math.log(_work(k) / work)))
    ratio = _work(key) / work
    return {name: value * ratio for name, value in speeds[key].items()}


def _work(key: str) -> float:
    cell, size = key.split("-")[:2]
    layers, hidden = (int(x) for x in size.split("x"))
    return layers * hidden**2 * (4 if cell == "lstm" else 3 if cell == "gru" else 1)


# ---------------------------------------------------------------- the probe


def measure(shape: Shape, steps: int = 8) -> dict[str, float]:
    """Training and validation characters per second of ``shape`` on this process's threads."""
    import torch  # the probe's process only

    from charrnn import CharRNN, sample

    torch.manual_seed(0)
    vocab = [chr(32 + i) for i in range(80)]
    model = CharRNN(replace(shape.model, vocab=vocab))
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-3)
    ids = torch.randint(len(vocab), (shape.batch_size, shape.seq_len + 1))
    times = []
    for _ in range(steps + 1):  # the first step warms up
        t0 = time.perf_counter()
        logits, _ = model(ids[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), ids[:, 1:].flatten())
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        times.append(time.perf_counter() - t0)
    model.eval()
    val = torch.randint(len(vocab), (16, 512))
    t0 = time.perf_counter()
    with torch.inference_mode():
        model(val)
    eval_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    sample(model, " ", SAMPLE_LENGTH, temperature=0.8, seed=0)
    sample_s = time.perf_counter() - t0
    train_s = sorted(times[1:])[len(times[1:]) // 2]
    return {
        "train_cps": shape.batch_size * shape.seq_len / train_s,
        "eval_cps": val.numel() / eval_s,
        "sample_cps": SAMPLE_LENGTH / sample_s,
    }


def probe_main() -> int:
    import torch

    torch.set_num_threads(1)
    os.nice(10)
    shapes = {shape.key: shape for _, shape in PRESETS.values()}
    print(json.dumps({key: measure(shape) for key, shape in shapes.items()}))
    return 0


def speeds(root: Path, runs: list, timeout_s: float = 120.0) -> dict[str, dict[str, float]]:
    """The presets' speeds: the probe's (cached in the workspace, else probed now, a few seconds),
    each corrected by what the last run of that shape in ``runs`` (``workspace.list_runs(root)``)
    really did here (``observed_speeds``)."""
    probed = probe(root, timeout_s)
    corrected = dict(probed)
    for key, train_cps in observed_speeds(runs).items():
        if key in probed:  # the probe saw one moment's load; a real run saw the load since
            ratio = train_cps / probed[key]["train_cps"]
            corrected[key] = {name: value * ratio for name, value in probed[key].items()}
    return corrected


def probe(root: Path, timeout_s: float) -> dict[str, dict[str, float]]:
    path = root / PROBE_FILE
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        fresh = time.time() - cached["time"] < PROBE_MAX_AGE_S
        if fresh and all(s.key in cached["speeds"] for _, s in PRESETS.values()):
            return cached["speeds"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    out = subprocess.run(
        [sys.executable, "-m", "playground.train.presets"],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=True,
        cwd=workspace.PROJECT_DIR,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    measured = json.loads(out.stdout.strip().splitlines()[-1])
    atomic_write_json(path, {"time": time.time(), "speeds": measured, "cpus": os.cpu_count()})
    return measured


def observed_speeds(runs: list) -> dict[str, float]:
    """Training characters per second of the newest finished run of each shape in the last day (of
    ``runs``, newest first), from its records: the median over intervals of training steps alone
    (no validation, no sample)."""
    found: dict[str, float] = {}
    for run in runs:
        shape = (run.spec.get("plan") or {}).get("shape")
        if run.state != "finished" or shape in found or time.time() - run.spec.get("created", 0) > PROBE_MAX_AGE_S:
            continue
        rates = training_rates(run.records)
        if len(rates) >= 3:
            found[shape] = sorted(rates)[len(rates) // 2]
    return found


def training_rates(records: list[dict]) -> list[float]:

    rates = [chars_per_s(a, b) for a, b in itertools.pairwise(records) if _training_only(b)]
    return [rate for rate in rates if rate is not None]


def _training_only(record: dict) -> bool:
    """Whether the interval up to ``record`` held training steps alone (no validation, no sample)."""
    return record.get("val_loss") is None and not record.get("sample")


if __name__ == "__main__":
    sys.exit(probe_main())


# ---------------------------------------------------------------- a run's progress


@dataclass(frozen=True)
class Progress:
    step: int
    total: int
    epoch: float
    chars_per_s: float | None
    left_s: float | None
    best_val: float | None


def progress(run: workspace.Run) -> Progress:
    """Where a run stands, from its last records: speed from the last two, time left from the plan."""
    records = run.records
    total = int((run.spec.get("plan") or {}).get("steps") or 0)
    if not records:
        return Progress(0, total, 0.0, None, None, None)
    last = records[-1]
    speed = chars_per_s(records[-2], last) if len(records) >= 2 else None
    step = int(last.get("step", 0))
    left = None
    if speed and total and step:
        per_step = float(last.get("chars_seen", 0)) / step
        left = max(0.0, (total - step) * per_step / speed)
    vals = [r["val_loss"] for r in records if isinstance(r.get("val_loss"), int | float)]
    return Progress(step, total, float(last.get("epoch", 0.0)), speed, left, min(vals) if vals else None)


def chars_per_s(before: dict, after: dict) -> float | None:
    """Training characters per second between two history records (None when none went by)."""
    dt = float(after.get("elapsed_s", 0)) - float(before.get("elapsed_s", 0))
    chars = float(after.get("chars_seen", 0)) - float(before.get("chars_seen", 0))
    return chars / dt if dt > 0 and chars > 0 else None
