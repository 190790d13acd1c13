"""playground.adapting: the app's adaptive reading, kept in the session, resumed after a rerun
interrupts it, cut at the time limit; on a tiny model trained here."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TINY_TEXT, train_tiny

from charrnn import CharRNN
from charrnn.adaptive import AdaptiveReader, AdaptiveSettings, adaptive_surprisal
from playground import adapting

SETTINGS = AdaptiveSettings("sgd", 0.5, 0.0, 40)


@pytest.fixture(scope="module")
def model() -> CharRNN:
    return train_tiny(TINY_TEXT, steps=30)


def new_reading(model: CharRNN, ids: list[int]) -> adapting.Reading:
    return adapting.Reading(("tiny", "text"), ids, AdaptiveReader(model, SETTINGS))


class Rerun(Exception):
    """Stands in for Streamlit's stop of a script run, raised from a progress update."""


def test_a_reading_interrupted_by_a_rerun_resumes_where_it_was(model):
    ids = model.vocab.encode(TINY_TEXT[:400]).ids
    reading = new_reading(model, ids)

    def interrupt(done: int, total: int) -> None:
        if done == 160:
            raise Rerun

    with pytest.raises(Rerun):
        reading.read_on(interrupt)
    assert reading.done == 160 and not reading.finished
    reading.read_on()
    assert reading.finished and reading.stopped is None
    np.testing.assert_array_equal(reading.surprisal, adaptive_surprisal(model, ids, SETTINGS))


def test_the_time_limit_stops_a_reading_and_says_so(model, monkeypatch):
    monkeypatch.setattr(adapting, "TIME_LIMIT_S", 0.0)
    reading = new_reading(model, model.vocab.encode(TINY_TEXT[:400]).ids)
    reading.read_on()
    assert reading.finished and reading.stopped == "time" and reading.done == 40  # one segment, then the limit
    assert reading.summary.startswith("40 of 400 characters") and "limit" in reading.summary


def test_the_app_reads_with_the_best_sgd_setting_or_a_default(model):
    assert adapting.app_settings(model) == adapting.DEFAULT_SETTINGS  # never tuned
    tuned = train_tiny(TINY_TEXT, steps=5)
    trial = {"rule": "sgd", "lr": 0.3, "decay": 0.01, "segment": 50, "nats_per_char": 1.0}
    tuned.meta["adaptive"] = {
        "settings": {"rule": "rms", "lr": 3e-5, "decay": 0.0, "segment": 50},
        "held_out": {"static": 1.1, "trials": [trial]},
    }
    assert adapting.app_settings(tuned) == AdaptiveSettings("sgd", 0.3, 0.01, 50)
