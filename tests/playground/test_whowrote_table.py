"""The "Who wrote it?" table and bar chart: best first, winner green, a close runner-up amber,
styles that cannot read the text pale and explained."""

from __future__ import annotations

import math

from charrnn.whowrote import Reading, rank
from playground.pages.score.whowrote_table import (
    CLOSE_COLOUR,
    OTHER_COLOUR,
    UNREADABLE_COLOUR,
    WINNER_COLOUR,
    ranking_frame,
    ranking_spec,
)


def reading(style: str, bits: float, unknown_count: int = 0) -> Reading:
    return Reading(
        style, 100, bits * (100 - unknown_count) * math.log(2), ("ж",) * bool(unknown_count), unknown_count, 0.0
    )


def test_the_frame_lists_styles_best_first_with_the_reason_for_the_last():
    ranking = rank([reading("b", 2.5), reading("blind", 0.1, unknown_count=80), reading("a", 2.0)])
    frame = ranking_frame(ranking)
    assert frame["style"].tolist() == ["a", "b", "blind"] and frame["rank"].tolist() == [1, 2, 3]
    assert frame["bits/char"].iloc[0] == ranking.readings[0].bits_per_char
    assert frame["note"].tolist() == ["the best guess", "", "cannot read 80% of the text (1 character it never saw)"]


def test_the_chart_colours_the_winner_a_close_runner_up_and_the_unreadable():
    clear = ranking_spec(rank([reading("a", 2.0), reading("b", 2.5), reading("blind", 0.1, unknown_count=80)]))
    assert [v["colour"] for v in clear["data"]["values"]] == [WINNER_COLOUR, OTHER_COLOUR, UNREADABLE_COLOUR]
    assert [v["style"] for v in clear["data"]["values"]] == ["a", "b", "blind"]
    close = ranking_spec(rank([reading("a", 2.0), reading("b", 2.05), reading("c", 3.0)]))
    assert [v["colour"] for v in close["data"]["values"]] == [WINNER_COLOUR, CLOSE_COLOUR, OTHER_COLOUR]
