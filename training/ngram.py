"""The n-gram baseline: an interpolated modified Kneser-Ney character model.

    python -m training.ngram --corpus shakespeare --order 7
    python -m training.ngram --text my.txt --orders 1-10

It fits on the training split (first 90%) and prints the validation nats/char the way
``training.evaluate`` does: a human-readable summary, then as the LAST line one JSON object built
by ``charrnn.metrics.loss_report`` (``nats_per_char``, ``bits_per_char``, ``perplexity``,
``chars``, ``unknown_chars`` and details). With ``--orders`` it prints one line per order and then
a JSON line holding the best order's report plus a ``per_order`` list.

The model (Chen & Goodman 1998, "interpolated modified Kneser-Ney")::

    p_n(w | h) = (max(a(hw) - D_n(a(hw)), 0) + gamma_n(h) * p_{n-1}(w | h')) / sum_v a(hv)
    gamma_n(h) = D_n1 * N1(h.) + D_n2 * N2(h.) + D_n3+ * N3+(h.)

``h`` holds the n-1 characters before ``w`` and ``h'`` drops its first one. ``a`` is the raw count
at the highest order and the continuation count N1+(. hw) (how many distinct characters precede
``hw`` in the training text) at every lower order. ``N_k(h.)`` counts the characters that follow
``h`` with ``a`` equal to k (3+: at least 3). A context never seen in training (or seen only at
the very end of the text) leaves the lower-order estimate unchanged. Each order has its own three
discounts, first from the closed-form estimates ``Y = n1 / (n1 + 2 n2)``, ``D1 = 1 - 2Y n2/n1``,
``D2 = 2 - 3Y n3/n2``, ``D3+ = 3 - 4Y n4/n3`` (``n_k``: how many n-grams of that order have ``a == k``).

Discount tuning (on by default, ``--no-tune`` turns it off) never looks at the validation split:
the model is refitted on the first 90% of the TRAINING split, the discounts are tuned by a small
coordinate search (each discount multiplied by a few factors, kept when the held-out last 10% of
the training split gets a lower loss), and the tuned values are used with the counts of the whole
training split.

Unknown characters: the interpolation bottoms out in a uniform distribution over the training
vocabulary plus one "unknown" symbol (V + 1 outcomes). A validation character never seen in
training is scored as that unknown symbol (it gets only the mass the uniform floor passes up, which
keeps every distribution summing to 1 over V + 1 outcomes); ``unknown_chars`` counts them. A context
that holds an unknown character is unseen, so it backs off to the shorter contexts after it. (The
RNN's ``training.evaluate`` drops unknown characters before scoring instead; on a validation split
without unknown characters, as on every registered corpus but one or two characters, both count
the same ``chars``.)

Scoring matches ``charrnn.metrics.surprisal_nats``: characters 2..N of the validation text are
scored, each from the up to order-1 characters before it inside the validation text; the first
character has no context and is not scored, so ``chars == len(val) - 1``.

Counting is vectorised with NumPy: every n-gram type gets a dense integer id at its order, built
from its first character and the id of its (n-1)-character suffix, so each order is one
``np.unique`` over the text and scoring is a ``searchsorted`` per order.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from charrnn.metrics import loss_report

TUNE_FRACTION = 0.1  # the held-out tail of the training split that tunes the discounts
TUNE_FACTORS = (0.6, 0.8, 0.9, 1.1, 1.25, 1.5)
TUNE_ROUNDS = 2
MAX_ORDER = 20


def discount_estimates(count_of_counts: Sequence[int]) -> np.ndarray:
    """Closed-form modified-KN discounts [0, D1, D2, D3+] from n1..n4 (Chen & Goodman), clamped
    to 0 <= D_k <= k (the range that keeps every distribution normalised). Degenerate counts
    (tiny texts) fall back to 0.5, 1.0, 1.5."""
    n1, n2, n3, n4 = (float(x) for x in count_of_counts)
    fallback = np.array([0.0, 0.5, 1.0, 1.5])
    if n1 <= 0 or n2 <= 0:
        return fallback
    y = n1 / (n1 + 2 * n2)
    d = fallback.copy()
    d[1] = 1 - 2 * y * n2 / n1
    d[2] = 2 - 3 * y * n3 / n2
    if n3 > 0:
        d[3] = 3 - 4 * y * n4 / n3
    return clamp_discounts(d)


def clamp_discounts(d: np.ndarray) -> np.ndarray:
    d = np.asarray(d, dtype=np.float64).copy()
    d[0] = 0.0
    for k in (1, 2, 3):
        d[k] = min(max(d[k], 0.0), float(k))
    return d


@dataclass
class _Level:
    """The n-gram types of one order n: ids 0..T-1, ordered by their key."""

    keys: np.ndarray  # (T,) int64 sorted: first_char * T_{n-1} + suffix_id
    prefix: np.ndarray  # (T,) the id (at order n-1) of the type's first n-1 characters: its context
    counts: np.ndarray  # (T,) raw occurrence counts
    continuation: np.ndarray | None = None  # (T,) distinct left neighbours; None at the top order counted
    stats: dict[str, tuple[np.ndarray, ...]] = field(default_factory=dict)  # cached per count kind


class NGramCounts:
    """All n-gram types of orders 1..``max_order`` of a text over a fixed vocabulary."""

    def __init__(self, text: str, vocab: Sequence[str], max_order: int):
        if not 1 <= max_order <= MAX_ORDER:
            raise ValueError(f"order must be between 1 and {MAX_ORDER} (got {max_order})")
        self.vocab = list(vocab)
        self.index = {c: i for i, c in enumerate(self.vocab)}
        self.V = len(self.vocab)
        self.max_order = max_order
        ids = encode(text, self.index)
        if (ids >= self.V).any():
            raise ValueError("the counted text holds characters outside the vocabulary")
        self.levels: list[_Level] = []  # levels[n - 1] is order n
        previous = np.zeros(len(ids) + 1, dtype=np.int64)  # order 0: the empty string at every position
        previous_types = 1
        for n in range(1, max_order + 1):
            positions = len(ids) - n + 1
            if positions <= 0:
                keys = np.zeros(0, dtype=np.int64)
                self.levels.append(_Level(keys, keys, keys))
                if n > 1:
                    self.levels[n - 2].continuation = np.zeros(len(self.levels[n - 2].keys), dtype=np.int64)
                previous = np.zeros(0, dtype=np.int64)
                previous_types = 0
                continue
            # the n-gram starting at i = its first char + the (n-1)-gram starting at i + 1
            codes = ids[:positions] * previous_types + previous[1 : positions + 1]
            keys, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
            inverse = inverse.reshape(-1).astype(np.int64)
            prefix = previous[first] if n > 1 else np.zeros(len(keys), dtype=np.int64)
            counts = np.bincount(inverse, minlength=len(keys)).astype(np.int64)
            self.levels.append(_Level(keys, prefix, counts))
            if n > 1:  # each order-n type adds one distinct left neighbour to its suffix
                below = self.levels[n - 2]
                below.continuation = np.bincount(keys % previous_types, minlength=len(below.keys)).astype(np.int64)
            previous, previous_types = inverse, len(keys)

    def adjusted(self, n: int, top: bool) -> np.ndarray:
        """The counts order n uses: raw at the model's top order, continuation counts below it."""
        level = self.levels[n - 1]
        if top or level.continuation is None:
            return level.counts
        return level.continuation

    def level_stats(self, n: int, top: bool) -> tuple[np.ndarray, ...]:
        """(a, total, N1, N2, N3+) for order n: ``a`` per type, the rest per context (order n-1 id)."""
        kind = "raw" if top or self.levels[n - 1].continuation is None else "continuation"
        level = self.levels[n - 1]
        if kind not in level.stats:
            a = self.adjusted(n, top)
            contexts = len(self.levels[n - 2].keys) if n > 1 else 1
            prefix = level.prefix
            total = np.bincount(prefix, weights=a, minlength=contexts)
            n1 = np.bincount(prefix, weights=(a == 1), minlength=contexts)
            n2 = np.bincount(prefix, weights=(a == 2), minlength=contexts)
            n3 = np.bincount(prefix, weights=(a >= 3), minlength=contexts)
            level.stats[kind] = (a, total, n1, n2, n3)
        return level.stats[kind]

    def count_of_counts(self, n: int, top: bool) -> list[int]:
        a = self.adjusted(n, top)
        return [int((a == k).sum()) for k in (1, 2, 3, 4)]

    def lookup(self, n: int, first: np.ndarray, suffix: np.ndarray) -> np.ndarray:
        """Order-n type ids of (first char, order n-1 suffix id) pairs; -1 where unseen."""
        keys = self.levels[n - 1].keys
        below = len(self.levels[n - 2].keys) if n > 1 else 1
        ok = (first >= 0) & (first < self.V) & (suffix >= 0)
        if len(keys) == 0:
            return np.full(len(first), -1, dtype=np.int64)
        codes = np.where(ok, first * below + np.maximum(suffix, 0), -1)
        pos = np.minimum(np.searchsorted(keys, codes), len(keys) - 1)
        return np.where(ok & (keys[pos] == codes), pos, -1).astype(np.int64)


def encode(text: str, index: dict[str, int]) -> np.ndarray:
    """Character ids; a character outside ``index`` becomes ``len(index)`` (the unknown symbol)."""
    unknown = len(index)
    return np.fromiter((index.get(c, unknown) for c in text), dtype=np.int64, count=len(text))


def take(values: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """values[ids] as float64, 0 where ids is -1 (an unseen n-gram or context)."""
    out = np.zeros(len(ids))
    found = ids >= 0
    out[found] = values[ids[found]]
    return out


class _Query:
    """Per-order lookups for a batch of (context, target) windows; reusable for many discounts."""

    def __init__(self, counts: NGramCounts, order: int, windows: np.ndarray):
        # windows (M, order): the last column is the target, the others its context; -1 = nothing
        self.floor = 1.0 / (counts.V + 1)
        self.levels = []
        ngram = np.zeros(len(windows), dtype=np.int64)
        context = np.zeros(len(windows), dtype=np.int64)
        for n in range(1, order + 1):
            top = n == order
            a, total, n1, n2, n3 = counts.level_stats(n, top)
            ngram = counts.lookup(n, windows[:, order - n], ngram)
            if n > 1:
                context = counts.lookup(n - 1, windows[:, order - n], context)
            t = take(total, context)
            use = t > 0
            av = take(a, ngram)[use]
            bucket = np.minimum(av, 3).astype(np.int64)
            self.levels.append(
                (use, av, bucket, t[use], take(n1, context)[use], take(n2, context)[use], take(n3, context)[use])
            )

    def probabilities(self, discounts: np.ndarray) -> np.ndarray:
        """p(target | context) for every window; ``discounts`` (order, 4) = [0, D1, D2, D3+] per order."""
        p = np.full(len(self.levels[0][0]), self.floor)
        for n, (use, av, bucket, total, n1, n2, n3) in enumerate(self.levels, start=1):
            d = discounts[n - 1]
            gamma = d[1] * n1 + d[2] * n2 + d[3] * n3
            p[use] = (np.maximum(av - d[bucket], 0.0) + gamma * p[use]) / total
        return p


def windows_of(ids: np.ndarray, order: int) -> np.ndarray:
    """(len(ids) - 1, order) windows: row t-1 holds ids[t-order+1 .. t], -1 before the start."""
    padded = np.concatenate([np.full(order - 1, -1, dtype=np.int64), ids])
    return np.lib.stride_tricks.sliding_window_view(padded, order)[1:]


class KneserNeyModel:
    """An interpolated modified Kneser-Ney character model of one order."""

    def __init__(self, counts: NGramCounts, order: int, discounts: np.ndarray | None = None):
        if not 1 <= order <= counts.max_order:
            raise ValueError(f"order must be between 1 and {counts.max_order} (got {order})")
        self.counts, self.order = counts, order
        self.vocab, self.V = counts.vocab, counts.V
        if discounts is None:
            discounts = np.stack(
                [discount_estimates(counts.count_of_counts(n, n == order)) for n in range(1, order + 1)]
            )
        self.discounts = np.stack([clamp_discounts(d) for d in discounts])

    @classmethod
    def fit(cls, text: str, order: int, vocab: Sequence[str] | None = None) -> KneserNeyModel:
        vocab = sorted(set(text)) if vocab is None else list(vocab)
        return cls(NGramCounts(text, vocab, order), order)

    def probabilities(self, windows: np.ndarray) -> np.ndarray:
        return _Query(self.counts, self.order, windows).probabilities(self.discounts)

    def surprisal(self, text: str) -> np.ndarray:
        """-ln p(text[t] | text[:t]) for t = 1..len-1 (like ``charrnn.metrics.surprisal_nats``)."""
        ids = encode(text, self.counts.index)
        if len(ids) < 2:
            return np.zeros(0)
        return -np.log(self.probabilities(windows_of(ids, self.order)))

    def distribution(self, context: str) -> dict[str, float]:
        """The next-character distribution after ``context``: every vocabulary character plus
        ``None`` for the unknown symbol. Sums to 1 for any context, seen or not."""
        ids = encode(context[-(self.order - 1) :] if self.order > 1 else "", self.counts.index)
        ids = np.concatenate([np.full(self.order - 1 - len(ids), -1, dtype=np.int64), ids])
        candidates = np.arange(self.V + 1, dtype=np.int64)
        windows = np.concatenate([np.tile(ids, (len(candidates), 1)), candidates[:, None]], axis=1)
        p = self.probabilities(windows)
        return {**{c: float(p[i]) for i, c in enumerate(self.vocab)}, None: float(p[self.V])}

    def prob(self, context: str, char: str) -> float:
        dist = self.distribution(context)
        return dist[char] if char in self.counts.index else dist[None]


def tune_discounts(train: str, order: int, vocab: Sequence[str], fraction: float = TUNE_FRACTION) -> np.ndarray | None:
    """Discounts tuned on the held-out tail of the training text (never on validation): fit on
    the first 1 - ``fraction``, then a coordinate search over every discount, each multiplied by
    ``TUNE_FACTORS`` and kept when the tail's loss falls. None when the text is too short."""
    cut = int(len(train) * (1 - fraction))
    fit, tail = train[:cut], train[cut:]
    if len(fit) < 2 * order or len(tail) < 100:
        return None
    model = KneserNeyModel(NGramCounts(fit, vocab, order), order)
    query = _Query(model.counts, order, windows_of(encode(tail, model.counts.index), order))
    best = model.discounts.copy()

    def loss(d: np.ndarray) -> float:
        return float(-np.log(query.probabilities(d)).mean())

    best_loss = loss(best)
    for _ in range(TUNE_ROUNDS):
        improved = False
        for n in range(order):
            for k in (1, 2, 3):
                base = best[n, k]
                for factor in TUNE_FACTORS:
                    trial = best.copy()
                    trial[n] = clamp_discounts(np.where(np.arange(4) == k, base * factor, trial[n]))
                    if trial[n, k] == best[n, k]:
                        continue
                    trial_loss = loss(trial)
                    if trial_loss < best_loss - 1e-7:
                        best, best_loss, improved = trial, trial_loss, True
        if not improved:
            break
    return best


def fit_and_score(train: str, val: str, order: int, *, tune: bool = True, counts: NGramCounts | None = None) -> dict:
    """Fit an order-``order`` modified-KN model on ``train``, score ``val``; the report dict
    (``loss_report`` fields + ``unknown_chars`` + model details). ``counts`` (of ``train``, for
    orders >= ``order``) lets several orders share one counting pass."""
    if len(val) < 2:
        raise ValueError("need at least two validation characters to measure a loss")
    if not train:
        raise ValueError("the training text is empty")
    start = time.perf_counter()
    vocab = counts.vocab if counts is not None else sorted(set(train))
    if counts is None or counts.max_order < order:
        counts = NGramCounts(train, vocab, order)
    tuned = tune_discounts(train, order, vocab) if tune else None
    model = KneserNeyModel(counts, order, tuned)
    scores = model.surprisal(val)
    index = counts.index
    unknown = [c for c in val[1:] if c not in index]
    return loss_report(
        float(scores.mean()),
        len(scores),
        unknown_chars=len(unknown),
        unknown_distinct=sorted(set(unknown)),
        model="interpolated modified Kneser-Ney",
        order=order,
        vocab_size=len(vocab),
        train_chars=len(train),
        discounts=[[round(float(x), 4) for x in d[1:]] for d in model.discounts],
        discounts_tuned=tuned is not None,
        seconds=round(time.perf_counter() - start, 2),
    )


def parse_orders(spec: str) -> list[int]:
    """``"5"`` -> [5]; ``"1-10"`` -> [1, ..., 10]; ``"3,5,7"`` -> [3, 5, 7]."""
    orders: list[int] = []
    try:
        for part in spec.split(","):
            lo, _, hi = part.strip().partition("-")
            orders += range(int(lo), int(hi or lo) + 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"orders must look like 1-10 or 3,5,7 (got {spec!r})") from None
    if not orders or any(not 1 <= n <= MAX_ORDER for n in orders):
        raise argparse.ArgumentTypeError(f"orders must lie in 1..{MAX_ORDER} (got {spec!r})")
    return sorted(set(orders))


def summary_line(report: dict) -> str:
    return (
        f"order {report['order']:>2}: {report['nats_per_char']:.4f} nats/char  "
        f"{report['bits_per_char']:.4f} bits/char  "
        f"perplexity {report['perplexity']:.3f}  ({report['chars']} chars, {report['unknown_chars']} unknown, "
        f"{report['seconds']:.1f}s)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.ngram",
        description="Interpolated modified Kneser-Ney character n-gram baseline: fit on the training split, "
        "print the validation loss (last line: JSON).",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--corpus", help="a registered corpus name (see corpora.registry)")
    source.add_argument("--text", help="path of any UTF-8 text file")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--order", type=int, help="n-gram order (characters of context + 1); default 7")
    which.add_argument("--orders", type=parse_orders, help="several orders, e.g. 1-10 or 3,5,7")
    parser.add_argument("--mirror", help="folder holding the corpus files (else $CHARRNN_CORPORA_MIRROR)")
    parser.add_argument("--val-fraction", type=float, default=0.1, help="validation share at the end (0.1)")
    parser.add_argument("--no-tune", action="store_true", help="closed-form discounts only, no tuning search")
    args = parser.parse_args(argv)
    orders = args.orders or [args.order if args.order is not None else 7]
    if any(not 1 <= n <= MAX_ORDER for n in orders):
        parser.error(f"--order must lie in 1..{MAX_ORDER}")
    if not 0 < args.val_fraction < 1:
        parser.error("--val-fraction must lie between 0 and 1")

    from corpora import CorpusError
    from training.data import load_text, split_text

    try:
        name, text = load_text(args.corpus, args.text, args.mirror)
    except (CorpusError, KeyError, OSError, ValueError) as e:
        print(f"error: {e.args[0] if e.args else e}", file=sys.stderr)
        return 2
    train, val = split_text(text, args.val_fraction)
    print(f"{name}: {len(train):,} training chars, {len(val):,} validation chars, vocabulary {len(set(train))}")
    counts = NGramCounts(train, sorted(set(train)), max(orders))
    reports = []
    for order in orders:
        report = fit_and_score(train, val, order, tune=not args.no_tune, counts=counts)
        print(summary_line(report), flush=True)
        reports.append(report)
    best = min(reports, key=lambda r: r["nats_per_char"])
    result = {**best, "corpus": name}
    if args.orders:
        print(f"best: order {best['order']} at {best['nats_per_char']:.4f} nats/char")
        result["per_order"] = [
            {k: r[k] for k in ("order", "nats_per_char", "bits_per_char", "perplexity", "discounts")} for r in reports
        ]
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
