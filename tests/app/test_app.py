"""The Streamlit page, driven by ``streamlit.testing.v1.AppTest`` against tiny models trained in the
test session (plus the shipped ones, when present)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from fakehub import FakeHub, closed_port
from sidebar import pick_style
from streamlit.testing.v1 import AppTest

from charrnn import CharRNN, SamplingSettings, sample
from playground import table
from playground.pages import PAGES
from playground.pages.generate import generation
from playground.pages.score import scoring
from playground.session import catalog, params
from playground.session.params import Settings
from playground.trace import Sample

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
TIMEOUT = 240  # seconds for one page run; generous: the machine is shared
TABS = {page.NAME: page.LABEL for page in PAGES if page.NAME in ("score", "training", "download")}


@pytest.fixture
def run_app(monkeypatch: pytest.MonkeyPatch):
    """``run_app(models_root, query)``: a first page run, as a browser opening that URL."""

    def run(root: Path, query: dict[str, str] | None = None) -> AppTest:
        monkeypatch.setenv("CHARRNN_MODELS_DIR", str(root))
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.query_params.update(query or {})
        return ok(at.run())

    return run


def ok(at: AppTest) -> AppTest:
    """The run raised nothing."""
    assert not at.exception, [e.value for e in at.exception]
    return at


def button(at: AppTest, label: str):
    found = [b for b in at.button if label in b.label]
    assert found, f"no button {label!r} in {[b.label for b in at.button]}"
    return found[0]


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def current(at: AppTest) -> Sample:
    return at.session_state["sample"]


def open_tab(at: AppTest, name: str) -> AppTest:
    at.session_state["tab"] = TABS[name]
    return ok(at.run())


def model(root: Path, name: str = "tiny-lstm") -> CharRNN:
    return CharRNN.from_pretrained(root / name)


# ---------------------------------------------------------------- generate and the table


def test_a_link_reproduces_its_sample_with_a_full_table(run_app, tiny_models_root: Path) -> None:
    at = run_app(tiny_models_root, {"style": "tiny-lstm", "seed": "7", "len": "120"})
    expected = sample(model(tiny_models_root), "To", 120, temperature=0.8, seed=7)
    got = current(at)
    assert got.status == "done" and got.trace.text == expected
    frame = at.dataframe[0].value
    assert len(frame) == len(expected) == 120
    assert frame["char"].tolist() == [table.visible(c) for c in expected]
    assert "To" + expected in texts(at.code)
    assert texts(at.html).count('title="#') == 120  # every character coloured, with its tooltip
    assert "120 characters · seed 7" in texts(at.caption)
    button(at, "Generate").click()
    assert ok(at.run()) and current(at).trace.text == expected  # same settings and seed, same text


def test_every_control_reaches_the_sample_and_the_link(run_app, tiny_models_root: Path) -> None:
    at = run_app(tiny_models_root, {"style": "tiny-lstm"})
    assert "sample" not in at.session_state or current(at) is None
    assert "Press **Generate**" in texts(at.info)
    at.text_area(key="prime").set_value("To be")
    at.number_input(key="length").set_value(60)
    at.number_input(key="seed").set_value(11)
    at.slider(key="temperature").set_value(1.3)
    at.number_input(key="top_k").set_value(5)
    at.slider(key="top_p").set_value(0.9)
    at.selectbox(key="unknown").set_value("skip")
    ok(at.run())
    button(at, "Generate").click()
    ok(at.run())
    expected = sample(model(tiny_models_root), "To be", 60, temperature=1.3, top_k=5, top_p=0.9, seed=11)
    assert current(at).trace.text == expected
    assert at.query_params == params.to_query(
        Settings.of(
            style="tiny-lstm", prime="To be", length=60, temperature=1.3, top_k=5, top_p=0.9, seed=11, unknown="skip"
        )
    )
    link = dict(at.query_params)

    at.toggle(key="greedy").set_value(True)
    ok(at.run())
    assert "settings have changed" in texts(at.caption)
    button(at, "Generate").click()
    ok(at.run())
    assert current(at).trace.text == sample(model(tiny_models_root), "To be", 60, greedy=True)
    assert at.query_params["greedy"] == "1"

    button(at, "New seed").click()
    ok(at.run())
    assert at.session_state["seed"] != 11 and current(at).settings.seed == at.session_state["seed"]

    again = run_app(tiny_models_root, link)  # the link, opened elsewhere, gives the same text
    assert current(again).trace.text == expected


def test_the_widgets_are_drawn_from_the_settings_table(run_app, tiny_models_root: Path) -> None:
    at = run_app(tiny_models_root, {"style": "tiny-lstm", "seed": "1", "len": "20", "decode": "beam"})  # all drawn
    vocab = len(model(tiny_models_root).vocab)
    found = {"number": at.number_input, "slider": at.slider, "toggle": at.toggle, "select": at.selectbox}
    found |= {"text": at.text_area, "radio": at.radio}
    for spec in params.WIDGETS:
        widget = found[spec.widget](key=spec.key)
        assert widget.label == spec.label and widget.help == spec.help.format(
            min=spec.low, max=vocab if spec.field == "top_k" else spec.high
        )
        if spec.widget in ("number", "slider"):
            high = vocab if spec.field == "top_k" else spec.high  # top-k: bounded by the model, not the link
            assert (widget.min, widget.max, widget.step) == (spec.low, high, spec.step), spec.field
    assert at.selectbox(key="unknown").options == [
        f"{p}: {params.POLICY_HELP[p]}" for p in params.SPEC["unknown"].options
    ]


def test_switching_style_resets_the_prime_and_the_sample(run_app, tiny_models_root: Path) -> None:
    at = run_app(tiny_models_root, {"style": "tiny-lstm", "seed": "1", "len": "30"})
    labels = at.radio(key="style_in_styles").options  # one line each: name, corpus, bits/char
    assert labels == [f"tiny-{c} :small[· tiny-hamlet · {2 / math.log(2):.2f} bits/char]" for c in ("gru", "lstm")]
    about = texts(at.markdown)  # the details live in the About expander of the selected style
    for fact in ("LSTM, 1 layers × 32", "parameters", "nats/char", "bits/char", "Hamlet excerpt"):
        assert fact in about
    pick_style(at, "tiny-gru")
    ok(at.run())
    assert at.session_state["sample"] is None and at.query_params["style"] == "tiny-gru"
    button(at, "Generate").click()
    ok(at.run())
    assert current(at).trace.text == sample(model(tiny_models_root, "tiny-gru"), "To", 30, temperature=0.8, seed=1)


def test_branching_keeps_the_prefix_and_builds_text_character_by_character(run_app, tiny_models_root: Path) -> None:
    at = run_app(tiny_models_root, {"style": "tiny-lstm", "seed": "5", "len": "40"})
    first = current(at).trace.text
    vocab = model(tiny_models_root).vocab
    at.number_input(key="pos").set_value(10)
    ok(at.run())
    assert "Position **10**" in texts(at.markdown)
    alternative = next(c for c in "xyzqk" if c in vocab and c != first[10])
    at.selectbox(key="branch_char").set_value(vocab.index[alternative])
    button(at, "Branch and continue").click()
    ok(at.run())
    branched = current(at).trace.text
    assert branched[:10] == first[:10] and branched[10] == alternative and len(branched) == 40
    assert at.query_params["keep"] == first[:10] + alternative
    assert len(at.dataframe[0].value) == 40
    # The position after the text: what comes next. Take a character there, then another one.
    at.number_input(key="pos").set_value(40)
    ok(at.run())
    assert "what the model expects **next**" in texts(at.markdown)
    at.selectbox(key="branch_char").set_value(vocab.index["e"])
    button(at, "Take it and stop").click()
    ok(at.run())
    assert current(at).trace.text == branched + "e" and at.number_input(key="pos").value == 41
    at.selectbox(key="branch_char").set_value(vocab.index["!"] if "!" in vocab else vocab.index[" "])
    button(at, "Take it and stop").click()
    ok(at.run())
    assert len(current(at).trace.text) == 42 and current(at).trace.text.startswith(branched + "e")
    # The link reproduces the built text; "Forget" drops the kept characters.
    assert current(run_app(tiny_models_root, dict(at.query_params))).trace.text == current(at).trace.text
    button(at, "Forget").click()
    ok(at.run())
    assert at.session_state["keep"] == "" and "keep" not in at.query_params


def test_selecting_a_table_row_inspects_that_position(run_app, tiny_models_root: Path) -> None:
    at = run_app(tiny_models_root, {"style": "tiny-lstm", "seed": "2", "len": "25"})
    at.session_state["table"] = {"selection": {"rows": [4], "columns": [], "cells": []}}
    ok(at.run())
    assert at.number_input(key="pos").value == 4 and "Position **4**" in texts(at.markdown)
    at.slider(key="preview_t").set_value(2.5)
    at.toggle(key="dist_all").set_value(True)
    at.segmented_control(key="alts").set_value(10)
    assert ok(at.run())
    assert len(at.get("vega_lite_chart")) == 2  # the distribution and the temperature curves
    assert "#10" in at.dataframe[0].value.columns and len(at.dataframe[0].value) == 25


def test_a_stopped_generation_keeps_what_was_drawn(run_app, tiny_models_root: Path) -> None:
    at = run_app(tiny_models_root, {"style": "tiny-lstm", "seed": "3"})
    tiny = model(tiny_models_root)
    s = Settings(style="tiny-lstm", prime="To", length=500, seed=3)
    prime = generation.prepare_prime(tiny, "To", "replace")
    partial = Sample(s, prime.text, prime.ids, tuple(tiny.vocab.chars))
    for step in generation.stream(tiny, prime, 500, s.sampling_for(len(tiny.vocab)), 3):
        partial.steps.append(step)
        if len(partial.steps) == 37:
            break  # what an interrupted run leaves behind
    at.session_state["sample"] = partial
    ok(at.run())
    assert "Stopped after 37 of 500 characters" in texts(at.warning)
    assert len(at.dataframe[0].value) == 37 and current(at).status == "stopped"
    drawn = current(at).trace.text
    button(at, "Continue").click()
    ok(at.run())
    assert current(at).status == "done" and len(current(at).trace) == 500
    assert current(at).trace.text.startswith(drawn) and at.query_params["keep"] == drawn


# ---------------------------------------------------------------- score mode, timeline, downloads


def test_score_mode(run_app, tiny_models_root: Path) -> None:
    at = open_tab(run_app(tiny_models_root, {"style": "tiny-lstm", "seed": "9", "len": "60"}), "score")
    assert at.text_area(key="score_text").value  # the tab opens on an example (test_whowrote_app)
    button(at, "Use the last sample").click()
    ok(at.run())
    assert at.text_area(key="score_text").value == "To" + current(at).trace.text
    assert {m.label: m.value for m in at.metric}["characters scored"] == "62"  # the first one too
    text = "To be, or not to be, that is the question"
    at.text_area(key="score_text").set_value(text)
    ok(at.run())
    expected = scoring.score_text(model(tiny_models_root), text, "replace")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["bits/char"] == f"{expected.bits_per_char:.3f}"
    assert metrics["characters scored"] == str(len(text))
    # e^(nats/char), from the shown nats (3 decimals) to the shown perplexity (2 decimals)
    assert float(metrics["perplexity"]) == pytest.approx(math.exp(float(metrics["nats/char"])), rel=3e-3)
    assert len(at.dataframe[-1].value) == len(text)  # the per-character table, after the ranking
    assert texts(at.html).count("bits") >= len(text)
    at.text_area(key="score_text").set_value("Tö bé")
    ok(at.run())
    assert "never seen" in texts(at.warning)
    at.session_state["unknown"] = "error"
    ok(at.run())
    assert "not in the model's vocabulary" in texts(at.error)
    at.text_area(key="score_text").set_value("T")
    ok(at.run())
    assert not at.error and {m.label: m.value for m in at.metric}["characters scored"] == "1"  # the first counts


def test_training_timeline(run_app, tiny_models_root: Path) -> None:
    at = open_tab(run_app(tiny_models_root, {"style": "tiny-lstm", "tab": "training"}), "training")
    assert len(at.get("vega_lite_chart")) == 1
    history = catalog.read_json(tiny_models_root / "tiny-lstm" / "history.json")
    codes = [c.value for c in at.code]
    assert codes[:4] == ["To" + r["sample"] for r in history["records"]]  # the stack: every moment at a glance
    assert "perplexity" in texts(at.markdown) and "no validation yet" in texts(at.markdown)
    assert codes[-1] == "To" + history["records"][0]["sample"]  # the slider opens on step 0
    at.select_slider(key="timeline_point").set_value(2)
    ok(at.run())
    metrics = {m.label: m.value for m in at.metric}
    val = history["records"][2]["val_loss"]
    assert metrics["step"] == "30" and metrics["epoch"] == "0.50"
    assert metrics["validation loss (nats/char)"] == f"{val:.3f}"
    assert metrics["validation perplexity"] == f"{math.exp(val):.2f}"
    assert at.code[-1].value == "To" + history["records"][2]["sample"]
    button(at, "▶").click()
    ok(at.run())
    assert {m.label: m.value for m in at.metric}["step"] == "60"
    button(at, "◀").click()
    at.toggle(key="log_steps").set_value(True)
    ok(at.run())
    assert {m.label: m.value for m in at.metric}["step"] == "30"
    at.segmented_control(key="x_axis").set_value("epoch")
    at.segmented_control(key="loss_unit").set_value("bits")
    assert ok(at.run())
    assert {m.label: m.value for m in at.metric}["validation loss (bits/char)"] == f"{val / math.log(2):.3f}"
    assert at.query_params["tab"] == "training"
    assert "new stage" not in texts(at.caption)


def test_the_timeline_names_the_stages_of_a_resumed_run(run_app, tiny_models_root: Path, tmp_path: Path) -> None:
    shutil.copytree(tiny_models_root / "tiny-lstm", tmp_path / "resumed")
    history = catalog.read_json(tmp_path / "resumed" / "history.json")
    history["stages"] = [{"until_step": 30, "options": {"epochs": 1.0}, "changed": {"epochs": [1.0, 2.0]}}]
    (tmp_path / "resumed" / "history.json").write_text(json.dumps(history))
    at = open_tab(run_app(tmp_path, {"style": "resumed", "tab": "training"}), "training")
    assert "Resumed with new options (a new stage) at step 30: epochs 1 → 2." in texts(at.caption)


def test_download_and_deploy(run_app, tiny_models_root: Path) -> None:
    at = open_tab(
        run_app(tiny_models_root, {"style": "tiny-lstm", "seed": "4", "len": "50", "temp": "0.5"}), "download"
    )
    labels = [b.label for b in at.download_button]
    assert labels[: len(catalog.MODEL_FILES)] == [f"⬇️ {name}" for name in catalog.MODEL_FILES]
    snippet = texts(at.code)
    assert "CharRNN.from_pretrained(" in snippet and "length=50, temperature=0.5, seed=4" in snippet
    assert "python -m training.publish" in snippet
    assert "A tiny test model." in texts(at.markdown)  # the model card, front matter stripped


# ---------------------------------------------------------------- bad input


def test_empty_unknown_and_huge_primes(run_app, tiny_models_root: Path) -> None:
    at = run_app(tiny_models_root, {"style": "tiny-lstm", "seed": "1", "len": "20", "prime": ""})
    assert "prime is empty" in texts(at.info) and len(current(at).trace) == 20
    at.text_area(key="prime").set_value("Tö bé€")
    ok(at.run())
    assert "3 character(s) the model has never seen" in texts(at.warning) and "<mark" in texts(at.html)
    button(at, "Generate").click()
    ok(at.run())
    assert current(at).prime_text == "T  b  "  # replaced by spaces, and said so
    at.selectbox(key="unknown").set_value("error")
    ok(at.run())
    assert "not in the model's vocabulary" in texts(at.error) and button(at, "Generate").disabled
    at.selectbox(key="unknown").set_value("replace")
    at.text_area(key="prime").set_value("To be " * 20_000)
    ok(at.run())
    assert "120,000 characters" in texts(at.info)
    button(at, "Generate").click()
    ok(at.run())
    assert len(current(at).prime_text) == params.PRIME_MAX and len(current(at).trace) == 20
    assert len(at.query_params["prime"]) == params.PRIME_MAX


def test_out_of_range_link_values_are_fixed_and_said(run_app, tiny_models_root: Path) -> None:
    at = run_app(
        tiny_models_root,
        {
            "style": "../../etc/passwd",
            "len": "0",
            "temp": "0",
            "k": "500",
            "p": "7",
            "seed": "abc",
            "unknown": "explode",
        },
    )
    said = texts(at.warning)
    for part in ("not a model name", "out of range", "greedy", "top-p is off", "new seed", "policy", "top-k is off"):
        assert part in said, part
    s = current(at).settings
    assert (s.style, s.length, s.sampling) == ("tiny-gru", 1, SamplingSettings(params.TEMPERATURE_DEFAULT, greedy=True))
    assert at.query_params["len"] == "1" and at.query_params["style"] == "tiny-gru"


def test_temperature_zero_means_greedy(run_app, tiny_models_root: Path) -> None:
    at = run_app(tiny_models_root, {"style": "tiny-lstm", "len": "30"})
    at.slider(key="temperature").set_value(0.0)
    ok(at.run())
    assert "Temperature 0 means greedy" in texts(at.info)
    button(at, "Generate").click()
    ok(at.run())
    assert current(at).trace.text == sample(model(tiny_models_root), "To", 30, greedy=True)


def test_a_broken_style_shows_its_error_and_the_others_work(run_app, tiny_models_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "models"
    shutil.copytree(tiny_models_root, root)
    shutil.copytree(root / "tiny-gru", root / "corrupt")
    (root / "corrupt" / "model.safetensors").write_bytes(b"\x80\x04 this is a pickle, not safetensors")
    shutil.copytree(root / "tiny-gru", root / "half-trained")
    (root / "half-trained" / "model.safetensors").unlink()
    (root / "no-config").mkdir()
    outside = tmp_path / "outside"
    shutil.copytree(root / "tiny-gru", outside)
    (root / "escape").symlink_to(outside, target_is_directory=True)
    at = run_app(root, {"style": "corrupt"})
    assert "not a valid safetensors file" in texts(at.error)
    for name, message in [
        ("no-config", "config.json is missing"),
        ("escape", "outside the models folder"),
        ("half-trained", "model.safetensors is missing"),
    ]:
        pick_style(at, name)
        ok(at.run())
        assert message in texts(at.error)
    open_tab(at, "training")  # a model without weights still shows how its training went
    assert len(at.get("vega_lite_chart")) == 1
    at.session_state["tab"] = "✍️ Generate"
    pick_style(at, "tiny-lstm")
    ok(at.run())
    button(at, "Generate").click()
    ok(at.run())
    assert len(current(at).trace) == params.LENGTH_DEFAULT


def test_names_from_the_link_never_leave_the_models_folder(run_app, tiny_models_root: Path, tmp_path: Path) -> None:
    for style in ("../tiny-lstm", "/etc", "tiny-lstm/../../x", "hf:../../etc", "C:\\x"):
        at = run_app(tiny_models_root, {"style": style})
        assert at.session_state["style"] == "tiny-gru", style
        assert "not a model name" in texts(at.warning) or "no style called" in texts(at.warning)
    at = run_app(tiny_models_root, {"style": "nonexistent"})
    assert "no style called 'nonexistent'" in texts(at.warning)


def test_no_models_explains_how_to_train_one(run_app, tmp_path: Path) -> None:
    for root in (tmp_path / "empty", tmp_path / "missing"):
        (tmp_path / "empty").mkdir(exist_ok=True)
        at = run_app(root, {"seed": "1"})
        assert "No models yet" in texts(at.info)
        assert "python -m training.train --corpus shakespeare" in texts(at.markdown)
        assert at.text_input(key="hub_repo") is not None


# ---------------------------------------------------------------- the Hugging Face Hub


def test_a_hub_model_loads_is_cached_and_bad_ids_are_refused(
    run_app, tiny_models_root: Path, fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub.constants as constants
    import streamlit as st

    st.cache_resource.clear()
    fake_hub.add_repo(
        "alice/tiny-hub", {n: (tiny_models_root / "tiny-lstm" / n).read_bytes() for n in catalog.MODEL_FILES}
    )
    at = run_app(tiny_models_root, {"style": "tiny-lstm"})
    for repo, message in [("../../etc", "not a Hugging Face repo id"), ("alice/missing", "was not found")]:
        at.text_input(key="hub_repo").set_value(repo)
        button(at, "Load from the Hub").click()
        ok(at.run())
        assert message in texts(at.sidebar.error)
    at.text_input(key="hub_repo").set_value("https://huggingface.co/alice/tiny-hub")
    button(at, "Load from the Hub").click()
    ok(at.run())
    assert at.session_state["style"] == "hf:alice/tiny-hub" and at.query_params["style"] == "hf:alice/tiny-hub"
    button(at, "Generate").click()
    ok(at.run())
    assert len(current(at).trace) == params.LENGTH_DEFAULT
    link = dict(at.query_params)
    # The files are cached on disk: the link still works with the Hub unreachable.
    st.cache_resource.clear()
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setattr(
        constants, "HUGGINGFACE_CO_URL_TEMPLATE", constants.ENDPOINT + "/{repo_id}/resolve/{revision}/{filename}"
    )
    again = run_app(tiny_models_root, link)
    assert current(again).trace.text == current(at).trace.text
    open_tab(again, "download")
    assert "CharRNN.from_pretrained('alice/tiny-hub')" in texts(again.code)
    unreachable = run_app(tiny_models_root, {"style": "hf:bob/never-seen"})
    assert "cannot be reached" in texts(unreachable.warning)
    assert unreachable.session_state["style"] == "tiny-gru"


# ---------------------------------------------------------------- the shipped models, when present

SHIPPED = (
    sorted(
        p.name
        for p in (ROOT / "models").glob("*")
        if (p / "config.json").is_file() and (p / "model.safetensors").is_file()
    )
    if (ROOT / "models").is_dir()
    else []
)


@pytest.mark.skipif(not SHIPPED, reason="no shipped model in models/ yet")
@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_model_opens_on_its_own_prime(name) -> None:
    """The style's prime (its card's example, the app's default, the CLI's default) is readable by the model."""
    config = json.loads((ROOT / "models" / name / "config.json").read_text(encoding="utf-8"))
    prime = config["meta"]["sample_prime"]
    assert set(prime) <= set(config["vocab"]), f"{name}: {prime!r} has characters the model does not know"
    assert catalog.read_model_info(ROOT / "models" / name, name, ROOT / "models").default_prime == prime


@pytest.mark.skipif(not SHIPPED, reason="no shipped model in models/ yet")
def test_the_shipped_models_generate(run_app) -> None:
    """Every shipped style loads and generates with its table; the first one exactly as the library does."""
    at = run_app(ROOT / "models", {"style": SHIPPED[0], "seed": "1", "len": "100"})
    got = current(at)
    assert got.trace.text == sample(
        CharRNN.from_pretrained(ROOT / "models" / SHIPPED[0]), got.prime_text, 100, temperature=0.8, seed=1
    )
    for name in SHIPPED:
        pick_style(at, name)
        ok(at.run())
        button(at, "Generate").click()
        ok(at.run())
        assert len(current(at).trace) == 100 and len(at.dataframe[0].value) == 100
        assert not at.error, name


@pytest.mark.skipif(not (ROOT / "models" / "shakespeare").is_dir(), reason="the flagship is not in models/")
def test_the_flagship_knows_how_a_text_begins(run_app) -> None:
    """Read from its learned start state, the flagship takes "ROME" for the start of "ROMEO" (0.3%
    for "O" from zeros) and scores the opening of a speech, first character included, below 1.9
    bits/char (2.23 from zeros)."""
    at = run_app(ROOT / "models", {"style": "shakespeare", "prime": "ROME", "greedy": "1", "len": "1", "seed": "1"})
    got = current(at)
    chars = model(ROOT / "models", "shakespeare").vocab.chars
    assert got.trace.text == "O" and chars[int(got.trace.probs_raw[0].argmax())] == "O"
    at = open_tab(at, "score")
    at.text_area(key="score_text").set_value("ROMEO:\nWhat light through yonder window breaks?\n")
    ok(at.run())
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["bits/char"]) <= 1.9 and metrics["characters scored"] == "48"


@pytest.mark.skipif(not (ROOT / "models" / "minrnn-tolstoy").is_dir(), reason="the course's model is not in models/")
def test_the_course_model_plays_in_the_timeline(run_app) -> None:
    """min-char-rnn's own model: its samples from iteration 0 to the end, the course's stack above."""
    history = catalog.read_json(ROOT / "models" / "minrnn-tolstoy" / "history.json")
    steps = [r["step"] for r in history["records"]]
    assert steps[0] == 0 and steps[-1] == history["summary"]["steps"] and history["summary"]["clipped_steps"] > 0
    at = open_tab(run_app(ROOT / "models", {"style": "minrnn-tolstoy", "tab": "training"}), "training")
    codes = [c.value for c in at.code]
    assert len(codes) == 7 and codes[-1] == history["records"][0]["sample"]  # six stacked moments, then step 0
    assert codes[5] == history["records"][-1]["sample"]  # the stack ends on the last sample
    at.select_slider(key="timeline_point").set_value(len(steps) - 1)
    ok(at.run())
    assert {m.label: m.value for m in at.metric}["step"] == f"{steps[-1]:,}"
