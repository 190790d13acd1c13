"""Dynamic evaluation (Krause et al., 2018): the model keeps learning while it reads a text.

The text is read in segments of ``segment`` characters with the state carried between them. Each
segment is scored first, with the weights as they are, and only then does the reader take one
gradient step on it, so nothing is learned from a character before it is predicted: the first
segment scores exactly as static reading does. Every step also pulls the weights back towards the
trained ones (``decay``), so what a long text teaches fades instead of drifting away.

Two update rules, for a segment's gradient g (of its mean nats/char) and trained weights w0:

- ``sgd``: w <- w - lr * g + decay * (w0 - w)
- ``rms`` (the paper's): w <- w - lr * g / (rms + eps * mean(rms)) + decay * (rms / mean(rms)) * (w0 - w),
  with ``rms`` the root mean square of each weight's gradient over training text
  (``gradient_rms``), so each weight moves in proportion to how much training moved it, and the
  pull back is strongest on the weights that training gradients move most (clipped at 1 so that
  no weight overshoots its trained value).

The reader works on a copy: the model it is given, and its file, are never changed.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

from charrnn.model import CharRNN, State

RULES = ("rms", "sgd")
# eps, as a share of the average rms: keeps weights that training gradients barely move from huge
# steps. Relative, because the scale of the gradients (here of a segment's mean nats/char over
# RMS_STREAMS streams) sets what "small" means; the paper's absolute 1e-3 would swamp ours (~1e-4).
RMS_EPSILON = 0.1
RMS_TEXT_CHARS = 65_536  # training characters the gradient statistics are gathered on
RMS_STREAMS = 32  # streams read side by side while gathering them (one batched gradient per segment)


@dataclass(frozen=True)
class AdaptiveSettings:
    """How the reader learns: the rule, its learning rate, its pull back to the trained weights,
    and how many characters it reads between two updates."""

    rule: str = "sgd"
    lr: float = 0.0
    decay: float = 0.0
    segment: int = 100

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"unknown adaptive rule {self.rule!r}; expected one of {', '.join(RULES)}")
        if not (math.isfinite(self.lr) and self.lr >= 0):
            raise ValueError(f"the adaptive learning rate must be a number >= 0, not {self.lr}")
        if not (math.isfinite(self.decay) and 0 <= self.decay <= 1):
            raise ValueError(f"the adaptive decay must be in [0, 1], not {self.decay}")
        if self.segment < 1:
            raise ValueError(f"the adaptive segment must be at least 1 character, not {self.segment}")

    @classmethod
    def from_dict(cls, d: dict) -> AdaptiveSettings:
        """From ``config.json``'s ``meta.adaptive.settings`` (unknown keys are ignored)."""
        return cls(**{k: d[k] for k in ("rule", "lr", "decay", "segment") if k in d})

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def label(self) -> str:
        return f"{self.rule}, lr {self.lr:g}, decay {self.decay:g}, segments of {self.segment}"


def recorded_settings(meta: dict, rule: str | None = None) -> AdaptiveSettings | None:
    """A style's settings from its ``config.json`` meta (``python -m training.adapt``): the chosen
    ones, or with ``rule`` the best trial of that rule on the held-out text (for a reader without
    the training text that the rms rule's statistics come from). None where nothing is recorded,
    or the style reads statically (a learning rate of 0)."""
    adaptive = meta.get("adaptive") or {}
    if rule is None:
        chosen = adaptive.get("settings")
        return AdaptiveSettings.from_dict(chosen) if chosen and chosen.get("lr") else None
    trials = [t for t in adaptive.get("held_out", {}).get("trials", []) if t.get("rule") == rule]
    static = adaptive.get("held_out", {}).get("static", float("inf"))
    best = min(trials, key=lambda t: t["nats_per_char"], default=None)
    return AdaptiveSettings.from_dict(best) if best and best["nats_per_char"] < static else None


def gradient_rms(model: CharRNN, ids: list[int] | torch.Tensor, segment: int) -> dict[str, torch.Tensor]:
    """Root mean square of each weight's gradient (of the mean nats/char of a segment) over
    ``ids``, read as ``RMS_STREAMS`` streams in segments of ``segment`` with the state carried,
    in eval mode: the rms rule's per-weight scale. The model is not changed."""
    ids = torch.as_tensor(ids, dtype=torch.long)
    streams = max(1, min(RMS_STREAMS, len(ids) // (segment + 1)))
    per_stream = (len(ids) - 1) // streams
    usable = per_stream // segment * segment
    if usable < 1:
        raise ValueError(f"need more than {segment} characters to gather gradient statistics")
    rows = torch.arange(streams)[:, None] * per_stream + torch.arange(usable)[None, :]  # (S, N)
    x, y = ids[rows], ids[rows + 1]
    reader = _copy_for_gradients(model)
    params = dict(reader.named_parameters())
    squares = {name: torch.zeros_like(p) for name, p in params.items()}
    state: State | None = None
    batches = 0
    for start in range(0, usable, segment):
        logits, state = reader(x[:, start : start + segment], state)  # (S, T, V)
        loss = F.cross_entropy(logits.flatten(0, 1), y[:, start : start + segment].flatten())
        grads = torch.autograd.grad(loss, list(params.values()), allow_unused=True)
        for (name, _), g in zip(params.items(), grads, strict=True):
            if g is not None:
                squares[name] += g * g
        state = _detached(state)
        batches += 1
    return {name: (s / batches).sqrt() for name, s in squares.items()}


class AdaptiveReader:
    """Reads a text with a copy of ``model`` that learns as it goes (see the module's docstring)."""

    def __init__(self, model: CharRNN, settings: AdaptiveSettings, rms: dict[str, torch.Tensor] | None = None) -> None:
        if settings.rule == "rms" and rms is None:
            raise ValueError("the rms rule needs the gradient statistics (gradient_rms)")
        self.settings = settings
        self.model = _copy_for_gradients(model)
        self.params = dict(self.model.named_parameters())
        self.trained = {name: p.detach().clone() for name, p in self.params.items()}
        self.step_scale, self.pull = self._rule_tensors(settings, rms)
        self.state: State | None = None
        self.following: torch.Tensor | None = None  # (1, 1, V): the prediction of the next character

    def _rule_tensors(
        self, s: AdaptiveSettings, rms: dict[str, torch.Tensor] | None
    ) -> tuple[dict[str, torch.Tensor | float], dict[str, torch.Tensor | float]]:
        """Per weight: what multiplies the gradient, and what multiplies (trained - current)."""
        if s.rule == "sgd" or rms is None:
            return dict.fromkeys(self.params, s.lr), dict.fromkeys(self.params, s.decay)
        every = torch.cat([r.flatten() for r in rms.values()])
        mean = every.mean()  # the pull is normalised by the average rms over all weights
        step = {name: s.lr / (rms[name] + RMS_EPSILON * mean) for name in self.params}
        pull = {name: (s.decay * rms[name] / mean).clamp(max=1.0) for name in self.params}
        return step, pull

    def read(self, ids: list[int] | torch.Tensor, progress: Callable[[int], bool] | None = None) -> np.ndarray:
        """Surprisal -ln p (nats) of every character of ids (N,), each segment scored before the
        reader learns from it; the state and weights carry on to the next call. ``progress(done)``
        is called after each segment with the characters read so far; returning False stops the
        reading there (the surprisals of what was read are returned). Returns (n,) float64."""
        out = []
        for scores in self.segments(torch.as_tensor(ids, dtype=torch.long)):
            out.append(scores)
            if progress is not None and progress(sum(len(o) for o in out)) is False:
                break
        return np.concatenate(out) if out else np.zeros(0)

    def segments(self, ids: torch.Tensor) -> Iterator[np.ndarray]:
        """Read ids (N,) one segment at a time: yields each segment's surprisals (T,) float64."""
        self.model.eval()  # no dropout: the reader learns from the model it scores with
        for start in range(0, len(ids), self.settings.segment):
            x = ids[start : start + self.settings.segment].view(1, -1)  # (1, T)
            # Scored without gradients: the same kernels as static scoring (autograd's differ in
            # the last bits), so a segment read before any update scores exactly as statically.
            with torch.no_grad():
                logits, state, following = self.model.predictions(x, self.state, self.following)  # (1, T, V)
                yield F.cross_entropy(logits[0], x[0], reduction="none").double().numpy()  # (T,)
            if self.settings.lr > 0:
                self._learn(x)
            # The next segment starts from the state and prediction this one's reading left.
            self.state, self.following = state, following

    def _learn(self, x: torch.Tensor) -> None:
        """One update on segment x (1, T), read again from the same state with gradients (they
        stop at the segment's start: truncated backpropagation, one segment long)."""
        logits, _, _ = self.model.predictions(x, self.state, self.following)  # (1, T, V)
        loss = F.cross_entropy(logits[0], x[0])
        names = list(self.params)
        grads = torch.autograd.grad(loss, [self.params[n] for n in names], allow_unused=True)
        with torch.no_grad():
            for name, g in zip(names, grads, strict=True):
                p = self.params[name]
                if g is not None:
                    p -= self.step_scale[name] * g
                p += self.pull[name] * (self.trained[name] - p)


def adaptive_surprisal(
    model: CharRNN,
    ids: list[int] | torch.Tensor,
    settings: AdaptiveSettings,
    rms: dict[str, torch.Tensor] | None = None,
) -> np.ndarray:
    """-ln p(ids[t] | ids[:t]) for every t, read adaptively from the start state. (N,) float64."""
    return AdaptiveReader(model, settings, rms).read(ids)


def _copy_for_gradients(model: CharRNN) -> CharRNN:
    """A copy that learns (the model itself, and the weights it was loaded from, stay as they are)."""
    reader = copy.deepcopy(model).eval()
    for p in reader.parameters():
        p.requires_grad_(True)
    return reader


def _detached(state: State | None) -> State | None:
    if state is None:
        return None
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
