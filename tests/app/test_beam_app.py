"""The Generate tab's decoding choice (sample, greedy, beam), its beam view and its futures, driven
by ``streamlit.testing.v1.AppTest`` against the tiny models trained in the test session."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_app import button, ok, run_app, texts

from charrnn import CharRNN, SamplingSettings, sample
from charrnn.beam import beam_search, futures

__all__ = ["run_app"]  # test_app's fixture: ``run_app(models_root, query)``, a first page run


@pytest.fixture(scope="module")
def tiny(tiny_models_root: Path) -> CharRNN:
    return CharRNN.from_pretrained(tiny_models_root / "tiny-lstm")


def test_a_beam_link_shows_the_best_beam_as_the_sample_and_lists_the_others(
    run_app, tiny_models_root: Path, tiny: CharRNN
) -> None:
    at = run_app(tiny_models_root, {"style": "tiny-lstm", "seed": "5", "len": "40", "decode": "beam", "width": "4"})
    beams = beam_search(tiny, "To", 40, 4)
    shown = at.session_state["sample"]
    assert shown.trace.text == beams[0].text  # the page's sample, table and inspector: the best beam
    assert [b.text for b in at.session_state["beam_run"].beams] == [b.text for b in beams]
    assert "Beam search: the 4 most probable continuations" in texts(at.subheader)
    assert "beam 4" in texts(at.caption)
    listed = at.dataframe[0].value  # the continuations, best first
    assert list(listed["bits/char"]) == [round(b.bits_per_char, 3) for b in beams]
    assert at.radio(key="decoding").value == "beam" and at.number_input(key="beam_width").value == 4
    assert at.query_params["decode"] == "beam" and at.query_params["width"] == "4"


def test_the_decoding_choice_and_the_greedy_toggle_agree(run_app, tiny_models_root: Path, tiny: CharRNN) -> None:
    at = run_app(tiny_models_root, {"style": "tiny-lstm", "seed": "5", "len": "30"})
    assert at.radio(key="decoding").value == "sample"
    at.radio(key="decoding").set_value("greedy")
    ok(at.run())
    assert at.toggle(key="greedy").value is True
    at.toggle(key="greedy").set_value(False)
    ok(at.run())
    assert at.radio(key="decoding").value == "sample"
    at.radio(key="decoding").set_value("beam")
    ok(at.run())
    at.number_input(key="beam_width").set_value(3)
    button(at, "Generate").click()
    ok(at.run())
    assert at.session_state["sample"].trace.text == beam_search(tiny, "To", 30, 3)[0].text
    assert at.query_params["decode"] == "beam" and at.query_params["width"] == "3"


@pytest.mark.parametrize(
    ("query", "choice"), [({"greedy": "1"}, "greedy"), ({"greedy": "1", "decode": "beam"}, "beam"), ({}, "sample")]
)
def test_a_links_greedy_shows_as_the_choice_unless_it_asks_for_beam(
    run_app, tiny_models_root: Path, query: dict, choice: str
) -> None:
    at = run_app(tiny_models_root, {"style": "tiny-lstm", **query})
    assert at.radio(key="decoding").value == choice


def test_futures_from_a_link_are_reproduced_from_the_end_of_the_prime(
    run_app, tiny_models_root: Path, tiny: CharRNN
) -> None:
    at = run_app(tiny_models_root, {"style": "tiny-lstm", "seed": "7", "len": "50", "futures": "3", "flen": "20"})
    expected = futures(tiny, "To", 3, 20, SamplingSettings(0.8), seed=7)
    frame = at.dataframe[-1].value
    assert list(frame["seed"]) == [7, 8, 9]
    assert list(frame["bits/char"]) == [round(f.bits_per_char, 3) for f in expected]
    assert "3 futures from the end of the prime" in texts(at.caption)


def test_futures_from_an_inspected_position_go_into_the_link(run_app, tiny_models_root: Path, tiny: CharRNN) -> None:
    at = run_app(tiny_models_root, {"style": "tiny-lstm", "seed": "7", "len": "50"})
    text = at.session_state["sample"].trace.text
    assert text == sample(tiny, "To", 50, temperature=0.8, seed=7)
    at.number_input(key="pos").set_value(12)
    ok(at.run())
    button(at, "Show futures from position 12").click()
    ok(at.run())
    assert at.query_params["fat"] == "12" and at.query_params["futures"] == "5"
    expected = futures(tiny, "To" + text[:12], 5, 80, SamplingSettings(0.8), seed=7)
    assert [f.text for f in at.session_state["_futures"][1]] == [f.text for f in expected]
    assert "5 futures from position 12" in texts(at.caption)
    again = run_app(tiny_models_root, dict(at.query_params))  # the link, opened anew
    assert [f.text for f in again.session_state["_futures"][1]] == [f.text for f in expected]


def test_a_bad_link_gets_notes_not_a_traceback(run_app, tiny_models_root: Path) -> None:
    at = run_app(
        tiny_models_root, {"style": "tiny-lstm", "seed": "1", "len": "20", "decode": "beam", "width": "500", "fat": "x"}
    )
    notes = texts(at.warning) + texts(at.info)
    assert "Beam width 500 is out of range" in notes and "Futures position 'x' is not a whole number" in notes
    assert at.number_input(key="beam_width").value == 64


def test_futures_past_the_texts_end_start_at_its_end(run_app, tiny_models_root: Path, tiny: CharRNN) -> None:
    at = run_app(tiny_models_root, {"style": "tiny-lstm", "seed": "2", "len": "25", "futures": "2", "fat": "999"})
    assert "Position 999 is past this text's end: the futures start at its end, 25." in texts(at.caption)
    text = at.session_state["sample"].trace.text
    expected = futures(tiny, "To" + text, 2, 80, SamplingSettings(0.8), seed=2)
    assert [f.text for f in at.session_state["_futures"][1]] == [f.text for f in expected]
