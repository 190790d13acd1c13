"""The decoding choice, the beam width and the futures in the settings table: read from a link
(clamped, with a note), written back, and kept apart from what makes the sample."""

from __future__ import annotations

from dataclasses import replace

import pytest

from charrnn.beam import MAX_FUTURES, MAX_WIDTH
from playground.session import params
from playground.session.params import Settings

TABS = ("generate",)


def test_a_beam_link_round_trips() -> None:
    s, notes = params.parse_query({"decode": "beam", "width": "16", "futures": "4", "flen": "30", "fat": "12"}, TABS)
    assert notes == []
    assert (s.decoding, s.beam_width, s.futures, s.futures_length, s.futures_at) == ("beam", 16, 4, 30, 12)
    query = params.to_query(s)
    assert {k: query[k] for k in ("decode", "width", "futures", "flen", "fat")} == {
        "decode": "beam", "width": "16", "futures": "4", "flen": "30", "fat": "12",
    }  # fmt: skip
    assert params.parse_query(query, TABS)[0] == s


def test_defaults_stay_out_of_a_link() -> None:
    query = params.to_query(Settings())
    assert not {"decode", "width", "futures", "flen", "fat"} & set(query)


@pytest.mark.parametrize(
    ("query", "field", "value", "note"),
    [
        ({"width": "100"}, "beam_width", MAX_WIDTH, f"Beam width 100 is out of range (2–{MAX_WIDTH})"),
        ({"width": "1"}, "beam_width", 2, "Beam width 1 is out of range"),
        ({"width": "wide"}, "beam_width", params.BEAM_WIDTH_DEFAULT, "Beam width 'wide' is not a whole number"),
        ({"futures": "99"}, "futures", MAX_FUTURES, f"Futures 99 is out of range (0–{MAX_FUTURES})"),
        ({"flen": "0"}, "futures_length", 1, "Future length 0 is out of range"),
        ({"fat": "-3"}, "futures_at", 0, "Futures position -3 is out of range"),
        ({"decode": "bogus"}, "decoding", "sample", "Decoding 'bogus' is not one of sample, greedy, beam"),
    ],
)
def test_a_bad_value_is_replaced_with_a_note(query: dict, field: str, value: object, note: str) -> None:
    s, notes = params.parse_query(query, TABS)
    assert getattr(s, field) == value
    assert len(notes) == 1 and notes[0].startswith(note), notes


def test_greedy_decoding_is_the_samplers_greedy_setting() -> None:
    assert params.parse_query({"decode": "greedy"}, TABS)[0].sampling.greedy
    assert Settings.of(decoding="greedy").sampling.greedy
    assert Settings.of(greedy=True).decoding == "greedy"
    assert Settings.of(temperature=0).decoding == "greedy"
    assert Settings.of(decoding="beam").decoding == "beam" and not Settings.of(decoding="beam").sampling.greedy
    assert Settings.of().decoding == "sample"


def test_futures_do_not_change_the_sample_but_decoding_does() -> None:
    s = Settings(seed=3)
    assert s.same_sample(replace(s, futures=5, futures_length=20, futures_at=9, tab="score"))
    assert not s.same_sample(replace(s, decoding="beam"))
    assert not replace(s, decoding="beam").same_sample(replace(s, decoding="beam", beam_width=9))


def test_the_label_names_the_decoding() -> None:
    assert Settings(decoding="beam", beam_width=12).label == "beam 12"
    assert Settings.of(decoding="greedy").label == "greedy"
    assert Settings.of(temperature=0.7).label == "T=0.7"
