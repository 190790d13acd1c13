"""Sampling on the fast engine: same text as the reference path, and the edge cases of
temperature, top-k, top-p and greedy."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tolerances import FLOAT32, assert_same_draws

from charrnn import CharRNN, ModelConfig
from charrnn import engine as engine_module
from charrnn.sampling import (
    ReferenceStepper,
    SamplingSettings,
    choose,
    filter_distribution,
    generate,
    sample,
    softmax,
)

VOCAB = list("\n abcdefghijklmnopqrstuvwxyzT,.:;'")
SETTINGS = [
    SamplingSettings(),
    SamplingSettings(temperature=0.5),
    SamplingSettings(temperature=1.7, top_k=5),
    SamplingSettings(top_p=0.8),
    SamplingSettings(temperature=0.9, top_k=10, top_p=0.9),
    SamplingSettings(greedy=True),
]


def random_model(cell: str, layers: int = 2, hidden: int = 29, seed: int = 0) -> CharRNN:
    torch.manual_seed(seed)
    model = CharRNN(ModelConfig(VOCAB, cell=cell, layers=layers, hidden=hidden, embedding=9))
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(2.5)
    return model.eval()


def text(steps: object) -> str:
    return "".join(s.char for s in steps)  # type: ignore[attr-defined]


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("settings", SETTINGS, ids=repr)
def test_seeded_text_is_the_same_as_the_reference_path(cell: str, settings: SamplingSettings) -> None:
    model = random_model(cell, layers=2 if cell == "lstm" else 3)
    for seed in (0, 1):
        fast = list(generate(model, "the ", 150, settings, seed=seed))
        reference = list(generate(model, "the ", 150, settings, seed=seed, engine="reference"))
        # NumPy engine against PyTorch: the same draws unless float32 rounding decides a near tie
        # (measured: their cumulative distributions differ by at most 8e-7 on these models).
        assert_same_draws(fast, reference, seed, settings.greedy)
        for a, b in zip(fast[::37], reference[::37], strict=False):
            if a.char_id != b.char_id:
                break  # parted at a near tie (checked above)
            assert (a.position, a.rank) == (b.position, b.rank)
            np.testing.assert_allclose(a.probs_raw, b.probs_raw, **FLOAT32)
            np.testing.assert_allclose(a.probs, b.probs, **FLOAT32)
            # entropy sums V terms p log p of the probabilities above: V x their tolerance
            assert a.entropy_bits == pytest.approx(b.entropy_bits, rel=1e-4, abs=1e-4)
        joined = sample(model, "the ", 150, settings.temperature, settings.top_k, settings.top_p, settings.greedy, seed)
        assert joined == text(fast)


def test_trained_model_default_engine_matches_reference(tiny_model: CharRNN) -> None:
    settings = SamplingSettings(temperature=0.8)
    for seed in range(3):
        fast = list(generate(tiny_model, "To be", 300, settings, seed=seed))
        assert_same_draws(fast, list(generate(tiny_model, "To be", 300, settings, seed=seed, engine="reference")), seed)
        assert sample(tiny_model, "To be", 300, temperature=0.8, seed=seed) == text(fast)  # the same path: exact
    assert sample(tiny_model, "To be", 100, seed=1) != sample(tiny_model, "To be", 100, seed=2)


def test_explicit_stepper_still_wins(tiny_model: CharRNN) -> None:
    via_stepper = text(generate(tiny_model, "To", 60, seed=4, stepper=ReferenceStepper(tiny_model)))
    assert via_stepper == text(generate(tiny_model, "To", 60, seed=4))


def test_unknown_engine_is_rejected(tiny_model: CharRNN) -> None:
    with pytest.raises(ValueError, match="engine"):
        list(generate(tiny_model, "To", 5, engine="turbo"))
    with pytest.raises(ValueError, match="engine"):
        sample(tiny_model, "To", 5, engine="turbo")


def test_prime_is_one_call_then_one_step_per_character(monkeypatch: pytest.MonkeyPatch) -> None:
    model = random_model("lstm")
    calls = {"run": [], "step": 0}
    run, step = engine_module.Stepper.run, engine_module.Stepper.step

    def counting_run(self, ids, all_logits=False):  # type: ignore[no-untyped-def]
        calls["run"].append(np.asarray(ids).shape)
        return run(self, ids, all_logits)

    def counting_step(self, ids):  # type: ignore[no-untyped-def]
        calls["step"] += 1
        return step(self, ids)

    monkeypatch.setattr(engine_module.Stepper, "run", counting_run)
    monkeypatch.setattr(engine_module.Stepper, "step", counting_step)
    steps = list(generate(model, "a long prime of some chars", 10, seed=0))
    assert len(steps) == 10
    assert calls == {"run": [(1, 26)], "step": 9}


def test_top_k_1_and_tiny_top_p_are_greedy(tiny_model: CharRNN) -> None:
    greedy = sample(tiny_model, "To", 120, greedy=True)
    assert sample(tiny_model, "To", 120, top_k=1, seed=5) == greedy
    assert sample(tiny_model, "To", 120, temperature=3.0, top_p=1e-9, seed=6) == greedy
    assert sample(tiny_model, "To", 120, greedy=True, seed=123, temperature=0.1) == greedy  # seed ignored
    for step in generate(tiny_model, "To", 20, SamplingSettings(top_k=1), seed=0):
        assert step.prob == 1.0 and step.rank == 1 and step.entropy_bits == 0.0


def test_top_p_1_and_large_top_k_filter_nothing(tiny_model: CharRNN) -> None:
    plain = sample(tiny_model, "To", 150, temperature=0.7, seed=9)
    assert sample(tiny_model, "To", 150, temperature=0.7, top_p=1.0, seed=9) == plain
    assert sample(tiny_model, "To", 150, temperature=0.7, top_k=len(tiny_model.vocab), seed=9) == plain
    assert sample(tiny_model, "To", 150, temperature=0.7, top_k=0, seed=9) == plain
    for step in generate(tiny_model, "To", 10, SamplingSettings(top_p=1.0), seed=0):
        assert np.array_equal(step.probs, step.probs_tempered)


@pytest.mark.parametrize("temperature", [0.05, 0.1, 0.3, 1.0, 2.0, 5.0])
@pytest.mark.parametrize("scale", [1.0, 40.0])
def test_probabilities_sum_to_one_and_are_finite(temperature: float, scale: float) -> None:
    model = random_model("lstm", seed=3)
    with torch.no_grad():  # scale 40: logits in the hundreds, where a naive softmax overflows
        model.head.weight.mul_(scale)
    for top_k, top_p in [(None, None), (3, None), (None, 0.5), (7, 0.9)]:
        settings = SamplingSettings(temperature=temperature, top_k=top_k, top_p=top_p)
        for step in generate(model, "the", 60, settings, seed=1):
            for p in (step.probs_raw, step.probs_tempered, step.probs):
                assert np.isfinite(p).all() and (p >= 0).all()
                assert p.sum() == pytest.approx(1.0, abs=1e-9)
            assert step.probs[step.char_id] > 0
            assert np.isfinite(step.entropy_bits) and np.isfinite(step.entropy_raw_bits)


def test_draw_never_leaves_the_vocabulary() -> None:
    class One:
        def random(self) -> float:
            return 1.0 - 2**-53

    probs = np.array([0.2, 0.3, 0.5, 0.0])
    assert choose(probs, One()) == 2  # type: ignore[arg-type]
    assert choose(probs, One(), greedy=True) == 2  # type: ignore[arg-type]


def test_different_draws_away_from_a_tie_are_caught(tiny_model: CharRNN) -> None:
    """The control for assert_same_draws: texts that part where no tie explains it fail."""
    settings = SamplingSettings(temperature=1.0)
    ours, other_seed = (list(generate(tiny_model, "To be", 60, settings, seed=s)) for s in (0, 1))
    with pytest.raises(AssertionError, match="from a tie"):
        assert_same_draws(ours, other_seed, 0)


def test_softmax_is_shifted_and_tempered() -> None:
    logits = np.array([1000.0, 999.0, -1000.0], np.float32)  # exp(1000) overflows unshifted
    p = softmax(logits)
    assert p.dtype == np.float64 and p.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(p[:2] / p[:2].sum(), [1 / (1 + np.e**-1), 1 / (1 + np.e)])
    assert np.array_equal(softmax(logits, 0.5), softmax(logits * 2))
    rows = softmax(np.stack([logits, logits[::-1]]))  # (B, V): row by row
    assert np.array_equal(rows[0], p) and np.array_equal(rows[1], p[::-1])


def test_filter_keeps_the_head_and_never_empties() -> None:
    probs = np.array([0.1, 0.4, 0.3, 0.2])
    np.testing.assert_allclose(filter_distribution(probs, 2, None), [0, 4 / 7, 3 / 7, 0])
    np.testing.assert_allclose(filter_distribution(probs, None, 0.5), [0, 4 / 7, 3 / 7, 0])
    np.testing.assert_allclose(filter_distribution(probs, 3, 1e-12), [0, 1, 0, 0])
    assert filter_distribution(probs, 4, 1.0) is probs and filter_distribution(probs, None, None) is probs


def test_temperature_zero_means_greedy_in_one_place() -> None:
    assert SamplingSettings.from_temperature(0) == SamplingSettings(1.0, greedy=True)
    assert SamplingSettings.from_temperature(-1, top_k=5).greedy
    assert SamplingSettings.from_temperature(0.7, top_k=0) == SamplingSettings(0.7)
    assert SamplingSettings.from_temperature(0.7).label == "T=0.7"
    assert SamplingSettings.from_temperature(0.0).label == "greedy"
