"""The Train tab (AppTest): its form and limits, the queue, and real runs of the trainer in their own
processes followed from the tab: stopped, killed with SIGKILL, a full disk, finished and then used as a style."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from conftest import slow_run, state, wait_for
from sidebar import style_radios
from streamlit.testing.v1 import AppTest
from texts import novel

from charrnn import CharRNN, sample
from charrnn.files import is_temporary
from playground.train import presets, usertext, workspace

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
TIMEOUT = 240


def app(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update({"tab": "train", **(query or {})})
    return ok(at.run())


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def paste(at: AppTest, text: str) -> AppTest:
    at.text_area(key="train_text").set_value(text)
    return ok(at.run())


def press_train(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Train").click()
    return ok(at.run())


def test_the_form_shows_the_text_and_the_presets_before_training(ws: Path) -> None:
    at = app()
    assert "Train your own style" in texts(at.markdown)
    text = novel(60_000)
    at = paste(at, text)
    shown = texts(at.markdown)
    stats = usertext.text_stats(usertext.check_text(text))  # cleaned as the trainer will: one final newline
    assert f"**{len(text):,} characters** ({len(text.encode()):,} bytes), {stats.distinct} distinct" in shown
    assert f"first {stats.train_chars:,}" in shown and f"last {stats.val_chars:,}" in shown
    for label in presets.PRESETS:
        assert f"| {label} |" in shown
    assert at.radio(key="train_preset").options == list(presets.PRESETS)
    assert any(b.label == "Train" for b in at.button)
    # a preset capped at MAX_EPOCHS passes ends before its time: the caption says so, and only then
    capped = f"| {presets.MAX_EPOCHS:.1f} |" in shown
    assert ("passes over the text" in texts(at.caption)) == capped


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("only a few words " * 100, "too little to learn from"),
        ("".join(chr(0x4E00 + i) for i in range(1_100)) * 5, "distinct characters; the limit is 1,000"),
        ("ab\x01\x02\x03\x04" * 2_000, "binary data"),
    ],
    ids=["short", "too-many-characters", "control-characters"],
)
def test_the_form_refuses_a_bad_pasted_text(ws: Path, text: str, message: str) -> None:
    at = paste(app(), text)
    assert message in texts(at.error)
    assert not any(b.label == "Train" for b in at.button)  # nothing to start


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"x" * (usertext.MAX_BYTES + 1), "the limit is 10 MB"),
        (novel(6_000).encode("latin-1") + b"\xe9\xff", "The file lyrics.txt is not UTF-8"),
        (b"\x89PNG\r\n\x1a\n\0\0\0" + bytes(range(256)) * 40, "looks like a binary file"),
        (None, None),  # a good file: its name names the style, its figures show
    ],
    ids=["too-big", "not-utf8", "binary", "good"],
)
def test_the_form_checks_an_uploaded_file(ws: Path, content: bytes | None, message: str | None) -> None:
    at = app()
    at.segmented_control(key="train_source").set_value("Upload .txt files")
    ok(at.run())
    good = novel(7_000, seed=2)
    at.file_uploader(key="train_upload").upload("lyrics.txt", content or good.encode(), "text/plain")
    ok(at.run())
    if message is None:
        assert not at.error and at.text_input(key="train_name").value == "lyrics"
        assert f"**{len(good):,} characters**" in texts(at.markdown)  # as given (the cleaning adds a newline)
    else:
        assert message in texts(at.error) and not any(b.label == "Train" for b in at.button)


def test_one_run_per_session_and_a_queue_behind_the_server_limit(ws: Path, monkeypatch) -> None:
    monkeypatch.setenv(workspace.ENV_MAX_TRAININGS, "1")
    first = slow_run(ws)
    wait_for(lambda: state(first) == "running", 60, "the first run to train")
    at = press_train(paste(app(), novel(6_000)))
    assert "Waiting for a free slot: number 1 in the queue" in texts(at.info)
    second = workspace.read_run(workspace.runs_dir(ws) / at.session_state["train_run"])
    time.sleep(2)
    assert state(second) == "queued" and state(first) == "running"  # still waiting: the slot is taken
    at = press_train(at)
    assert "already has a run going" in texts(at.error)
    monkeypatch.setattr(workspace, "MAX_QUEUED", 1)
    with pytest.raises(workspace.BusyError, match="waiting for a free slot"):
        slow_run(ws, owner="third")
    workspace.stop_run(first)  # the slot frees: the queued run trains
    wait_for(lambda: state(second) in ("running", "finished"), 60, "the queued run to start")
    assert state(first) == "stopped"


def test_a_stopped_run_keeps_its_best_checkpoint_and_nothing_half_written(ws: Path) -> None:
    run = slow_run(ws)
    wait_for(lambda: len(workspace.read_run(run.path).records) > 8, 120, "records")
    at = app({"run": run.id})  # the tab follows the run: live figures and a Stop button
    assert {m.label for m in at.metric} >= {"Step", "Epoch", "Characters/s", "Time left"}
    next(b for b in at.button if b.label == "⏹ Stop").click()
    ok(at.run())
    wait_for(lambda: state(run) == "stopped", 60, "the stop")
    ended = workspace.read_run(run.path)
    assert ended.usable and "best so far" in ended.message
    assert not [p for d in (run.path / "model", run.path / "state") for p in d.iterdir() if is_temporary(p)]
    saved = json.loads((run.path / "model" / "history.json").read_text())
    model = CharRNN.from_pretrained(run.path / "model")
    assert saved["records"][0]["step"] == 0 and saved["records"][0]["sample"]
    assert model.meta["text_sha256"] == ended.spec["text_sha256"]
    assert workspace.trainer_pid(ended) is None


def test_a_run_killed_with_sigkill_is_reported_and_its_last_checkpoint_loads(ws: Path) -> None:
    run = slow_run(ws, owner="me")
    wait_for(lambda: (run.path / "model" / "model.safetensors").is_file(), 120, "a first checkpoint")
    pid = wait_for(lambda: workspace.trainer_pid(workspace.read_run(run.path)), 30, "the trainer's pid")
    os.kill(pid, signal.SIGKILL)  # as the out-of-memory killer would
    wait_for(lambda: state(run) == "killed", 60, "the runner to notice")
    model = CharRNN.from_pretrained(run.path / "model")
    assert sample(model, "The", 20, seed=1)
    at = app({"run": run.id})  # the tab, opened on that run
    assert "killed (SIGKILL)" in texts(at.warning)
    assert "last checkpoint saved (the best so far) is kept and usable" in texts(at.warning)
    yours = [r for r in style_radios(at) if r.key == "style_in_yours"]
    assert yours and yours[0].value == workspace.YOURS_PREFIX + run.id  # listed, and selected


def test_train_in_the_tab_then_use_the_style_everywhere(ws: Path) -> None:
    at = press_train(paste(app(), novel(6_000, seed=5)))
    run_id = at.session_state["train_run"]
    run_path = workspace.runs_dir(ws) / run_id
    wait_for(lambda: workspace.read_run(run_path).state == "finished", 180, "the quickest preset")
    at = ok(at.run())
    key = workspace.YOURS_PREFIX + run_id
    assert at.session_state["style"] == key and at.radio(key="style_in_yours").value == key
    assert "step 0 ·" in texts(at.caption)  # the first sample, gibberish, is listed
    model = CharRNN.from_pretrained(run_path / "model")
    at.session_state["tab"] = "✍️ Generate"
    at.session_state["seed"] = 3
    ok(at.run())
    next(b for b in at.button if "Generate" in b.label).click()
    ok(at.run())
    prime = at.session_state["sample"].prime_text
    assert at.session_state["sample"].trace.text == sample(
        model, prime, at.session_state["length"], temperature=0.8, seed=3
    )
    for tab in ("🔬 Score a text", "📈 Training timeline", "🔦 Neurons", "⚖️ Compare", "📦 Download & deploy"):
        at.session_state["tab"] = tab
        ok(at.run())
        assert not at.error, (tab, texts(at.error))
    assert any(b.label == "⬇️ The whole model folder (.zip)" for b in at.get("download_button"))


def test_a_full_disk_when_starting_leaves_no_run_folder(ws: Path, monkeypatch) -> None:
    def full(path, text):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(workspace, "atomic_write_text", full)
    at = press_train(paste(app(), novel(6_000)))
    assert "No space left on device" in texts(at.error) and "is the disk full?" in texts(at.error)
    assert not list(workspace.runs_dir(ws).iterdir())  # nothing half-written
