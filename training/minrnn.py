"""min-char-rnn as written: a NumPy vanilla RNN language model, trained as the original trains it.

    python -m training.minrnn --corpus tolstoy --out models/minrnn-tolstoy --steps 200000
    python -m training.minrnn --text my.txt --steps 5000 --report-every 1000
    python -m training.minrnn --gradcheck

Notation of the course (and of ``charrnn.lesson``), with biases as in min-char-rnn:

    a_t = W_H h_{t-1} + W_X x_t + b_h      (d,)   x_t one-hot (k,), so W_X x_t is a column of W_X
    h_t = tanh(a_t)                        (d,)
    y_t = softmax(W_Y h_t + b_y)           (k,)
    L   = sum_t -ln y_t[target_t]          nats, summed over the chunk of seq_len characters

Training follows the original where it is clear: truncated backpropagation through time over
``seq_len`` characters (the hidden state carried from chunk to chunk, the gradient not), the
gradient of the *summed* loss L, every entry clipped to [-5, 5], then Adagrad; the smoothed loss
starts at -ln(1/k) * seq_len and moves by 0.999; a sample is drawn at iteration 0 and later ones
from the current training state, after reading the chunk's first character. Where this differs:

- the loss is also reported per character (L / seq_len, nats/char), with a validation figure, so
  it reads beside every other model of the project; the update uses the sum, as the original;
- the text wraps around with the state reset when a chunk would run past the end (the original
  skips the text's last chunk, ``p + seq_length + 1 >= len(data)``);
- samples are taken at log-spaced iterations (0, 10, 30, 100, ...) and written to
  ``history.json`` with ``--out`` (the original prints one every 100), so that the Training
  timeline plays them; ``--report-every`` still prints the loss and a sample;
- the draw uses NumPy's seeded Generator, so a run is reproducible;
- everything is float64, so that the gradient check is exact to ~1e-8.

``--out DIR`` writes a model directory: a ``CharRNN(cell="rnn", layers=1)`` whose embedding is the
identity (one-hot inputs), W_ih = W_X, W_hh = W_H, b_ih = b_h, the head W_Y, b_y: the same function,
so every tab of the playground works with it.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from charrnn import CharRNN
from charrnn.files import atomic_write_json
from charrnn.history import HISTORY_FILE, new_history, sample_steps
from charrnn.lesson import central_differences, relative_error
from charrnn.memory import hand_rnn
from charrnn.sampling import softmax
from charrnn.vocab import Vocab
from training.card import write_card
from training.train import hardware

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
    """The summed cross-entropy L (nats) of ``targets`` given ``inputs``, from ``h_prev``."""
    steps, hidden, vocab_size = len(inputs), len(h_prev), params["b_y"].shape[0]
    h = np.empty((steps + 1, hidden))  # (T + 1, d)
    y = np.empty((steps, vocab_size))  # (T, k)
    h[0] = h_prev
    for t in range(steps):
        a = params["W_H"] @ h[t] + params["W_X"][:, inputs[t]] + params["b_h"]  # (d,)
        h[t + 1] = np.tanh(a)
        y[t] = softmax(params["W_Y"] @ h[t + 1] + params["b_y"])  # (k,)
    loss = -np.log(y[np.arange(steps), targets]).sum()
    return float(loss), Cache(np.asarray(inputs), h, y)


def backward(params: Params, cache: Cache, targets: np.ndarray) -> Params:
    """Gradients of the summed loss L with respect to every parameter (backpropagation through time)."""
    steps = len(targets)
    d_scores = cache.y.copy()  # (T, k): dL/d(W_Y h_t + b_y) = y_t - onehot(target_t)
    d_scores[np.arange(steps), targets] -= 1.0
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
        y = softmax(params["W_Y"] @ h + params["b_y"], temperature)  # (k,)
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
        total, count, h = total + loss, count + len(targets), cache.h[-1]
    return total / count


# ---------------------------------------------------------------- gradient check


def numerical_gradients(
    params: Params, inputs: np.ndarray, targets: np.ndarray, h_prev: np.ndarray, eps: float = 1e-5
) -> Params:
    """dL/dparams by central differences (the lesson's), for tiny models."""
    return central_differences(lambda p: forward(p, inputs, targets, h_prev)[0], params, eps)


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
    losses: list[float] = field(default_factory=list)  # every chunk's loss, nats/char
    clipped_steps: int = 0  # updates where the clip changed at least one entry


@dataclass(frozen=True)
class Progress:
    """What ``report`` receives: the moment, and a sample from the training state (min-char-rnn's)."""

    step: int  # iterations done (0: before the first update)
    smooth_loss: float  # the original's smoothed summed loss, nats per chunk
    nats_per_char: float  # the same, per character
    sample: str


def init_training(text: str, hidden: int, seed: int) -> tuple[Trained, np.ndarray, Params]:
    vocab = Vocab.from_text(text)
    trained = Trained(vocab, init_params(len(vocab), hidden, np.random.default_rng(seed)))
    memory = {name: np.zeros_like(value) for name, value in trained.params.items()}
    return trained, np.array(vocab.encode(text).ids), memory


def train(
    text: str,
    hidden: int = 100,
    seq_len: int = 25,
    lr: float = 0.1,
    steps: int = 10_000,
    seed: int = 0,
    report: Callable[[Progress, Trained], None] | None = None,
    report_at: Callable[[int], bool] = lambda step: False,
    sample_length: int = 200,
) -> Trained:
    """Adagrad on consecutive ``seq_len`` chunks of ``text``, the hidden state carried between them
    (reset to zero when the text starts over). Before iteration ``n`` (0 included) where
    ``report_at(n)``, ``report`` gets a ``Progress`` with a sample of ``sample_length`` characters
    drawn from the training state, as min-char-rnn draws its own."""
    trained, data, memory = init_training(text, hidden, seed)
    if len(data) < seq_len + 1:
        raise ValueError(f"the text has {len(data)} characters; it needs at least seq_len + 1 = {seq_len + 1}")
    sample_rng = np.random.default_rng(seed)
    smooth = -math.log(1.0 / len(trained.vocab)) * seq_len  # a uniform guess's loss, per chunk
    position, h = 0, np.zeros(hidden)
    for step in range(steps + 1):
        if position + seq_len + 1 > len(data):
            position, h = 0, np.zeros(hidden)
        inputs = data[position : position + seq_len]
        targets = data[position + 1 : position + seq_len + 1]
        if report is not None and (report_at(step) or step == steps):
            drawn = sample_ids(trained.params, h, int(inputs[0]), sample_length, sample_rng)
            report(Progress(step, smooth, smooth / seq_len, trained.vocab.decode(drawn)), trained)
        if step == steps:
            break
        loss, grads, h = loss_and_grads(trained.params, inputs, targets, h)
        clipped = clip_gradients(grads)
        trained.clipped_steps += any(not np.array_equal(clipped[n], grads[n]) for n in grads)
        adagrad_step(trained.params, clipped, memory, lr)
        trained.losses.append(loss / seq_len)
        smooth = 0.999 * smooth + 0.001 * loss
        position += seq_len
    return trained


def to_charrnn(trained: Trained, meta: dict | None = None) -> CharRNN:
    """The same function as a ``CharRNN(cell="rnn", layers=1)``: identity embedding (one-hot inputs),
    W_ih = W_X, W_hh = W_H, b_ih = b_h, b_hh = 0, head W_Y, b_y."""
    p = trained.params
    model = hand_rnn(p["W_X"], p["W_H"], p["W_Y"], trained.vocab.chars, p["b_h"], p["b_y"], dtype=torch.float32)
    model.meta.update(meta or {})
    return model


def sample_text(trained: Trained, prime: str, length: int, seed: int, temperature: float = 1.0) -> str:
    """Read ``prime`` (its known characters; a newline when none), then draw ``length`` characters."""
    ids = trained.vocab.encode(prime, policy="skip").ids or [trained.vocab.start_id]
    h = np.zeros(trained.params["b_h"].shape[0])
    for char_id in ids[:-1]:
        h = np.tanh(trained.params["W_H"] @ h + trained.params["W_X"][:, char_id] + trained.params["b_h"])
    drawn = sample_ids(trained.params, h, ids[-1], length, np.random.default_rng(seed), temperature)
    return trained.vocab.decode(drawn)


# ---------------------------------------------------------------- command line


class RunWriter:
    """Prints each report and, with ``--out``, records it in ``history.json`` (as training does) and
    writes the model directory, atomically, so the app can follow the run."""

    def __init__(self, args: argparse.Namespace, corpus: str, train_text: str, val_text: str):
        self.args, self.corpus, self.train_chars, self.val_text = args, corpus, len(train_text), val_text
        self.started = time.perf_counter()
        self.history = new_history(
            corpus=corpus, sample_prime=None, sample_temperature=1.0, sample_seed=args.seed,
            sample_length=args.sample_length, sample_from="the training state, after the chunk's first character",
        )  # fmt: skip

    def report(self, progress: Progress, trained: Trained) -> None:
        step, args = progress.step, self.args
        val_ids = np.array(trained.vocab.encode(self.val_text[: args.val_chars], policy="skip").ids)
        val = evaluate(trained.params, val_ids) if len(val_ids) > 1 else None
        elapsed = time.perf_counter() - self.started
        print(
            f"iter {step:,} | loss {progress.smooth_loss:.2f} per chunk (smoothed), {progress.nats_per_char:.4f} "
            f"nats/char" + (f" | val {val:.4f}" if val is not None else "")
            + f" | clipped {trained.clipped_steps:,} of {step:,} | {elapsed:.0f} s"
        )  # fmt: skip
        print("----\n" + progress.sample + "\n----")
        record = {
            "step": step, "epoch": step * args.seq_len / self.train_chars, "chars_seen": step * args.seq_len,
            "train_loss": progress.nats_per_char, "val_loss": val, "lr": args.lr, "elapsed_s": round(elapsed, 2),
            "sample": progress.sample, "clipped_steps": trained.clipped_steps,
        }  # fmt: skip
        self.history["records"].append(record)
        if args.out:
            self.save(trained, finished=step == args.steps)

    def save(self, trained: Trained, finished: bool) -> None:
        args, val = self.args, self.history["records"][-1]["val_loss"]
        if finished:  # the shipped figure: the whole validation split
            val = evaluate(trained.params, np.array(trained.vocab.encode(self.val_text, policy="skip").ids))
            self.history["summary"] = {
                "best_val_loss": val, "steps": args.steps, "train_time_s": time.perf_counter() - self.started,
                "hardware": hardware(), "finished": True, "clipped_steps": trained.clipped_steps,
            }  # fmt: skip
        meta = {
            "name": Path(args.out).name, "corpus": self.corpus, "val_loss": val, "sample_prime": "\n",
            "train_time_s": round(time.perf_counter() - self.started, 2), "hardware": hardware(),
            "train_config": {k: getattr(args, k) for k in ("corpus", "text", "out", "hidden", "seq_len", "lr",
                                                           "steps", "seed")} | {"trainer": "minrnn"},
            "train_command": command_line(args),
        }  # fmt: skip
        meta |= corpus_meta(self.corpus) if args.corpus else {}
        to_charrnn(trained, meta).save_pretrained(args.out)
        atomic_write_json(Path(args.out) / HISTORY_FILE, self.history)
        write_card(args.out)


def command_line(args: argparse.Namespace) -> str:
    source = f"--corpus {args.corpus}" if args.corpus else f"--text {args.text}"
    options = (
        f"--hidden {args.hidden} --seq-len {args.seq_len} --lr {args.lr:g} --steps {args.steps} --seed {args.seed}"
    )
    return f"python -m training.minrnn {source} --out {args.out} {options}"


def corpus_meta(corpus: str) -> dict:
    """Title, author and licence of a registry corpus, for the card."""
    from corpora.registry import get

    entry = get(corpus)
    return {k: getattr(entry, k) for k in ("title", "author", "licence") if getattr(entry, k, None)}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m training.minrnn", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--corpus", help="registry corpus name")
    source.add_argument("--text", help="any UTF-8 text file")
    source.add_argument("--gradcheck", action="store_true", help="check the gradients on a tiny random model")
    parser.add_argument("--mirror", help="corpus mirror folder (else $CHARRNN_CORPORA_MIRROR)")
    parser.add_argument("--out", help="write a model directory here (weights, config, history.json, card)")
    parser.add_argument("--hidden", type=int, default=100, help="hidden units d")
    parser.add_argument("--seq-len", type=int, default=25, help="characters per BPTT chunk")
    parser.add_argument("--lr", type=float, default=0.1, help="Adagrad learning rate")
    parser.add_argument("--steps", type=int, default=10_000, help="training iterations (chunks)")
    parser.add_argument("--seed", type=int, default=0, help="initial weights and samples")
    parser.add_argument("--report-every", type=int, default=0, help="also report this often (0: log-spaced only)")
    parser.add_argument("--sample-length", type=int, default=200, help="characters per sample")
    parser.add_argument("--val-chars", type=int, default=10_000, help="validation characters scored at each report")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.gradcheck:
        for name, error in gradient_check().items():
            print(f"{name}: relative error {error:.2e}")
        return 0
    if args.corpus is None and args.text is None:
        print("error: give --corpus NAME, --text PATH or --gradcheck", file=sys.stderr)
        return 2
    from corpora import CorpusError  # the corpus helpers: only when training
    from training.data import load_text, split_text

    try:
        name, text = load_text(args.corpus, args.text, args.mirror)
    except (CorpusError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    train_text, val_text = split_text(text)
    writer = RunWriter(args, name, train_text, val_text)
    logged = sample_steps(args.steps)
    every = args.report_every

    def report_at(step: int) -> bool:
        return step in logged or bool(every and step % every == 0)

    print(f"{name}: {len(train_text):,} training characters, d = {args.hidden}, seq_len = {args.seq_len}")
    try:
        trained = train(train_text, args.hidden, args.seq_len, args.lr, args.steps, args.seed, writer.report, report_at,
                        args.sample_length)  # fmt: skip
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"gradients clipped on {trained.clipped_steps:,} of {args.steps:,} iterations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
