"""The Compare tab: up to 4 styles by up to 3 temperatures (or greedy), one prime, seed and length
for all. The cells stream side by side, each drawn by ``charrnn.generate`` (the one sampling path:
a cell's text is ``sample()`` with the same settings), then show the model's bits/char of its own
text and its longest span copied from its training text. Every choice lives in the URL; the
earlier "RNN vs GRU vs LSTM" view is the preset (one click), with its table of validation figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st

from charrnn import CharRNN, SamplingSettings, Step, generate
from charrnn.copycheck import CopyIndex
from charrnn.metrics import perplexity
from playground import copycheck, html
from playground.context import PageContext
from playground.pages.compare import grid
from playground.pages.compare.grid import Grid
from playground.session import catalog, hub, styles
from playground.session.catalog import ModelInfo

CHUNK = 25  # characters each cell draws before the page is updated: the cells advance together
CELLS_KEPT = 64  # finished cells remembered per session (a grid revisited is not drawn again)
ss = st.session_state

NAME = "compare"
LABEL = "⚖️ Compare"
KEPT: dict[str, object] = dict.fromkeys(  # their defaults come from the link or the preset (boot)
    ("grid_styles", "grid_temps", "grid_prime", "grid_seed", "grid_length", "copy_min")
)
NEEDS_MODEL = False


@dataclass(frozen=True)
class Cell:
    info: ModelInfo
    temperature: float

    @property
    def settings(self) -> SamplingSettings:
        return SamplingSettings.from_temperature(self.temperature)  # grid.GREEDY (0) is greedy

    @property
    def label(self) -> str:
        return f"{self.info.key.removeprefix('hf:')} · {self.settings.label}"


@dataclass(frozen=True)
class Drawn:
    text: str
    bits_per_char: float  # the model's own surprise at its text (temperature 1, no filtering)


# ---------------------------------------------------------------- session and URL


def boot(query: dict, infos: list[ModelInfo], style: str | None) -> list[str]:
    """The grid of a shared link, else the preset (when its models are here) or the sidebar's style."""
    g, notes = grid.parse_grid(query)
    if not g.styles:
        keys = {i.key for i in infos if not i.error}
        preset = grid.PRESET if set(grid.PRESET_STYLES) <= keys else Grid((style,) if style else ())
        g = replace(g, styles=preset.styles)
        if "gprime" not in query and preset.prime is not None:
            g = replace(g, prime=preset.prime)
    set_grid(g, infos)
    return notes + fetch_hub_styles()


def fetch_hub_styles() -> list[str]:
    """A grid link's Hub styles, fetched as the sidebar does; one that cannot be loaded leaves the grid, said."""
    notes = []
    for key in [k for k in ss.grid_styles if hub.is_hub_key(k)]:
        error = styles.add_hub_style(hub.repo_of(key))
        if error:
            notes.append(f"The grid's Hub model {hub.repo_of(key)} cannot be loaded: {error}.")
            ss.grid_styles.remove(key)
    return notes


def set_grid(g: Grid, infos: list[ModelInfo]) -> None:
    by_key = {i.key: i for i in infos}
    first = by_key.get(g.styles[0]) if g.styles else None
    ss.grid_styles = list(g.styles)
    ss.grid_temps = grid.format_temperatures(g.temperatures)
    ss.grid_prime = g.prime if g.prime is not None else (first.default_prime if first else "")
    ss.grid_seed, ss.grid_length, ss.copy_min = g.seed, g.length, g.min_length


def current_grid() -> Grid:
    temperatures, _ = grid.parse_temperatures(ss.get("grid_temps", ""))
    return Grid(
        tuple(ss.get("grid_styles", [])[: grid.MAX_STYLES]),
        temperatures or Grid.temperatures,
        ss.get("grid_prime", ""),
        int(ss.get("grid_seed", Grid.seed)),
        int(ss.get("grid_length", Grid.length)),
        int(ss.get("copy_min", Grid.min_length)),
    )


def query() -> dict[str, str]:
    return grid.grid_query(current_grid())


def apply_preset() -> None:
    set_grid(grid.PRESET, ss.get("_infos", []))


# ---------------------------------------------------------------- controls


def figures_frame(infos: list[ModelInfo]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "style": [i.key for i in infos],
            "cell": [i.cell.upper() for i in infos],
            "layers × hidden": [f"{i.layers} × {i.hidden}" for i in infos],
            "parameters": [i.parameters for i in infos],
            "val nats/char": [None if i.val_loss is None else round(i.val_loss, 4) for i in infos],
            "val bits/char": [None if i.val_bits is None else round(i.val_bits, 4) for i in infos],
            "val perplexity": [None if i.val_loss is None else round(perplexity(i.val_loss), 2) for i in infos],
            "training": [None if i.train_time_s is None else catalog.format_duration(i.train_time_s) for i in infos],
        }
    )


def controls(infos: list[ModelInfo]) -> None:
    usable = [i.key for i in infos if not i.error]
    options = usable + [k for k in ss.get("grid_styles", []) if k not in usable]
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    c1.multiselect(
        "Styles",
        options,
        key="grid_styles",
        max_selections=grid.MAX_STYLES,
        format_func=lambda k: k.removeprefix("hf:"),
        help="Up to 4, from the sidebar's list (Hub models too, once loaded there).",
    )
    c2.button(
        "⚖️ RNN vs GRU vs LSTM", on_click=apply_preset, help="The architecture comparison: same corpus, recipe and size."
    )
    c1, c2, c3, c4, c5 = st.columns([3, 2, 1, 1, 1])
    c1.text_input("Prime", key="grid_prime", help="The same prime for every cell.")
    c2.text_input(
        "Temperatures",
        key="grid_temps",
        help="Up to 3, separated by commas; 'greedy' (or 0) for the most likely character.",
    )
    c3.number_input("Seed", 0, 2**32 - 1, step=1, key="grid_seed")
    c4.number_input("Length", 1, grid.LENGTH_MAX, step=100, key="grid_length")
    c5.number_input(
        "Shortest copy",
        grid.MIN_LENGTH_MIN,
        grid.MIN_LENGTH_MAX,
        step=5,
        key="copy_min",
        help="Spans at least this long found verbatim in a style's training text are marked.",
    )
    _, notes = grid.parse_temperatures(ss.grid_temps)
    for note in notes:
        st.caption(f"⚠️ {note}")


def render(ctx: PageContext) -> None:
    infos, load = ctx.infos, ctx.load_model
    st.markdown(
        "#### Compare styles and temperatures\n"
        "Every cell starts from the same prime and seed. Lower bits/char: the model found its own text "
        "less surprising; highlighted spans appear word for word in the style's training text."
    )
    controls(infos)
    ss.grid_texts = {}  # (style, temperature) -> the text of each cell drawn in this run
    g = current_grid()
    by_key = {i.key: i for i in infos}
    missing = [k for k in g.styles if k not in by_key or by_key[k].error]
    if missing:
        recipes = " ; ".join(f"`python -m training.train --recipe {k}`" for k in missing if not k.startswith("hf:"))
        st.warning(
            f"Not available here: {', '.join(missing)}." + (f" Train them with {recipes}." if recipes else ""),
            icon="🧪",
        )
    present = [by_key[k] for k in g.styles if k not in missing]
    if not present:
        st.info("Pick at least one style.")
        return
    st.dataframe(figures_frame(present), hide_index=True)
    run_grid(g, present, load)


# ---------------------------------------------------------------- the grid


def cell_key(cell: Cell, model: CharRNN, g: Grid) -> tuple:
    return (cell.info.key, id(model), g.prime, g.length, cell.temperature, g.seed)


def cannot_run(model: CharRNN | str, prime: str) -> str | None:
    """Why a cell cannot be drawn (its own message; the other cells still run), or None."""
    if not isinstance(model, CharRNN):
        return f"This style cannot be loaded: {model}"
    unknown = model.vocab.unknown_chars(prime)
    if unknown:
        shown = ", ".join(repr(c) for c in unknown[:8])
        return f"This style cannot read the prime: it has never seen {shown}. Change the prime to compare it."
    return None


def run_grid(g: Grid, present: list[ModelInfo], load: Callable[[ModelInfo], CharRNN | str]) -> None:
    done: dict = ss.setdefault("grid_done", {})
    models = {i.key: load(i) for i in present}
    slots: dict[Cell, tuple] = {}
    for t in g.temperatures:
        columns = st.columns(len(present))
        for col, info in zip(columns, present, strict=True):
            cell = Cell(info, t)
            with col:
                st.markdown(f"**{cell.label}**")
                slots[cell] = (st.empty(), st.container())
    pending: dict[Cell, Iterator[Step]] = {}
    for cell, (text_slot, _) in slots.items():
        model = models[cell.info.key]
        problem = cannot_run(model, g.prime)
        if problem:
            text_slot.warning(problem, icon="🔤")
        elif cell_key(cell, model, g) not in done:
            pending[cell] = generate(model, g.prime, g.length, cell.settings, seed=g.seed, unknown="error")
    stream(pending, slots, models, g, done)
    indexes: dict[str, CopyIndex | str] = {}  # one lookup per style, not per cell
    for cell, (text_slot, below) in slots.items():
        model = models[cell.info.key]
        drawn = done.get(cell_key(cell, model, g)) if isinstance(model, CharRNN) else None
        if drawn is not None:
            ss.grid_texts[(cell.info.key, cell.temperature)] = drawn.text
            if cell.info.key not in indexes:
                indexes[cell.info.key] = copycheck.index_for(model)
            show_cell(cell, indexes[cell.info.key], g, drawn, text_slot, below)


def stream(pending: dict, slots: dict, models: dict, g: Grid, done: dict) -> None:
    """All pending cells advance together, ``CHUNK`` characters at a time: the grid costs the sum of its cells."""
    texts: dict[Cell, list[str]] = {cell: [] for cell in pending}
    bits: dict[Cell, float] = dict.fromkeys(pending, 0.0)
    while pending:
        for cell in list(pending):
            for _ in range(CHUNK):
                step = next(pending[cell], None)
                if step is None:
                    del pending[cell]
                    text = "".join(texts[cell])
                    per_char = bits[cell] / len(text) if text else math.nan
                    done[cell_key(cell, models[cell.info.key], g)] = Drawn(text, per_char)
                    break
                texts[cell].append(step.char)
                bits[cell] -= math.log2(max(step.prob_raw, 1e-300))
            else:
                slots[cell][0].html(html.streaming_text(g.prime, "".join(texts[cell])))
    for key in list(done)[:-CELLS_KEPT]:
        del done[key]


def show_cell(cell: Cell, index: CopyIndex | str, g: Grid, drawn: Drawn, text_slot, below) -> None:
    tag = f"{cell.info.key}|{cell.settings.label}"
    report = index.find(drawn.text, g.min_length) if not isinstance(index, str) else None
    text_slot.html(copycheck.marked_html(g.prime, drawn.text, report, "charrnn-cell", tag))
    with below:
        facts = f"{drawn.bits_per_char:.2f} bits/char under the model"
        if report is None:
            st.caption(f"{facts} · copied spans not checked: {index}")
            return
        st.caption(
            f"{facts} · longest copied span **{report.longest}** chars ({report.copied_fraction:.0%} of the text)"
        )
        copycheck.span_picker(index, drawn.text, report, f"grid_span_{tag}")
