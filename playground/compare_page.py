"""The "RNN vs GRU vs LSTM" tab: the same corpus and recipe, three cells at about the same parameter
count; their validation figures in one table and their samples for one prime and seed side by side."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from charrnn import CharRNN, sample
from playground import catalog
from playground.catalog import ModelInfo

STYLES = ("shakespeare-rnn", "shakespeare-gru", "shakespeare-lstm")
DEFAULTS = {"compare_prime": "ROMEO:\n", "compare_seed": 1, "compare_length": 300, "compare_temperature": 0.8}
LENGTH_MAX = 2_000


@st.cache_data(show_spinner=False, max_entries=64)
def cached_sample(model_key: str, _model: CharRNN, prime: str, length: int, temperature: float, seed: int) -> str:
    return sample(_model, prime, length, temperature=temperature, seed=seed, unknown="replace")


def figures_frame(infos: list[ModelInfo]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "style": [i.key for i in infos],
            "cell": [i.cell.upper() for i in infos],
            "layers × hidden": [f"{i.layers} × {i.hidden}" for i in infos],
            "parameters": [i.parameters for i in infos],
            "val nats/char": [None if i.val_loss is None else round(i.val_loss, 4) for i in infos],
            "val bits/char": [None if i.val_bits is None else round(i.val_bits, 4) for i in infos],
            "training": [None if i.train_time_s is None else catalog.format_duration(i.train_time_s) for i in infos],
        }
    )


def render(infos: list[ModelInfo], load: Callable[[ModelInfo], CharRNN | str]) -> None:
    ss = st.session_state
    ss.update({key: value for key, value in DEFAULTS.items() if key not in ss})
    st.markdown(
        "#### One corpus, three cells\n"
        "The same Shakespeare text and recipe trained with a vanilla RNN, a GRU and an LSTM of about "
        "the same size. Lower validation loss is better; the samples share prime, seed and temperature."
    )
    by_key = {i.key: i for i in infos}
    missing = [k for k in STYLES if k not in by_key or by_key[k].error]
    present = [by_key[k] for k in STYLES if k not in missing]
    if missing:
        recipes = " ; ".join(f"`python -m training.train --recipe {k}`" for k in missing)
        st.warning(f"Not available here: {', '.join(missing)}. Train them with {recipes}.", icon="🧪")
    if not present:
        return
    st.dataframe(figures_frame(present), hide_index=True)
    c1, c2, c3, c4 = st.columns([3, 1, 1, 1])
    c1.text_input("Prime", key="compare_prime", help="Characters a model does not know become a space.")
    c2.number_input("Seed", 0, 2**32 - 1, step=1, key="compare_seed")
    c3.number_input("Length", 1, LENGTH_MAX, step=100, key="compare_length")
    c4.number_input("Temperature", 0.05, 2.0, step=0.05, key="compare_temperature")
    columns = st.columns(len(present))
    for col, info in zip(columns, present, strict=True):
        with col:
            st.markdown(f"**{info.cell.upper()}** · {info.architecture} · {catalog.format_count(info.parameters)}")
            model = load(info)
            if not isinstance(model, CharRNN):
                st.error(f"{info.name} cannot be loaded: {model}")
                continue
            args = (ss.compare_prime, int(ss.compare_length), float(ss.compare_temperature), int(ss.compare_seed))
            text = cached_sample(f"{info.key}:{id(model)}", model, *args)
            st.code(ss.compare_prime + text, language=None, wrap_lines=True)
