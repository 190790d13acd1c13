"""charrnn.vocab: ids <-> characters and the unknown-character policies (never a silent remap)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from charrnn import UNKNOWN_POLICIES, UnknownCharactersError, Vocab

VOCAB = Vocab(list(" \nabcdefghijklmnopqrstuvwxyzTR,.!'é"))
known_text = st.text(alphabet=VOCAB.chars, max_size=200)
any_text = st.text(alphabet=st.sampled_from([*VOCAB.chars, "Z", "\u2603", "\t", "\x00", "😀"]), max_size=200)


def test_policies_are_the_documented_three():
    assert UNKNOWN_POLICIES == ("error", "skip", "replace")


@given(known_text)
def test_round_trip(text):
    encoded = VOCAB.encode(text)
    assert VOCAB.decode(encoded.ids) == text
    assert encoded.unknown == [] and encoded.unknown_count == 0
    assert all(0 <= i < len(VOCAB) for i in encoded.ids)


def test_ids_are_positions():
    vocab = Vocab(["b", "a", "\n"])
    assert vocab.encode("ab\n").ids == [1, 0, 2]
    assert vocab.decode([2, 0, 1]) == "\nba"
    assert vocab.index == {"b": 0, "a": 1, "\n": 2}
    assert len(vocab) == 3 and "a" in vocab and "z" not in vocab


def test_from_text_is_sorted_distinct_and_stable():
    text = "hello, world!\nÉté"
    vocab = Vocab.from_text(text)
    assert vocab.chars == sorted(set(text))
    assert len(vocab.chars) == len(set(vocab.chars))
    assert Vocab.from_text(text[::-1]) == vocab  # order of appearance does not matter
    assert vocab.decode(vocab.encode(text).ids) == text
    assert Vocab.from_text("ba") != Vocab(["b", "a"])


@pytest.mark.parametrize(
    ("chars", "message"),
    [([], "at least one"), (["ab"], "exactly one"), ([""], "exactly one"), (["a", "b", "a"], "distinct")],
)
def test_bad_vocabularies_are_refused(chars, message):
    with pytest.raises(ValueError, match=message):
        Vocab(chars)


def test_error_policy_names_the_characters():
    with pytest.raises(UnknownCharactersError) as info:
        VOCAB.encode("abZc\u2603Z")
    error = info.value
    assert isinstance(error, ValueError)
    assert error.unknown == ["Z", "\u2603"]  # distinct, in order of first appearance
    message = str(error)
    assert "'Z'" in message and "'\u2603'" in message
    assert message.startswith("2 character(s)")
    assert "skip" in message and "replace" in message  # says how to go on
    assert "\n" not in message


def test_error_message_shows_ten_and_counts_the_rest():
    unknown = [chr(0x400 + i) for i in range(13)]
    with pytest.raises(UnknownCharactersError) as info:
        VOCAB.encode("a".join(unknown))
    message = str(info.value)
    assert all(repr(c) in message for c in unknown[:10])
    assert not any(repr(c) in message for c in unknown[10:])
    assert "and 3 more" in message
    assert info.value.unknown == unknown


def test_invisible_unknown_characters_are_shown_escaped():
    with pytest.raises(UnknownCharactersError, match=r"'\\t'"):
        VOCAB.encode("a\tb")


def test_error_is_the_default_policy():
    with pytest.raises(UnknownCharactersError):
        VOCAB.encode("Z")


def test_skip_policy_drops_and_reports():
    encoded = VOCAB.encode("aZb\u2603Zc", "skip")
    assert VOCAB.decode(encoded.ids) == "abc"
    assert encoded.unknown == ["Z", "\u2603"]
    assert encoded.unknown_count == 3


def test_replace_policy_fills_and_reports():
    encoded = VOCAB.encode("aZb\u2603Zc", "replace", " ")
    assert VOCAB.decode(encoded.ids) == "a b  c"
    assert encoded.unknown == ["Z", "\u2603"]
    assert encoded.unknown_count == 3


@pytest.mark.parametrize("replacement", [None, "Z", "\u2603", "ab", ""])
def test_replacement_must_be_known(replacement):
    with pytest.raises(ValueError, match="replacement") as info:
        VOCAB.encode("aZb", "replace", replacement)
    assert not isinstance(info.value, UnknownCharactersError)


@pytest.mark.parametrize("policy", ["ignore", "", "ERROR", None])
def test_unknown_policy_names_are_refused(policy):
    with pytest.raises(ValueError, match="policy"):
        VOCAB.encode("abc", policy)


@given(any_text)
def test_never_a_silent_remap(text):
    """Whatever the policy, a known character keeps its own id and an unknown one is either
    refused, dropped or replaced by the one character asked for, and always reported."""
    unknown = [c for c in text if c not in VOCAB]
    skipped = VOCAB.encode(text, "skip")
    assert VOCAB.decode(skipped.ids) == "".join(c for c in text if c in VOCAB)
    assert skipped.unknown_count == len(unknown)
    assert skipped.unknown == list(dict.fromkeys(unknown))
    replaced = VOCAB.encode(text, "replace", "!")
    assert VOCAB.decode(replaced.ids) == "".join(c if c in VOCAB else "!" for c in text)
    assert replaced.unknown_count == len(unknown)
    if unknown:
        with pytest.raises(UnknownCharactersError):
            VOCAB.encode(text, "error")
    else:
        assert VOCAB.decode(VOCAB.encode(text, "error").ids) == text


def test_default_replacement():
    assert VOCAB.default_replacement() == " "
    assert Vocab(["x", "y"]).default_replacement() == "x"
