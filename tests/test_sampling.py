"""Sampling on the fast engine: same text as the reference path, batched equals unbatched,
and the edge cases of temperature, top-k, top-p and greedy."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tolerances import FLOAT32, assert_same_draws

from charrnn import CharRNN
from charrnn import engine as engine_module
from charrnn.sampling import (
    ReferenceStepper,
    SamplingSettings,
    distributions,
    draw,
    draw_batch,
    filter_distribution,
    generate,
    generate_batch,
    make_step,
    sample,
    sample_batch,
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
    model = CharRNN(VOCAB, cell=cell, layers=layers, hidden=hidden, embedding=9)
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
        lean = sample(model, "the ", 150, settings.temperature, settings.top_k, settings.top_p, settings.greedy, seed)
        assert lean == text(fast)


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
        sample_batch(tiny_model, ["To"], 5, engine="turbo")


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


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_batch_equals_one_stream_at_a_time(cell: str) -> None:
    model = random_model(cell)
    primes = ["the ", "a", "the ", "zebra: "]
    seeds = [1, 2, 3, 1]
    settings = SamplingSettings(temperature=0.9, top_p=0.95)
    batched = list(generate_batch(model, primes, 80, settings, seeds))
    assert len(batched) == 80 and all(len(row) == 4 for row in batched)
    lean = sample_batch(model, primes, 80, settings, seeds)
    for i, (prime, seed) in enumerate(zip(primes, seeds, strict=True)):
        alone = list(generate(model, prime, 80, settings, seed=seed))
        row = [steps[i] for steps in batched]
        assert "".join(s.char for s in row) == lean[i]  # the batch path twice: exact
        # matrix-matrix against matrix-vector products: the same draws up to near ties
        assert_same_draws(row, alone, seed)
        if text(row) == text(alone):
            np.testing.assert_allclose(row[-1].probs, alone[-1].probs, **FLOAT32)
            assert row[5].rank == alone[5].rank
    other = list(generate_batch(model, primes, 80, settings, seeds, engine="reference"))
    for i, seed in enumerate(seeds):  # PyTorch: another path, so the same draws up to near ties
        assert_same_draws([steps[i] for steps in batched], [steps[i] for steps in other], seed)


def test_batch_with_one_prime_and_many_seeds(tiny_model: CharRNN) -> None:
    # The batch's matrix-matrix products against one stream's: the same draws up to near ties.
    hot = SamplingSettings(temperature=1.2)
    batched = list(generate_batch(tiny_model, "To be", 50, hot, seeds=[0, 1, 2]))
    for i in range(3):
        assert_same_draws([steps[i] for steps in batched], list(generate(tiny_model, "To be", 50, hot, seed=i)), i)
    assert len(set(sample_batch(tiny_model, "To be", 50, hot, seeds=[0, 1, 2]))) == 3
    greedy = list(generate_batch(tiny_model, ["To", "be"], 30, SamplingSettings(greedy=True)))
    for i, prime in enumerate(("To", "be")):
        alone = list(generate(tiny_model, prime, 30, SamplingSettings(greedy=True)))
        assert_same_draws([steps[i] for steps in greedy], alone, None, greedy=True)
    assert sample_batch(tiny_model, ["To"], 0) == [""]
    with pytest.raises(ValueError, match="one seed per prime"):
        sample_batch(tiny_model, ["To", "be"], 5, seeds=[1])


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
        rows = next(iter(generate_batch(model, ["the", "a"], 1, settings, seeds=[1, 2])))
        for step in rows:
            assert step.probs.sum() == pytest.approx(1.0, abs=1e-9)


def test_batched_distributions_filters_and_draws_equal_row_by_row() -> None:
    rng = np.random.default_rng(0)
    logits = (rng.standard_normal((8, 40)) * 3).astype(np.float32)
    logits[2] = logits[2, 0]  # an all-equal row: ties everywhere
    for settings in [*SETTINGS, SamplingSettings(top_k=1), SamplingSettings(top_p=1e-12, temperature=0.05)]:
        batched = distributions(logits, settings)
        for i in range(len(logits)):
            alone = distributions(logits[i], settings)
            for b, a in zip(batched, alone, strict=True):
                assert np.array_equal(b[i], a)
        if not settings.greedy:
            ids = draw_batch(batched[2], [np.random.default_rng(s) for s in range(8)])
            assert ids.tolist() == [draw(batched[2][i], np.random.default_rng(i)) for i in range(8)]
    probs = rng.dirichlet(np.ones(40), size=5)
    for top_k, top_p in [(3, None), (None, 0.3), (5, 0.99), (40, 1.0)]:
        rows = filter_distribution(probs, top_k, top_p)
        for i in range(5):
            assert np.array_equal(rows[i], filter_distribution(probs[i], top_k, top_p))


class RecordingStepper(ReferenceStepper):
    def __init__(self, model: CharRNN):
        super().__init__(model)
        self.logits: list[np.ndarray] = []

    def prime(self, ids: list[int]) -> np.ndarray:
        self.logits.append(super().prime(ids))
        return self.logits[-1]

    def step(self, char_id: int) -> np.ndarray:
        self.logits.append(super().step(char_id))
        return self.logits[-1]


@pytest.mark.parametrize("settings", [*SETTINGS, SamplingSettings(top_k=1, temperature=0.05)], ids=repr)
def test_steps_equal_the_plain_distribution_functions(settings: SamplingSettings) -> None:
    """The vectorised per-step sampler reports what distributions() + make_step() compute."""
    model = random_model("gru", seed=4)
    stepper = RecordingStepper(model)
    steps = list(generate(model, "the ", 40, settings, seed=2, stepper=stepper))
    for step, logits in zip(steps, stepper.logits, strict=True):
        dists = distributions(logits, settings)
        plain = make_step(step.position, step.char_id, model.vocab.chars, dists)
        for name in ("probs_raw", "probs_tempered", "probs"):
            assert np.array_equal(getattr(step, name), getattr(plain, name))
        assert (step.char, step.prob, step.prob_raw, step.rank) == (plain.char, plain.prob, plain.prob_raw, plain.rank)
        assert step.entropy_bits == pytest.approx(plain.entropy_bits, abs=1e-9)
        assert step.entropy_raw_bits == pytest.approx(plain.entropy_raw_bits, abs=1e-9)


def test_draw_never_leaves_the_vocabulary() -> None:
    class One:
        def random(self) -> float:
            return 1.0 - 2**-53

    probs = np.array([0.2, 0.3, 0.5, 0.0])
    assert draw(probs, One()) == 2  # type: ignore[arg-type]
    assert draw_batch(np.stack([probs, probs]), [One(), One()]).tolist() == [2, 2]  # type: ignore[list-item]


def test_different_draws_away_from_a_tie_are_caught(tiny_model: CharRNN) -> None:
    """The control for assert_same_draws: texts that part where no tie explains it fail."""
    settings = SamplingSettings(temperature=1.0)
    ours, other_seed = (list(generate(tiny_model, "To be", 60, settings, seed=s)) for s in (0, 1))
    with pytest.raises(AssertionError, match="from a tie"):
        assert_same_draws(ours, other_seed, 0)
