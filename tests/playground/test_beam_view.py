"""The beam view's and the futures panel's tables, from hand-made beams and futures."""

from __future__ import annotations

import numpy as np

from charrnn.beam import Beam, Future
from playground.pages.generate.beams import beams_frame, parting, side_by_side
from playground.pages.generate.futures import distinct_starts, futures_frame


def beam(text: str, bits_per_char: float) -> Beam:
    p = 2.0**-bits_per_char
    return Beam(text, tuple(range(len(text))), len(text) * np.log(p), np.full(len(text), p), stopped=False)


BEAMS = [beam("the cat sat\nand", 1.0), beam("the cat ran", 1.2), beam("the dog sat", 1.5)]


def test_parting_is_the_first_difference() -> None:
    assert parting("the cat", "the cow") == 5
    assert parting("the cat", "the cat") == 7
    assert parting("the cat", "the") == 3


def test_the_list_gives_bits_and_where_each_parts_from_the_best() -> None:
    frame = beams_frame(BEAMS, offset=10)
    assert list(frame["#"]) == [1, 2, 3]
    assert list(frame["bits/char"]) == [1.0, 1.2, 1.5]
    assert list(frame["bits"]) == [15.0, round(11 * 1.2, 1), 16.5]
    assert frame["parts at"].isna()[0] and list(frame["parts at"][1:]) == [18, 14]  # positions of the sample
    assert frame["text"][0] == "the␣cat␣sat⏎and"


def test_side_by_side_aligns_the_beams_where_the_first_one_parts() -> None:
    frame = side_by_side(BEAMS, offset=10)
    assert list(frame.columns) == ["#", "before", "from position 14"]
    assert list(frame["before"]) == ["the␣"] * 3
    assert list(frame["from position 14"]) == ["cat␣sat⏎and", "cat␣ran", "dog␣sat"]


def test_the_futures_table_and_how_many_openings_differ() -> None:
    found = [Future(3, "abcdefghijkl", np.full(12, 0.5)), Future(4, "abcdefghijXX", np.full(12, 0.25))]
    assert distinct_starts(found) == 1 and distinct_starts(found, chars=11) == 2
    frame = futures_frame("x" * 30 + "\nstart", found)
    assert list(frame["seed"]) == [3, 4] and list(frame["bits/char"]) == [1.0, 2.0]
    assert frame["before"][0] == "…" + "x" * 14 + "⏎start"
