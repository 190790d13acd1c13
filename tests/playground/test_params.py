"""``playground.session.params``: the settings, their bounds, and their round trip through the URL."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from charrnn import SamplingSettings
from playground.pages import TAB_NAMES as TABS
from playground.session import params
from playground.session.params import Settings


def test_defaults_and_full_round_trip() -> None:
    s, notes = params.parse_query({}, TABS)
    assert s == Settings() and notes == []
    full = Settings.of(
        style="tiny-lstm",
        prime="ROMEO:\n",
        length=777,
        temperature=1.25,
        greedy=True,
        top_k=7,
        top_p=0.9,
        seed=123,
        unknown="skip",
        keep="ab c",
        tab="score",
    )
    again, notes = params.parse_query(params.to_query(full), TABS)
    assert again == full and notes == []
    assert "prime" not in params.to_query(Settings(seed=1))  # None: the style's own default
    assert params.parse_query({"prime": ""}, TABS)[0].prime == ""


@pytest.mark.parametrize(
    ("query", "check", "note"),
    [
        ({"len": "100000"}, lambda s: s.length == params.LENGTH_MAX, "out of range"),
        ({"len": "0"}, lambda s: s.length == params.LENGTH_MIN, "out of range"),
        ({"len": "abc"}, lambda s: s.length == params.LENGTH_DEFAULT, "not a whole number"),
        ({"temp": "0"}, lambda s: s.sampling.greedy, "greedy"),
        ({"temp": "-1"}, lambda s: s.sampling.temperature == params.TEMPERATURE_DEFAULT, "not a number above 0"),
        ({"temp": "nan"}, lambda s: s.sampling.temperature == params.TEMPERATURE_DEFAULT, "not a number"),
        ({"temp": "99"}, lambda s: s.sampling.temperature == params.TEMPERATURE_MAX, "above"),
        ({"temp": "1e-9"}, lambda s: s.sampling.temperature == params.TEMPERATURE_MIN, "below"),
        ({"k": "-3"}, lambda s: s.sampling.top_k is None, "top-k is off"),
        ({"p": "0"}, lambda s: s.sampling.top_p is None, "top-p is off"),
        ({"p": "1.5"}, lambda s: s.sampling.top_p is None, "above 1"),
        ({"p": "1e-5"}, lambda s: s.sampling.top_p == params.TOP_P_MIN, "below"),
        ({"seed": "-1"}, lambda s: s.seed is None, "new seed"),
        ({"seed": "x"}, lambda s: s.seed is None, "new seed"),
        ({"unknown": "explode"}, lambda s: s.unknown == params.POLICY_DEFAULT, "policy"),
        ({"greedy": "maybe"}, lambda s: not s.sampling.greedy, "greedy is off"),
        ({"style": "../../etc"}, lambda s: s.style is None, "not a model name"),
        ({"style": "/etc/passwd"}, lambda s: s.style is None, "not a model name"),
        ({"style": "hf:a/../b"}, lambda s: s.style is None, "not a model name"),
        ({"prime": "x" * 100_000}, lambda s: len(s.prime) == params.PRIME_MAX, "last"),
        ({"keep": "y" * 9_000}, lambda s: len(s.keep) == params.LENGTH_MAX, "first"),
    ],
)
def test_bad_query_values_are_fixed_and_said(query: dict, check, note: str) -> None:
    s, notes = params.parse_query(query, TABS)
    assert check(s)
    assert len(notes) == 1 and note in notes[0]


def test_query_details() -> None:
    assert params.parse_query({"len": ["5", "9"]}, TABS)[0].length == 9  # a repeated key: the last wins
    assert params.parse_query({"len": "300.0"}, TABS)[0].length == 300
    assert params.parse_query({"prime": "a\ud800b"}, TABS)[0].prime == "ab"  # lone surrogates cannot travel
    assert params.parse_query({"keep": "abc", "len": "2"}, TABS)[0].length == 3  # the kept text fits
    assert params.parse_query({"style": "hf:alice/charrnn"}, TABS)[0].style == "hf:alice/charrnn"
    assert params.parse_query({"tab": "nope"}, TABS)[0].tab == "generate"


def test_sampling_settings_switch_off_what_does_nothing() -> None:
    s = Settings.of(top_k=65, top_p=1.0).sampling_for(65)
    assert s.top_k is None and s.top_p is None and not s.greedy
    assert Settings.of(top_k=65).sampling.top_k == 65  # kept as given: another model may know more characters
    assert Settings.of(top_k=5, top_p=0.5).sampling_for(65) == SamplingSettings(0.8, 5, 0.5, False)
    assert Settings.of(top_k=0).sampling == Settings().sampling == SamplingSettings(params.TEMPERATURE_DEFAULT)
    assert Settings.of(temperature=0).sampling_for(65).greedy
    assert Settings(seed=1).same_sample(Settings(seed=1, tab="score"))
    assert not Settings(seed=1).same_sample(Settings(seed=2))


def test_every_setting_round_trips_at_its_bounds_and_default() -> None:
    """The spec table is the one source: each setting goes through the link at its bounds and default."""
    flat = {f.name for f in dataclasses.fields(Settings) + dataclasses.fields(SamplingSettings)} - {"sampling"}
    assert sorted(spec.field for spec in params.SPECS) == sorted(flat)
    queries = ["style", "prime", "len", "greedy", "temp", "k", "p", "seed", "unknown"]
    queries += ["decode", "width", "futures", "flen", "fat", "keep", "tab"]
    assert [spec.query for spec in params.SPECS] == queries  # the links' format
    for spec in params.SPECS:
        values = [spec.default] + ([spec.low, spec.high] if spec.widget in ("number", "slider") else [])
        for value in values:
            s = Settings.of(**{spec.field: value})
            again, notes = params.parse_query(params.to_query(s), TABS)
            assert again == s and notes == [], (spec.field, value)
            assert (spec.query in params.to_query(s)) == (spec.always or value != spec.default)
            if spec.field != "temperature" or value != 0:  # 0 means greedy: the one value not kept as given
                assert spec.get(again) == value


LINK_KEYS = ["style", "prime", "len", "temp", "greedy", "k", "p", "seed", "unknown", "keep", "tab", "other"]
LINK_KEYS += ["decode", "width", "futures", "flen", "fat"]
query_values = st.one_of(
    st.text(max_size=60),
    st.lists(st.text(max_size=20), max_size=3),
    st.from_regex(r"-?[0-9]{1,12}(\.[0-9]{0,4})?(e-?[0-9]{1,3})?", fullmatch=True),
)


@settings(max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(LINK_KEYS),
        query_values,
    )
)
@example({"temp": "1e-10"})
@example({"p": "1e-5"})
def test_any_query_gives_settings_in_bounds(query: dict) -> None:
    s, _ = params.parse_query(query, TABS)
    assert params.LENGTH_MIN <= s.length <= params.LENGTH_MAX
    sampling = s.sampling
    assert 0 < sampling.temperature <= params.TEMPERATURE_MAX
    assert sampling.top_k is None or 0 < sampling.top_k <= params.TOP_K_MAX  # None: off
    assert sampling.top_p is None or 0 < sampling.top_p < 1
    assert s.seed is None or 0 <= s.seed <= params.SEED_MAX
    assert s.unknown in ("error", "skip", "replace") and s.tab in TABS
    assert s.prime is None or len(s.prime) <= params.PRIME_MAX
    assert len(s.keep) <= s.length
    assert s.decoding in params.DECODINGS and params.BEAM_WIDTH_MIN <= s.beam_width <= 64
    assert 0 <= s.futures <= 32 and 1 <= s.futures_length <= params.FUTURES_LENGTH_MAX and s.futures_at >= 0
    s.sampling_for(65)  # always valid for the library
    encoded = params.to_query(s)  # and always encodable into a URL
    "&".join(f"{k}={v}" for k, v in encoded.items()).encode("utf-8")
    assert params.parse_query(encoded, TABS)[0].same_sample(s)
