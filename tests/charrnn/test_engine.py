"""The fast engine computes the same function as CharRNN.forward, for every cell and shape."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tolerances import FLOAT32, FLOAT32_RECURRENT

from charrnn import CharRNN, ModelConfig, blas
from charrnn.engine import Engine, FastStepper, Stepper


def random_model(cell: str, layers: int, hidden: int, embedding: int, vocab: int, seed: int = 0) -> CharRNN:
    torch.manual_seed(seed)
    model = CharRNN(
        ModelConfig([chr(33 + i) for i in range(vocab)], cell=cell, layers=layers, hidden=hidden, embedding=embedding)
    )
    with torch.no_grad():  # larger than the default init, so that gates saturate somewhere
        for p in model.parameters():
            p.mul_(3.0)
    return model.eval()


def torch_state(state: object) -> object:
    if isinstance(state, tuple):
        return tuple(torch.from_numpy(np.ascontiguousarray(s)) for s in state)
    return torch.from_numpy(np.ascontiguousarray(state))


def assert_states_close(a: object, b: object, tolerance: dict) -> None:
    pairs = zip(a, b, strict=True) if isinstance(a, tuple) else [(a, b)]
    for x, y in pairs:
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), **tolerance)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("layers", [1, 2, 3])
def test_forward_agrees_with_module(cell: str, layers: int) -> None:
    model = random_model(cell, layers, hidden=37, embedding=7, vocab=13, seed=layers)
    ids = torch.randint(0, 13, (3, 17), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected, expected_state = model(ids)
    logits, state = Engine(model).forward(ids)
    assert logits.shape == (3, 17, 13)
    # The engine (NumPy BLAS) against PyTorch's fused cells: across paths, through the recurrence.
    np.testing.assert_allclose(logits, expected.numpy(), **FLOAT32_RECURRENT)
    assert_states_close(
        state, tuple(s.numpy() for s in expected_state) if cell == "lstm" else expected_state, FLOAT32_RECURRENT
    )


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("layers", [1, 2, 3])
def test_stepping_agrees_with_module_from_a_given_state(cell: str, layers: int) -> None:
    model = random_model(cell, layers, hidden=21, embedding=5, vocab=9, seed=10 + layers)
    gen = torch.Generator().manual_seed(2)
    ids = torch.randint(0, 9, (4, 12), generator=gen)
    start = model.initial_state(4)
    start = tuple(torch.randn(s.shape, generator=gen) for s in start) if cell == "lstm" else torch.randn(start.shape)
    with torch.no_grad():
        expected, expected_state = model(ids, start)
    stepper = Engine(model).stepper(4)
    stepper.set_state(start)
    prime_logits = stepper.run(ids[:, :5].numpy())
    np.testing.assert_allclose(prime_logits, expected[:, 4].numpy(), **FLOAT32_RECURRENT)  # engine vs torch
    for t in range(5, 12):
        logits = stepper.step(ids[:, t].numpy())
        np.testing.assert_allclose(logits, expected[:, t].numpy(), **FLOAT32_RECURRENT)
    expected_state = tuple(s.numpy() for s in expected_state) if cell == "lstm" else expected_state.numpy()
    assert_states_close(stepper.get_state(), expected_state, FLOAT32_RECURRENT)


@settings(max_examples=30, deadline=None)
@given(
    cell=st.sampled_from(["rnn", "gru", "lstm"]),
    layers=st.integers(1, 3),
    hidden=st.integers(1, 40),
    embedding=st.integers(1, 11),
    vocab=st.integers(1, 30),
    batch=st.integers(1, 4),
    length=st.integers(1, 9),
    seed=st.integers(0, 2**16),
)
def test_any_shape_agrees_with_module(
    cell: str, layers: int, hidden: int, embedding: int, vocab: int, batch: int, length: int, seed: int
) -> None:
    model = random_model(cell, layers, hidden, embedding, vocab, seed)
    ids = torch.randint(0, vocab, (batch, length), generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        expected, _ = model(ids)
    logits, _ = Engine(model).forward(ids)
    np.testing.assert_allclose(logits, expected.numpy(), **FLOAT32_RECURRENT)  # engine vs torch
    single = FastStepper(model)  # the one-stream path generate() uses
    got = [single.prime(ids[0, :1].tolist()).copy()] + [single.step(int(i)).copy() for i in ids[0, 1:]]
    np.testing.assert_allclose(np.stack(got), expected[0].numpy(), **FLOAT32_RECURRENT)


def test_dropout_is_off_in_the_engine() -> None:
    torch.manual_seed(0)
    model = CharRNN(ModelConfig(list("abcdef"), cell="lstm", layers=2, hidden=16, embedding=4, dropout=0.5)).eval()
    ids = torch.tensor([[0, 1, 2, 3, 4, 5, 0]])
    with torch.no_grad():
        expected, _ = model(ids)
    np.testing.assert_allclose(Engine(model).forward(ids)[0], expected.numpy(), **FLOAT32_RECURRENT)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_batched_stepping_equals_one_stream_at_a_time(cell: str) -> None:
    model = random_model(cell, 2, hidden=33, embedding=6, vocab=11)
    engine = Engine(model)
    primes = [[1, 2, 3], [4, 0, 2], [1, 2, 3], [5, 6, 7]]
    rng = np.random.default_rng(0)
    feeds = rng.integers(0, 11, (6, len(primes)))
    batch = engine.stepper(len(primes))
    batched = [batch.run(np.array(primes)).copy()] + [batch.step(f).copy() for f in feeds]
    for i, prime in enumerate(primes):
        one = engine.stepper(1)
        alone = [one.run(np.array([prime]))[0].copy()] + [one.step(int(f[i]))[0].copy() for f in feeds]
        # A batch's matrix-matrix products against one stream's matrix-vector ones: other kernels.
        np.testing.assert_allclose(np.stack(alone), np.stack([b[i] for b in batched]), **FLOAT32)


def test_prime_restarts_from_zero_state() -> None:
    model = random_model("gru", 2, hidden=8, embedding=3, vocab=5)
    stepper = FastStepper(model)
    first = stepper.prime([1, 2, 3]).copy()
    stepper.step(4)
    assert np.array_equal(stepper.prime([1, 2, 3]), first)


def test_run_rejects_bad_shapes() -> None:
    stepper = Engine(random_model("rnn", 1, 4, 2, 3)).stepper(2)
    with pytest.raises(ValueError, match="batch=2"):
        stepper.run(np.zeros((1, 3), dtype=int))
    with pytest.raises(ValueError, match="positive"):
        Stepper(stepper.engine, 0)


def test_engine_is_cached_until_the_weights_change() -> None:
    model = random_model("lstm", 1, 6, 3, 4)
    first = Engine.for_model(model)
    assert Engine.for_model(model) is first
    with torch.no_grad():
        model.head.bias.add_(1.0)  # what an optimiser step does: an in-place update
    rebuilt = Engine.for_model(model)
    assert rebuilt is not first
    assert np.allclose(rebuilt.head_b, model.head.bias.detach().numpy())
    model.load_state_dict(random_model("lstm", 1, 6, 3, 4, seed=5).state_dict())
    assert Engine.for_model(model) is not rebuilt


def test_blas_threads_are_fixed_at_import_and_steps_leave_them_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    if blas.thread_count() is None:
        pytest.skip("no OpenBLAS thread control in this NumPy build")
    assert blas.fix_threads() == blas.thread_count()  # fixed once: a second call changes nothing
    before = blas.thread_count()
    stepper = FastStepper(random_model("lstm", 2, hidden=16, embedding=4, vocab=6))
    stepper.prime([1, 2])
    stepper.step(3)
    assert blas.thread_count() == before
    monkeypatch.setenv(blas.ENV, "3")
    assert blas.requested_threads() == 3
    monkeypatch.setenv(blas.ENV, "default")
    assert blas.requested_threads() is None
    monkeypatch.setenv(blas.ENV, "zero")
    assert blas.requested_threads() == blas.DEFAULT_THREADS


def test_one_stream_logits_do_not_depend_on_the_blas_thread_count() -> None:
    """What lets CHARRNN_BLAS_THREADS never change a text: identical products. Exact on
    purpose: OpenBLAS gives each thread whole rows of a matrix-vector product, so every logit is
    summed by the same kernel in the same order whatever the count."""
    before = blas.thread_count()
    if before is None:
        pytest.skip("no OpenBLAS thread control in this NumPy build")
    model = random_model("lstm", 2, hidden=160, embedding=16, vocab=40)
    runs = []
    try:
        for threads in (1, 2):
            blas.set_thread_count(threads)
            stepper = FastStepper(model)
            runs.append([stepper.prime([1, 2, 3]).copy()] + [stepper.step(i).copy() for i in range(20)])
    finally:
        blas.set_thread_count(before)
    for one, two in zip(*runs, strict=True):
        assert np.array_equal(one, two)
