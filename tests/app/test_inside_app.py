"""The "Inside the RNN" tabs of the app (How it works, Neurons, Compare), driven by
``streamlit.testing.v1.AppTest`` against tiny models trained here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import TINY_TEXT, train_tiny, write_model_dir
from streamlit.testing.v1 import AppTest

from charrnn import lesson
from playground.pages import PAGES

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TIMEOUT = 240  # seconds for one page run; generous: the machine is shared
TABS = {page.NAME: page.LABEL for page in PAGES if page.NAME in ("lesson", "neurons", "compare")}


@pytest.fixture(scope="module")
def three_cells_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder holding the comparison's three styles (tiny stand-ins)."""
    root = tmp_path_factory.mktemp("compare-models")
    for cell in ("rnn", "gru", "lstm"):
        write_model_dir(train_tiny(TINY_TEXT, cell=cell, steps=10, seed=1), root / f"shakespeare-{cell}", cell)
    return root


@pytest.fixture
def broken_root(tmp_path: Path, tiny_model) -> Path:
    """Only a style whose weights are missing: nothing can be loaded."""
    directory = write_model_dir(tiny_model, tmp_path / "broken")
    (directory / "model.safetensors").unlink()
    return tmp_path


@pytest.fixture
def open_tab(monkeypatch: pytest.MonkeyPatch):
    """``open_tab(models_root, name)``: the page opened on one of the new tabs."""

    def run(root: Path, name: str, style: str | None = None) -> AppTest:
        monkeypatch.setenv("CHARRNN_MODELS_DIR", str(root))
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.query_params.update({"style": style} if style else {})
        at = ok(at.run())
        at.session_state["tab"] = TABS[name]
        return ok(at.run())

    return run


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def steps_table(at: AppTest):
    """The lesson's table of steps (the weight editors are dataframes too)."""
    return next(d.value for d in at.dataframe if "reads x_t" in d.value.columns)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


# ---------------------------------------------------------------- how it works


def test_how_it_works_shows_the_course_numbers_and_follows_edits(open_tab, tiny_models_root: Path) -> None:
    at = open_tab(tiny_models_root, "lesson")
    steps = steps_table(at)
    assert list(steps["reads x_t"]) == list("hell") and list(steps["target x_t+1"]) == list("ello")
    assert steps["a_t"][0] == "[0.60, 0.20, 0.90]"
    assert steps["h_t"][0] == "[0.54, 0.20, 0.72]"
    assert steps["y_t"][0] == "[0.32, 0.21, 0.24, 0.22]"
    shown = metrics(at)
    assert shown["total loss Σ −ln y_t[target]"] == "5.97 nats" and shown["J (mean per character)"] == "1.49 nats"
    assert len([e for e in at.expander if e.label.startswith("t = ")]) == 4
    assert any("0.54" in latex.value for latex in at.latex)

    edited = lesson.Weights(lesson.W_H, lesson.W_X.copy(), lesson.W_Y)
    edited.W_X[0, 0] = -0.6  # a weight changed in the editor
    at.session_state["lesson_weights"] = edited
    at = ok(at.run())
    assert steps_table(at)["a_t"][0] == "[-0.60, 0.20, 0.90]"
    assert metrics(at)["total loss Σ −ln y_t[target]"] != "5.97 nats"

    at = ok(at.text_input(key="lesson_word").set_value("hello!").run())
    steps = steps_table(at)
    assert len(steps) == 5 and steps["a_t"][0] == "[-0.60, 0.20, 0.90]"  # the edit survives a 5th character
    at = ok(at.number_input(key="lesson_hidden").set_value(2).run())
    assert steps_table(at)["h_t"][0].count(",") == 1

    reset = next(b for b in at.button if "course" in b.label)
    at = ok(reset.click().run())
    assert at.session_state["lesson_word"] == "hello" and steps_table(at)["y_t"][0] == "[0.32, 0.21, 0.24, 0.22]"


def test_how_it_works_backpropagates_checks_and_steps(open_tab, tiny_models_root: Path) -> None:
    at = open_tab(tiny_models_root, "lesson")
    tables = [d.value for d in at.dataframe if list(d.value.columns) == ["h1", "h2", "h3"]]
    editor, w_y = [t for t in tables if list(t.index) == list("helo")]  # W_Y's editor, then dL/dW_Y
    np.testing.assert_array_equal(editor.to_numpy(), lesson.W_Y)
    expected = [[1.06, 1.10, 0.93], [-0.06, 0.26, -0.27], [-0.68, -0.81, -0.58], [-0.32, -0.56, -0.08]]
    np.testing.assert_array_equal(w_y.to_numpy().round(2), expected)
    checks = [c.value for c in at.caption if c.value.startswith("finite differences agree to")]
    assert len(checks) == 3 and all(float(c.split()[4]) < 1e-6 for c in checks)
    backward = [e.label for e in at.expander if e.label.startswith("backward at t = ")]
    assert backward == [f"backward at t = {t}: dz, dh, da and this step's parts of the gradients" for t in (4, 3, 2, 1)]
    assert any(r"dz_4 = y_4 - \text{one-hot}(x_{5})" in latex.value for latex in at.latex)
    assert any(e.label == "Task 1: derive dJ/dW_H" for e in at.expander)
    assert any(r"\delta_{4,2}" in latex.value for latex in at.latex)

    step = next(b for b in at.button if b.label == "Take one gradient step")
    at = ok(step.click().run())
    first = float(metrics(at)["total loss after the step"].split()[0])
    assert first < 5.97
    assert metrics(at)["total loss Σ −ln y_t[target]"] == f"{first:.2f} nats"  # the page now shows the new weights
    at = ok(next(b for b in at.button if b.label == "Take one gradient step").click().run())
    assert float(metrics(at)["total loss after the step"].split()[0]) < first  # and can be pressed again
    at = ok(at.number_input(key="lesson_eta").set_value(0.0).run())
    at = ok(next(b for b in at.button if b.label == "Take one gradient step").click().run())
    assert "+0.0000" in next(m for m in at.metric if m.label == "total loss after the step").delta


def test_how_it_works_needs_no_model(open_tab, broken_root: Path) -> None:
    at = open_tab(broken_root, "lesson")
    assert steps_table(at)["y_t"][0] == "[0.32, 0.21, 0.24, 0.22]"
    at = ok(at.text_input(key="lesson_word").set_value("h").run())
    assert any("at least two characters" in i.value for i in at.info)


# ---------------------------------------------------------------- neurons


def test_neurons_colour_a_sample_and_find_units(open_tab, tiny_models_root: Path) -> None:
    at = open_tab(tiny_models_root, "neurons", style="tiny-lstm")
    assert any("charrnn-text" in h.value for h in at.get("html"))
    assert {"inside quotes", "position in line", "uppercase", "after a newline"} <= set(metrics(at))
    ranking = at.dataframe[0].value
    assert {"position in line", "uppercase"} <= set(ranking["feature"])
    pick = next(b for b in at.button if "Colour the text" in b.label)
    at = ok(pick.click().run())
    first = ranking.iloc[0]
    assert (at.session_state["neuron_layer"], at.session_state["neuron_unit"]) == (first["layer"], first["unit"])

    at = ok(at.selectbox(key="neuron_state").set_value("c").run())  # an LSTM: its cell state too
    at.session_state["neuron_source"] = "my own text"
    at = ok(at.run())
    at = ok(at.text_area(key="neuron_text").set_value('To "be" or not.\nThe end.').run())
    assert any("never seen" in w.value for w in at.warning)  # '"' is not in the tiny vocabulary
    html = "".join(h.value for h in at.get("html"))
    assert "To be or not." in "".join(part.split(">")[-1] for part in html.split("</span>"))


def test_neurons_need_a_model(open_tab, broken_root: Path) -> None:
    at = open_tab(broken_root, "neurons")
    assert any("cannot be used" in e.value for e in at.error)


# ---------------------------------------------------------------- comparison


def test_an_old_compare_link_opens_the_three_cells_preset(open_tab, three_cells_root: Path) -> None:
    at = open_tab(three_cells_root, "compare")
    table = at.dataframe[0].value
    assert list(table["cell"]) == ["RNN", "GRU", "LSTM"] and (table["parameters"] > 0).all()
    assert np.allclose(table["val nats/char"], 2.0)
    assert np.allclose(table["val perplexity"], round(np.exp(2.0), 2))  # e^(nats/char), beside nats and bits
    # The preset's prime, ROMEO:, holds letters these tiny stand-ins never saw: each cell says so.
    assert sum("cannot read the prime" in w.value for w in at.warning) == 3
    at = ok(at.text_input(key="grid_prime").set_value("To").run())
    samples = dict(at.session_state["grid_texts"])
    assert len(samples) == 3 and all(len(s) == 300 for s in samples.values())
    at = ok(at.number_input(key="grid_seed").set_value(2).run())
    assert dict(at.session_state["grid_texts"]) != samples


def test_the_preset_says_what_is_missing(open_tab, tiny_models_root: Path) -> None:
    at = open_tab(tiny_models_root, "compare")
    assert at.session_state["grid_styles"] == [at.session_state["style"]]  # no preset here: the sidebar's style
    at = ok(next(b for b in at.button if "RNN vs GRU vs LSTM" in b.label).click().run())
    assert any("shakespeare-rnn" in w.value and "--recipe" in w.value for w in at.warning)
    assert not at.session_state["grid_texts"]


@pytest.mark.parametrize("name", list(TABS))
def test_a_link_opens_each_new_tab(name: str, tiny_models_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The app writes ?tab=NAME into the address; opening that link must land on the same tab.
    monkeypatch.setenv("CHARRNN_MODELS_DIR", str(tiny_models_root))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["tab"] = name
    at = ok(at.run())
    assert at.session_state["tab"] == TABS[name]
