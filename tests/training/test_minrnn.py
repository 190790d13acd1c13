"""The NumPy reference vanilla RNN: gradients against numerical ones, against PyTorch autograd and
against CharRNN(cell="rnn") on shared weights; a short training run on a tiny text."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from tolerances import FLOAT64

from charrnn import CharRNN, ModelConfig
from training import minrnn

K, D, T = 6, 5, 8


@pytest.fixture
def case() -> tuple[minrnn.Params, np.ndarray, np.ndarray, np.ndarray]:
    """Random weights large enough for tanh to bend, a random chunk and a non-zero start state."""
    rng = np.random.default_rng(1)
    params = minrnn.init_params(K, D, rng, scale=0.5)
    params["b_h"], params["b_y"] = rng.standard_normal(D) * 0.5, rng.standard_normal(K) * 0.5
    return params, rng.integers(0, K, T), rng.integers(0, K, T), np.tanh(rng.standard_normal(D))


def torch_loss(weights: dict[str, torch.Tensor], inputs, targets, h_prev) -> tuple[torch.Tensor, torch.Tensor]:
    """The same vanilla RNN written with torch ops, for autograd: (summed loss, last hidden state)."""
    h, losses = torch.as_tensor(h_prev), []
    for x, y in zip(inputs, targets, strict=True):
        h = torch.tanh(weights["W_H"] @ h + weights["W_X"][:, int(x)] + weights["b_h"])
        log_probs = torch.log_softmax(weights["W_Y"] @ h + weights["b_y"], dim=0)
        losses.append(-log_probs[int(y)])
    return torch.stack(losses).sum(), h


def test_gradients_match_numerical_gradients(case) -> None:
    params, inputs, targets, h_prev = case
    _, analytic, _ = minrnn.loss_and_grads(params, inputs, targets, h_prev)
    numeric = minrnn.numerical_gradients(params, inputs, targets, h_prev)
    errors = {name: minrnn.relative_error(analytic[name], numeric[name]) for name in minrnn.PARAM_NAMES}
    print("relative errors vs numerical:", {k: f"{v:.1e}" for k, v in errors.items()})
    assert max(errors.values()) < 1e-5, errors


def test_the_cli_gradient_check_passes() -> None:
    assert max(minrnn.gradient_check().values()) < 1e-5


def test_numpy_and_torch_agree_on_loss_state_and_gradients(case) -> None:
    params, inputs, targets, h_prev = case
    loss, grads, h_last = minrnn.loss_and_grads(params, inputs, targets, h_prev)
    weights = {name: torch.tensor(value, requires_grad=True) for name, value in params.items()}
    torch_value, torch_h = torch_loss(weights, inputs, targets, h_prev)
    torch_value.backward()
    # float64 on both sides, different code: NumPy's products and libm against torch's kernels.
    np.testing.assert_allclose(loss, torch_value.item(), **FLOAT64)
    np.testing.assert_allclose(h_last, torch_h.detach().numpy(), **FLOAT64)
    differences = {name: np.abs(grads[name] - weights[name].grad.numpy()).max() for name in params}
    print("max |numpy - torch| gradients:", {k: f"{v:.1e}" for k, v in differences.items()})
    for name in params:
        np.testing.assert_allclose(grads[name], weights[name].grad.numpy(), **FLOAT64)


def test_charrnn_rnn_computes_the_same_function(case) -> None:
    """CharRNN(cell="rnn", layers=1) is this RNN when the embedding is the identity (one-hot
    inputs: embedding size k), W_ih = W_X, W_hh = W_H, the biases split as b_h + 0, the head W_Y, b_y."""
    params, inputs, targets, h_prev = case
    model = CharRNN(ModelConfig([chr(97 + i) for i in range(K)], cell="rnn", layers=1, hidden=D, embedding=K)).double()
    shared = {
        "embed.weight": np.eye(K),
        "rnn.weight_ih_l0": params["W_X"],
        "rnn.weight_hh_l0": params["W_H"],
        "rnn.bias_ih_l0": params["b_h"],
        "rnn.bias_hh_l0": np.zeros(D),
        "head.weight": params["W_Y"],
        "head.bias": params["b_y"],
    }
    model.load_state_dict({name: torch.tensor(value) for name, value in shared.items()})
    logits, state = model(torch.tensor(inputs)[None], torch.tensor(h_prev).view(1, 1, D))  # (1, T, K)
    loss = torch.nn.functional.cross_entropy(logits[0], torch.tensor(targets), reduction="sum")  # min-char-rnn's L
    loss.backward()
    numpy_loss, grads, h_last = minrnn.loss_and_grads(params, inputs, targets, h_prev)
    _, cache = minrnn.forward(params, inputs, targets, h_prev)
    np.testing.assert_allclose(torch.softmax(logits[0], -1).detach().numpy(), cache.y, **FLOAT64)
    np.testing.assert_allclose(state.detach().numpy().ravel(), h_last, **FLOAT64)
    np.testing.assert_allclose(loss.item(), numpy_loss, **FLOAT64)
    np.testing.assert_allclose(model.rnn.weight_hh_l0.grad.numpy(), grads["W_H"], **FLOAT64)
    np.testing.assert_allclose(model.head.weight.grad.numpy(), grads["W_Y"], **FLOAT64)
    # One-hot input through the identity embedding: W_X's gradient is W_ih's.
    np.testing.assert_allclose(model.rnn.weight_ih_l0.grad.numpy(), grads["W_X"], **FLOAT64)


def test_clipping_bounds_every_entry() -> None:
    clipped = minrnn.clip_gradients({"W": np.array([-9.0, 0.5, 7.0])})
    np.testing.assert_array_equal(clipped["W"], [-5.0, 0.5, 5.0])


def test_training_on_a_tiny_text_lowers_the_loss_and_samples_its_characters() -> None:
    text = "hello world, hello rnn.\n" * 20
    trained = minrnn.train(text, hidden=24, seq_len=12, lr=0.1, steps=200, seed=0)
    first, last = trained.losses[0], np.mean(trained.losses[-20:])
    print(f"training loss {first:.3f} -> {last:.3f} nats/char, clipped on {trained.clipped_steps} steps")
    assert first == pytest.approx(np.log(len(trained.vocab)), abs=0.01)  # small init: a uniform guess
    assert last < 0.5
    sample = minrnn.sample_text(trained, "hello", 60, seed=3)
    assert len(sample) == 60 and set(sample) <= set(text)


def test_the_update_uses_the_summed_loss_so_the_clip_fires() -> None:
    """The original's scale: gradients of the sum over the chunk, large enough for +-5 to bite."""
    text = "".join(np.random.default_rng(0).choice(list("abcdefgh \n"), 3000))
    trained = minrnn.train(text, hidden=32, seq_len=25, lr=0.1, steps=300, seed=0)
    assert trained.clipped_steps > 0


def test_reports_start_at_iteration_zero_from_the_training_state() -> None:
    text = "hello world, hello rnn.\n" * 20
    seen: list[minrnn.Progress] = []
    minrnn.train(text, 16, 12, 0.1, 30, 0, lambda p, _: seen.append(p), lambda step: step in (0, 10), 40)
    assert [p.step for p in seen] == [0, 10, 30]  # the last iteration always reports
    k = len(set(text))
    assert seen[0].smooth_loss == pytest.approx(np.log(k) * 12)  # -ln(1/k) * seq_len, the original's start
    assert seen[0].nats_per_char == pytest.approx(np.log(k))
    assert all(len(p.sample) == 40 for p in seen)
    assert seen[-1].smooth_loss < seen[0].smooth_loss


def test_the_cli_writes_a_model_directory_every_tab_can_use(tmp_path, capsys) -> None:
    path = tmp_path / "tiny.txt"
    path.write_text("abcabcabd\n" * 40, encoding="utf-8")
    out = tmp_path / "minrnn-tiny"
    argv = ["--text", str(path), "--hidden", "8", "--seq-len", "10", "--steps", "40", "--out", str(out)]
    assert minrnn.main([*argv, "--sample-length", "20"]) == 0
    printed = capsys.readouterr().out
    assert "iter 0 |" in printed and "iter 30 |" in printed and "iter 40 |" in printed and "val" in printed
    assert "gradients clipped on" in printed
    history = json.loads((out / "history.json").read_text(encoding="utf-8"))
    assert [r["step"] for r in history["records"]] == [0, 10, 30, 40] and history["summary"]["finished"]
    assert all(len(r["sample"]) == 20 for r in history["records"])
    model = CharRNN.from_pretrained(out)
    assert (model.cell, model.layers, model.embedding) == ("rnn", 1, len(model.vocab))
    assert model.meta["train_command"].startswith("python -m training.minrnn --text")
    card = (out / "README.md").read_text(encoding="utf-8")
    assert model.meta["train_command"] in card
    val = "abcabcabd\n" * 4
    ids = torch.tensor(model.vocab.encode(val).ids)
    with torch.no_grad():
        logits, _ = model(ids[None, :-1])
    torch_nats = torch.nn.functional.cross_entropy(logits[0], ids[1:]).item()
    assert torch_nats < np.log(len(model.vocab))  # it learned something, and the CharRNN carries it


def test_the_cli_refuses_a_missing_file(tmp_path, capsys) -> None:
    assert minrnn.main(["--text", str(tmp_path / "missing.txt")]) == 2
    assert "error:" in capsys.readouterr().err
