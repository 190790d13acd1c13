"""The Kneser-Ney n-gram baseline (training/ngram.py), on small made-up texts."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from conftest import MIRROR

from training.ngram import (
    KneserNeyModel,
    NGramCounts,
    discount_estimates,
    fit_and_score,
    main,
    parse_orders,
)

ROOT = Path(__file__).resolve().parents[2]

# Made-up text with n-grams seen once, twice, three and many times, so every discount matters.
TEXT = (
    "the cat sat on the mat. the dog sat on the log. a cat and a dog met on a mat.\n"
    "the bat sat; the rat ran. did the cat see the rat? no, the cat saw the bat!\n"
) * 3 + "zebras quietly vexed jumping fox kings.\n"


class ReferenceKN:
    """The textbook definition, written as directly as possible with string dicts (slow, clear)."""

    def __init__(self, text: str, order: int, discounts: np.ndarray):
        self.text, self.order, self.discounts = text, order, discounts
        self.vocab = sorted(set(text))

    @cache  # noqa: B019 (instances live for one test)
    def counts(self, n: int) -> dict[str, int]:
        raw = Counter(self.text[i : i + n] for i in range(len(self.text) - n + 1))
        if n == self.order:
            return dict(raw)
        longer = {self.text[i : i + n + 1] for i in range(len(self.text) - n)}
        return dict(Counter(g[1:] for g in longer))  # distinct left neighbours

    def p(self, n: int, context: str, char: str) -> float:
        if n == 0:
            return 1 / (len(self.vocab) + 1)
        lower = self.p(n - 1, context, char)
        if len(context) < n - 1:
            return lower
        h = context[len(context) - (n - 1) :] if n > 1 else ""
        following = {g: c for g, c in self.counts(n).items() if g[:-1] == h and c > 0}
        total = sum(following.values())
        if total == 0:
            return lower
        d = self.discounts[n - 1]
        c = following.get(h + char, 0)
        gamma = sum(d[min(k, 3)] for k in following.values())
        return (max(c - d[min(c, 3)], 0) + gamma * lower) / total

    def prob(self, context: str, char: str) -> float:
        return self.p(self.order, context[-(self.order - 1) :] if self.order > 1 else "", char)


def contexts_to_check(text: str, order: int) -> list[str]:
    seen = sorted({text[max(0, i - order + 1) : i] for i in range(0, len(text), 7)})
    unseen = ["", "q", "zz", "xyzzy", "é€", "the c", "cat s", "the \u2603 c", "on the m", "t"]
    return seen[:60] + unseen


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_distribution_sums_to_one_for_every_context(order):
    model = KneserNeyModel.fit(TEXT, order)
    for context in contexts_to_check(TEXT, order):
        dist = model.distribution(context)
        assert len(dist) == len(model.vocab) + 1  # every character plus the unknown symbol
        assert all(p > 0 for p in dist.values()), context
        assert math.fsum(dist.values()) == pytest.approx(1.0, abs=1e-12), repr(context)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_matches_a_direct_implementation_of_the_formula(order):
    model = KneserNeyModel.fit(TEXT, order)
    # distinct discounts per order and bucket, so a mixed-up index would show
    discounts = np.array([[0.0, 0.3 + 0.1 * n, 0.9 + 0.05 * n, 1.2 + 0.2 * n] for n in range(order)])
    model = KneserNeyModel(model.counts, order, discounts)
    reference = ReferenceKN(TEXT, order, discounts)
    for context in contexts_to_check(TEXT, order)[::3]:
        dist = model.distribution(context)
        for char in [*model.vocab, "\u2603"]:
            got = dist[char] if char in model.vocab else dist[None]
            assert got == pytest.approx(reference.prob(context, char), rel=1e-12), (context, char)


def test_surprisal_agrees_with_the_distribution_it_comes_from():
    model = KneserNeyModel.fit(TEXT, 4)
    val = "the cat ran on the log!\u2603 a dog"
    scores = model.surprisal(val)
    assert len(scores) == len(val) - 1
    for t in range(1, len(val)):
        assert scores[t - 1] == pytest.approx(-math.log(model.prob(val[:t], val[t])), rel=1e-12)


def test_order_one_is_a_smoothed_unigram():
    model = KneserNeyModel.fit(TEXT, 1)
    counts = Counter(TEXT)
    v, total = len(counts), len(TEXT)
    d = model.discounts[0]
    floor_mass = sum(d[min(c, 3)] for c in counts.values()) / total
    expected = {ch: (c - d[min(c, 3)]) / total + floor_mass / (v + 1) for ch, c in counts.items()}
    for context in ["", "the ", "zzz", "\u2603"]:  # the context is ignored
        dist = model.distribution(context)
        for ch, p in expected.items():
            assert dist[ch] == pytest.approx(p, rel=1e-12)
        assert dist[None] == pytest.approx(floor_mass / (v + 1), rel=1e-12)
    # more frequent characters are more likely
    by_count = sorted(counts, key=counts.get)
    assert model.distribution("")[by_count[-1]] > model.distribution("")[by_count[0]]


def test_closed_form_discounts():
    n1, n2, n3, n4 = 1000, 400, 200, 120
    y = n1 / (n1 + 2 * n2)
    d = discount_estimates([n1, n2, n3, n4])
    assert d == pytest.approx([0, 1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3])
    assert all(0 <= d[k] <= k for k in (1, 2, 3))
    assert discount_estimates([0, 0, 0, 0]) == pytest.approx([0, 0.5, 1.0, 1.5])  # degenerate text
    assert discount_estimates([5, 100, 5000, 1])[2] == 0.0  # clamped into [0, k]


def repetitive_text(length: int, seed: int = 0) -> str:
    """Words from a small lexicon, each word mostly followed by the next one in the list: the
    longer the context, the better the guess."""
    rng = np.random.default_rng(seed)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "theta", "kappa"]
    out: list[str] = []
    word = 0
    while sum(map(len, out)) < length:
        word = (word + 1) % len(words) if rng.random() < 0.8 else int(rng.integers(len(words)))
        out.append(words[word] + str(rng.choice([" ", " ", " ", ", ", ".\n"])))
    return "".join(out)[:length]


def test_higher_order_beats_lower_on_a_repetitive_text():
    text = repetitive_text(20_000)
    train, val = text[:18_000], text[18_000:]
    losses = [fit_and_score(train, val, order)["nats_per_char"] for order in (1, 2, 3, 5, 8)]
    assert losses[0] > losses[1] > losses[2] > losses[3] > losses[4], losses
    assert losses[4] < 0.2 * losses[0]


def test_report_fields_and_unknown_characters():
    text = repetitive_text(5000)
    train, val = text[:4500], "alpha \u2603beta gamma ##delta"  # three unknown characters
    report = fit_and_score(train, val, 3)
    for key in ("nats_per_char", "bits_per_char", "perplexity", "chars", "unknown_chars"):
        assert key in report
    assert report["chars"] == len(val) - 1
    assert report["unknown_chars"] == 3
    assert report["unknown_distinct"] == ["#", "\u2603"]
    assert report["bits_per_char"] == pytest.approx(report["nats_per_char"] / math.log(2))
    assert report["perplexity"] == pytest.approx(math.exp(report["nats_per_char"]))
    assert math.isfinite(report["nats_per_char"])
    # unknown characters cost at least a uniform guess over V + 1 outcomes
    model = KneserNeyModel.fit(train, 3)
    scores = model.surprisal(val)
    for t, ch in enumerate(val[1:]):
        if ch not in model.vocab:
            assert scores[t] >= math.log(len(model.vocab) + 1)
    assert fit_and_score(train, "alpha beta", 3)["unknown_chars"] == 0


def test_tuning_never_looks_at_the_validation_text():
    text = repetitive_text(8000)
    train = text[:7000]
    a = fit_and_score(train, text[7000:], 4)
    b = fit_and_score(train, "kappa zeta theta alpha", 4)
    assert a["discounts_tuned"] and b["discounts_tuned"]
    assert a["discounts"] == b["discounts"]
    untuned = fit_and_score(train, text[7000:], 4, tune=False)
    assert not untuned["discounts_tuned"]


def test_shared_counts_give_the_same_result():
    text = repetitive_text(6000, seed=3)
    train, val = text[:5400], text[5400:]
    counts = NGramCounts(train, sorted(set(train)), 6)
    for order in (1, 3, 6):
        shared = fit_and_score(train, val, order, counts=counts)
        alone = fit_and_score(train, val, order)
        assert shared["nats_per_char"] == pytest.approx(alone["nats_per_char"], rel=1e-12)


def test_bad_inputs():
    with pytest.raises(ValueError, match="two validation characters"):
        fit_and_score("abc", "a", 2)
    with pytest.raises(ValueError, match="order"):
        KneserNeyModel.fit("abc", 0)
    assert parse_orders("3-5") == [3, 4, 5]
    assert parse_orders("7,2") == [2, 7]
    with pytest.raises(Exception, match="orders"):
        parse_orders("0-3")


def test_texts_shorter_than_the_order():
    model = KneserNeyModel.fit("ab", 5)
    assert math.fsum(model.distribution("abab").values()) == pytest.approx(1.0)
    report = fit_and_score("abcab", "abcabc", 6)
    assert math.isfinite(report["nats_per_char"])


def last_json_line(stdout: str) -> dict:
    lines = stdout.strip().splitlines()
    return json.loads(lines[-1])


def test_cli_single_order_last_line_is_json(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text(repetitive_text(5999) + "\n", encoding="utf-8")  # as cleaned: one final newline
    result = subprocess.run(
        [sys.executable, "-m", "training.ngram", "--text", str(path), "--order", "3"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    report = last_json_line(result.stdout)
    assert report["order"] == 3
    assert report["chars"] == 6000 - int(6000 * 0.9) - 1
    for key in ("nats_per_char", "bits_per_char", "perplexity", "unknown_chars"):
        assert isinstance(report[key], int | float)
    assert len(result.stdout.strip().splitlines()) >= 2  # a human summary comes first


def test_cli_several_orders(tmp_path, capsys):
    path = tmp_path / "words.txt"
    path.write_text(repetitive_text(6000), encoding="utf-8")
    assert main(["--text", str(path), "--orders", "1-4", "--no-tune"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    report = json.loads(out[-1])
    per_order = report["per_order"]
    assert [r["order"] for r in per_order] == [1, 2, 3, 4]
    assert sum(line.startswith("order ") for line in out) == 4
    best = min(per_order, key=lambda r: r["nats_per_char"])
    assert report["order"] == best["order"]
    assert report["nats_per_char"] == best["nats_per_char"]


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main(["--text", str(tmp_path / "missing.txt")]) == 2
    assert main(["--corpus", "no-such-corpus"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("error: ") for line in err)


MIRROR_SHAKESPEARE = MIRROR / "tinyshakespeare" / "input.txt"


@pytest.mark.slow
@pytest.mark.skipif(not MIRROR_SHAKESPEARE.is_file(), reason="corpus mirror (tinyshakespeare/input.txt) not available")
def test_tiny_shakespeare_figure():
    text = MIRROR_SHAKESPEARE.read_text(encoding="utf-8")
    cut = int(len(text) * 0.9)
    report = fit_and_score(text[:cut], text[cut:], 6)
    assert 1.4 < report["nats_per_char"] < 1.65
    assert report["unknown_chars"] == 0
