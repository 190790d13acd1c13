"""The Compare tab's grid: up to 4 styles by up to 3 temperatures (or greedy), one prime, seed and
length for all; its round trip through the URL (keys ``grid``, ``temps``, ``gprime``, ``gseed``,
``glen``, ``gmin``), never raising: what is malformed is dropped or clamped, with a note.

A link without these keys (every link made before the grid existed) gets the RNN / GRU / LSTM
preset, which is what the tab showed before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from charrnn.copycheck import MIN_LENGTH_DEFAULT
from playground.copycheck import MIN_LENGTH_MAX, MIN_LENGTH_MIN
from playground.session import catalog, hub
from playground.session.params import (
    SEED_MAX,
    TEMPERATURE_MAX,
    TEMPERATURE_MIN,
    _last,
    _parse_float,
    _parse_int,
    _shown,
    clean_text,
)

MAX_STYLES, MAX_TEMPERATURES = 4, 3
LENGTH_MAX = 2_000
GREEDY = 0.0  # a temperature of 0 in the grid: always the most likely character
PRESET_STYLES = ("shakespeare-rnn", "shakespeare-gru", "shakespeare-lstm")


@dataclass(frozen=True)
class Grid:
    """Everything the grid's texts depend on. ``styles`` empty means the default (the preset where
    its models are here, else the sidebar's style); ``prime`` None the first style's own prime."""

    styles: tuple[str, ...] = ()
    temperatures: tuple[float, ...] = (0.8,)
    prime: str | None = None
    seed: int = 1
    length: int = 300
    min_length: int = MIN_LENGTH_DEFAULT


PRESET = Grid(PRESET_STYLES, (0.8,), "ROMEO:\n", 1, 300)


def format_temperatures(temperatures: tuple[float, ...]) -> str:
    return ", ".join("greedy" if t == GREEDY else f"{t:g}" for t in temperatures)


def parse_temperatures(text: str) -> tuple[tuple[float, ...], list[str]]:
    """``"0.8, 1.2, greedy"`` -> (0.8, 1.2, 0.0); bad or extra entries dropped with a note."""
    out: list[float] = []
    notes: list[str] = []
    for part in [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]:
        value = GREEDY if part.lower() in ("greedy", "g", "0") else _parse_float(part)
        if value is None or value < 0:
            notes.append(f"Temperature {_shown(part)} is not a number above 0 or 'greedy': dropped.")
            continue
        if value != GREEDY and not TEMPERATURE_MIN <= value <= TEMPERATURE_MAX:
            value = min(max(value, TEMPERATURE_MIN), TEMPERATURE_MAX)
            notes.append(f"Temperature {_shown(part)} is out of range: using {value:g}.")
        value = round(value, 4)
        if value not in out:
            out.append(value)
    if len(out) > MAX_TEMPERATURES:
        notes.append(f"At most {MAX_TEMPERATURES} temperatures: using {format_temperatures(tuple(out[:3]))}.")
    return tuple(out[:MAX_TEMPERATURES]), notes


def parse_styles(text: str) -> tuple[tuple[str, ...], list[str]]:
    out: list[str] = []
    notes: list[str] = []
    for name in [p.strip() for p in text.split(",") if p.strip()]:
        try:
            name = hub.hub_key(hub.repo_of(name)) if hub.is_hub_key(name) else name
            ok = hub.is_hub_key(name) or catalog.is_valid_name(name)
        except ValueError:
            ok = False
        if not ok:
            notes.append(f"The grid names the style {_shown(name)}, which is not a model name: it is ignored.")
        elif name not in out:
            out.append(name)
    if len(out) > MAX_STYLES:
        notes.append(f"At most {MAX_STYLES} styles in the grid: the first {MAX_STYLES} are used.")
    return tuple(out[:MAX_STYLES]), notes


def _bounded_int(q: dict[str, str], key: str, low: int, high: int, default: int, what: str) -> tuple[int, list[str]]:
    if key not in q:
        return default, []
    value = _parse_int(q[key])
    if value is None:
        return default, [f"The grid's {what} {_shown(q[key])} is not a whole number: using {default}."]
    if not low <= value <= high:
        clamped = min(max(value, low), high)
        return clamped, [f"The grid's {what} {value:,} is out of range ({low}–{high:,}): using {clamped:,}."]
    return value, []


def parse_grid(query: Mapping[str, str | list[str]]) -> tuple[Grid, list[str]]:
    """The grid a query string describes (missing keys keep their defaults) and notes on what was fixed."""
    q = {str(k): clean_text(_last(v)) for k, v in query.items()}  # lone surrogates cannot go back into a URL
    notes: list[str] = []
    styles, more = parse_styles(q.get("grid", ""))
    notes += more
    temperatures, more = parse_temperatures(q["temps"]) if "temps" in q else (Grid.temperatures, [])
    notes += more
    seed, more = _bounded_int(q, "gseed", 0, SEED_MAX, Grid.seed, "seed")
    notes += more
    length, more = _bounded_int(q, "glen", 1, LENGTH_MAX, Grid.length, "length")
    notes += more
    min_length, more = _bounded_int(q, "gmin", MIN_LENGTH_MIN, MIN_LENGTH_MAX, Grid.min_length, "shortest span")
    notes += more
    prime = q["gprime"][-1_000:] if "gprime" in q else None
    return Grid(styles, temperatures or Grid.temperatures, prime, seed, length, min_length), notes


def grid_query(grid: Grid) -> dict[str, str]:
    """The query keys that reproduce ``grid`` (written whole, so a link keeps its meaning)."""
    query = {"grid": ",".join(grid.styles), "temps": format_temperatures(grid.temperatures).replace(" ", "")}
    if grid.prime is not None:
        query["gprime"] = grid.prime
    query.update({"gseed": str(grid.seed), "glen": str(grid.length), "gmin": str(grid.min_length)})
    return query
