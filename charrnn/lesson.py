"""The course's worked example of a vanilla RNN, computed step by step (NumPy only).

    a_t = W_H h_{t-1} + W_X x_t      (d,)   pre-activation
    h_t = tanh(a_t)                  (d,)   hidden state
    y_t = softmax(W_Y h_t)           (k,)   distribution over the next character
    J   = (1/T) sum_t -ln y_t[x_{t+1}]

and backwards, through time, for the total loss L = sum_t -ln y_t[x_{t+1}] (``backward``):

    dz_t = y_t - onehot(x_{t+1})                 (k,)   dL/d(W_Y h_t)
    dh_t = W_Y^T dz_t + W_H^T da_{t+1}           (d,)   from the output, and from the step after
    da_t = (1 - h_t^2) * dh_t                    (d,)   through tanh
    dL/dW_Y = sum_t dz_t h_t^T    dL/dW_H = sum_t da_t h_{t-1}^T    dL/dW_X = sum_t da_t x_t^T

with one-hot inputs x_t over a vocabulary of k characters and d hidden units. The defaults are the
course's numbers: vocabulary [h, e, l, o], d = 3, h_0 = 0, the word "hello" read as "hell" with
targets "ello". The app's "How it works" tab shows every number this module returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from charrnn.sampling import softmax

WORD = "hello"
# The course's weights: W_H (d, d), W_X (d, k), W_Y (k, d) with d = 3 hidden units, k = 4 characters.
W_H = np.array([[0.1, 0.5, 0.1], [0.5, 0.9, 0.3], [0.3, 0.2, 0.1]])
W_X = np.array([[0.6, 0.8, 0.4, 0.8], [0.2, 0.2, 0.8, 0.7], [0.9, 0.8, 0.1, 0.2]])
W_Y = np.array([[0.9, 0.8, 0.3], [0.2, 0.3, 0.4], [0.6, 0.9, 0.1], [0.5, 0.0, 0.3]])


@dataclass(frozen=True)
class Weights:
    """The three matrices of the vanilla RNN (no biases, as in the course)."""

    W_H: np.ndarray  # (d, d) hidden -> hidden
    W_X: np.ndarray  # (d, k) input -> hidden
    W_Y: np.ndarray  # (k, d) hidden -> output

    @property
    def hidden(self) -> int:
        return self.W_H.shape[0]

    @property
    def vocab_size(self) -> int:
        return self.W_X.shape[1]

    def check(self) -> None:
        d, k = self.hidden, self.vocab_size
        shapes = {"W_H": (d, d), "W_X": (d, k), "W_Y": (k, d)}
        for name, shape in shapes.items():
            got = getattr(self, name).shape
            if got != shape:
                raise ValueError(f"{name} has shape {got}; with d = {d} and k = {k} it must be {shape}")


COURSE_WEIGHTS = Weights(W_H, W_X, W_Y)


@dataclass(frozen=True)
class LessonStep:
    """Every number of one time step t (1-based, as in the course)."""

    t: int
    char: str  # the character read, x_t
    target: str  # the character that follows, x_{t+1}
    x: np.ndarray  # (k,) one-hot of char
    h_prev: np.ndarray  # (d,) h_{t-1}
    a: np.ndarray  # (d,)
    h: np.ndarray  # (d,)
    scores: np.ndarray  # (k,) W_Y h_t, the logits
    y: np.ndarray  # (k,) softmax of the scores
    target_prob: float  # y_t[target]
    loss: float  # -ln y_t[target], nats


@dataclass(frozen=True)
class Lesson:
    vocab: list[str]
    steps: list[LessonStep]

    @property
    def total_loss(self) -> float:
        """sum_t -ln y_t[x_{t+1}] (nats)."""
        return float(sum(s.loss for s in self.steps))

    @property
    def mean_loss(self) -> float:
        """The course's J = total / T (nats per character)."""
        return self.total_loss / len(self.steps)


def vocab_of(word: str) -> list[str]:
    """The word's distinct characters in order of first appearance ("hello" -> h, e, l, o)."""
    return list(dict.fromkeys(word))


def one_hot(index: int, size: int) -> np.ndarray:
    x = np.zeros(size)
    x[index] = 1.0
    return x


def run_lesson(word: str = WORD, weights: Weights = COURSE_WEIGHTS, vocab: list[str] | None = None) -> Lesson:
    """Read ``word[:-1]`` one character at a time from h_0 = 0, predicting ``word[1:]``."""
    vocab = vocab or vocab_of(word)
    if len(word) < 2:
        raise ValueError("the word needs at least two characters: one to read, one to predict")
    unknown = sorted(set(word) - set(vocab))
    if unknown:
        raise ValueError(f"characters {unknown} are not in the vocabulary {vocab}")
    weights.check()
    if weights.vocab_size != len(vocab):
        raise ValueError(f"the weights are for k = {weights.vocab_size} characters, the vocabulary has {len(vocab)}")
    index = {c: i for i, c in enumerate(vocab)}
    h = np.zeros(weights.hidden)  # h_0
    steps = []
    for t, (char, target) in enumerate(pairwise(word), start=1):
        x = one_hot(index[char], len(vocab))  # (k,)
        a = weights.W_H @ h + weights.W_X @ x  # (d,)
        h_new = np.tanh(a)  # (d,)
        scores = weights.W_Y @ h_new  # (k,)
        y = softmax(scores)  # (k,)
        p = float(y[index[target]])
        steps.append(LessonStep(t, char, target, x, h, a, h_new, scores, y, p, -float(np.log(p))))
        h = h_new
    return Lesson(vocab, steps)


def fit_weights(weights: Weights, vocab_size: int, hidden: int, seed: int = 0) -> Weights:
    """The same weights for another k or d: the entries that still fit are kept, new ones are drawn
    (one decimal in [0, 1), like the course's), so a user's edits survive a change of word."""
    rng = np.random.default_rng(seed)

    def fit(matrix: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        out = np.round(rng.uniform(0.0, 0.95, shape), 1)
        rows, cols = min(shape[0], matrix.shape[0]), min(shape[1], matrix.shape[1])
        out[:rows, :cols] = matrix[:rows, :cols]
        return out

    d, k = hidden, vocab_size
    return Weights(fit(weights.W_H, (d, d)), fit(weights.W_X, (d, k)), fit(weights.W_Y, (k, d)))


# ---- backpropagation through time ----


@dataclass(frozen=True)
class BackwardStep:
    """Every number of one step of the backward pass, for the total loss L (1-based t)."""

    t: int
    dz: np.ndarray  # (k,) y_t - onehot(target): dL/d(scores_t)
    dW_Y: np.ndarray  # (k, d) dz_t h_t^T, this step's part of dL/dW_Y
    dh_out: np.ndarray  # (d,) W_Y^T dz_t: through this step's own output
    dh_next: np.ndarray  # (d,) W_H^T da_{t+1}: back from the step after (zeros at t = T)
    dh: np.ndarray  # (d,) dL/dh_t, the sum of the two
    da: np.ndarray  # (d,) (1 - h_t^2) * dh_t: dL/da_t
    dW_H: np.ndarray  # (d, d) da_t h_{t-1}^T
    dW_X: np.ndarray  # (d, k) da_t x_t^T


@dataclass(frozen=True)
class Gradients:
    """dL/dW of the total loss: the steps in the order they are computed (t = T first) and the sums."""

    steps: list[BackwardStep]
    W_H: np.ndarray  # (d, d)
    W_X: np.ndarray  # (d, k)
    W_Y: np.ndarray  # (k, d)


def output_error(result: Lesson, step: LessonStep) -> np.ndarray:
    """dz_t = y_t - onehot(x_{t+1}) (k,): dL/d(scores_t), where both backward passes start."""
    return step.y - one_hot(result.vocab.index(step.target), len(result.vocab))


def backward(result: Lesson, weights: Weights) -> Gradients:
    """Backpropagation through time for ``result`` (a ``run_lesson`` of these weights)."""
    da_next = np.zeros(weights.hidden)  # dL/da_{T+1}: nothing comes after the last step
    steps = []
    for s in reversed(result.steps):
        dz = output_error(result, s)  # (k,)
        dh_out, dh_next = weights.W_Y.T @ dz, weights.W_H.T @ da_next  # (d,), (d,)
        dh = dh_out + dh_next
        da = (1.0 - s.h**2) * dh  # (d,): tanh' = 1 - tanh^2
        steps.append(
            BackwardStep(s.t, dz, np.outer(dz, s.h), dh_out, dh_next, dh, da, np.outer(da, s.h_prev), np.outer(da, s.x))
        )
        da_next = da
    total = {name: sum(getattr(b, f"d{name}") for b in steps) for name in ("W_H", "W_X", "W_Y")}
    return Gradients(steps, **total)


def central_differences(loss: Callable[[dict[str, np.ndarray]], float], params: dict[str, np.ndarray],
                        eps: float = 1e-5) -> dict[str, np.ndarray]:  # fmt: skip
    """d loss / d params by central differences, (loss(w + eps) - loss(w - eps)) / 2 eps, one entry
    at a time: slow, for the tiny models of a gradient check. Each entry is nudged in place and put back."""
    grads = {}
    for name, value in params.items():
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            original = value[index]
            value[index] = original + eps
            plus = loss(params)
            value[index] = original - eps
            minus = loss(params)
            value[index] = original
            grad[index] = (plus - minus) / (2 * eps)
        grads[name] = grad
    return grads


def numerical_gradients(word: str, weights: Weights, vocab: list[str], eps: float = 1e-5) -> dict[str, np.ndarray]:
    """dL/dW of the total loss by central differences: the check of ``backward``."""
    params = {name: getattr(weights, name).copy() for name in ("W_H", "W_X", "W_Y")}
    return central_differences(lambda p: run_lesson(word, Weights(**p), vocab).total_loss, params, eps)


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b|| / (||a|| + ||b||): the gradient-check measure, 0 for equal arrays, scale-free."""
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / denominator) if denominator > 0 else 0.0


def gradient_step(weights: Weights, grads: Gradients, eta: float) -> Weights:
    """One step of gradient descent, W := W - eta dL/dW, on all three matrices."""
    return Weights(weights.W_H - eta * grads.W_H, weights.W_X - eta * grads.W_X, weights.W_Y - eta * grads.W_Y)


def paths_to_W_H(result: Lesson, weights: Weights) -> dict[tuple[int, int], np.ndarray]:
    """dL/dW_H taken apart by path: entry (t, s) is the part of loss L_t that reaches W_H at step s,
    delta_{t,s} h_{s-1}^T, with delta_{t,t} = (1 - h_t^2) * W_Y^T dz_t and, going back one step,
    delta_{t,s-1} = (1 - h_{s-1}^2) * W_H^T delta_{t,s}. Their sum over s <= t and t is dL/dW_H."""
    parts = {}
    for step in result.steps:
        dz = output_error(result, step)  # (k,)
        delta = (1.0 - step.h**2) * (weights.W_Y.T @ dz)  # (d,) dL_t/da_t
        for earlier in reversed(result.steps[: step.t]):
            parts[step.t, earlier.t] = np.outer(delta, earlier.h_prev)  # (d, d)
            delta = (1.0 - earlier.h_prev**2) * (weights.W_H.T @ delta)  # dL_t/da_{s-1}
    return parts


# ---- how far back the gradient reaches ----


def jacobian_products(result: Lesson, weights: Weights) -> list[np.ndarray]:
    """dh_T/dh_{T-k} (d, d) for k = 0 .. T, from the last step back: J_0 = I and, one step further
    back, J_k = J_{k-1} diag(1 - h_{T-k+1}^2) W_H, since dh_t/dh_{t-1} = diag(1 - h_t^2) W_H.
    Backpropagation multiplies by their transposes, prod W_H^T diag(1 - h^2): the same norms."""
    product = np.eye(weights.hidden)
    products = [product]
    for step in reversed(result.steps):
        product = product @ ((1.0 - step.h**2)[:, None] * weights.W_H)  # @ diag(1 - h_t^2) W_H
        products.append(product)
    return products


def jacobian_norms(result: Lesson, weights: Weights) -> np.ndarray:
    """(T + 1,) the spectral norm of dh_T/dh_{T-k} for k = 0 .. T: the most a gradient arriving at
    h_T can grow (over 1) or shrink (under 1) on its way k steps back."""
    return np.array([np.linalg.norm(j, 2) for j in jacobian_products(result, weights)])
