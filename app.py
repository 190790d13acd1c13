"""Char-RNN Playground: play with, and understand, character-level language models.

    streamlit run app.py

Models are the folders of ``models/`` beside this file (or of ``$CHARRNN_MODELS_DIR``), plus any
Hugging Face repo loaded from the sidebar. This file lays out the page and wires widgets to the
functions of ``playground/`` and ``charrnn/``; every setting lives in the URL query string.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import numpy as np
import streamlit as st

from charrnn import UNKNOWN_POLICIES, CharRNN, CheckpointError, UnknownCharactersError, sample
from playground import (
    catalog,
    charts,
    compare_page,
    download_page,
    generation,
    html,
    hub,
    lesson_page,
    neurons_page,
    params,
    score_page,
    snippets,
    table,
    timeline_page,
)
from playground.catalog import ModelInfo
from playground.params import Settings
from playground.trace import Sample, Trace

RUN_STARTED = time.perf_counter()
APP_DIR = Path(__file__).resolve().parent
TABS = {
    "generate": "✍️ Generate",
    "score": "🔬 Score a text",
    "training": "📈 Training timeline",
    "lesson": "🧮 How it works",
    "neurons": "🔦 Neurons",
    "compare": "⚖️ RNN vs GRU vs LSTM",
    "download": "📦 Download & deploy",
}
TAB_NAMES = {label: name for name, label in TABS.items()}
# Widgets inside tabs keep their values while another tab is open (Streamlit forgets a widget's
# state in a run that does not draw it, unless the value is written back each run).
# fmt: off
KEPT_WIDGETS = (
    "prime", "length", "temperature", "greedy", "top_k", "top_p", "seed", "unknown", "alts", "pos", "preview_t",
    "score_text", "x_axis", "log_steps", "loss_unit", "timeline_point", "hub_repo", "branch_char", "dist_all",
    "lesson_word", "lesson_hidden", "neuron_source", "neuron_text", "neuron_layer", "neuron_unit", "neuron_state",
    "neuron_pick", "compare_prime", "compare_seed", "compare_length", "compare_temperature",
)
# fmt: on
STREAM_EVERY_S = 0.04
BRANCH_EXTEND = 200
PRIME_SHOWN = 300
TEMPERATURE_GRID = np.geomspace(0.05, params.TEMPERATURE_MAX, 48)

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


def random_seed() -> int:
    return secrets.randbelow(1_000_000)


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
    ss.prime = s.prime if s.prime is not None else ss.style_default_prime
    ss.length, ss.temperature, ss.greedy = s.length, s.temperature, s.greedy
    ss.top_k, ss.top_p, ss.unknown, ss.keep = s.top_k, s.top_p, s.unknown, s.keep
    ss.seed = s.seed if s.seed is not None else random_seed()
    ss.tab = TABS[s.tab]
    ss.alts, ss.preview_t, ss.x_axis, ss.loss_unit, ss.log_steps = 5, 1.5, "step", "nats", False
    ss.dist_all = False
    ss.pending = "seed" in st.query_params  # a shared link shows its sample at once
    return notes


def keep_widget_state() -> None:
    for key in KEPT_WIDGETS:
        if key in ss:
            ss[key] = ss[key]


def current_settings() -> Settings:
    return Settings(
        style=ss.style,
        prime=ss.prime,
        length=int(ss.length),
        temperature=float(ss.temperature),
        greedy=bool(ss.greedy),
        top_k=int(ss.top_k),
        top_p=float(ss.top_p),
        seed=int(ss.seed),
        unknown=ss.unknown,
        keep=ss.keep,
        tab=TAB_NAMES.get(ss.get("tab"), "generate"),
    )


def sync_url() -> None:
    query = params.to_query(current_settings())
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


def request_generate() -> None:
    ss.pending = True


def new_seed() -> None:
    ss.seed = random_seed()
    ss.pending = True


def forget_keep() -> None:
    ss.keep = ""


def branch(pos: int, continue_after: bool) -> None:
    """Keep the text before ``pos``, put the chosen alternative there, and (maybe) continue."""
    sample: Sample = ss.sample
    keep = sample.trace.text[:pos] + sample.vocab[ss.branch_char]
    if len(keep) > params.LENGTH_MAX:
        ss.flash = f"The text is at its longest ({params.LENGTH_MAX:,} characters): it cannot grow further."
        return
    ss.keep = keep
    if continue_after:
        ss.length = ss.length if ss.length > len(keep) else min(params.LENGTH_MAX, len(keep) + BRANCH_EXTEND)
        ss.pos = pos
    else:
        ss.length = len(keep)
        ss.pos = len(keep)  # the next character: build a text one character at a time
    ss.pending = True


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


def continue_stopped() -> None:
    ss.keep = ss.sample.trace.text
    ss.pending = True


# ---------------------------------------------------------------- sidebar


def sidebar(infos: list[ModelInfo], root: Path) -> ModelInfo | None:
    with st.sidebar:
        st.markdown("## 🔤 Char-RNN Playground")
        st.caption("Character-level language models, one character at a time: watch what they expect.")
        info = None
        if infos:
            keys = [i.key for i in infos]
            by_key = {i.key: i for i in infos}
            st.radio(
                "Style",
                keys,
                key="style",
                format_func=lambda k: by_key[k].label,
                captions=[i.caption() for i in infos],
                on_change=on_style_change,
            )
            info = by_key[ss.style]
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


# ---------------------------------------------------------------- generate tab


def column_config(vocab_size: int, k: int, temperature_label: str) -> dict:
    cc = st.column_config
    config = {
        "pos": cc.NumberColumn("#", help="Position in the generated text", width="small"),
        "char": cc.TextColumn("char", help="The character drawn (␣ space, ⏎ newline, ⇥ tab)", width="small"),
        "p": cc.ProgressColumn(
            "p drawn",
            min_value=0.0,
            max_value=1.0,
            format="percent",
            help="Its probability in the distribution it was drawn from (after temperature, top-k, top-p)",
        ),
        "p model": cc.ProgressColumn(
            "p model",
            min_value=0.0,
            max_value=1.0,
            format="percent",
            help="Its probability under the model itself (temperature 1)",
        ),
        "rank": cc.NumberColumn("rank", help="1 = the model's favourite", width="small"),
        "entropy": cc.ProgressColumn(
            "entropy",
            min_value=0.0,
            max_value=float(np.log2(max(vocab_size, 2))),
            format="%.2f bits",
            help="Uncertainty of the distribution drawn from",
        ),
        "surprise": cc.NumberColumn("surprise", format="%.2f bits", help="-log2 p model"),
        "top model": cc.BarChartColumn("top-k T=1", y_min=0.0, y_max=1.0, help="The favourites before temperature"),
        f"top {temperature_label}": cc.BarChartColumn(
            f"top-k {temperature_label}", y_min=0.0, y_max=1.0, help="The same characters after temperature"
        ),
    }
    for j in range(1, k + 1):
        config[f"#{j}"] = cc.TextColumn(f"#{j}", help=f"The model's favourite no. {j}: p before → after temperature")
    return config


def read_prime(model: CharRNN) -> generation.Prime | UnknownCharactersError:
    try:
        return generation.prepare_prime(model, ss.prime, ss.unknown)
    except UnknownCharactersError as e:
        return e


def prime_feedback(model: CharRNN, prime: generation.Prime | UnknownCharactersError) -> None:
    """Say what happens to the prime: refused, emptied, trimmed, characters skipped or replaced."""
    replacement = model.vocab.default_replacement()
    if isinstance(prime, UnknownCharactersError):
        st.error(f"{prime}. The policy is **error**: change it, or the prime.", icon="🚫")
        st.html(html.marked_prime(ss.prime[-params.PRIME_MAX :], set(prime.unknown), "error", replacement))
        return
    if prime.trimmed:
        st.info(
            f"The prime has {len(ss.prime):,} characters: the model reads its last {params.PRIME_MAX:,} "
            "(an RNN remembers far less than that anyway).",
            icon="✂️",
        )
    if prime.unknown:
        shown = ", ".join(table.visible(c) for c in prime.unknown[:12]) + (" …" if len(prime.unknown) > 12 else "")
        action = "skipped" if ss.unknown == "skip" else f"replaced by {table.visible(replacement)}"
        st.warning(
            f"{prime.unknown_count} character(s) the model has never seen ({shown}): "
            f"policy **{ss.unknown}**, so they are {action}.",
            icon="🔎",
        )
        st.html(html.marked_prime(prime.given, set(prime.unknown), ss.unknown, replacement))
    if prime.started_empty:
        start = "a newline" if prime.text == "\n" else repr(prime.text)
        st.info(f"The prime is empty: the model starts from {start}, as at the start of a text.", icon="ℹ️")


def settings_panel(model: CharRNN) -> None:
    vocab_size = len(model.vocab)
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.text_area(
            "Prime",
            key="prime",
            height=112,
            on_change=forget_keep,
            help="The text the model reads before it writes. Each style has its own default.",
        )
    with right:
        c1, c2 = st.columns(2)
        c1.number_input(
            "Length",
            params.LENGTH_MIN,
            params.LENGTH_MAX,
            step=100,
            key="length",
            help=f"Characters to generate ({params.LENGTH_MIN}–{params.LENGTH_MAX:,}).",
        )
        c2.number_input(
            "Seed",
            0,
            params.SEED_MAX,
            step=1,
            key="seed",
            help="Same settings and seed give the same text, every time.",
        )
        st.slider(
            "Temperature",
            0.0,
            params.TEMPERATURE_MAX,
            step=0.05,
            key="temperature",
            disabled=ss.greedy,
            help="Below 1: safer, more repetitive. Above 1: wilder. 0 means greedy.",
        )
    c3, c4, c5, c6 = st.columns([1, 1, 1, 1])
    c3.number_input(
        "Top-k",
        0,
        vocab_size,
        step=1,
        key="top_k",
        disabled=ss.greedy,
        help=f"Draw only among the k most likely characters; 0 = off (the model knows {vocab_size}).",
    )
    c4.slider(
        "Top-p",
        params.TOP_P_MIN,
        1.0,
        step=0.01,
        key="top_p",
        disabled=ss.greedy,
        help="Draw only among the most likely characters whose mass reaches p; 1 = off.",
    )
    c5.selectbox(
        "Unknown characters",
        UNKNOWN_POLICIES,
        key="unknown",
        format_func=lambda p: f"{p}: {params.POLICY_HELP[p]}",
        help="What to do with characters of the prime the model has never seen.",
    )
    with c6:
        st.space("small")
        st.toggle(
            "Greedy",
            key="greedy",
            help="Always take the most likely character (ignores temperature, top-k, top-p, seed).",
        )


def run_generation(model: CharRNN, prime: generation.Prime, out, stop_slot) -> None:
    """Stream the sample into ``out`` as it is drawn; the steps land in the session as they come,
    so a Stop (which interrupts this run) keeps what was drawn so far."""
    s = current_settings()
    sample = Sample(s, prime.text, prime.ids, tuple(model.vocab.chars))
    ss.sample = sample
    with stop_slot:
        st.button("⏹ Stop", key="stop_live", help="Stop here and keep what has been drawn so far.")
    head = ("…" if len(prime.text) > PRIME_SHOWN else "") + prime.text[-PRIME_SHOWN:]
    chars: list[str] = []
    last = 0.0
    try:
        steps = generation.stream(model, prime, s.length, s.sampling(len(model.vocab)), s.seed, s.keep)
        for step in steps:
            sample.steps.append(step)
            chars.append(step.char)
            now = time.perf_counter()
            if sample.first_s is None:
                sample.first_s = now - RUN_STARTED
            if now - last >= STREAM_EVERY_S:
                out.html(html.streaming_text(head, "".join(chars)))
                last = now
    except ValueError as e:
        ss.keep = ""
        st.error(f"Cannot generate: {e}")
    sample.total_s = time.perf_counter() - RUN_STARTED
    sample.finish("done")
    stop_slot.empty()


def generate_tab(info: ModelInfo, model: CharRNN) -> None:
    # Drawn top to bottom: settings, buttons, the sample. Filled in another order: the buttons and
    # the stream first, so that the first character reaches the browser before anything else.
    panel, buttons, out = st.container(), st.container(), st.empty()
    prime = read_prime(model)
    usable = isinstance(prime, generation.Prime)
    dropped_keep = bool(ss.keep and model.vocab.unknown_chars(ss.keep))
    if dropped_keep:
        ss.keep = ""
    with buttons:
        b1, b2, b3, b4 = st.columns([1, 1, 1, 3], vertical_alignment="center")
        b1.button("▶ Generate", type="primary", on_click=request_generate, disabled=not usable, width="stretch")
        b2.button(
            "🎲 New seed", on_click=new_seed, disabled=not usable, width="stretch", help="Draw a new seed and generate."
        )
        stop_slot = b3.empty()
        if ss.keep:
            with b4:
                k1, k2 = st.columns([3, 1], vertical_alignment="center")
                k1.caption(
                    f"✂️ Keeping the {len(ss.keep):,} character(s) you chose by branching; "
                    "the model continues after them."
                )
                k2.button("Forget", on_click=forget_keep, help="Generate from the prime alone again.")
        if "flash" in ss:
            st.warning(ss.pop("flash"))
    if ss.get("pending") and usable:
        ss.pending = False
        run_generation(model, prime, out, stop_slot)
    elif ss.get("sample") is not None and ss.sample.status == "running":
        ss.sample.finish("stopped")  # the run that drew it was interrupted (Stop, or another widget)
    stop_slot.button("⏹ Stop", key="stop_idle", disabled=True)
    with panel:
        settings_panel(model)
        prime_feedback(model, prime)
        if dropped_keep:
            st.warning("The kept text holds characters this model does not know: it is dropped.")
        if not ss.greedy and ss.temperature <= 0:
            st.info("Temperature 0 means greedy: the most likely character every time (the seed does not matter).")
    result: Sample | None = ss.get("sample")
    if result is None or result.trace is None:
        out.info(
            "Press **Generate** to write a sample. Every character's distribution is kept: "
            "the table below shows how sure the model was, and you can branch at any position."
        )
        return
    show_sample(model, result, out)


def table_selection() -> int | None:
    """The row selected in the probability table (its state is known before the table is drawn)."""
    state = ss.get("table")
    try:
        rows = list(state["selection"]["rows"]) if state is not None else []
    except (KeyError, TypeError):
        rows = []
    return int(rows[0]) if rows else None


def show_sample(model: CharRNN, sample: Sample, out) -> None:
    trace: Trace = sample.trace
    s: Settings = sample.settings
    n = len(trace)
    row = table_selection()
    if row is not None and row != ss.get("_table_row") and row <= n:
        ss.pos = row  # a row picked in the table chooses the position to inspect
    ss._table_row = row
    with out.container():
        facts = [f"{n:,} characters", f"seed {s.seed}", snippets.temperature_label(s)]
        if sample.first_s is not None:
            facts.append(f"first character after {sample.first_s:.2f} s")
        if sample.total_s and n:
            facts.append(f"done in {sample.total_s:.2f} s")
        if n:
            facts.append(f"{trace.bits_per_char:.2f} bits/char under the model")
        if sample.status == "stopped":
            w1, w2 = st.columns([4, 1], vertical_alignment="center")
            w1.warning(f"Stopped after {n:,} of {s.length:,} characters.", icon="⏹")
            w2.button(
                "▶ Continue",
                on_click=continue_stopped,
                disabled=n == 0,
                width="stretch",
                help="Keep what was drawn and let the model go on to the full length.",
            )
        if not s.same_sample(current_settings()):
            st.caption("⚠️ The settings have changed since this sample: press **Generate** to apply them.")
        st.caption(" · ".join(facts))
        selected = ss.get("pos")
        prefix = ("…" if len(sample.prime_text) > PRIME_SHOWN else "") + sample.prime_text[-PRIME_SHOWN:]
        st.html(
            html.legend("unlikely", "likely")
            + html.probability_html(
                trace.chars, trace.prob, trace.prob_raw, trace.rank, prefix, selected, len(s.keep), sample.uid
            )
        )
        st.caption(
            "Hover a character for its probability and rank; select a row of the table below, or a "
            "position, to see its whole distribution and branch from it."
        )
        with st.expander("Plain text, to copy or download"):
            st.code(sample.prime_text + trace.text, language=None, wrap_lines=True)
            st.download_button(
                "⬇️ Download sample.txt",
                data=sample.prime_text + trace.text,
                file_name="sample.txt",
                mime="text/plain",
                on_click="ignore",
            )
    if n == 0:
        return
    st.subheader("Probability table", help="One row per generated character. Select a row to inspect it below.")
    k = st.segmented_control("Alternatives per row", [3, 5, 10], key="alts") or 5
    label = snippets.temperature_label(s).replace("greedy", "T=1")
    cache_key = (sample.uid, k)
    if ss.get("table_cache", (None,))[0] != cache_key:
        ss.table_cache = (cache_key, table.probability_table(trace, sample.vocab, k, label))
    frame = ss.table_cache[1]
    st.dataframe(
        frame,
        key="table",
        on_select="rerun",
        selection_mode="single-row",
        hide_index=True,
        column_config=column_config(len(sample.vocab), k, label),
        height=min(420, 36 * (n + 1) + 3),
    )
    inspector(model, sample)


def inspector(model: CharRNN, sample: Sample) -> None:
    trace, s = sample.trace, sample.settings
    n = len(trace)
    st.subheader(
        "Inspect a position and branch",
        help="Its whole distribution, how temperature reshapes it, and what if another character had been drawn.",
    )
    ss.pos = min(max(int(ss.get("pos", 0)), 0), n)
    left, right = st.columns([2, 3], gap="large")
    sampling = s.sampling(len(sample.vocab))
    with left:
        pos = st.number_input(
            "Position",
            0,
            n,
            step=1,
            key="pos",
            help=f"0–{n - 1}: a generated character; {n}: the character that would come next.",
        )
        if pos < n:
            raw, tempered_probs, final = trace.probs_raw[pos], trace.probs_tempered[pos], trace.probs[pos]
            chosen = int(trace.char_ids[pos])
            st.markdown(
                f"Position **{pos}**: the model drew **`{table.visible(trace.chars[pos])}`** with p = "
                f"{table.percent(float(trace.prob[pos]))} (model: {table.percent(float(trace.prob_raw[pos]))}, "
                f"rank {int(trace.rank[pos])} of {len(sample.vocab)}); entropy {trace.entropy_bits[pos]:.2f} bits."
            )
        else:
            if sample.next_dist is None:
                sample.next_dist = generation.next_distribution(model, sample.prime_ids, trace.text, sampling)
            raw, tempered_probs, final = sample.next_dist
            chosen = None
            st.markdown(f"Position **{pos}**: what the model expects **next**, after the whole text.")
        order = [int(i) for i in np.argsort(-raw, kind="stable")]
        if ss.get("_branch_pos") != (sample.uid, pos):
            ss._branch_pos = (sample.uid, pos)
            ss.branch_char = next((i for i in order if i != chosen), order[0])
        st.selectbox(
            "Another character here",
            order,
            key="branch_char",
            format_func=lambda i: (
                f"{table.visible(sample.vocab[i])}   {table.percent(float(raw[i]))} model · "
                f"{table.percent(float(tempered_probs[i]))} {snippets.temperature_label(s)}"
            ),
            help="Listed from the model's favourite down.",
        )
        c1, c2 = st.columns(2)
        c1.button(
            "↪ Branch and continue",
            on_click=branch,
            args=(pos, True),
            type="primary",
            width="stretch",
            help="Keep the text before this position, put this character here, and let the model go on.",
        )
        c2.button(
            "✎ Take it and stop",
            on_click=branch,
            args=(pos, False),
            width="stretch",
            help="Keep the text up to this character and stop: build a text character by character.",
        )
        preview = st.slider(
            "What if the temperature were…",
            0.05,
            params.TEMPERATURE_MAX,
            step=0.05,
            key="preview_t",
            help="Drag it and watch the distribution on the right sharpen (low) or flatten (high).",
        )
        st.toggle(f"Chart all {len(sample.vocab)} characters", key="dist_all")
    with right:
        series = {"model (T=1)": raw}
        if not (s.greedy or s.temperature == 1):
            series[f"T={s.temperature:g}"] = tempered_probs
        if sampling.top_k or sampling.top_p or s.greedy:
            series["drawn from (top-k/top-p)" if not s.greedy else "greedy"] = final
        series[f"what if T={preview:g}"] = generation.tempered(raw, preview)
        limit = None if ss.get("dist_all") else 24
        frame = table.distribution_frame(sample.vocab, series, chosen, limit=limit)
        title = (
            f"Its distribution over all {len(sample.vocab)} characters"
            if limit is None
            else ("Its distribution (the 24 likeliest characters)")
        )
        st.vega_lite_chart(charts.distribution_spec(frame, list(series), title), width="stretch")
        marks = {f"what if {preview:g}": preview}
        if not s.greedy and s.temperature > 0:
            marks[f"used {s.temperature:g}"] = s.temperature
        curves = charts.temperature_frame(sample.vocab, raw, TEMPERATURE_GRID)
        title = "How temperature reshapes it (the 6 likeliest characters)"
        st.vega_lite_chart(charts.temperature_spec(curves, marks, title), width="stretch")


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
    local = catalog.scan_models(root)
    notes = boot(local) if not ss.get("booted") else []
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
            elif name == "compare":
                compare_page.render(infos, load_model)
            elif name in ("generate", "score", "neurons") and not isinstance(model, CharRNN):
                st.error(f"**{info.key.removeprefix(hub.HUB_PREFIX)}** cannot be used: {model}", icon="⚠️")
                st.caption("Pick another style in the sidebar. The training timeline and the files may still help.")
            elif name == "neurons":
                neurons_page.render(info, model)
            elif name == "generate":
                generate_tab(info, model)
            elif name == "score":
                score_page.render(info, model)
            elif name == "training":
                timeline_page.render(info)
            else:
                download_page.render(info, current_settings(), APP_DIR)
    sidebar(infos, root)  # last: the sidebar is its own column, and a sample streams before it is redrawn


main()
