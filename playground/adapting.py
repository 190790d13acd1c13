"""Adaptive reading in the app (``charrnn.adaptive``), shared by the Score tab ("adapt while
reading") and the Generate tab ("adapt to a text first"): a reading kept in the session, read
with a progress bar, a time limit and a Stop button, and resumed where it was if a rerun
interrupts it. The adapted weights live in the reading, in that session only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from charrnn import CharRNN
from charrnn.adaptive import AdaptiveReader, AdaptiveSettings, recorded_settings

TIME_LIMIT_S = 60.0  # seconds of reading a session may spend on one text
# Where a style has no recorded sgd setting: the flagship's best on its held-out text.
DEFAULT_SETTINGS = AdaptiveSettings("sgd", 0.1, 0.0, 100)


def app_settings(model: CharRNN) -> AdaptiveSettings:
    """The style's best sgd setting on its held-out training text (``training.adapt``): the app
    reads with sgd, since the rms rule needs gradient statistics from training text it does not
    ship. A style that gained nothing there, or was never tuned, gets ``DEFAULT_SETTINGS``."""
    return recorded_settings(model.meta, "sgd") or DEFAULT_SETTINGS


@dataclass
class Reading:
    """One text read adaptively by one style: the reader (its adapted copy of the weights),
    what it has read so far, the seconds spent and why it ended early, if it did."""

    key: tuple
    ids: list[int]
    reader: AdaptiveReader
    nats: list[np.ndarray] = field(default_factory=list)  # one (T,) array per segment read
    seconds: float = 0.0
    stopped: str | None = None  # "stop" (the button) or "time" (the limit)

    @property
    def done(self) -> int:
        return sum(len(n) for n in self.nats)

    @property
    def finished(self) -> bool:
        return self.stopped is not None or self.done >= len(self.ids)

    @property
    def surprisal(self) -> np.ndarray:
        """-ln p of each character read so far, each scored before the model learned from it: (done,)."""
        return np.concatenate(self.nats) if self.nats else np.zeros(0)

    def read_on(self, progress=None) -> None:
        """Read the rest of the text (or until the time limit), one segment at a time; each
        segment is kept as it comes, so a rerun that interrupts this resumes where it was."""
        started = time.perf_counter() - self.seconds
        for nats in self.reader.segments(self.ids[self.done :]):
            self.nats.append(nats)
            self.seconds = time.perf_counter() - started
            if progress is not None:
                progress(self.done, len(self.ids))
            if self.seconds >= TIME_LIMIT_S and not self.finished:
                self.stopped = "time"
                return

    @property
    def summary(self) -> str:
        """What was read, for the page to say (and why it stopped short)."""
        read = f"{self.done:,} of {len(self.ids):,} characters in {self.seconds:.0f} s"
        if self.stopped == "time":
            return f"{read}: stopped at the {TIME_LIMIT_S:.0f} s limit"
        return f"{read}: stopped" if self.stopped == "stop" else read


def reading(slot: str, key: tuple, model: CharRNN, ids: list[int], settings: AdaptiveSettings) -> Reading:
    """The session's reading in ``slot`` for ``key`` (style, text, settings...), a new one if the
    key changed: the previous reading and its adapted weights are dropped."""
    current = st.session_state.get(slot)
    if current is None or current.key != key:
        current = Reading(key, list(ids), AdaptiveReader(model, settings))
        st.session_state[slot] = current
    return current


def stop(slot: str) -> None:
    """The Stop button's callback: the reading keeps what it has read and reads no further."""
    current = st.session_state.get(slot)
    if current is not None and not current.finished:
        current.stopped = "stop"


def read_with_progress(slot: str, current: Reading, label: str) -> None:
    """Read on with a progress bar and a Stop button (a click stops it at the next segment)."""
    if current.finished:
        return
    holder = st.empty()  # the bar and the button, cleared once the reading ends
    with holder.container():
        bar_slot, button_slot = st.columns([5, 1], vertical_alignment="center")
        bar = bar_slot.progress(current.done / max(1, len(current.ids)), text=label)
        button_slot.button("⏹ Stop", key=f"{slot}_stop", on_click=stop, args=(slot,), width="stretch")

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=f"{label} {done:,} of {total:,} characters")

    current.read_on(progress)
    holder.empty()
