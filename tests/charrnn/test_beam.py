"""Beam search and many futures (``charrnn.beam``) against greedy decoding, an exhaustive
enumeration and the reference scoring of ``CharRNN.forward``."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
import torch
from conftest import TINY_TEXT, train_tiny
from tolerances import FLOAT32, FLOAT64

from charrnn import CharRNN, UnknownCharactersError, generate, sample, surprisal_nats
from charrnn.beam import MAX_FUTURES, MAX_LENGTH, MAX_WIDTH, Beam, beam_search, futures
from charrnn.engine import Engine
from charrnn.sampling import SamplingSettings, encode_prime

# Four characters in random "words"; a model of them has 4^6 = 4,096 continuations of six
# characters. Fifteen steps leave it unsure enough that its greedy path is not the best one.
_words = random.Random(0)
FOUR_TEXT = "".join(_words.choice(["ab", "cd", "aab", "dcb", "bbbd", "ca"]) for _ in range(300))
FOUR_STEPS = 6


@pytest.fixture(scope="module")
def four_model() -> CharRNN:
    model = train_tiny(FOUR_TEXT, steps=15, hidden=16)
    assert model.vocab.chars == ["a", "b", "c", "d"]
    return model


@pytest.fixture(scope="module")
def cell_models() -> dict[str, CharRNN]:
    """One tiny model per cell, trained once for this module."""
    return {cell: train_tiny(TINY_TEXT, cell=cell, steps=30) for cell in ("rnn", "gru", "lstm")}


def reference_logprobs(model: CharRNN, prime: str, texts: list[str]) -> np.ndarray:
    """ln p of each character of each text after the prime, from CharRNN.forward: (N, T)."""
    ids = torch.tensor([encode_prime(model, prime).ids + model.vocab.encode(t).ids for t in texts])  # (N, P + T)
    with torch.inference_mode():
        logits, _ = model(ids)  # (N, P + T, V): logits[:, i] predicts ids[:, i + 1]
    steps = len(texts[0])
    logp = torch.log_softmax(logits[:, -steps - 1 : -1].double(), dim=-1)  # (N, T, V)
    return logp.gather(2, ids[:, -steps:, None]).squeeze(2).numpy()


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("prime", ["To be", ""])
def test_width_one_is_greedy_character_for_character(cell_models: dict, cell: str, prime: str) -> None:
    model = cell_models[cell]
    greedy = list(generate(model, prime, 80, SamplingSettings(greedy=True)))
    (beam,) = beam_search(model, prime, 80, width=1)
    assert beam.text == "".join(s.char for s in greedy)
    np.testing.assert_allclose(beam.probs, [s.prob_raw for s in greedy], **FLOAT64)  # same logits, float64 both
    assert not beam.stopped


def test_exhaustive_enumeration_agrees_and_wider_is_never_worse(four_model: CharRNN) -> None:
    prime = "abac"
    texts = ["".join(t) for t in itertools.product("abcd", repeat=FOUR_STEPS)]  # all 4,096
    totals = reference_logprobs(four_model, prime, texts).sum(axis=1)  # (4096,)
    everything = beam_search(four_model, prime, FOUR_STEPS, width=4**FOUR_STEPS, max_width=4**FOUR_STEPS)
    assert sorted(b.text for b in everything) == texts  # every continuation, each once
    assert everything[0].text == texts[int(totals.argmax())]
    found = {b.text: b.logprob for b in everything}
    np.testing.assert_allclose([found[t] for t in texts], totals, **FLOAT32)  # engine vs torch, 10 chars deep
    assert all(a.logprob >= b.logprob for a, b in itertools.pairwise(everything))  # best first

    # Beam search promises neither of these in general (a wider beam may drop the path a
    # narrower one kept); the issue asks that this model confirms both, up to float32 rounding.
    best = [beam_search(four_model, prime, FOUR_STEPS, w, max_width=4**FOUR_STEPS)[0].logprob for w in WIDTHS]
    greedy = best[0]
    assert all(b >= greedy - FLOAT32["atol"] for b in best)
    assert all(b >= a - FLOAT32["atol"] for a, b in itertools.pairwise(best))
    assert best[-1] == pytest.approx(totals.max(), abs=FLOAT32["atol"])
    assert best[-1] > greedy + 0.01  # else this model would not tell a beam from greedy decoding


WIDTHS = [1, 2, 3, 4, 8, 16, 64, 256, 1024, 4**FOUR_STEPS]


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_beam_logprobs_equal_reference_scoring(cell_models: dict, cell: str) -> None:
    model = cell_models[cell]
    beams = beam_search(model, "To be, or ", 40, width=8)
    assert len(beams) == 8 and len({b.text for b in beams}) == 8
    reference = reference_logprobs(model, "To be, or ", [b.text for b in beams])  # (8, 40)
    np.testing.assert_allclose(np.log([b.probs for b in beams]), reference, **FLOAT32)
    np.testing.assert_allclose([b.logprob for b in beams], reference.sum(axis=1), **FLOAT32)
    assert [b.logprob for b in beams] == sorted((b.logprob for b in beams), reverse=True)
    beam = beams[0]
    assert beam.bits == pytest.approx(-beam.logprob / np.log(2))
    assert beam.bits_per_char == pytest.approx(beam.bits / 40)


def test_a_stop_string_ends_beams_that_compete_as_they_stand(tiny_model: CharRNN) -> None:
    beams = beam_search(tiny_model, "To be, or not", 120, width=6, stop="\n")
    stopped = [b for b in beams if b.stopped]
    assert stopped, "on a text of short lines some beam should end at a newline"
    for b in stopped:
        assert b.text.endswith("\n") and "\n" not in b.text[:-1] and len(b.text) < 120
    for b in beams:
        if not b.stopped:
            assert len(b.text) == 120 and "\n" not in b.text
    reference = reference_logprobs(tiny_model, "To be, or not", [stopped[0].text])
    assert stopped[0].logprob == pytest.approx(reference.sum(), abs=FLOAT32["atol"], rel=FLOAT32["rtol"])


def test_a_stop_of_several_characters_counts_only_generated_text(tiny_model: CharRNN) -> None:
    prime = "To be, or not to be, that is the question:\n"
    beams = beam_search(tiny_model, prime, 200, width=4, stop="\nAnd")
    for b in beams:
        assert b.stopped == b.text.endswith("\nAnd")
        assert b.text.find("\nAnd") in (-1, len(b.text) - 4)


def test_select_gathers_every_layers_state(tiny_model: CharRNN) -> None:
    stepper = Engine.for_model(tiny_model).stepper(3)
    stepper.run(np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]]))
    before = stepper.get_state()
    stepper.select([2, 0, 0])
    for old, new in zip(before, stepper.get_state(), strict=True):  # LSTM: (h, c), each (L, B, H)
        np.testing.assert_array_equal(new, old[:, [2, 0, 0]])


def test_futures_are_the_samplers_draws_with_consecutive_seeds(tiny_model: CharRNN) -> None:
    settings = SamplingSettings(temperature=0.8)
    found = futures(tiny_model, "To be", count=4, length=30, settings=settings, seed=10)
    assert [f.seed for f in found] == [10, 11, 12, 13]
    for f in found:
        assert f.text == sample(tiny_model, "To be", 30, temperature=0.8, seed=f.seed)
        ids = encode_prime(tiny_model, "To be").ids + tiny_model.vocab.encode(f.text).ids
        nats = surprisal_nats(tiny_model, ids)[-30:]  # the reference scoring: T = 1, unfiltered
        assert f.bits_per_char == pytest.approx(nats.mean() / np.log(2), abs=FLOAT32["atol"], rel=FLOAT32["rtol"])
    assert [f.text for f in futures(tiny_model, "To be", 4, 30, settings, seed=10)] == [f.text for f in found]
    assert len({f.text for f in found}) > 1
    unseeded = futures(tiny_model, "To be", 2, 10, settings)
    assert unseeded[1].seed == unseeded[0].seed + 1
    assert unseeded[0].text == sample(tiny_model, "To be", 10, temperature=0.8, seed=unseeded[0].seed)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"width": 0}, "beam width must be a whole number between 1 and 64"),
        ({"width": MAX_WIDTH + 1}, "beam width must be a whole number between 1 and 64"),
        ({"width": 2.5}, "beam width"),
        ({"length": 0}, f"length must be a whole number between 1 and {MAX_LENGTH}"),
        ({"length": MAX_LENGTH + 1}, "length must be"),
        ({"prime": "To be €"}, "not in the model's vocabulary: '€'"),
        ({"prime": b"To"}, "prime must be a str"),
        ({"stop": ""}, "stop must be a non-empty string"),
        ({"stop": "€"}, "which the model never writes"),
        ({"unknown": "drop"}, "unknown-character policy must be one of"),
    ],
)
def test_bad_beam_requests_get_one_clear_line(tiny_model: CharRNN, kwargs: dict, message: str) -> None:
    request = {"prime": "To", "length": 10, "width": 4, **kwargs}
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("?", r"\?")) as caught:
        beam_search(tiny_model, **request)
    assert "\n" not in str(caught.value)


def test_an_unreadable_prime_can_be_skipped_or_replaced(tiny_model: CharRNN) -> None:
    with pytest.raises(UnknownCharactersError):
        beam_search(tiny_model, "To €", 10, 2)
    skipped = beam_search(tiny_model, "To €", 10, 2, unknown="skip")
    assert [b.text for b in skipped] == [b.text for b in beam_search(tiny_model, "To ", 10, 2)]
    replaced = beam_search(tiny_model, "To€", 10, 2, unknown="replace", replacement="e")
    assert [b.text for b in replaced] == [b.text for b in beam_search(tiny_model, "Toe", 10, 2)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"count": 0}, f"count must be a whole number between 1 and {MAX_FUTURES}"),
        ({"count": MAX_FUTURES + 1}, "count must be"),
        ({"length": 0}, "length must be a whole number between 1"),
        ({"prime": "€"}, "not in the model's vocabulary"),
    ],
)
def test_bad_futures_requests_get_one_clear_line(tiny_model: CharRNN, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        futures(tiny_model, **{"prime": "To", "count": 2, "length": 5, "seed": 1, **kwargs})


def test_a_beam_is_a_plain_record() -> None:
    beam = Beam("ab", (0, 1), np.log(0.25), np.array([0.5, 0.5]), stopped=False)
    assert beam.bits == pytest.approx(2.0) and beam.bits_per_char == pytest.approx(1.0)
