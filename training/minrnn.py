"""A NumPy reference implementation of the vanilla RNN language model: min-char-rnn, made readable.

    python -m training.minrnn --corpus shakespeare --hidden 100 --steps 20000
    python -m training.minrnn --text my.txt --steps 5000 --sample-every 1000
    python -m training.minrnn --gradcheck

Notation of the course (and of ``charrnn.lesson``), with biases as in min-char-rnn:

    a_t = W_H h_{t-1} + W_X x_t + b_h      (d,)   x_t one-hot (k,), so W_X x_t is a column of W_X
    h_t = tanh(a_t)                        (d,)
    y_t = softmax(W_Y h_t + b_y)           (k,)
    J   = (1/T) sum_t -ln y_t[target_t]    nats per character

Training: truncated backpropagation through time over ``seq_len`` characters (the hidden state is
carried from one chunk to the next, the gradient is not), every gradient entry clipped to
[-5, 5], then Adagrad. Everything is float64 so that the gradient check is exact to ~1e-8.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from charrnn.lesson import softmax
from charrnn.vocab import Vocab

Params = dict[str, np.ndarray]  # W_X (d, k), W_H (d, d), W_Y (k, d), b_h (d,), b_y (k,)
PARAM_NAMES = ("W_X", "W_H", "W_Y", "b_h", "b_y")
CLIP = 5.0


def init_params(vocab_size: int, hidden: int, rng: np.random.Generator, scale: float = 0.01) -> Params:
    """Small random matrices and zero biases, as in min-char-rnn."""
    k, d = vocab_size, hidden
    return {
        "W_X": rng.standard_normal((d, k)) * scale,
        "W_H": rng.standard_normal((d, d)) * scale,
        "W_Y": rng.standard_normal((k, d)) * scale,
        "b_h": np.zeros(d),
        "b_y": np.zeros(k),
    }


@dataclass(frozen=True)
class Cache:
    """What the backward pass needs from the forward pass."""

    inputs: np.ndarray  # (T,) character ids
    h: np.ndarray  # (T + 1, d); h[0] is the state before the chunk, h[t] is h_t
    y: np.ndarray  # (T, k) the predicted distributions


def forward(params: Params, inputs: np.ndarray, targets: np.ndarray, h_prev: np.ndarray) -> tuple[float, Cache]:
    """Mean cross-entropy (nats/char) of ``targets`` given ``inputs``, starting from ``h_prev``."""
    steps, hidden, vocab_size = len(inputs), len(h_prev), params["b_y"].shape[0]
    h = np.empty((steps + 1, hidden))  # (T + 1, d)
    y = np.empty((steps, vocab_size))  # (T, k)
    h[0] = h_prev
    for t in range(steps):
        a = params["W_H"] @ h[t] + params["W_X"][:, inputs[t]] + params["b_h"]  # (d,)
        h[t + 1] = np.tanh(a)
        y[t] = softmax(params["W_Y"] @ h[t + 1] + params["b_y"])  # (k,)
    loss = -np.log(y[np.arange(steps), targets]).mean()
    return float(loss), Cache(np.asarray(inputs), h, y)


def backward(params: Params, cache: Cache, targets: np.ndarray) -> Params:
    """Gradients of the mean loss with respect to every parameter (backpropagation through time)."""
    steps = len(targets)
    d_scores = cache.y.copy()  # (T, k): dJ/d(W_Y h_t + b_y) = (y_t - onehot(target_t)) / T
    d_scores[np.arange(steps), targets] -= 1.0
    d_scores /= steps
    grads = {name: np.zeros_like(value) for name, value in params.items()}
    grads["W_Y"] = d_scores.T @ cache.h[1:]  # (k, d)
    grads["b_y"] = d_scores.sum(axis=0)
    d_h_next = np.zeros(cache.h.shape[1])  # (d,) gradient reaching h_t from step t + 1
    for t in reversed(range(steps)):
        d_h = params["W_Y"].T @ d_scores[t] + d_h_next  # (d,)
        d_a = (1.0 - cache.h[t + 1] ** 2) * d_h  # (d,) through tanh
        grads["b_h"] += d_a
        grads["W_X"][:, cache.inputs[t]] += d_a
        grads["W_H"] += np.outer(d_a, cache.h[t])
        d_h_next = params["W_H"].T @ d_a
    return grads


def loss_and_grads(
    params: Params, inputs: np.ndarray, targets: np.ndarray, h_prev: np.ndarray
) -> tuple[float, Params, np.ndarray]:
    """(loss, gradients, last hidden state): one training chunk's worth of work."""
    loss, cache = forward(params, inputs, targets, h_prev)
    return loss, backward(params, cache, targets), cache.h[-1]


def clip_gradients(grads: Params, limit: float = CLIP) -> Params:
    """Every entry into [-limit, limit] (min-char-rnn's guard against exploding gradients)."""
    return {name: np.clip(g, -limit, limit) for name, g in grads.items()}


def adagrad_step(params: Params, grads: Params, memory: Params, lr: float, eps: float = 1e-8) -> None:
    """In place: each parameter's step shrinks with the sum of its squared past gradients."""
    for name in params:
        memory[name] += grads[name] ** 2
        params[name] -= lr * grads[name] / np.sqrt(memory[name] + eps)


def sample_ids(
    params: Params, h: np.ndarray, first_id: int, length: int, rng: np.random.Generator, temperature: float = 1.0
) -> list[int]:
    """``length`` ids drawn one at a time after reading ``first_id`` from state ``h``."""
    ids, current = [], first_id
    for _ in range(length):
        h = np.tanh(params["W_H"] @ h + params["W_X"][:, current] + params["b_h"])  # (d,)
        y = softmax((params["W_Y"] @ h + params["b_y"]) / temperature)  # (k,)
        current = int(rng.choice(len(y), p=y))
        ids.append(current)
    return ids


def evaluate(params: Params, ids: np.ndarray, chunk: int = 1000) -> float:
    """Mean loss (nats/char) over ``ids`` in one stateful pass."""
    h = np.zeros(params["b_h"].shape[0])
    total, count = 0.0, 0
    for start in range(0, len(ids) - 1, chunk):
        inputs = ids[start : start + chunk]
        targets = ids[start + 1 : start + chunk + 1]
        inputs = inputs[: len(targets)]
        loss, cache = forward(params, inputs, targets, h)
        total, count, h = total + loss * len(targets), count + len(targets), cache.h[-1]
    return total / count


# ---------------------------------------------------------------- gradient check


def numerical_gradients(
    params: Params, inputs: np.ndarray, targets: np.ndarray, h_prev: np.ndarray, eps: float = 1e-5
) -> Params:
    """Central differences (J(w + eps) - J(w - eps)) / 2 eps for every entry: slow, for tiny models."""
    grads = {}
    for name, value in params.items():
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            original = value[index]
            value[index] = original + eps
            plus, _ = forward(params, inputs, targets, h_prev)
            value[index] = original - eps
            minus, _ = forward(params, inputs, targets, h_prev)
            value[index] = original
            grad[index] = (plus - minus) / (2 * eps)
        grads[name] = grad
    return grads


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b|| / (||a|| + ||b||): 0 for equal arrays, scale-free."""
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / denominator) if denominator > 0 else 0.0


def gradient_check(
    vocab_size: int = 5, hidden: int = 4, steps: int = 6, seed: int = 0, scale: float = 0.5
) -> dict[str, float]:
    """The relative error of each analytic gradient against numerical ones, on a random tiny model
    (larger weights than training's init, so that tanh is not near-linear and the check bites)."""
    rng = np.random.default_rng(seed)
    params = init_params(vocab_size, hidden, rng, scale)
    params["b_h"] = rng.standard_normal(hidden) * scale
    params["b_y"] = rng.standard_normal(vocab_size) * scale
    inputs, targets = rng.integers(0, vocab_size, steps), rng.integers(0, vocab_size, steps)
    h_prev = np.tanh(rng.standard_normal(hidden))
    _, analytic, _ = loss_and_grads(params, inputs, targets, h_prev)
    numeric = numerical_gradients(params, inputs, targets, h_prev)
    return {name: relative_error(analytic[name], numeric[name]) for name in PARAM_NAMES}


# ---------------------------------------------------------------- training


@dataclass
class Trained:
    vocab: Vocab
    params: Params
    losses: list[float]  # the loss of every training chunk, nats/char


def train(
    text: str,
    hidden: int = 100,
    seq_len: int = 25,
    lr: float = 0.1,
    steps: int = 10_000,
    seed: int = 0,
    report: Callable[[int, float, Trained], None] | None = None,
    report_every: int = 0,
) -> Trained:
    """Adagrad on consecutive ``seq_len`` chunks of ``text``, the hidden state carried between them
    (reset to zero when the text starts over). ``report(step, smoothed_loss, trained)`` is called
    every ``report_every`` steps."""
    vocab = Vocab.from_text(text)
    data = np.array(vocab.encode(text).ids)
    if len(data) < seq_len + 1:
        raise ValueError(f"the text has {len(data)} characters; it needs at least seq_len + 1 = {seq_len + 1}")
    rng = np.random.default_rng(seed)
    trained = Trained(vocab, init_params(len(vocab), hidden, rng), [])
    memory = {name: np.zeros_like(value) for name, value in trained.params.items()}
    smooth = math.log(len(vocab))  # the loss of a uniform guess, where training starts
    position, h = 0, np.zeros(hidden)
    for step in range(1, steps + 1):
        if position + seq_len + 1 > len(data):
            position, h = 0, np.zeros(hidden)
        inputs = data[position : position + seq_len]
        targets = data[position + 1 : position + seq_len + 1]
        loss, grads, h = loss_and_grads(trained.params, inputs, targets, h)
        adagrad_step(trained.params, clip_gradients(grads), memory, lr)
        trained.losses.append(loss)
        smooth = 0.99 * smooth + 0.01 * loss
        position += seq_len
        if report is not None and report_every and (step % report_every == 0 or step == steps):
            report(step, smooth, trained)
    return trained


def sample_text(trained: Trained, prime: str, length: int, seed: int, temperature: float = 1.0) -> str:
    """Read ``prime`` (its known characters; a newline when none), then draw ``length`` characters."""
    ids = trained.vocab.encode(prime, policy="skip").ids or [trained.vocab.start_id]
    h = np.zeros(trained.params["b_h"].shape[0])
    for char_id in ids[:-1]:
        h = np.tanh(trained.params["W_H"] @ h + trained.params["W_X"][:, char_id] + trained.params["b_h"])
    drawn = sample_ids(trained.params, h, ids[-1], length, np.random.default_rng(seed), temperature)
    return trained.vocab.decode(drawn)


# ---------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.minrnn", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--corpus", help="registry corpus name")
    source.add_argument("--text", help="any UTF-8 text file")
    source.add_argument("--gradcheck", action="store_true", help="check the gradients on a tiny random model")
    parser.add_argument("--mirror", help="corpus mirror folder (else $CHARRNN_CORPORA_MIRROR)")
    parser.add_argument("--hidden", type=int, default=100, help="hidden units d")
    parser.add_argument("--seq-len", type=int, default=25, help="characters per BPTT chunk")
    parser.add_argument("--lr", type=float, default=0.1, help="Adagrad learning rate")
    parser.add_argument("--steps", type=int, default=10_000, help="training chunks")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--report-every", type=int, default=1000, help="print the loss and a sample this often")
    parser.add_argument("--sample-length", type=int, default=200)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--val-chars", type=int, default=10_000, help="validation characters scored at each report")
    args = parser.parse_args(argv)
    if args.gradcheck:
        for name, error in gradient_check().items():
            print(f"{name}: relative error {error:.2e}")
        return 0
    if args.corpus is None and args.text is None:
        parser.error("give --corpus NAME, --text PATH or --gradcheck")
    from corpora import CorpusError  # the corpus helpers pull in torch: only when training
    from training.data import load_text, split_text

    try:
        name, text = load_text(args.corpus, args.text, args.mirror)
    except (CorpusError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    train_text, val_text = split_text(text)
    started = time.perf_counter()

    def report(step: int, smooth: float, trained: Trained) -> None:
        val_ids = np.array(trained.vocab.encode(val_text[: args.val_chars], policy="skip").ids)
        val = f", val {evaluate(trained.params, val_ids):.4f}" if len(val_ids) > 1 else ""
        elapsed = time.perf_counter() - started
        print(f"step {step:,} | train {smooth:.4f} nats/char (smoothed){val} | {elapsed:.0f} s")
        print("----\n" + sample_text(trained, "\n", args.sample_length, args.seed, args.temperature) + "\n----")

    print(f"{name}: {len(train_text):,} training characters, d = {args.hidden}, seq_len = {args.seq_len}")
    try:
        train(train_text, args.hidden, args.seq_len, args.lr, args.steps, args.seed, report, args.report_every)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
