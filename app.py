"""Char-RNN Playground: play with, and understand, character-level language models.

    streamlit run app.py

Models are the folders of ``models/`` beside this file (or of ``$CHARRNN_MODELS_DIR``), plus any
Hugging Face repo loaded from the sidebar. This file holds the session (settings from the URL and
back), the model cache, the sidebar and the tabs; each tab is drawn by a ``playground/*_page.py``.
Every setting lives in the URL query string, so a link reproduces a sample.
"""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from charrnn import CharRNN, CheckpointError, sample
from playground import (
    access,
    catalog,
    compare_page,
    download_page,
    generate_page,
    hub,
    lesson_page,
    neurons_page,
    params,
    score_page,
    timeline_page,
    train_page,
    workspace,
)
from playground.catalog import ModelInfo
from playground.params import Settings

RUN_STARTED = time.perf_counter()
APP_DIR = Path(__file__).resolve().parent
TABS = {
    "generate": "✍️ Generate",
    "score": "🔬 Score a text",
    "training": "📈 Training timeline",
    "lesson": "🧮 How it works",
    "neurons": "🔦 Neurons",
    "compare": "⚖️ Compare",
    "download": "📦 Download & deploy",
    "train": "🏋️ Train",
}
TAB_NAMES = {label: name for name, label in TABS.items()}
# Widgets inside tabs keep their values while another tab is open (Streamlit forgets a widget's
# state in a run that does not draw it, unless the value is written back each run).
# fmt: off
KEPT_WIDGETS = (
    *(spec.key for spec in params.WIDGETS), "alts", "pos", "preview_t",
    "score_text", "x_axis", "log_steps", "loss_unit", "timeline_point", "hub_repo", "branch_char", "dist_all",
    "lesson_word", "lesson_hidden", "neuron_source", "neuron_text", "neuron_layer", "neuron_unit", "neuron_state",
    "neuron_pick", "grid_styles", "grid_temps", "grid_prime", "grid_seed", "grid_length", "copy_min",
    "train_source", "train_text", "train_corpus", "train_preset", "train_name", "train_advanced", "train_cell",
    "train_layers", "train_hidden", "train_epochs", "train_seq_len", "train_dropout", "train_start_state",
)
# fmt: on

st.set_page_config(page_title="Char-RNN Playground", page_icon="🔤", layout="wide")
ss = st.session_state


# ---------------------------------------------------------------- models (loaded once per process)


def _signature(path: Path) -> tuple:
    out = []
    for name in (catalog.CONFIG_FILE, catalog.WEIGHTS_FILE):
        try:
            stat = (path / name).stat()
            out.append((name, stat.st_mtime_ns, stat.st_size))
        except OSError:
            out.append((name, None, None))
    return tuple(out)


@st.cache_resource(show_spinner=False, max_entries=32)
def _load_model(path: str, signature: tuple) -> CharRNN | str:
    """The model, or why it cannot be loaded. Shared by every session: used read-only, in eval mode
    and under ``torch.inference_mode`` (no state lives on the module), so threads can share it."""
    try:
        model = CharRNN.from_pretrained(path)
        sample(model, "", 1)  # builds the sampling engine now, so that the first Generate is quick
        return model
    except CheckpointError as e:
        return str(e)
    except Exception as e:  # anything else a broken directory can raise: one line for the user
        return f"{type(e).__name__}: {e}"


def load_model(info: ModelInfo) -> CharRNN | str:
    if info.error:
        return info.error
    return _load_model(str(info.path), _signature(info.path))


@st.cache_resource(show_spinner=False, ttl=3600, max_entries=64)
def _fetch_hub(repo_id: str) -> str:
    return str(hub.download(repo_id))  # HubError is raised, so never cached


def hub_infos() -> list[ModelInfo]:
    infos = []
    for key in list(ss.hub_styles):
        try:
            path = Path(_fetch_hub(hub.repo_of(key)))
        except (ValueError, hub.HubError) as e:
            st.sidebar.error(f"{key.removeprefix(hub.HUB_PREFIX)} is no longer available: {e}", icon="🤗")
            ss.hub_styles.remove(key)
            continue
        infos.append(catalog.read_model_info(path, key, hub.cache_root(path), source="hub"))
    return infos


def add_hub_style(text: str) -> str | None:
    """Fetch a Hub repo, list it and select it; the error for the user, or None."""
    try:
        repo = hub.parse_repo_id(text)
        with st.spinner(f"Fetching {repo} from the Hugging Face Hub…"):
            _fetch_hub(repo)
    except (ValueError, hub.HubError) as e:
        return str(e)
    key = hub.hub_key(repo)
    if key not in ss.hub_styles:
        ss.hub_styles.append(key)
    return None


# ---------------------------------------------------------------- state and URL


def boot(infos: list[ModelInfo]) -> list[str]:
    """First run of a session: settings from the URL (a shared link), else defaults."""
    s, notes = params.parse_query(st.query_params.to_dict())
    ss.booted = True
    ss.hub_styles = []
    ss.sample = None
    keys = {i.key for i in infos}
    style = s.style
    if style and hub.is_hub_key(style):
        error = add_hub_style(hub.repo_of(style))
        if error:
            notes.append(f"The link's Hub model cannot be loaded: {error}.")
            style = None
    elif style and style not in keys:
        notes.append(f"There is no style called {style!r} here.")
        style = None
    ss.style = style or catalog.default_style(infos)
    info = find(infos + hub_infos(), ss.style)
    ss.style_default_prime = info.default_prime if info else ""
    for spec in params.WIDGETS:  # the Generate tab's widgets open on the link's values
        ss[spec.key] = spec.get(s)
    ss.prime = s.prime if s.prime is not None else ss.style_default_prime
    ss.seed = s.seed if s.seed is not None else params.random_seed()
    ss.keep = s.keep
    ss.tab = TABS[s.tab]
    ss.alts, ss.preview_t, ss.x_axis, ss.loss_unit, ss.log_steps = 5, 1.5, "step", "nats", False
    ss.dist_all = False
    ss.pending = "seed" in st.query_params  # a shared link shows its sample at once
    notes += compare_page.boot(st.query_params.to_dict(), infos, ss.style)
    for key in [
        k for k in ss.grid_styles if hub.is_hub_key(k)
    ]:  # a grid link's Hub styles, fetched as the sidebar does
        error = add_hub_style(hub.repo_of(key))
        if error:
            notes.append(f"The grid's Hub model {hub.repo_of(key)} cannot be loaded: {error}.")
            ss.grid_styles.remove(key)
    return notes


def open_links(work: Path) -> list[str]:
    """First run of a session: a link's run (``?run=ID``, or ``?style=yours.ID``) opened, its id being
    the capability (``playground.access``); anything else gets the one "no such run" message."""
    link = st.query_params.get("run")
    if link is not None:
        if access.open_link(work, ss, link) is None:
            return [access.NO_SUCH_RUN]
        ss.train_run = link  # a reload, another tab, a restart: the Train tab follows the run again
    style = st.query_params.get("style", "")
    if style.startswith(workspace.YOURS_PREFIX):
        access.open_link(work, ss, style.removeprefix(workspace.YOURS_PREFIX))  # else boot says "no style"
    return []


def keep_widget_state() -> None:
    for key in KEPT_WIDGETS:
        if key in ss:
            ss[key] = ss[key]


def current_settings() -> Settings:
    widgets = {spec.field: spec.of(ss[spec.key]) for spec in params.WIDGETS}
    return Settings.of(style=ss.style, keep=ss.keep, tab=TAB_NAMES.get(ss.get("tab"), "generate"), **widgets)


def sync_url() -> None:
    settings = current_settings()
    query = params.to_query(settings)
    if settings.tab == "compare":  # the grid's keys only while it is open: other links stay short
        query.update(compare_page.query())
    if settings.tab == "train" and ss.get("train_run"):  # so that a reload follows the same run
        query["run"] = ss.train_run
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)


def find(infos: list[ModelInfo], key: str | None) -> ModelInfo | None:
    return next((i for i in infos if i.key == key), None)


# ---------------------------------------------------------------- callbacks


def on_style_change() -> None:
    info = find(ss.get("_infos", []), ss.style)
    if info is not None:
        if ss.prime in (ss.get("style_default_prime"), ""):
            ss.prime = info.default_prime
        ss.style_default_prime = info.default_prime
    ss.keep, ss.sample = "", None
    for key in ("pos", "timeline_point", "score_cache"):
        ss.pop(key, None)


def select_style(key: str) -> None:
    """Select a style from the code (a run that just ended), as a click in the sidebar would."""
    ss.style = key
    on_style_change()


def pick_style(group_key: str) -> None:
    """A click in one of the sidebar's group radios (``group_key``)."""
    if ss.get(group_key):
        select_style(ss[group_key])


def request_hub() -> None:
    ss.hub_request = ss.get("hub_repo") or ""


def process_hub_request() -> None:
    """A repo id submitted in the sidebar: fetch it, list it, select it (before the style list is drawn)."""
    text = ss.pop("hub_request", None)
    if text is None:
        return
    with st.sidebar:
        error = add_hub_style(text)
    if error:
        ss.hub_error = error
        return
    ss.style = hub.hub_key(hub.parse_repo_id(text))
    ss._infos = ss.get("_infos", []) + hub_infos()
    on_style_change()


# ---------------------------------------------------------------- sidebar


def sidebar(infos: list[ModelInfo], root: Path) -> ModelInfo | None:
    with st.sidebar:
        st.markdown("## 🔤 Char-RNN Playground")
        st.caption("Character-level language models, one character at a time: watch what they expect.")
        info = None
        if infos:
            style_picker(infos)
            info = find(infos, ss.style)
            if info is not None:
                style_details(info)
        with st.expander("🤗 Load a model from the Hugging Face Hub", expanded=not infos):
            with st.form("hub_form", border=False):
                st.text_input("Repo id", key="hub_repo", placeholder="username/charrnn-shakespeare")
                st.form_submit_button("Load from the Hub", on_click=request_hub)
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
            on_change=pick_style,
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


def main() -> None:
    root = catalog.models_root(APP_DIR)
    work = workspace.workspace_root()
    notes = open_links(work) if not ss.get("booted") else []
    # Once a rerun, and only this session's runs: the sidebar's "Yours", every tab and the Train tab read it.
    runs = access.session_runs(work, ss)
    local = catalog.scan_models(root) + workspace.user_infos(runs)
    notes += boot(local) if not ss.get("booted") else []
    keep_widget_state()
    process_hub_request()
    infos = local + hub_infos()
    ss._infos = infos
    if infos and ss.get("style") not in {i.key for i in infos}:
        ss.style = catalog.default_style(infos)
    info = find(infos, ss.get("style"))
    for note in notes:
        st.warning(note, icon="🔗")
    if info is None:
        no_models(root)
        sidebar(infos, root)
        return
    model = load_model(info)
    if isinstance(model, CharRNN) and ss.top_k > len(model.vocab):
        st.warning(f"Top-k {ss.top_k} is more than the {len(model.vocab)} characters this model knows: top-k is off.")
        ss.top_k = 0
    sync_url()
    tabs = st.tabs(list(TABS.values()), key="tab", on_change="rerun")
    names = list(TABS)
    for name, tab in zip(names, tabs, strict=True):
        if not tab.open:
            continue
        with tab:
            if name == "lesson":
                lesson_page.render()  # needs no model
            elif name == "train":
                train_page.render(work, runs, select_style, APP_DIR)
            elif name == "compare":
                compare_page.render(infos, load_model)
            elif name in ("generate", "score", "neurons") and not isinstance(model, CharRNN):
                st.error(f"**{info.key.removeprefix(hub.HUB_PREFIX)}** cannot be used: {model}", icon="⚠️")
                st.caption("Pick another style in the sidebar. The training timeline and the files may still help.")
            elif name == "neurons":
                neurons_page.render(info, model)
            elif name == "generate":
                generate_page.render(model, current_settings, RUN_STARTED)
            elif name == "score":
                score_page.render(info, model)
            elif name == "training":
                timeline_page.render(info)
            else:
                download_page.render(info, current_settings(), APP_DIR)
    sidebar(infos, root)  # last: the sidebar is its own column, and a sample streams before it is redrawn


main()
