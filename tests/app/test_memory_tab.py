"""The Memory tab (AppTest): a position's history coloured by influence, its prediction, and the
memory curves of the selected style beside the comparison models; How it works' Jacobian section."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TINY_TEXT, train_tiny, write_model_dir
from streamlit.testing.v1 import AppTest

from charrnn import CharRNN
from charrnn.memory import influence
from playground.pages import memory

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TIMEOUT = 240  # seconds for one page run; generous: the machine is shared


@pytest.fixture(scope="module")
def models_root(tmp_path_factory: pytest.TempPathFactory, tiny_model: CharRNN) -> Path:
    """The selected style (tiny-lstm) and tiny stand-ins for three of the comparison models."""
    root = tmp_path_factory.mktemp("memory-models")
    write_model_dir(tiny_model, root / "tiny-lstm", "tiny-lstm")
    for cell in ("rnn", "gru", "lstm"):
        write_model_dir(train_tiny(TINY_TEXT, cell=cell, steps=20), root / f"shakespeare-{cell}", f"shakespeare-{cell}")
    return root


@pytest.fixture
def open_app(monkeypatch: pytest.MonkeyPatch, models_root: Path):
    def run(query: dict[str, str]) -> AppTest:
        monkeypatch.setenv("CHARRNN_MODELS_DIR", str(models_root))
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.query_params.update(query)
        return ok(at.run())

    return run


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown_html(at: AppTest) -> str:
    return "".join(h.value for h in at.get("html"))


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_a_position_of_the_text_is_explained_and_the_curves_drawn(open_app, models_root: Path) -> None:
    at = open_app({"tab": "memory", "style": "tiny-lstm"})
    assert any("Reading no sample generated yet" in c.value for c in at.caption)
    text = at.session_state["memory_position"]  # the last position by default
    assert text > 1000
    html = shown_html(at)
    assert "charrnn-text" in html and "hsl(215" in html and f"position {text}: the character predicted" in html
    shown = metrics(at)
    assert set(shown) == {"The model predicts", "The text has", "Influence under 1% at"}
    assert len(at.get("vega_lite_chart")) == 1
    sentence = "".join(m.value for m in at.markdown)
    for key in ("tiny-lstm", "shakespeare-rnn", "shakespeare-gru", "shakespeare-lstm"):
        assert f"**{key}**" in sentence
    # Another position: its own history, prediction and distance, as the library computes them.
    at = ok(at.number_input(key="memory_position").set_value(200).run())
    assert "position 200: the character predicted" in shown_html(at)
    model = CharRNN.from_pretrained(models_root / "tiny-lstm")
    page_text = memory.model_sample("x", model, "To")  # the model's own sample (cached by its arguments)
    found = influence(model, model.vocab.encode(page_text).ids, 200)
    distance = found.distance(0.01)
    expected = f"k = {distance}" if distance else f"beyond {len(found.norms)}"
    assert metrics(at)["Influence under 1% at"] == expected


def test_the_last_generated_sample_is_read(open_app) -> None:
    at = open_app({"style": "tiny-lstm", "seed": "3", "len": "300"})  # the Generate tab draws it
    at.session_state["tab"] = memory.LABEL
    at = ok(at.run())
    assert any("Reading the last sample generated in this session" in c.value for c in at.caption)
    sample = at.session_state["sample"]
    assert at.session_state["memory_position"] == len(sample.prime_text + sample.trace.text) - 1


def test_own_text_bad_input_gets_messages(open_app) -> None:
    at = open_app({"tab": "memory", "style": "tiny-lstm"})
    at.session_state["memory_source"] = memory.SOURCES[1]
    at.session_state["memory_text"] = "T"
    at = ok(at.run())
    assert any("at least two characters" in i.value for i in at.info)
    at.session_state["memory_text"] = "To be, €€ or not to be"
    at = ok(at.run())
    assert any("Dropped characters" in w.value for w in at.warning)
    assert any("needs more than" in c.value for c in at.caption)  # too short for a curve: said, per model
    assert "position 19: the character predicted" in shown_html(at)  # the € dropped: 20 characters


def test_how_it_works_shows_the_jacobian_norms_below_bptt(open_app) -> None:
    at = open_app({"tab": "lesson"})
    headers = [m.value for m in at.markdown]
    bptt = next(i for i, m in enumerate(headers) if "Backpropagation through time" in m)
    reach = next(i for i, m in enumerate(headers) if "How far back the gradient reaches" in m)
    assert reach > bptt
    assert any("largest singular value" in c.value for c in at.caption)
