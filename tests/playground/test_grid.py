"""``playground.pages.compare.grid``: the grid's URL round trip, bad and fuzzed grid links."""

from __future__ import annotations

from playground.pages.compare import grid
from playground.pages.compare.grid import Grid


def test_a_grid_round_trips_through_the_url() -> None:
    g = Grid(("tiny-lstm", "hf:someone/charrnn"), (0.8, grid.GREEDY, 1.25), "To be\n", 42, 123, 30)
    assert grid.parse_grid(grid.grid_query(g)) == (g, [])


def test_a_bad_grid_link_is_fixed_with_notes_never_raised() -> None:
    query = {"grid": "a,../etc,b,c,d,e", "temps": "0.8,hot,-1,9,1,1.5", "gseed": "x", "glen": "99999", "gmin": "1"}
    g, notes = grid.parse_grid(query)
    assert g.styles == ("a", "b", "c", "d")
    assert g.temperatures == (0.8, 3.0, 1.0)
    assert (g.seed, g.length, g.min_length) == (1, grid.LENGTH_MAX, grid.MIN_LENGTH_MIN)
    assert len(notes) == 9  # 2 for the styles, 4 for the temperatures, 1 each for seed, length, span
    assert grid.parse_grid({}) == (Grid(), [])  # an old link: every default


def test_fuzzed_grid_links_never_raise() -> None:
    import random

    rng = random.Random(21)
    pieces = ["", ",", "greedy", "0", "-1", "nan", "inf", "1e9", "0.8", "a,b", "hf:x/y", "../..", "\ud800", "☃", " "]
    for _ in range(500):
        query = {k: "".join(rng.choice(pieces) for _ in range(rng.randint(0, 4))) for k in grid.grid_query(Grid())}
        g, notes = grid.parse_grid({k: v for k, v in query.items() if rng.random() < 0.8})
        assert len(g.styles) <= grid.MAX_STYLES and 1 <= len(g.temperatures) <= grid.MAX_TEMPERATURES
        assert 1 <= g.length <= grid.LENGTH_MAX and all(isinstance(n, str) for n in notes)
        assert grid.parse_grid(grid.grid_query(g))[0] == g  # what the page writes back reads the same
