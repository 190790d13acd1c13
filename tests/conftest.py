"""Shared fixtures: tiny models trained in the test session, so no test needs a shipped model."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

# Tiny models gain nothing from a second thread, and on a busy 2-core machine OpenMP threads that
# wait for each other slow every test; subprocesses (CLI, streamlit, torchrun) inherit this.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# The Train tab's runs: never the user's real workspace (tests that train set their own).
os.environ["CHARRNN_WORKSPACE"] = tempfile.mkdtemp(prefix="charrnn-test-workspace-")

import pytest
import torch
from fakehub import FakeHub, running_fake_hub
from texts import novel

from charrnn import CharRNN, ModelConfig, SamplingSettings, generate
from charrnn.files import atomic_write_json, atomic_write_text
from charrnn.history import new_history
from charrnn.sampling import sample
from playground.trace import Trace
from playground.train import presets, workspace
from training.config import TrainConfig

torch.set_num_threads(1)
atexit.register(shutil.rmtree, os.environ["CHARRNN_WORKSPACE"], True)

TINY_TEXT = (
    "To be, or not to be, that is the question:\n"
    "Whether 'tis nobler in the mind to suffer\n"
    "The slings and arrows of outrageous fortune,\n"
    "Or to take arms against a sea of troubles\n"
    "And by opposing end them. To die: to sleep;\n"
) * 20

MIRROR = Path(os.environ.get("CHARRNN_CORPORA_MIRROR", Path(__file__).resolve().parents[2] / "shared" / "corpora"))


def train_tiny(
    text: str, cell: str = "lstm", steps: int = 60, hidden: int = 32, seed: int = 0, layers: int = 1
) -> CharRNN:
    """A few dozen Adam steps on ``text``: enough for the loss to fall and samples to change."""
    torch.manual_seed(seed)
    model = CharRNN(ModelConfig(sorted(set(text)), cell=cell, layers=layers, hidden=hidden, embedding=16))
    ids = torch.tensor(model.vocab.encode(text).ids)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    seq = 32
    for step in range(steps):
        start = (step * seq) % (len(ids) - seq - 1)
        x, y = ids[start : start + seq][None], ids[start + 1 : start + seq + 1][None]
        logits, _ = model(x)
        loss = torch.nn.functional.cross_entropy(logits[0], y[0])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return model.eval()


def write_model_dir(model: CharRNN, directory: Path, name: str = "tiny") -> Path:
    """A complete model directory as training writes it: weights, config, history, card."""
    model.meta.update(
        {
            "name": name,
            "corpus": "tiny-hamlet",
            "title": "Hamlet excerpt",
            "author": "test",
            "val_loss": 2.0,
            "train_time_s": 1.0,
            "hardware": "test",
        }
    )
    model.save_pretrained(directory)
    history = new_history(
        corpus="tiny-hamlet", sample_prime="To", sample_temperature=0.8, sample_seed=1, sample_length=40
    )
    for i, step in enumerate([0, 10, 30, 60]):
        history["records"].append(
            {
                "step": step,
                "epoch": step / 60,
                "chars_seen": step * 32,
                "train_loss": 3.0 - i * 0.4,
                "val_loss": 3.1 - i * 0.4 if i else None,
                "lr": 0.01,
                "elapsed_s": float(i),
                "sample": sample(model, "To", 40, temperature=0.8, seed=i),
            }
        )
    history["summary"] = {
        "best_val_loss": 2.0,
        "best_step": 60,
        "train_time_s": 1.0,
        "hardware": "test",
        "finished": True,
    }
    atomic_write_json(directory / "history.json", history)
    atomic_write_text(directory / "README.md", f"# {name}\n\nA tiny test model.\n")
    return directory


@pytest.fixture(scope="session")
def tiny_model() -> CharRNN:
    return train_tiny(TINY_TEXT)


@pytest.fixture(scope="session")
def tiny_models_root(tmp_path_factory: pytest.TempPathFactory, tiny_model: CharRNN) -> Path:
    """A ``models/``-like folder holding two complete tiny styles (an LSTM and a GRU)."""
    root = tmp_path_factory.mktemp("models")
    write_model_dir(tiny_model, root / "tiny-lstm", "tiny-lstm")
    write_model_dir(train_tiny(TINY_TEXT, cell="gru"), root / "tiny-gru", "tiny-gru")
    return root


@pytest.fixture(scope="module")
def trace(tiny_model: CharRNN) -> Trace:
    """120 steps drawn from ``tiny_model``, as the Generate tab keeps them (its table, colours, charts)."""
    steps = list(generate(tiny_model, "To", 120, SamplingSettings(0.8, 10), seed=1))
    return Trace.from_steps(steps, len(tiny_model.vocab))


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHub]:
    """huggingface_hub pointed at a FakeHub on 127.0.0.1, with an empty private cache."""
    with running_fake_hub(monkeypatch, tmp_path / "hf-cache") as hub:
        yield hub


def tiny_config(text_file: Path, tmp_path: Path, **overrides) -> TrainConfig:
    """A training run of a few seconds on ``text_file``, writing under ``tmp_path`` (model/, run/)."""
    values = dict(
        text=str(text_file),
        out=str(tmp_path / "model"),
        run_dir=str(tmp_path / "run"),
        layers=1,
        hidden=24,
        embedding=8,
        batch_size=4,
        seq_len=16,
        sample_length=20,
        log_every=5,
        eval_every=7,
        warmup_steps=3,
        epochs=1,
        max_steps=24,
        ema=0.9,
        dropout=0.2,
        embedding_dropout=0.1,
    )
    values.update(overrides)
    return TrainConfig(**values)


# ---------------------------------------------------------------- Train-tab runs (real processes)

# A tiny model that takes many steps: long enough to be stopped, killed or queued behind.
SLOW = ["--layers", "1", "--hidden", "32", "--embedding", "8", "--batch-size", "4", "--seq-len", "16"]
SLOW += ["--epochs", "1000", "--max-steps", "100000", "--eval-every", "40", "--save-every", "10", "--log-every", "5"]
SLOW += ["--warmup-steps", "5", "--sample-length", "40"]


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty workspace with a fast measured speed (so presets plan few steps), used by the app."""
    root = tmp_path / "workspace"
    speed = {"train_cps": 2e6, "eval_cps": 2e6, "sample_cps": 2e4}
    probe = {"time": time.time(), "speeds": {s.key: speed for _, s in presets.PRESETS.values()}}
    atomic_write_json(root / presets.PROBE_FILE, probe)
    monkeypatch.setenv(workspace.ENV_WORKSPACE, str(root))
    yield root
    for run in workspace.active(workspace.list_runs(root)):  # never leave a trainer behind
        workspace.stop_run(run)
        wait_for(lambda run=run: workspace.read_run(run.path).state not in ("queued", "running"), 60)


def wait_for(condition: Callable[[], object], timeout: float, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")


def slow_run(root: Path, owner: str = "other", name: str = "slow") -> workspace.Run:
    return workspace.start_run(root, novel(6_000, seed=3), name, SLOW, {"steps": 100000}, owner)


def state(run: workspace.Run) -> str:
    return workspace.read_run(run.path).state


# ---------------------------------------------------------------- the browser tests' marks, once

BROWSER_TESTS = Path(__file__).resolve().parent / "browser"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/browser/ drives a real headless Chromium: marked ``browser`` and
    ``slow`` here once, and skipped, with the reason, where Debian's chromium is missing."""
    from benchmarks.browser import CHROMIUM

    no_chromium = pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"Debian's chromium is not installed at {CHROMIUM} (apt-get install -y chromium); browser tests need it",
    )
    for item in items:
        if BROWSER_TESTS in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)
            item.add_marker(no_chromium)
