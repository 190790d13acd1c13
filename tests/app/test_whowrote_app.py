"""The Score tab's "Who wrote it?" under AppTest: the tab opens on an example of the selected style,
every style reads the text (the winner named, a close call said), any style opens its
per-character view, and the text is coloured by rank as well as by surprise."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from conftest import train_tiny, write_model_dir
from sidebar import pick_style
from streamlit.testing.v1 import AppTest
from texts import novel

from charrnn import CharRNN
from corpora.training_text import split_text
from playground.pages import score
from playground.pages.score import scoring
from playground.session import catalog

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TIMEOUT = 240  # seconds for one page run; generous: the machine is shared


def program(chars: int, seed: int = 0) -> str:
    """A made-up program ("To" in it: ``write_model_dir`` samples from that prime)."""
    rng = random.Random(seed)
    lines = [f"x{rng.randint(0, 9)} = f(y, {rng.randint(0, 99)});  // To {rng.randint(0, 9)}\n" for _ in range(chars)]
    return "".join(lines)[:chars]


def style(root: Path, texts: Path, name: str, text: str) -> None:
    """A style trained on ``text``, whose config names the file (so its validation text is found)."""
    path = texts / f"{name}.txt"
    path.write_text(text, encoding="utf-8")
    folder = write_model_dir(train_tiny(text, steps=150, hidden=48), root / name, name)
    config = json.loads((folder / "config.json").read_text())
    config["meta"]["train_config"] = {"text": str(path), "val_fraction": 0.1}
    (folder / "config.json").write_text(json.dumps(config))


@pytest.fixture(scope="module")
def styles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder with "prose" (a made-up novel) and "code" (a made-up program)."""
    root, texts = tmp_path_factory.mktemp("whowrote-app"), tmp_path_factory.mktemp("whowrote-texts")
    style(root, texts, "prose", novel(30_000, seed=1))  # 3,000 characters of validation text each
    style(root, texts, "code", program(30_000, seed=1))
    return root


def open_score(monkeypatch: pytest.MonkeyPatch, root: Path, style_name: str) -> AppTest:
    monkeypatch.setenv("CHARRNN_MODELS_DIR", str(root))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update({"style": style_name, "tab": score.NAME})
    return ok(at.run())


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def validation(root: Path, name: str) -> str:
    meta = json.loads((root / name / "config.json").read_text())["meta"]
    return split_text(Path(meta["train_config"]["text"]).read_text(encoding="utf-8"), 0.1)[1]


def ranked_styles(at: AppTest) -> list[str]:
    return at.dataframe[0].value["style"].tolist()


def reader(at: AppTest):
    """The selectbox that opens a style's per-character view."""
    return next(s for s in at.selectbox if s.label == "Each character, as read by")


def test_the_tab_opens_on_an_example_and_ranks_every_style(monkeypatch, styles):
    at = open_score(monkeypatch, styles, "prose")
    text = at.text_area(key="score_text").value
    assert text and text in validation(styles, "prose")
    assert "An example from the validation text of prose" in " ".join(c.value for c in at.caption)
    assert "Who wrote it?" in [h.value for h in at.subheader]
    assert ranked_styles(at) == ["prose", "code"]
    assert at.success[0].value.startswith("prose wrote it")  # code cannot read a novel
    assert reader(at).value == "prose" and reader(at).options == ["prose", "code"]  # the sidebar's style first
    # The second colouring: the rank of each character, with the share of each bucket.
    assert {"Surprise", "Rank among the predictions"} <= {t.label for t in at.tabs}
    rank_view = next(h.value for h in at.html if "rank of the actual character" in h.value)
    expected = scoring.score_text(CharRNN.from_pretrained(styles / "prose"), text, "replace")
    assert f"1st {(expected.rank == 1).mean():.0%}" in rank_view


def test_another_example_and_another_styles_example(monkeypatch, styles):
    at = open_score(monkeypatch, styles, "prose")
    first = at.text_area(key="score_text").value
    next(b for b in at.button if "Another example" in b.label).click()
    ok(at.run())
    second = at.text_area(key="score_text").value
    assert second != first and second in validation(styles, "prose")
    at.pills(key="score_example_of").set_value("code")
    ok(at.run())
    code = at.text_area(key="score_text").value
    assert code in validation(styles, "code") and ranked_styles(at) == ["code", "prose"]
    assert "An example from the validation text of code" in " ".join(c.value for c in at.caption)


def test_a_pasted_text_and_any_styles_characters(monkeypatch, styles):
    at = open_score(monkeypatch, styles, "prose")
    text = program(300, seed=5)
    at.text_area(key="score_text").set_value(text)
    ok(at.run())
    assert not any("An example from" in c.value for c in at.caption)  # the example is gone
    assert ranked_styles(at)[0] == "code" and at.success[0].value.startswith("code wrote it")
    assert at.dataframe[0].value["unknown"].tolist()[-1] > 0  # prose never saw digits or brackets
    assert "Who wrote it? charges 20.1 bits for each instead" in at.warning[0].value  # why its two figures differ
    bits = {m.label: m.value for m in at.metric}["bits/char"]
    reader(at).set_value("code")
    ok(at.run())
    expected = scoring.score_text(CharRNN.from_pretrained(styles / "code"), text, "replace")
    assert {m.label: m.value for m in at.metric}["bits/char"] == f"{expected.bits_per_char:.3f}" != bits
    # The open view follows the sidebar: another style there opens its own view, and back again.
    infos = {i.label: i.key for i in at.session_state["_infos"]}
    ok(pick_style(at, infos["code"]).run())
    assert reader(at).value == "code"
    ok(pick_style(at, infos["prose"]).run())
    assert reader(at).value == "prose" and {m.label: m.value for m in at.metric}["bits/char"] == bits


def test_twin_styles_are_a_close_call(monkeypatch, styles, tmp_path):
    twins = tmp_path / "twins"
    shutil.copytree(styles / "prose", twins / "prose")
    shutil.copytree(styles / "prose", twins / "prose-again")
    at = open_score(monkeypatch, twins, "prose")
    assert at.warning[0].value.startswith("A close call between prose")


@pytest.mark.parametrize(
    "text, message", [("a", "One character ('a') is too little"), ("PK\x03\x04\x00\x00" * 30, "binary data")]
)
def test_bad_input_gets_a_message_not_a_traceback(monkeypatch, styles, text, message):
    at = open_score(monkeypatch, styles, "prose")
    at.text_area(key="score_text").set_value(text)
    ok(at.run())
    assert any(message in w.value for w in at.warning)
    at.text_area(key="score_text").set_value("")
    ok(at.run())
    assert "Paste a text above" in at.info[0].value  # emptied by the user: it stays empty


def test_a_hub_style_reads_the_text_too(monkeypatch, styles, fake_hub):
    import streamlit as st

    st.cache_resource.clear()
    fake_hub.add_repo("alice/code-hub", {n: (styles / "code" / n).read_bytes() for n in catalog.MODEL_FILES})
    at = open_score(monkeypatch, styles, "prose")
    at.text_input(key="hub_repo").set_value("alice/code-hub")
    next(b for b in at.button if "Load from the Hub" in b.label).click()
    ok(at.run())
    assert at.session_state["style"] == "hf:alice/code-hub"
    at.text_area(key="score_text").set_value(program(300, seed=6))
    ok(at.run())
    assert sorted(ranked_styles(at)[:2]) == ["alice/code-hub", "code"] and ranked_styles(at)[-1] == "prose"
    assert at.warning[0].value.startswith("A close call between")  # the same weights, read twice
