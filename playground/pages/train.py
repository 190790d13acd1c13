"""The "Train" tab: a text (pasted, uploaded or a prepared corpus), a preset by time or advanced
settings, and a run of the project's trainer in its own process, followed live from its files.
The work is in ``playground.train.workspace`` (runs) and ``playground.train.presets`` (speeds and plans)."""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import streamlit as st

from playground import charts
from playground.context import PageContext
from playground.pages import download as download_page
from playground.pages.training import timeline
from playground.session import catalog
from playground.train import presets, usertext, workspace
from playground.train.presets import Plan, Shape

REFRESH_S = 2.0
SOURCES = ("Paste", "Upload a .txt", "A prepared corpus")
CELLS = ("lstm", "gru", "rnn")

NAME = "train"
LABEL = "🏋️ Train"
# fmt: off
KEPT: dict[str, object] = dict.fromkeys((
    "train_source", "train_text", "train_corpus", "train_preset", "train_name", "train_advanced", "train_cell",
    "train_layers", "train_hidden", "train_epochs", "train_seq_len", "train_dropout", "train_start_state",
))
# fmt: on
NEEDS_MODEL = False


def boot(query: dict, infos: list, style: str | None) -> list[str]:
    """A reload finds its run again (the link's ``run``)."""
    if workspace.is_run_id(query.get("run", "")):
        st.session_state.train_run = query["run"]
    return []


def query() -> dict[str, str]:
    """While the tab is open the address names the run it follows, so that a reload follows it too."""
    run = st.session_state.get("train_run")
    return {"run": run} if run else {}


def render(ctx: PageContext) -> None:
    """``ctx.runs``: the workspace's runs, as ``workspace.list_runs(ctx.work)`` read them for this rerun."""
    root, runs, select_style, app_dir = ctx.work, ctx.runs, ctx.select_style, ctx.app_dir
    ss = st.session_state
    ss.setdefault("train_owner", secrets.token_hex(8))
    run = next((r for r in runs if r.id == ss.get("train_run")), None)
    if run is not None:
        if run.state in ("queued", "running"):  # a reload is the same browser session: it owns the run
            ss.train_owner = run.spec.get("owner") or ss.train_owner
        follow(root, run, select_style, app_dir)
        st.divider()
    st.markdown("#### Train your own style")
    st.caption(
        "Paste a text (your tweets, lyrics, code, a favourite author), pick how long to train, and watch the "
        "samples go from gibberish to style. The run is the project's own trainer, in its own process."
    )
    text, name = text_input(root)
    if text is not None:
        settings(root, runs, text, name)
    runs_list(runs)


# ---------------------------------------------------------------- the text


def text_input(root: Path) -> tuple[str | None, str]:
    """The checked text and a name for the style, or (None, "") with the reason shown."""
    st.session_state.setdefault("train_source", SOURCES[0])
    source = st.segmented_control("Text", SOURCES, key="train_source") or SOURCES[0]
    data: bytes | str | None = None
    name = "my-text"
    if source == SOURCES[0]:
        data = st.text_area("Training text", key="train_text", height=180, placeholder="Paste 5,000+ characters")
    elif source == SOURCES[1]:
        upload = st.file_uploader("A UTF-8 .txt file", type=["txt"], key="train_upload")
        if upload is not None:
            data, name = upload.getvalue(), Path(upload.name).stem
    else:
        corpora = usertext.prepared_corpora()
        if not corpora:
            st.info("No corpus is prepared on this machine (`python -m corpora prepare NAME` makes one).")
            return None, ""
        name = st.selectbox("Corpus", list(corpora), key="train_corpus") or next(iter(corpora))
        data = corpora[name].read_bytes()
    if not data:
        return None, ""
    try:
        return checked_text(data), name
    except usertext.TextError as e:
        st.error(str(e), icon="📄")
        return None, ""


@st.cache_data(max_entries=4, show_spinner=False)
def checked_text(data: bytes | str) -> str:
    """``usertext.check_text``, once per text: not again (cleaning up to 10 MB) on every rerun of the page."""
    return usertext.check_text(data)


@st.cache_data(max_entries=4, show_spinner=False)
def text_stats(text: str) -> usertext.TextStats:
    return usertext.text_stats(text)


def speeds(root: Path, runs: list[workspace.Run]) -> dict | None:
    try:
        with st.spinner("Measuring this machine's training speed (once a day, a few seconds)…"):
            return presets.speeds(root, runs)
    except (OSError, ValueError, subprocess.SubprocessError) as e:
        st.error(f"Could not measure this machine's speed: {e}")
        return None


# ---------------------------------------------------------------- the model


def settings(root: Path, runs: list[workspace.Run], text: str, name: str) -> None:
    stats = text_stats(text)
    st.markdown(
        f"**{stats.chars:,} characters**, {stats.distinct} distinct · trains on the first {stats.train_chars:,}, "
        f"validates on the last {stats.val_chars:,} (10%)"
    )
    measured = speeds(root, runs)
    if measured is None:
        return
    plans = {
        label: presets.plan(shape, budget, stats.train_chars, stats.val_chars, presets.scaled_speed(shape, measured))
        for label, (budget, shape) in presets.PRESETS.items()
    }
    rows = [f"| {label} | {p.shape.key} | {p.steps:,} | {p.epochs:.1f} | {estimate(p)} |" for label, p in plans.items()]
    st.markdown("| preset | model | steps | epochs | estimate here |\n|---|---|---|---|---|\n" + "\n".join(rows))
    capped = any(p.epochs >= presets.MAX_EPOCHS for p in plans.values())
    st.caption(
        f"Estimates from this machine's measured speed (training, validation, samples), one thread; at most "
        f"{workspace.max_minutes():g} min a run."
        + (
            f" A preset stops at {presets.MAX_EPOCHS} passes over the text (more would not help a text this "
            "short), so it can end before its time."
            if capped
            else ""
        )
    )
    c1, c2 = st.columns([2, 1])
    label = c1.radio("Preset", list(plans), key="train_preset", horizontal=True) or next(iter(plans))
    style_name = c2.text_input("Style name", value=name, key="train_name", max_chars=40) or name
    plan = advanced(plans[label], stats, measured)
    if st.button("Train", type="primary", key="train_go"):
        start(root, text, style_name, plan)


def estimate(plan: Plan) -> str:
    return catalog.format_duration(plan.estimate_s)


def advanced(preset: Plan, stats: usertext.TextStats, measured: dict) -> Plan:
    """The preset, or the advanced settings when they are switched on."""
    with st.expander("Advanced", expanded=False):
        if not st.toggle("Use these settings instead of the preset", key="train_advanced"):
            st.caption("Switch on to choose the cell, size, epochs, sequence length, dropout and start state.")
            return preset
        s = preset.shape
        c1, c2, c3 = st.columns(3)
        cell = c1.selectbox("Cell", CELLS, key="train_cell")
        layers = c2.number_input("Layers", 1, 4, s.layers, key="train_layers")
        hidden = c3.number_input("Hidden units", 16, 1024, s.hidden, step=16, key="train_hidden")
        epochs = c1.number_input("Epochs", 0.1, 100.0, round(preset.epochs, 1), key="train_epochs")
        seq_len = c2.number_input("Sequence length", 16, 512, s.seq_len, key="train_seq_len")
        dropout = c3.slider("Dropout", 0.0, 0.6, s.dropout, 0.05, key="train_dropout")
        start_state = st.checkbox("Learn a start state (h0, c0)", key="train_start_state")
        shape = Shape(cell, int(layers), int(hidden), s.embedding, s.batch_size, int(seq_len), float(dropout))
        spe = presets.steps_per_epoch(stats.train_chars, shape)
        speed = presets.scaled_speed(shape, measured)
        plan = presets.make_plan(shape, max(1, round(epochs * spe)), spe, stats.val_chars, speed)
        plan = replace(plan, extra=("--start-state",) if start_state else ())
        st.caption(f"{plan.steps:,} steps; estimate {estimate(plan)} (speed scaled from the nearest measured preset).")
        return plan


def start(root: Path, text: str, name: str, plan: Plan) -> None:
    ss = st.session_state
    try:
        run = workspace.start_run(root, text, name, plan.args(), plan.to_dict(), ss.train_owner)
    except (workspace.BusyError, OSError) as e:
        st.error(str(e), icon="⏳")
        return
    ss.train_run = run.id
    st.rerun()


# ---------------------------------------------------------------- a run


def follow(root: Path, run: workspace.Run, select_style: Callable[[str], None], app_dir: Path) -> None:
    if run.state in ("queued", "running"):
        live(root, run.id)
        return
    if run.usable and st.session_state.get("train_announced") != run.id:
        st.session_state.train_announced = run.id  # select the new style once, when its run ends
        select_style(workspace.YOURS_PREFIX + run.id)
    show_run(run, app_dir)


@st.fragment(run_every=REFRESH_S)
def live(root: Path, run_id: str) -> None:
    run = workspace.read_run(workspace.runs_dir(root) / run_id)
    if run is None:
        st.warning("This run's folder is gone.")
        return
    if run.state not in ("queued", "running"):
        st.rerun(scope="app")  # it ended: the whole page redraws, the sidebar lists the new style
    show_run(run, None)


def show_run(run: workspace.Run, app_dir: Path | None) -> None:
    st.markdown(f"#### {run.name} · {run.state}")
    if run.state == "queued":
        position = workspace.queue_position(run, workspace.active(workspace.list_runs(run.path.parents[1])))
        st.info(
            f"Waiting for a free slot: number {position} in the queue (at most {workspace.max_trainings()} "
            "run(s) train at once on this server).",
            icon="⏳",
        )
    elif run.message:
        (st.success if run.state == "finished" else st.warning)(run.message)
    p = workspace.progress(run)
    c1, c2, c3, c4, c5 = st.columns([1, 1, 1, 1, 1])
    c1.metric("Step", f"{p.step:,} / {p.total:,}")
    c2.metric("Epoch", f"{p.epoch:.2f}")
    c3.metric("Characters/s", f"{p.chars_per_s:,.0f}" if p.chars_per_s else "…")
    c4.metric(
        "Time left", catalog.format_duration(p.left_s) if p.left_s is not None and run.state == "running" else "–"
    )
    if run.state in ("queued", "running") and c5.button("⏹ Stop", key="train_stop"):
        workspace.stop_run(run)
        st.toast("Stopping: the trainer finishes its step and keeps the best checkpoint.")
    frame = timeline.loss_frame(run.history) if run.records else None
    if frame is not None and not frame.empty:
        st.vega_lite_chart(charts.loss_spec(frame, "step", "nats", False, None), width="stretch")
    samples(run)
    if run.usable and app_dir is not None:
        finished(run, app_dir)


def samples(run: workspace.Run) -> None:
    written = [r for r in run.records if r.get("sample")]
    if not written:
        st.caption("The first sample (step 0, gibberish) appears once the trainer has started.")
        return
    st.markdown("**Samples so far, newest first**")
    for record in reversed(written):
        losses = f"train {timeline.loss_text(record.get('train_loss'))}"
        if record.get("val_loss") is not None:
            losses += f" · validation {timeline.loss_text(record.get('val_loss'))}"
        st.caption(f"step {record['step']:,} · epoch {record.get('epoch', 0):.2f} · {losses}")
        st.code(record["sample"], language=None, wrap_lines=True)


def finished(run: workspace.Run, app_dir: Path) -> None:
    st.success(
        f"**{run.name}** is in the sidebar under ✍️ Yours and works in every tab (Generate, Score, Timeline, "
        "Neurons, Compare, Download)."
    )
    download_zip(run)
    repo = f"YOUR_NAME/charrnn-{workspace.slug(run.name)}"
    st.code(f"python -m training.publish {run.model_dir} --repo-id {repo}", language="bash")


def download_zip(run: workspace.Run) -> None:
    download_page.zip_button(run.model_dir, run.name, f"zip_{run.id}")
    st.caption(
        "On a Hugging Face Space the disk is ephemeral: a restart loses the workspace. Download the folder to keep it."
    )


def runs_list(runs: list[workspace.Run]) -> None:
    if not runs:
        return
    with st.expander(f"Runs in this workspace ({len(runs)})", expanded=False):
        for run in runs:
            c1, c2 = st.columns([4, 1])
            best = workspace.progress(run).best_val
            shown = f" · best {best:.3f} nats/char" if best is not None else ""
            c1.markdown(f"**{run.name}** · {run.state} · {run.spec.get('chars', 0):,} characters{shown}")
            if c2.button("Follow", key=f"follow_{run.id}"):
                st.session_state.train_run = run.id
                st.rerun()
