"""Bad input, tried by a fuzzer: any prime, any value of every sampling setting (out of range, of
the wrong type, non-numeric) and any query string, through the library and the app's parser.

What must hold: never a crash or a NaN; a value the library refuses raises one ``ValueError``
whose single line names the setting; the query-string parser never raises, and every value it
refuses or changes is said in a note; every distribution sampled from sums to 1.

Each property counts the examples it ran; the counts are printed at the end of the module (run
with ``-s``) and written to ``artifacts/fuzz-examples.json``. ``CHARRNN_FUZZ_SCALE=10`` runs ten
times as many examples (a longer fuzzing session; the default keeps the suite in minutes).
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from charrnn import CharRNN, ModelConfig, SamplingSettings, UnknownCharactersError, generate
from charrnn.sampling import MAX_LENGTH, MIN_TEMPERATURE, Step
from playground.pages import TAB_NAMES as TABS
from playground.pages.generate import generation
from playground.session import params

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
SCALE = float(os.environ.get("CHARRNN_FUZZ_SCALE", "1"))
RAN: Counter[str] = Counter()


def fuzz(examples: int) -> settings:
    """Bounded runs: no deadline (the machine may be busy), no example database (reproducible)."""
    return settings(
        max_examples=max(1, round(examples * SCALE)),
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],  # no "explain": minutes on a busy machine
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )


@pytest.fixture(scope="module", autouse=True)
def report_examples() -> Iterator[None]:
    yield
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "fuzz-examples.json").write_text(json.dumps(dict(RAN), indent=1) + "\n")
    print("\nfuzz examples run:", ", ".join(f"{name} {n}" for name, n in sorted(RAN.items())))


def assert_distribution(p: np.ndarray) -> None:
    assert np.isfinite(p).all() and (p >= 0).all()
    assert math.isclose(float(p.sum()), 1.0, abs_tol=1e-9)


def assert_steps(steps: list[Step], vocab_size: int, forced: int = 0) -> None:
    """The first ``forced`` steps were imposed (kept characters), not drawn: greedy, top-k or top-p
    may give them no probability as drawn (shown as 0%), but the model always gives them some."""
    for i, step in enumerate(steps):
        for p in (step.probs_raw, step.probs_tempered, step.probs):
            assert_distribution(p)
        assert (step.probs_raw if i < forced else step.probs)[step.char_id] > 0 and 1 <= step.rank <= vocab_size
        assert math.isfinite(step.entropy_bits) and step.entropy_bits >= 0
        assert math.isfinite(step.entropy_raw_bits) and step.entropy_raw_bits >= 0


def assert_one_line(error: Exception, *names: str) -> None:
    message = str(error)
    assert "\n" not in message and any(name in message for name in names), message


# ---------------------------------------------------------------- primes

any_char = st.characters(exclude_categories=())  # every code point: surrogates, NUL and controls included
SPECIAL_PRIMES = ["", "\x00", "\x00" * 50, "\ud800", "\udfff\ud800", "To\x00be", "\u200b\ufeff", "🪶" * 20, "\r\n\t"]
primes = st.one_of(
    st.text(any_char, max_size=80),
    st.text(st.sampled_from("To be,\n" + "\x00\ud800é🪶"), max_size=80),  # known and unknown mixed
    st.sampled_from(SPECIAL_PRIMES),
)
policies = st.sampled_from(["error", "skip", "replace"])


@fuzz(150)
@given(prime=primes, policy=policies)
@example(prime="", policy="error")
@example(prime="\ud800\udc00", policy="skip")
@example(prime="é" * 100_000, policy="skip")  # 100k characters, none of them known
@example(prime="é" * 100_000, policy="error")
def test_any_prime_samples_or_names_its_unknown_characters(tiny_model: CharRNN, prime: str, policy: str) -> None:
    RAN["any_prime"] += 1
    unknown = tiny_model.vocab.unknown_chars(prime)
    try:
        steps = list(generate(tiny_model, prime, 6, SamplingSettings(0.9), seed=1, unknown=policy))
    except UnknownCharactersError as e:
        assert policy == "error" and e.unknown == unknown
        assert_one_line(e, "not in the model's vocabulary")
        return
    assert policy != "error" or not unknown
    assert len(steps) == 6
    assert_steps(steps, len(tiny_model.vocab))


@pytest.mark.slow
def test_a_100k_character_prime_is_read_whole(tiny_model: CharRNN) -> None:
    """The library takes a prime of any length (the app keeps the last 1,000 characters)."""
    RAN["prime_100k"] += 1
    prime = ("To be, or not to be" * 6000)[:100_000]
    steps = list(generate(tiny_model, prime, 5, SamplingSettings(0.8), seed=3))
    assert_steps(steps, len(tiny_model.vocab))
    reference = generate(tiny_model, prime, 5, SamplingSettings(0.8), seed=3, engine="reference")
    assert [s.char for s in steps] == [s.char for s in reference]


# ---------------------------------------------------------------- every setting, any value

NOT_NUMBERS = st.one_of(st.none(), st.text(max_size=6), st.just(b"1"), st.just([1]), st.just(complex(1, 1)))
any_float = st.floats(allow_nan=True, allow_infinity=True)
temperatures = st.one_of(any_float, st.integers(-3, 3), st.sampled_from([1e-300, 1e-7, MIN_TEMPERATURE]), NOT_NUMBERS)
top_ks = st.one_of(st.none(), st.integers(-(2**70), 2**70), st.integers(-2, 40), any_float, NOT_NUMBERS)
top_ps = st.one_of(st.none(), any_float, st.floats(0, 1), st.integers(-1, 2), NOT_NUMBERS)
# Valid lengths stay short (a fuzzer would otherwise draw 100,000 characters now and then).
lengths = st.one_of(st.integers(-5, 25), st.integers(MAX_LENGTH + 1, 2**70), st.integers(max_value=-1), any_float,
                    NOT_NUMBERS)  # fmt: skip
seeds = st.one_of(st.none(), st.integers(-(2**70), 2**130), any_float, NOT_NUMBERS)


def is_whole(value: object, low: float) -> bool:
    return isinstance(value, int) and value >= low


def bad_fields(temperature: object, top_k: object, top_p: object, greedy: bool, length: object, seed: object) -> set:
    """The settings the library must refuse, judged from the documented rules alone."""
    real = isinstance(temperature, int | float) and math.isfinite(temperature)
    bad = set()
    if not real or (not greedy and temperature < MIN_TEMPERATURE):
        bad.add("temperature")
    if top_k is not None and not is_whole(top_k, 0):
        bad.add("top_k")
    if top_p is not None and not (isinstance(top_p, int | float) and 0 < top_p <= 1):
        bad.add("top_p")
    if not (is_whole(length, 0) and length <= MAX_LENGTH):
        bad.add("length")
    if seed is not None and not is_whole(seed, 0):
        bad.add("seed")
    return bad


@fuzz(300)
@given(temperature=temperatures, top_k=top_ks, top_p=top_ps, greedy=st.booleans(), length=lengths, seed=seeds)
@example(temperature=1e-308, top_k=None, top_p=None, greedy=False, length=5, seed=1)  # gave NaN before the floor
@example(temperature="0.8", top_k="5", top_p="0.9", greedy=False, length="5", seed="7")  # query-string values
@example(temperature=float("nan"), top_k=2.5, top_p=float("nan"), greedy=True, length=5.0, seed=-1)
def test_any_setting_value_samples_or_is_refused_by_name(
    tiny_model: CharRNN, temperature, top_k, top_p, greedy: bool, length, seed
) -> None:
    RAN["any_setting"] += 1
    bad = bad_fields(temperature, top_k, top_p, greedy, length, seed)
    try:
        steps = list(generate(tiny_model, "To", length, SamplingSettings(temperature, top_k, top_p, greedy), seed=seed))
    except ValueError as e:
        assert bad, f"refused valid settings: {e}"
        assert_one_line(e, *bad)
        return
    assert not bad, f"accepted bad {bad}"
    assert len(steps) == length
    assert_steps(steps, len(tiny_model.vocab))
    if top_k:
        assert all(np.count_nonzero(s.probs) <= top_k for s in steps)


# ---------------------------------------------------------------- any logits a model could give


class FixedLogits:
    """A stepper that gives the same logits at every position."""

    def __init__(self, logits: np.ndarray):
        self.logits = logits

    def prime(self, ids: list[int]) -> np.ndarray:
        return self.logits

    def step(self, char_id: int) -> np.ndarray:
        return self.logits


@cache
def model_with_vocab(size: int) -> CharRNN:
    return CharRNN(ModelConfig([chr(0x100 + i) for i in range(size)], cell="rnn", layers=1, hidden=2, embedding=2))


finite_logits = st.integers(1, 70).flatmap(
    lambda v: arrays(np.float32, v, elements=st.floats(width=32, allow_nan=False, allow_infinity=False))
)
valid_settings = st.builds(
    SamplingSettings,
    temperature=st.floats(MIN_TEMPERATURE, 1e6),
    top_k=st.one_of(st.none(), st.integers(0, 80)),
    top_p=st.one_of(st.none(), st.floats(0, 1, exclude_min=True)),
    greedy=st.booleans(),
)


@fuzz(300)
@given(logits=finite_logits, settings=valid_settings, seed=st.integers(0, 2**64))
@example(logits=np.array([3e38, -3e38, 1.0], np.float32), settings=SamplingSettings(MIN_TEMPERATURE), seed=0)
@example(logits=np.full(5, -3e38, np.float32), settings=SamplingSettings(1e6, top_p=1e-300), seed=0)
def test_any_finite_logits_give_distributions_that_sum_to_one(logits, settings, seed: int) -> None:
    RAN["any_logits"] += 1
    model = model_with_vocab(len(logits))
    steps = list(generate(model, "", 3, settings, seed=seed, stepper=FixedLogits(logits)))
    assert_steps(steps, len(logits))
    if settings.top_k:
        assert np.count_nonzero(steps[0].probs) <= settings.top_k


# ---------------------------------------------------------------- the query string

numeric_text = st.one_of(
    st.from_regex(r"[ +-]?[0-9_]{0,8}(\.[0-9]{0,6})?([eE][+-]?[0-9]{1,4})?\s?", fullmatch=True),
    st.floats().map(repr),  # nan, inf, -0.0, 5e-324 ...
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["9" * 5000, "0x10", "1/2", "٣", "½", "1,5", "Infinity", "--1", ""]),
)
query_values = st.one_of(numeric_text, st.text(any_char, max_size=30), st.lists(numeric_text, max_size=3))
NUMERIC_KEYS = {"len": "length", "temp": "temperature", "k": "top_k", "p": "top_p", "seed": "seed"}


def as_given(value: str | list) -> float | None:
    """The number a user meant, if any (Python's own reading of it)."""
    text = value[-1] if isinstance(value, list) and value else value
    try:
        number = float(text.strip()) if isinstance(text, str) else None  # str.strip: Unicode spaces too
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def taken_as_given(key: str, given: float | None, s: params.Settings) -> bool:
    if given is None:
        return False
    if key == "temp":
        return math.isclose(s.sampling.temperature, given, abs_tol=5e-5) or (given == 0 and s.sampling.greedy)
    if key == "p":
        return math.isclose(s.sampling.top_p or 1.0, given, abs_tol=5e-5)  # None: off, as p=1
    if key == "k":
        return (s.sampling.top_k or 0) == min(given, params.TOP_K_MAX)  # any k above the vocabulary means "off"
    return getattr(s, NUMERIC_KEYS[key]) == given


@fuzz(400)
@given(key=st.sampled_from(sorted(NUMERIC_KEYS)), value=query_values)
@example(key="temp", value="1e-320")
@example(key="len", value="9" * 5000)
@example(key="seed", value="\ud800")
@example(key="k", value=".0\x1f")  # \x1f is white space to str.strip (not to float): read as 0
@example(key="len", value="12\udfff")
def test_every_query_value_refused_or_changed_is_said(key: str, value) -> None:
    RAN["query_value_said"] += 1
    s, notes = params.parse_query({key: value}, TABS)
    if not taken_as_given(key, as_given(value), s):
        assert notes and all("\n" not in note for note in notes), (value, s, notes)
    s.sampling_for(65)  # whatever it became is valid for the library


@fuzz(120)
@given(
    st.dictionaries(
        st.sampled_from(["prime", "len", "temp", "greedy", "k", "p", "seed", "unknown", "keep"]),
        query_values,
    )
)
@example({"keep": "T", "prime": "0.0", "greedy": "1"})  # a kept character greedy would not draw: 0% as drawn
def test_any_query_samples_on_a_real_model(tiny_model: CharRNN, query: dict) -> None:
    """What the page does with a link: parse, read the prime, stream (shortened here for time)."""
    RAN["query_to_sample"] += 1
    s, _ = params.parse_query(query, TABS)
    try:
        prime = generation.prepare_prime(tiny_model, s.prime or "", s.unknown)
    except UnknownCharactersError as e:  # the page shows this and disables Generate
        assert_one_line(e, "not in the model's vocabulary")
        return
    keep = "" if tiny_model.vocab.unknown_chars(s.keep) else s.keep[:10]  # the page drops an unknown keep
    length = min(s.length, 12)
    steps = list(generation.stream(tiny_model, prime, length, s.sampling_for(len(tiny_model.vocab)), s.seed, keep))
    assert len(steps) == max(length, len(keep))
    assert_steps(steps, len(tiny_model.vocab), forced=len(keep))
