"""charrnn.metrics: loss units and stateful scoring of a whole text."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import TINY_TEXT

from charrnn import CELLS, CharRNN, ModelConfig, bits_per_char, loss_report, nats_per_char, perplexity, surprisal_nats

TEXT = "It was the best of times, it was the worst of times, it was the age of wisdom.\n" * 4


def make_model(cell: str = "lstm", vocab: list[str] | None = None, seed: int = 0) -> CharRNN:
    torch.manual_seed(seed)
    return CharRNN(ModelConfig(vocab or sorted(set(TEXT)), cell=cell, layers=2, hidden=16, embedding=8)).eval()


def uniform_model(vocab_size: int, cell: str = "gru") -> CharRNN:
    model = make_model(cell, [chr(0x41 + i) for i in range(vocab_size)])
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
    return model


@pytest.mark.parametrize("nats", [0.0, 0.5, 1.0, math.log(2), 1.4142, 4.17])
def test_units(nats):
    assert bits_per_char(nats) == pytest.approx(nats / math.log(2), rel=1e-15)
    assert perplexity(nats) == pytest.approx(math.exp(nats), rel=1e-15)
    assert bits_per_char(math.log(2)) == pytest.approx(1.0)
    assert perplexity(math.log(65)) == pytest.approx(65.0)


def test_loss_report():
    report = loss_report(1.25, 1000, unknown_chars=3, corpus="x")
    assert report == {
        "nats_per_char": 1.25,
        "bits_per_char": pytest.approx(1.25 / math.log(2)),
        "perplexity": pytest.approx(math.exp(1.25)),
        "chars": 1000,
        "unknown_chars": 3,
        "corpus": "x",
    }


@pytest.mark.parametrize("vocab_size", [2, 7, 65])
def test_uniform_model_scores_ln_v(vocab_size):
    model = uniform_model(vocab_size)
    ids = torch.randint(0, vocab_size, (300,), generator=torch.Generator().manual_seed(vocab_size))
    assert nats_per_char(model, ids) == pytest.approx(math.log(vocab_size), rel=1e-6)
    assert bits_per_char(nats_per_char(model, ids)) == pytest.approx(math.log2(vocab_size), rel=1e-6)


@pytest.mark.parametrize("start_state", [False, True])
@pytest.mark.parametrize("cell", CELLS)
def test_surprisal_matches_one_forward_pass(cell, start_state):
    model = make_model(cell)
    if start_state:
        model.add_start_state()
        with torch.no_grad():
            model.start_h.normal_()
    ids = model.vocab.encode(TEXT).ids
    scores = surprisal_nats(model, ids)
    assert scores.dtype == np.float64 and scores.shape == (len(ids),)  # every character, the first too
    with torch.no_grad():
        logits, _ = model(torch.tensor([ids[:-1]]))
        first = model.start_logits(1)  # (1, 1, V): from the start state (zeros: the head's bias)
    log_probs = F.log_softmax(torch.cat([first, logits], dim=1)[0].double(), dim=-1)
    expected = -log_probs[torch.arange(len(ids)), torch.tensor(ids)].numpy()
    # float32 through the same module, chunked vs whole: equal up to float32 rounding
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-5)
    assert nats_per_char(model, ids) == pytest.approx(float(expected.mean()), rel=1e-5)
    if not start_state:
        bias = F.log_softmax(model.head.bias.detach().double(), dim=-1)[ids[0]].item()
        assert scores[0] == pytest.approx(-bias, rel=1e-6)  # a model without a start state: from zeros


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("chunk", [1, 2, 7, 64, 100, len(TEXT) - 2, len(TEXT) - 1, len(TEXT)])
def test_chunked_equals_unchunked(cell, chunk):
    model = make_model(cell)
    ids = model.vocab.encode(TEXT).ids
    whole = surprisal_nats(model, ids, chunk=10_000)
    chunked = surprisal_nats(model, ids, chunk=chunk)
    assert chunked.shape == whole.shape == (len(ids),)
    np.testing.assert_allclose(chunked, whole, rtol=1e-5, atol=1e-5)


def test_chunks_without_state_would_differ():
    """Control: scoring each chunk from a fresh state gives other numbers, so the equality above
    really depends on the state being carried."""
    model = make_model("lstm")
    ids = model.vocab.encode(TEXT).ids
    whole = surprisal_nats(model, ids)
    fresh = np.concatenate([surprisal_nats(model, ids[s : s + 50]) for s in range(0, len(ids), 50)])
    assert fresh.shape == whole.shape
    assert not np.allclose(fresh, whole, atol=1e-3)


def test_accepts_a_tensor_and_switches_to_eval():
    model = CharRNN(ModelConfig(sorted(set(TEXT)), cell="lstm", layers=2, hidden=16, embedding=8, dropout=0.5))
    assert model.training
    ids = model.vocab.encode(TEXT).ids
    a = surprisal_nats(model, torch.tensor(ids), chunk=13)
    b = surprisal_nats(model, ids, chunk=13)
    np.testing.assert_array_equal(a, b)  # dropout is off: deterministic


def test_too_short_texts():
    model = make_model()
    assert surprisal_nats(model, [0]).shape == (1,)  # the first character is predicted too
    assert surprisal_nats(model, []).shape == (0,)
    assert surprisal_nats(model, [0, 1]).shape == (2,)
    with pytest.raises(ValueError, match="at least one character"):
        nats_per_char(model, [])


def test_a_trained_model_beats_uniform(tiny_model):
    ids = tiny_model.vocab.encode(TINY_TEXT[:500]).ids
    assert nats_per_char(tiny_model, ids) < math.log(len(tiny_model.vocab))
