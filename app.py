"""Char-RNN Playground: play with, and understand, character-level language models.

    streamlit run app.py

Models are the folders of ``models/`` beside this file (or of ``$CHARRNN_MODELS_DIR``), plus any
Hugging Face repo loaded from the sidebar. This file holds the session (settings from the URL and
back), the sidebar and a loop over the tabs; each tab is a page of ``playground.pages`` (its
``render`` draws it from a ``PageContext``). Every setting lives in the URL query string, so a link
reproduces a sample.
"""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from charrnn import CharRNN
from playground import pages
from playground.context import PageContext
from playground.session import catalog, hub, state, styles
from playground.session.catalog import ModelInfo
from playground.train import access, workspace

RUN_STARTED = time.perf_counter()
APP_DIR = Path(__file__).resolve().parent

st.set_page_config(page_title="Char-RNN Playground", page_icon="🔤", layout="wide")
ss = st.session_state


# ---------------------------------------------------------------- sidebar


def sidebar(infos: list[ModelInfo], root: Path) -> ModelInfo | None:
    with st.sidebar:
        st.markdown("## 🔤 Char-RNN Playground")
        st.caption("Character-level language models, one character at a time: watch what they expect.")
        info = None
        if infos:
            style_picker(infos)
            info = styles.find(infos, ss.style)
            if info is not None:
                style_details(info)
        with st.expander("🤗 Load a model from the Hugging Face Hub", expanded=not infos):
            with st.form("hub_form", border=False):
                st.text_input("Repo id", key="hub_repo", placeholder="username/charrnn-shakespeare")
                st.form_submit_button("Load from the Hub", on_click=styles.request_hub)
            if ss.get("hub_error"):
                st.error(ss.pop("hub_error"), icon="🤗")
            st.caption("Downloads go to the Hugging Face cache and are reused; nothing runs code from the repo.")
        st.caption(f"Models folder: `{root}`")
    return info


def style_picker(infos: list[ModelInfo]) -> None:
    """One radio per group (the styles, the course's, the comparison, yours, the Hub), one line per
    style; ``ss.style`` is the one selected, shown in the group that holds it."""
    by_key = {i.key: i for i in infos}
    for group, members in catalog.grouped(infos):
        key, keys = f"style_in_{group}", [i.key for i in members]
        ss[key] = ss.style if ss.style in keys else None
        st.radio(
            catalog.GROUPS[group],
            keys,
            key=key,
            format_func=lambda k: by_key[k].line,
            on_change=styles.pick_style,
            args=(key,),
        )


def style_details(info: ModelInfo) -> None:
    if info.error:
        st.error(f"**{info.key.removeprefix(hub.HUB_PREFIX)}** cannot be used: {info.error}", icon="⚠️")
        return
    rows = [
        ("corpus", f"{info.title or info.corpus}" + (f" — {info.author}" if info.author else "")),
        ("cell", f"{info.cell.upper()}, {info.layers} layers × {info.hidden} units (embedding {info.embedding})"),
        ("parameters", f"{info.parameters:,}"),
        ("vocabulary", f"{info.vocab_size} characters"),
        ("validation", info.loss_text),
    ]
    if info.ngram_loss is not None and info.val_loss is not None:
        rows.append(
            (
                "n-gram baseline",
                f"{info.ngram_loss:.3f} nats/char (model {1 - info.val_loss / info.ngram_loss:.1%} lower)",
            )
        )
    if info.train_time_s is not None:
        rows.append(
            ("training", catalog.format_duration(info.train_time_s) + (f" on {info.hardware}" if info.hardware else ""))
        )
    if info.weights_dtype:
        rows.append(("weights", info.weights_dtype))
    with st.expander(f"About **{info.name}**", expanded=False):
        st.markdown("\n".join(["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]))


# ---------------------------------------------------------------- no models


def no_models(root: Path) -> None:
    st.title("🔤 Char-RNN Playground")
    st.info(
        f"No models yet: `{root}` holds no model folder. Train one (a few minutes on a laptop gives "
        "recognisable words), or load one from the Hugging Face Hub in the sidebar.",
        icon="🧪",
    )
    st.markdown(
        "**Train a style**\n\n"
        "```bash\n"
        "pip install -r requirements.txt\n"
        "python -m corpora prepare shakespeare\n"
        "python -m training.train --corpus shakespeare --out models/shakespeare\n"
        "streamlit run app.py\n"
        "```\n\n"
        "Any UTF-8 text works too: `python -m training.train --text my.txt --out models/mine`. The app lists every "
        "folder of `models/` (or of `$CHARRNN_MODELS_DIR`) holding `config.json` and `model.safetensors`; while a "
        "model trains, its `history.json` already shows in the Training timeline."
    )


# ---------------------------------------------------------------- the page


def draw_pages(ctx: PageContext, model: CharRNN | str) -> None:
    """One tab per page of the registry; only the open one is drawn."""
    tabs = st.tabs(list(state.labels(pages.PAGES).values()), key="tab", on_change="rerun")
    for page, tab in zip(pages.PAGES, tabs, strict=True):
        if not tab.open:
            continue
        with tab:
            if page.NEEDS_MODEL and ctx.model is None:
                st.error(f"**{ctx.info.key.removeprefix(hub.HUB_PREFIX)}** cannot be used: {model}", icon="⚠️")
                st.caption("Pick another style in the sidebar. The training timeline and the files may still help.")
            else:
                page.render(ctx)


def main() -> None:
    root = catalog.models_root(APP_DIR)
    work = workspace.workspace_root()
    notes = access.open_links(work, ss, st.query_params.to_dict()) if not ss.get("booted") else []
    # Once a rerun, and only this session's runs: the sidebar's "Yours", every tab and the Train tab read it.
    runs = access.session_runs(work, ss)
    local = catalog.scan_models(root) + workspace.user_infos(runs)
    notes += state.boot(pages.PAGES, local) if not ss.get("booted") else []
    state.keep_widget_state(pages.PAGES)
    styles.note_resets(pages.PAGES)
    styles.process_hub_request()
    infos = local + styles.hub_infos()
    ss._infos = infos
    if infos and ss.get("style") not in {i.key for i in infos}:
        ss.style = catalog.default_style(infos)
    info = styles.find(infos, ss.get("style"))
    for note in notes:
        st.warning(note, icon="🔗")
    if info is None:
        no_models(root)
        sidebar(infos, root)
        return
    model = styles.load_model(info)
    state.fit_top_k(model)
    state.sync_url(pages.PAGES)
    ctx = PageContext(
        info=info,
        model=model if isinstance(model, CharRNN) else None,
        infos=infos,
        settings=state.current_settings(pages.PAGES),
        runs=runs,
        app_dir=APP_DIR,
        work=work,
        started=RUN_STARTED,
        load_model=styles.load_model,
        select_style=styles.select_style,
    )
    draw_pages(ctx, model)
    sidebar(infos, root)  # last: the sidebar is its own column, and a sample streams before it is redrawn


main()
