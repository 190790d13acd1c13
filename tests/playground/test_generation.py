"""``playground.pages.generate.generation``: the prime, the kept text and the stream of the Generate tab."""

from __future__ import annotations

import numpy as np
import pytest
from tolerances import FLOAT32

from charrnn import CharRNN, SamplingSettings, UnknownCharactersError, generate
from charrnn.sampling import encode_prime
from playground.pages.generate import generation
from playground.session import params


def test_prepare_prime_follows_the_library(tiny_model: CharRNN) -> None:
    for text, policy in [("To be", "error"), ("", "error"), ("Tö bé", "skip"), ("Tö bé", "replace"), ("éé", "skip")]:
        prime = generation.prepare_prime(tiny_model, text, policy)
        assert prime.ids == encode_prime(tiny_model, text, policy).ids
        assert prime.text == tiny_model.vocab.decode(prime.ids)
    assert generation.prepare_prime(tiny_model, "", "error").started_empty
    assert generation.prepare_prime(tiny_model, "éé", "skip").started_empty  # all skipped: nothing readable
    assert not generation.prepare_prime(tiny_model, "éé", "replace").started_empty
    skipped = generation.prepare_prime(tiny_model, "Tö bé€", "skip")
    assert skipped.unknown == ["ö", "é", "€"] and skipped.unknown_count == 3 and skipped.text == "T b"
    with pytest.raises(UnknownCharactersError):
        generation.prepare_prime(tiny_model, "é", "error")
    long = generation.prepare_prime(tiny_model, "a" * 100_000 + "To", "error")
    assert long.trimmed == 100_000 + 2 - params.PRIME_MAX and long.text.endswith("To")
    assert len(long.ids) == params.PRIME_MAX


def test_stream_without_keep_is_generate(tiny_model: CharRNN) -> None:
    settings_ = SamplingSettings(0.9, 10, 0.95)
    prime = generation.prepare_prime(tiny_model, "To", "error")
    ours = list(generation.stream(tiny_model, prime, 60, settings_, 5))
    theirs = list(generate(tiny_model, "To", 60, settings_, seed=5))
    assert "".join(s.char for s in ours) == "".join(s.char for s in theirs)
    assert [s.position for s in ours] == list(range(60))


def test_stream_with_keep_continues_after_the_kept_text(tiny_model: CharRNN) -> None:
    settings_ = SamplingSettings(0.8)
    prime = generation.prepare_prime(tiny_model, "To", "error")
    steps = list(generation.stream(tiny_model, prime, 50, settings_, 9, keep="be, or"))
    text = "".join(s.char for s in steps)
    assert len(steps) == 50 and text.startswith("be, or") and [s.position for s in steps] == list(range(50))
    assert text[6:] == "".join(s.char for s in generate(tiny_model, "Tobe, or", 44, settings_, seed=9))
    assert len(list(generation.stream(tiny_model, prime, 3, settings_, 9, keep="be, or"))) == 6  # keep wins
    with pytest.raises(ValueError, match="does not know"):
        list(generation.stream(tiny_model, prime, 10, settings_, 9, keep="€"))


def test_forced_steps_report_what_the_model_gave_the_drawn_characters(tiny_model: CharRNN) -> None:
    settings_ = SamplingSettings(0.7, 8)
    drawn = list(generate(tiny_model, "To", 40, settings_, seed=2))
    prime = generation.prepare_prime(tiny_model, "To", "error")
    forced = generation.forced_steps(tiny_model, prime.ids, "".join(s.char for s in drawn), settings_)
    for a, b in zip(drawn, forced, strict=True):
        assert (a.char, a.rank) == (b.char, b.rank)
        # forced steps read the text in one pass, generate steps one character at a time: across paths
        np.testing.assert_allclose([a.prob_raw, a.prob], [b.prob_raw, b.prob], **FLOAT32)
        np.testing.assert_allclose(a.probs_tempered, b.probs_tempered, **FLOAT32)
    nxt = generation.next_distribution(tiny_model, prime.ids, "".join(s.char for s in drawn[:-1]), settings_)
    np.testing.assert_allclose(nxt[0], drawn[-1].probs_raw, **FLOAT32)
