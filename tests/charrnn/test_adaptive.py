"""charrnn.adaptive: reading a text while learning from it (dynamic evaluation), on tiny models
trained here."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import pytest
import torch
from conftest import TINY_TEXT, train_tiny, write_model_dir
from tolerances import FLOAT32

from charrnn import CharRNN, surprisal_nats
from charrnn.adaptive import AdaptiveReader, AdaptiveSettings, adaptive_surprisal, gradient_rms, recorded_settings

SEGMENT = 40
SETTINGS = {"sgd": AdaptiveSettings("sgd", 0.5, 0.0, SEGMENT), "rms": AdaptiveSettings("rms", 0.01, 0.0, SEGMENT)}


@pytest.fixture(scope="module")
def model() -> CharRNN:
    return train_tiny(TINY_TEXT, steps=80, hidden=48)


@pytest.fixture(scope="module")
def rms(model: CharRNN) -> dict:
    return gradient_rms(model, model.vocab.encode(TINY_TEXT).ids, SEGMENT)


def unseen_text(model: CharRNN, length: int = 400, seed: int = 3) -> list[int]:
    """Ids of a text the model never saw: words made of its characters in a random order."""
    rng = random.Random(seed)
    letters = [c for c in model.vocab.chars if c.isalpha()]
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 7))) for _ in range(40)]
    text = " ".join(rng.choice(words) for _ in range(length))[:length]
    return model.vocab.encode(text).ids


@pytest.mark.parametrize("rule", ["sgd", "rms"])
def test_the_first_segment_scores_exactly_as_static_reading(model, rms, rule):
    ids = model.vocab.encode(TINY_TEXT[:300]).ids
    adaptive = adaptive_surprisal(model, ids, SETTINGS[rule], rms)
    static = surprisal_nats(model, ids)
    np.testing.assert_array_equal(adaptive[:SEGMENT], static[:SEGMENT])  # nothing learned before it is scored
    assert np.abs(adaptive[SEGMENT:] - static[SEGMENT:]).max() > 1e-3  # and after it, the model has learned


def test_without_learning_it_reads_as_static_reading(model):
    ids = model.vocab.encode(TINY_TEXT[:500]).ids
    adaptive = adaptive_surprisal(model, ids, AdaptiveSettings("sgd", 0.0, 0.0, SEGMENT))
    np.testing.assert_allclose(adaptive, surprisal_nats(model, ids), **FLOAT32)  # segments vs one pass


@pytest.mark.parametrize("rule", ["sgd", "rms"])
def test_a_text_read_twice_is_much_cheaper_the_second_time_adaptively(model, rms, rule):
    once = unseen_text(model)
    twice = once + once
    n = len(once)
    static = surprisal_nats(model, twice)
    adaptive = adaptive_surprisal(model, twice, SETTINGS[rule], rms)
    # Statically, the repeat costs about what the first reading did: the model learns nothing.
    assert abs(static[n:].mean() - static[:n].mean()) < 0.1
    # Adaptively it has learned the text's words: the repeat is far cheaper than the first reading
    # and than reading it statically.
    assert adaptive[n:].mean() < adaptive[:n].mean() - 0.5
    assert adaptive[n:].mean() < static[n:].mean() - 0.5


def test_decay_pulls_the_weights_back_to_the_trained_ones(model):
    ids = unseen_text(model, 200)
    drift = {}
    for decay in (0.0, 0.5):
        reader = AdaptiveReader(model, AdaptiveSettings("sgd", 0.5, decay, SEGMENT))
        reader.read(ids)
        drift[decay] = sum((reader.params[n] - reader.trained[n]).norm().item() for n in reader.params)
    assert 0 < drift[0.5] < drift[0.0] / 2


def test_the_trained_weights_are_never_changed(model, tmp_path):
    directory = write_model_dir(train_tiny(TINY_TEXT, steps=20), tmp_path / "m")
    weights = directory / "model.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    loaded = CharRNN.from_pretrained(directory)
    before = {k: v.clone() for k, v in loaded.state_dict().items()}
    reader = AdaptiveReader(loaded, AdaptiveSettings("sgd", 0.5, 0.0, SEGMENT))
    reader.read(unseen_text(loaded, 200))
    assert any(not torch.equal(reader.params[k], before[k]) for k in reader.params)  # the copy learned
    assert all(torch.equal(v, before[k]) for k, v in loaded.state_dict().items())  # the model did not
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == digest  # nor its file


def test_the_reader_carries_on_and_can_stop(model):
    ids = model.vocab.encode(TINY_TEXT[:400]).ids
    whole = AdaptiveReader(model, SETTINGS["sgd"]).read(ids)
    reader = AdaptiveReader(model, SETTINGS["sgd"])
    parts = np.concatenate([reader.read(ids[:200]), reader.read(ids[200:])])  # 200: a whole number of segments
    np.testing.assert_array_equal(parts, whole)
    stopped = AdaptiveReader(model, SETTINGS["sgd"]).read(ids, progress=lambda done: done < 120)
    assert len(stopped) == 120 and np.array_equal(stopped, whole[:120])


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"rule": "adam"}, "unknown adaptive rule"),
        ({"lr": -1.0}, "learning rate"),
        ({"lr": float("nan")}, "learning rate"),
        ({"decay": 1.5}, "decay"),
        ({"segment": 0}, "segment"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(bad, message):
    with pytest.raises(ValueError, match=message):
        AdaptiveSettings(**bad)


def test_the_rms_rule_needs_its_statistics(model):
    with pytest.raises(ValueError, match="gradient statistics"):
        AdaptiveReader(model, SETTINGS["rms"])


def test_recorded_settings_read_the_choice_or_a_rule_s_best_trial():
    trial = {"decay": 0.0, "segment": 100}
    meta = {
        "adaptive": {
            "settings": {"rule": "rms", "lr": 3e-5, "decay": 0.01, "segment": 50},
            "held_out": {
                "static": 1.2,
                "trials": [
                    {**trial, "rule": "sgd", "lr": 0.3, "nats_per_char": 1.25},
                    {**trial, "rule": "sgd", "lr": 0.1, "nats_per_char": 1.15},
                    {**trial, "rule": "rms", "lr": 3e-5, "nats_per_char": 1.1},
                ],
            },
        }
    }
    assert recorded_settings(meta) == AdaptiveSettings("rms", 3e-5, 0.01, 50)
    assert recorded_settings(meta, "sgd") == AdaptiveSettings("sgd", 0.1, 0.0, 100)
    meta["adaptive"]["held_out"]["static"] = 1.0  # no sgd trial beat static reading
    assert recorded_settings(meta, "sgd") is None
    meta["adaptive"]["settings"]["lr"] = 0.0  # the style reads statically
    assert recorded_settings(meta) is None and recorded_settings({}) is None
