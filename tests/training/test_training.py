"""The training pipeline end to end on tiny texts: CLI, history, resume, signals, DDP, evaluate, sample."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from charrnn import CharRNN
from charrnn.history import load_history, sample_steps
from tests.conftest import TINY_TEXT, tiny_config
from training import train as train_module
from training.train import Trainer, TrainingError

ROOT = Path(__file__).resolve().parents[2]
TINY_FLAGS = [
    "--layers",
    "1",
    "--hidden",
    "32",
    "--embedding",
    "16",
    "--batch-size",
    "4",
    "--seq-len",
    "32",
    "--sample-length",
    "30",
    "--threads",
    "1",
    "--warmup-steps",
    "5",
]


@pytest.fixture(scope="module")
def text_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("text") / "hamlet.txt"
    path.write_text(TINY_TEXT, encoding="utf-8")
    return path


def tiny_args(text_file: Path, tmp_path: Path, *extra: str) -> list[str]:
    """CLI arguments of a tiny training run writing to tmp_path/m (model) and tmp_path/r (state)."""
    out, run_dir = str(tmp_path / "m"), str(tmp_path / "r")
    return ["--text", str(text_file), "--out", out, "--run-dir", run_dir, *extra, *TINY_FLAGS]


def run(module: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env
    )


def test_sample_steps_are_log_spaced():
    assert sorted(sample_steps(5000)) == [0, 10, 30, 100, 300, 1000, 3000]


def test_cli_training_lowers_the_loss_and_writes_a_complete_model_dir(text_file, tmp_path):
    out = tmp_path / "m"
    result = run(
        "training.train",
        "--text",
        str(text_file),
        "--out",
        str(out),
        "--run-dir",
        str(tmp_path / "r"),
        "--epochs",
        "6",
        "--eval-every",
        "25",
        "--lr",
        "0.01",
        *TINY_FLAGS,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "config.json", "history.json", "model.safetensors"]
    history = load_history(out)
    vals = [r["val_loss"] for r in history["records"] if r["val_loss"] is not None]
    vocab = len(set(TINY_TEXT))
    assert vals[-1] < math.log(vocab) - 1.0, vals  # well below a uniform guess
    assert vals[-1] < vals[0]
    samples = [r for r in history["records"] if r["sample"]]
    assert samples[0]["step"] == 0 and len(samples) >= 3
    assert all(len(r["sample"]) == 30 for r in samples)
    model = CharRNN.from_pretrained(out)
    assert model.meta["val_loss"] == pytest.approx(min(vals))
    assert "python -m training.train" in (out / "README.md").read_text()
    summary = json.loads(result.stdout.strip().splitlines()[-2])
    assert summary["finished"] and summary["best_val_loss"] == pytest.approx(min(vals))


@pytest.mark.parametrize("weight_drop", [0.0, 0.3])  # DropConnect masks come from the saved RNG too
def test_resume_gives_the_same_weights_and_keeps_every_record(text_file, tmp_path, weight_drop):
    straight = Trainer(tiny_config(text_file, tmp_path / "a", weight_drop=weight_drop))
    straight.run()

    interrupted = Trainer(tiny_config(text_file, tmp_path / "b", weight_drop=weight_drop))
    original_update = interrupted.update_ema

    def stop_at_step_12(step):  # the same path as a real SIGTERM: flag set, step finished, state saved
        original_update(step)
        if step + 1 == 12:  # between two records (every 5 steps): 2 losses are pending
            interrupted.stop_signal = signal.SIGTERM

    interrupted.update_ema = stop_at_step_12
    with pytest.raises(KeyboardInterrupt):
        interrupted.run()
    before = load_history(tmp_path / "b" / "model")["records"]
    resumed = Trainer(tiny_config(text_file, tmp_path / "b", weight_drop=weight_drop), resume=True)
    resumed.run()

    for p, q in zip(straight.model.parameters(), resumed.model.parameters(), strict=True):
        torch.testing.assert_close(p, q, atol=1e-6, rtol=1e-5)
    a = load_history(tmp_path / "a" / "model")["records"]
    b = load_history(tmp_path / "b" / "model")["records"]
    assert [r["step"] for r in a] == [r["step"] for r in b]
    assert b[: len(before)] == before  # nothing recorded before the stop was lost or rewritten
    assert [r["sample"] for r in a] == [r["sample"] for r in b]
    for ra, rb in zip(a, b, strict=True):
        if ra["train_loss"] is not None:  # the record after the stop averages all its steps
            assert rb["train_loss"] == pytest.approx(ra["train_loss"], abs=1e-5)
        if ra["val_loss"] is not None:
            assert rb["val_loss"] == pytest.approx(ra["val_loss"], abs=1e-5)


def test_save_every_saves_the_state_between_validations(text_file, tmp_path):
    trainer = Trainer(tiny_config(text_file, tmp_path, save_every=4, eval_every=100, max_steps=10))
    saved_at: list[int] = []
    original_save = trainer.save

    def save(step, hidden):
        saved_at.append(step)
        original_save(step, hidden)

    trainer.save = save
    trainer.run()
    assert saved_at == [4, 8, 10, 10]  # every 4 steps, the validation at the end, the final save
    plain = Trainer(tiny_config(text_file, tmp_path / "plain", eval_every=100, max_steps=10))
    plain_saved: list[int] = []
    plain.save = lambda step, hidden: plain_saved.append(step)
    plain.run()
    assert plain_saved == [10, 10]  # without it: only at validations


def test_a_resume_that_changes_the_schedule_is_recorded_and_the_card_replays_it(text_file, tmp_path):
    Trainer(tiny_config(text_file, tmp_path, max_steps=14)).run()
    Trainer(tiny_config(text_file, tmp_path, max_steps=14, threads=1, log_every=7), resume=True).run()
    assert "stages" not in load_history(tmp_path / "model")  # threads, reporting: not a new stage

    Trainer(tiny_config(text_file, tmp_path, max_steps=24, lr=1e-3), resume=True).run()
    history = load_history(tmp_path / "model")
    assert [(s["until_step"], s["options"]["max_steps"], s["options"]["lr"]) for s in history["stages"]] == [
        (14, 14, 2e-3)
    ]
    assert history["stages"][0]["changed"] == {"lr": [2e-3, 1e-3], "max_steps": [14, 24]}
    assert history["summary"]["steps"] == 24
    card = (tmp_path / "model" / "README.md").read_text()
    first, second = card.split("## Reproduce\n\n```bash\n")[1].splitlines()[:2]
    assert first.startswith("python -m training.train --text ") and "--resume" not in first
    assert " --lr 0.002 " in first and first.endswith(" --max-steps 14  # until step 14")
    assert first.count("--lr") == 1
    assert second.startswith("python -m training.train --text ") and second.endswith(" --resume")
    assert "--max-steps" not in second and " --lr 0.001 " in second


def test_sigterm_saves_a_loadable_checkpoint_and_resume_finishes(text_file, tmp_path):
    out, run_dir = tmp_path / "m", tmp_path / "r"
    args = ["--text", str(text_file), "--out", str(out), "--run-dir", str(run_dir), "--epochs", "200", *TINY_FLAGS]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "training.train", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    while not (out / "history.json").exists() and time.time() < deadline:  # first validation passed
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr[-2000:]
    assert "--resume" in stderr
    CharRNN.from_pretrained(out)
    stopped_at = load_history(out)["records"][-1]["step"]
    assert stopped_at > 0
    resumed = run(
        "training.train", *args[: -len(TINY_FLAGS)], "--max-steps", str(stopped_at + 20), "--resume", *TINY_FLAGS
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert load_history(out)["summary"]["steps"] == stopped_at + 20


def test_out_holding_a_model_is_refused_unless_forced(text_file, tmp_path):
    args = [
        "--text",
        str(text_file),
        "--out",
        str(tmp_path / "m"),
        "--run-dir",
        str(tmp_path / "r"),
        "--max-steps",
        "3",
        *TINY_FLAGS,
    ]
    assert run("training.train", *args).returncode == 0
    refused = run("training.train", *args)
    assert refused.returncode == 2 and "already holds a model" in refused.stderr
    assert run("training.train", *args, "--force").returncode == 0


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(text_file, tmp_path, monkeypatch):
    trainer = Trainer(tiny_config(text_file, tmp_path, max_steps=40))
    real = train_module.F.cross_entropy
    calls = {"n": 0}

    def poisoned(*args, **kwargs):
        loss = real(*args, **kwargs)
        if loss.requires_grad:
            calls["n"] += 1
            if calls["n"] > 20:
                return loss * float("nan")
        return loss

    monkeypatch.setattr(train_module.F, "cross_entropy", poisoned)
    with pytest.raises(TrainingError, match="last good checkpoint"):
        trainer.run()
    model = CharRNN.from_pretrained(tmp_path / "model")
    assert math.isfinite(model.meta["val_loss"]) and model.meta["best_step"] <= 20


def test_bad_arguments_exit_2_with_one_line(tmp_path):
    for args, message in [
        (["--corpus", "nope", "--out", str(tmp_path / "m")], "unknown corpus"),
        (["--text", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "m")], "not found"),
        (["--recipe", "nope"], "unknown recipe"),
        (["--out", str(tmp_path / "m")], "give --corpus"),
    ]:
        result = run("training.train", *args)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert result.stderr.strip().count("\n") == 0


def test_evaluate_prints_json_last_and_sample_is_seeded(text_file, tmp_path):
    out = tmp_path / "m"
    assert run("training.train", *tiny_args(text_file, tmp_path, "--max-steps", "20")).returncode == 0
    result = run("training.evaluate", str(out), "--text", str(text_file))
    report = json.loads(result.stdout.strip().splitlines()[-1])
    for key in ["nats_per_char", "bits_per_char", "perplexity", "chars", "unknown_chars"]:
        assert key in report
    assert report["bits_per_char"] == pytest.approx(report["nats_per_char"] / math.log(2))
    assert report["chars"] == len(TINY_TEXT) and report["unknown_chars"] == 0  # the first one is scored too
    first = run("training.sample", str(out), "--prime", "To be", "--length", "60", "--seed", "7")
    second = run("training.sample", str(out), "--prime", "To be", "--length", "60", "--seed", "7")
    assert first.returncode == 0 and first.stdout == second.stdout and len(first.stdout) == len("To be") + 61
    unknown = run("training.sample", str(out), "--prime", "To be €", "--seed", "7")
    assert unknown.returncode == 2 and "'€'" in unknown.stderr and unknown.stdout == ""


@pytest.mark.slow
def test_torchrun_two_cpu_processes_with_gloo(text_file, tmp_path):
    out = tmp_path / "m"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    args = tiny_args(text_file, tmp_path, "--max-steps", "12", "--eval-every", "6")
    result = subprocess.run(
        [*launcher, "-m", "training.train", *args], capture_output=True, text=True, timeout=300, cwd=ROOT, env=env
    )
    assert result.returncode == 0, result.stderr[-3000:]
    history = load_history(out)
    assert history["summary"]["steps"] == 12
    assert CharRNN.from_pretrained(out).meta["val_loss"] > 0


def test_the_trainer_holds_its_whole_state_before_it_runs(text_file, tmp_path):
    """No attribute appears only after a call: the run state is created with the trainer."""
    trainer = Trainer(tiny_config(text_file, tmp_path, max_steps=3))
    attributes = set(vars(trainer))
    assert trainer.run_state.history == {} and trainer.run_state.best is None
    trainer.run()
    assert set(vars(trainer)) == attributes
    assert trainer.run_state.history["summary"]["steps"] == 3
