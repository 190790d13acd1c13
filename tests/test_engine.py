"""The fast engine computes the same function as CharRNN.forward, for every cell and shape."""

from __future__ import annotations

import gc
import threading

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tolerances import FLOAT32, FLOAT32_RECURRENT

from charrnn import CharRNN
from charrnn import engine as engine_module
from charrnn.engine import Engine, FastStepper, Stepper, _ThreadChooser, blas_threads
from charrnn.sampling import generate


def random_model(cell: str, layers: int, hidden: int, embedding: int, vocab: int, seed: int = 0) -> CharRNN:
    torch.manual_seed(seed)
    model = CharRNN([chr(33 + i) for i in range(vocab)], cell=cell, layers=layers, hidden=hidden, embedding=embedding)
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
    model = CharRNN(list("abcdef"), cell="lstm", layers=2, hidden=16, embedding=4, dropout=0.5).eval()
    ids = torch.tensor([[0, 1, 2, 3, 4, 5, 0]])
    with torch.no_grad():
        expected, _ = model(ids)
    np.testing.assert_allclose(Engine(model).forward(ids)[0], expected.numpy(), **FLOAT32_RECURRENT)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_batched_stepping_equals_one_stream_at_a_time(cell: str) -> None:
    model = random_model(cell, 2, hidden=33, embedding=6, vocab=11)
    engine = Engine(model)
    primes = [[1, 2, 3], [4], [1, 2, 3], [5, 6, 7, 8, 9]]
    rng = np.random.default_rng(0)
    feeds = rng.integers(0, 11, (6, len(primes)))
    batch = engine.stepper(len(primes))
    batched = [batch.prime(primes).copy()] + [batch.step(f).copy() for f in feeds]
    for i, prime in enumerate(primes):
        one = engine.stepper(1)
        alone = [one.run(np.array([prime]))[0].copy()] + [one.step(int(f[i]))[0].copy() for f in feeds]
        # A batch's matrix-matrix products against one stream's matrix-vector ones: other kernels.
        np.testing.assert_allclose(np.stack(alone), np.stack([b[i] for b in batched]), **FLOAT32)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("hidden", [2, 17])
def test_split_step_equals_the_plain_step(cell: str, hidden: int) -> None:
    """Two threads, each computing half of every layer's hidden units, give the same logits."""
    model = random_model(cell, 3, hidden=hidden, embedding=4, vocab=7)
    engine = Engine(model)
    plain, split = engine.stepper(5, split=False), engine.stepper(5, split=True)
    assert split._helper is not None and plain._helper is None
    primes = [[1, 2], [3], [4, 5, 6], [1, 2], [0]]
    assert np.array_equal(plain.prime(primes), split.prime(primes))  # primes never split: one path, exact
    # Half-layer products against whole-layer ones sum in another order: float32 rounding, which
    # an absolute 1e-6 did not allow for on logits near 2 with another OpenBLAS (2.1e-6 seen).
    for ids in np.random.default_rng(0).integers(0, 7, (8, 5)):
        np.testing.assert_allclose(plain.step(ids), split.step(ids), **FLOAT32)
    assert_states_close(plain.get_state(), split.get_state(), FLOAT32)


def test_split_helper_threads_end_with_their_stepper() -> None:
    engine = Engine(random_model("lstm", 2, 8, 3, 5))
    before = threading.active_count()
    for _ in range(20):
        engine.stepper(8, split=True).step(np.zeros(8, dtype=int))
    gc.collect()
    for _ in range(100):  # the threads see their stop signal asynchronously
        if threading.active_count() <= before:
            break
        threading.Event().wait(0.01)
    assert threading.active_count() <= before


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
    with pytest.raises(ValueError, match="primes"):
        stepper.prime([[1]])
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


def test_blas_threads_restores_the_setting() -> None:
    api = engine_module._find_blas_api()
    if api is None:
        pytest.skip("no OpenBLAS thread control in this NumPy build")
    get, _ = api
    before = get()
    with blas_threads(1):
        assert get() == 1
        with blas_threads(1):  # nested users share the setting; the outer one restores it
            assert get() == 1
        assert get() == 1
    assert get() == before
    with blas_threads(None):
        assert get() == before


def test_blas_threads_restores_after_overlapping_blocks_with_other_counts() -> None:
    api = engine_module._find_blas_api()
    if api is None:
        pytest.skip("no OpenBLAS thread control in this NumPy build")
    get, _ = api
    before = get()
    first, second = blas_threads(1), blas_threads(before + 1)
    first.__enter__()
    second.__enter__()  # joins: runs with the first block's count
    assert get() == 1
    first.__exit__(None, None, None)
    second.__exit__(None, None, None)
    assert get() == before


def test_one_stream_logits_do_not_depend_on_the_blas_thread_count() -> None:
    """What lets the "auto" thread choice never change a text: identical products. Exact on
    purpose: OpenBLAS gives each thread whole rows of a matrix-vector product, so every logit is
    summed by the same kernel in the same order whatever the count."""
    if engine_module._find_blas_api() is None:
        pytest.skip("no OpenBLAS thread control in this NumPy build")
    model = random_model("lstm", 2, hidden=160, embedding=16, vocab=40)
    one, two = FastStepper(model, threads=1), FastStepper(model, threads=2)
    assert np.array_equal(one.prime([1, 2, 3]), two.prime([1, 2, 3]))
    for i in range(20):
        assert np.array_equal(one.step(i), two.step(i))


def test_thread_chooser_takes_two_threads_only_while_they_pay() -> None:
    chooser = _ThreadChooser(cores=2)

    def run_one_thread_until_a_trial() -> None:
        while chooser.threads() == 1:
            chooser.record(1, 1.0)

    run_one_thread_until_a_trial()
    chooser.record(2, 20.0)  # a starved second thread: the trial ends at its first slow step
    assert chooser.current == 1 and chooser.interval == 2 * chooser.BASE_INTERVAL
    run_one_thread_until_a_trial()
    for _ in range(chooser.TRIAL):
        chooser.record(chooser.threads(), 0.5)
    assert chooser.current == 2  # 2x faster: taken
    for _ in range(50):
        assert chooser.threads() == 2
        chooser.record(2, 0.5)
    chooser.record(2, 12.0)  # one starved step: back to 1, and trials get rarer
    assert chooser.current == 1 and chooser.interval == 4 * chooser.BASE_INTERVAL
    run_one_thread_until_a_trial()
    for _ in range(chooser.TRIAL):
        chooser.record(2, 0.7)
    assert chooser.current == 2
    for _ in range(chooser.WINDOW):
        chooser.record(2, 0.95)  # no longer 10% better than one thread: back to 1
    assert chooser.current == 1
    run_one_thread_until_a_trial()
    for _ in range(chooser.TRIAL):
        chooser.record(2, 0.9)  # not 20% better: not taken
    assert chooser.current == 1
    single_core = _ThreadChooser(cores=1)
    single_core.countdown = 0
    assert single_core.threads() == 1


def test_auto_threads_give_the_same_text_as_one_thread(tiny_model: CharRNN) -> None:
    chooser = Engine.for_model(tiny_model)._chooser
    chooser.countdown = 0  # the next step is a trial on 2 threads
    auto = "".join(s.char for s in generate(tiny_model, "To", 200, seed=3))
    one = "".join(s.char for s in generate(tiny_model, "To", 200, seed=3, stepper=FastStepper(tiny_model, threads=1)))
    assert auto == one
    with pytest.raises(ValueError, match="threads"):
        Engine.for_model(tiny_model).stepper(1, threads=0)
