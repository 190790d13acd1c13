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
from playground.train import access, presets, usertext, workspace
from playground.train.presets import Plan, Shape

REFRESH_S = 2.0
SOURCES = ("Paste", "Upload .txt files", "A prepared corpus")
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


def query() -> dict[str, str]:
    """While the tab is open the address names the run it follows, so that a reload follows it too."""
    run = st.session_state.get("train_run")
    return {"run": run} if run else {}


def render(ctx: PageContext) -> None:
    """``ctx.runs``: this session's runs, as ``access.session_runs`` read them for this rerun."""
    root, runs, select_style, app_dir = ctx.work, ctx.runs, ctx.select_style, ctx.app_dir
    ss = st.session_state
    ss.setdefault("train_owner", secrets.token_hex(8))
    run = next((r for r in runs if r.id == ss.get("train_run")), None)
    if run is None and ss.pop("train_run", None):
        st.info(access.NO_SUCH_RUN, icon="🔒")  # deleted, expired, or never this session's
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
    given, name = text_input(root)
    if given is not None:
        settings(root, runs, given, name)
    runs_list(runs)


# ---------------------------------------------------------------- the text


def text_input(root: Path) -> tuple[usertext.Given | None, str]:
    """The checked text and a name for the style, or (None, "") with the reason shown."""
    st.session_state.setdefault("train_source", SOURCES[0])
    source = st.segmented_control("Text", SOURCES, key="train_source") or SOURCES[0]
    parts: list[tuple[str, bytes | str]] = []
    name = "my-text"
    if source == SOURCES[0]:
        text = st.text_area("Training text", key="train_text", height=180, placeholder="Paste 5,000+ characters")
        parts = [("", text)] if text else []
    elif source == SOURCES[1]:
        uploads = st.file_uploader(
            f"UTF-8 .txt files, up to {usertext.MAX_MB} MB in all (several are joined in the order given)",
            type=["txt"],
            key="train_upload",
            accept_multiple_files=True,
        )
        parts = [(upload.name, upload.getvalue()) for upload in uploads or []]
        name = Path(parts[0][0]).stem if parts else name
    else:
        corpora = usertext.prepared_corpora()
        if not corpora:
            st.info("No corpus is prepared on this machine (`python -m corpora prepare NAME` makes one).")
            return None, ""
        name = st.selectbox("Corpus", list(corpora), key="train_corpus") or next(iter(corpora))
        parts = [("", corpora[name].read_bytes())]
    if not parts:
        return None, ""
    try:
        return checked(tuple(parts)), name
    except usertext.TextError as e:
        st.error(str(e), icon="📄")
        return None, ""


@st.cache_data(max_entries=4, show_spinner=False)
def checked(parts: tuple[tuple[str, bytes | str], ...]) -> usertext.Given:
    """``usertext.check_given``, once per text: not again (cleaning up to 10 MB) on every rerun of the page."""
    return usertext.check_given(parts)


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


def settings(root: Path, runs: list[workspace.Run], given: usertext.Given, name: str) -> None:
    text = given.text
    stats = text_stats(text)
    if len(given.names) > 1:
        st.caption(f"{len(given.names)} files, joined in this order: " + ", ".join(given.names))
    st.markdown(
        f"**{given.chars:,} characters** ({usertext.format_size(given.size)}), {stats.distinct} distinct · "
        f"trains on the first {stats.train_chars:,}, validates on the last {stats.val_chars:,} (10%)"
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
        s, m = preset.shape, preset.shape.model
        c1, c2, c3 = st.columns(3)
        cell = c1.selectbox("Cell", CELLS, key="train_cell")
        layers = c2.number_input("Layers", 1, 4, m.layers, key="train_layers")
        hidden = c3.number_input("Hidden units", 16, 1024, m.hidden, step=16, key="train_hidden")
        epochs = c1.number_input("Epochs", 0.1, 100.0, round(preset.epochs, 1), key="train_epochs")
        seq_len = c2.number_input("Sequence length", 16, 512, s.seq_len, key="train_seq_len")
        dropout = c3.slider("Dropout", 0.0, 0.6, m.dropout, 0.05, key="train_dropout")
        start_state = st.checkbox("Learn a start state (h0, c0)", key="train_start_state")
        model = replace(m, cell=cell, layers=int(layers), hidden=int(hidden), dropout=float(dropout))
        shape = Shape(model, s.batch_size, int(seq_len))
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
    access.grant(ss, run.id)
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
    run = access.session_run(root, st.session_state, run_id)
    if run is None:
        st.warning(access.NO_SUCH_RUN)
        return
    if run.state not in ("queued", "running"):
        st.rerun(scope="app")  # it ended: the whole page redraws, the sidebar lists the new style
    show_run(run, None)


def show_run(run: workspace.Run, app_dir: Path | None) -> None:
    st.markdown(f"#### {run.name} · {run.state}")
    if run.state == "queued":
        # Counted over every session's runs, but only counts are shown: never whose run waits.
        queued = [r for r in workspace.list_runs(run.path.parents[1]) if r.state == "queued"]
        st.info(
            f"Waiting for a free slot: number {workspace.queue_position(run, queued)} in the queue, "
            f"{len(queued)} waiting (at most {workspace.max_trainings()} run(s) train at once on this server).",
            icon="⏳",
        )
    elif run.message:
        (st.success if run.state == "finished" else st.warning)(run.message)
    p = presets.progress(run)
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
    """This session's runs (``access.session_runs``; every run with ``CHARRNN_SHARED_WORKSPACE=1``)."""
    if not runs:
        return
    title = "Runs in this workspace" if access.shared_workspace() else "Your runs"
    with st.expander(f"{title} ({len(runs)})", expanded=False):
        st.caption("A run's link (the address while you follow it) is its only key: keep it to come back.")
        for run in runs:
            c1, c2, c3 = st.columns([4, 1, 1])
            best = presets.progress(run).best_val
            shown = f" · best {best:.3f} nats/char" if best is not None else ""
            c1.markdown(f"**{run.name}** · {run.state} · {run.spec.get('chars', 0):,} characters{shown}")
            if c2.button("Follow", key=f"follow_{run.id}"):
                st.session_state.train_run = run.id
                st.rerun()
            if run.state in workspace.ENDED and c3.button("🗑 Delete", key=f"delete_{run.id}"):
                delete(run)


def delete(run: workspace.Run) -> None:
    """Remove a run and its text from the disk; the session forgets it (its style leaves the sidebar)."""
    ss = st.session_state
    if not access.allowed(ss, run.id):
        st.error(access.NO_SUCH_RUN)
        return
    try:
        workspace.delete_run(run)
    except (workspace.BusyError, OSError) as e:
        st.error(f"Could not delete {run.name}: {e}")
        return
    access.revoke(ss, run.id)
    if ss.get("train_run") == run.id:
        ss.pop("train_run")
    st.rerun()
