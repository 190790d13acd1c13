"""The "Training timeline" tab: the loss curves of a model's training and the text it wrote at each
recorded moment, from gibberish to style."""

from __future__ import annotations

import streamlit as st

from charrnn.history import load_history
from playground import charts
from playground.context import PageContext
from playground.pages.training import timeline
from playground.session import catalog

NAME = "training"
LABEL = "📈 Training timeline"
KEPT: dict[str, object] = {"x_axis": "step", "loss_unit": "nats", "log_steps": False, "timeline_point": None}
NEEDS_MODEL = False
RESET_ON_STYLE = ("timeline_point",)  # a point of the old style's timeline


def move_timeline(delta: int, count: int) -> None:
    ss = st.session_state
    ss.timeline_point = min(max(ss.get("timeline_point", 0) + delta, 0), count - 1)


def render(ctx: PageContext) -> None:
    info = ctx.info
    ss = st.session_state
    path = info.file(catalog.HISTORY_FILE)
    if path is None:
        st.info(f"**{info.name}** has no {catalog.HISTORY_FILE}: there is no training timeline to show.")
        return
    try:
        history = load_history(info.path)
    except ValueError as e:
        st.error(f"The training history cannot be read: {e}")
        return
    frame = timeline.loss_frame(history)
    points = timeline.points(history)
    if frame.empty and not points:
        st.info("The history has no records yet (training may have just started).")
        return
    c1, c2, c3 = st.columns(3)
    x_axis = c1.segmented_control("x axis", ["step", "epoch"], key="x_axis") or "step"
    unit = c2.segmented_control("Loss in", ["nats", "bits"], key="loss_unit") or "nats"
    log_steps = c3.toggle("Log-scale steps", key="log_steps", disabled=x_axis != "step")
    selected = None
    if points:
        count = len(points)
        ss.timeline_point = min(int(ss.get("timeline_point", 0)), count - 1)
        selected = points[ss.timeline_point]
    marker = selected.get(x_axis) if selected else None
    spec = charts.loss_spec(frame, x_axis, unit, bool(log_steps and x_axis == "step"), marker)
    st.vega_lite_chart(spec, width="stretch")
    if stages := timeline.stage_notes(history):
        st.caption("Resumed with new options (a new stage) at " + "; ".join(stages) + ".")
    if not points:
        st.info("No samples were recorded during this training.")
        return
    sample_stack(history, points, unit)
    moment(history, points, unit)


def sampled_how(history: dict) -> str:
    how = [f"prime {history.get('sample_prime', '')!r}"] if history.get("sample_prime") is not None else []
    if history.get("sample_temperature") is not None:
        how.append(f"temperature {history['sample_temperature']}")
    if history.get("sample_seed") is not None:
        how.append(f"seed {history['sample_seed']}")
    if history.get("sample_from"):
        how.append(f"from {history['sample_from']}")
    return "Sampled during training with " + ", ".join(how) if how else "Sampled during training"


def sample_stack(history: dict, points: list[dict], unit: str) -> None:
    """The course's figure at a glance: a few log-spaced moments, one above the other."""
    st.markdown("#### Samples over training: from gibberish to style")
    st.caption(sampled_how(history) + ", the same for every moment.")
    for record in timeline.stack(points):
        val = record.get("val_loss")
        figures = f"validation {timeline.loss_text(val, unit)} {unit}/char, perplexity {timeline.perplexity_text(val)}"
        st.markdown(f"**{timeline.point_label(record)}** · " + (figures if val is not None else "no validation yet"))
        st.code(str(history.get("sample_prime") or "") + record["sample"], language=None, wrap_lines=True)


def moment(history: dict, points: list[dict], unit: str) -> None:
    """Every recorded moment, one at a time, with its figures."""
    ss, count = st.session_state, len(points)
    st.markdown("#### Every recorded moment")
    p1, p2, p3 = st.columns([1, 10, 1], vertical_alignment="bottom")
    p1.button("◀", on_click=move_timeline, args=(-1, count), disabled=ss.timeline_point == 0, help="Earlier")
    p2.select_slider(
        "Moment in training",
        options=list(range(count)),
        key="timeline_point",
        format_func=lambda i: timeline.point_label(points[i]),
    )
    p3.button("▶", on_click=move_timeline, args=(1, count), disabled=ss.timeline_point == count - 1, help="Later")
    record = points[ss.timeline_point]
    m = st.columns(6)
    m[0].metric("step", f"{record.get('step', 0):,}")
    m[1].metric("epoch", "—" if record.get("epoch") is None else f"{record['epoch']:.2f}")
    m[2].metric(f"train loss ({unit}/char)", timeline.loss_text(record.get("train_loss"), unit))
    m[3].metric(f"validation loss ({unit}/char)", timeline.loss_text(record.get("val_loss"), unit))
    m[4].metric("validation perplexity", timeline.perplexity_text(record.get("val_loss")), help="e^(nats/char)")
    m[5].metric("elapsed", "—" if record.get("elapsed_s") is None else catalog.format_duration(record["elapsed_s"]))
    st.caption(sampled_how(history))
    st.code(str(history.get("sample_prime") or "") + record["sample"], language=None, wrap_lines=True)
