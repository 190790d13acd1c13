"""Who wrote this: tiny models trained on two made-up texts each win on their own, the unknown
character rule, the close call, and bad input."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from conftest import train_tiny
from texts import novel
from tolerances import FLOAT32

from charrnn.metrics import bits_per_char, surprisal_nats
from charrnn.whowrote import (
    CLOSE_CALL_BITS,
    SHORT_CHARS,
    UNKNOWN_BITS,
    Reading,
    check_text,
    rank,
    read,
    who_wrote,
)


def code(chars: int, seed: int = 0) -> str:
    """A made-up program: assignments of small sums and calls, one a line (digits, = ( ) ;)."""
    rng = random.Random(seed)
    names = ["x", "y", "total", "count", "i", "n"]
    lines, size = [], 0
    while size < chars:
        a, b = rng.choice(names), rng.choice(names)
        line = rng.choice([f"{a} = {b} + {rng.randint(0, 99)};", f"{a} = f({b}, {rng.randint(0, 9)});", f"if ({a}) {{"])
        lines.append(line + "\n")
        size += len(line) + 1
    return "".join(lines)[:chars]


@pytest.fixture(scope="module")
def styles():
    """{"prose": a tiny LSTM on a made-up novel, "code": one on a made-up program}."""
    return {
        "prose": train_tiny(novel(6_000, seed=1), steps=150, hidden=48),
        "code": train_tiny(code(6_000, seed=1), steps=150, hidden=48),
    }


@pytest.mark.parametrize("own, passage", [("prose", novel(400, seed=7)), ("code", code(400, seed=7))])
def test_each_style_wins_on_its_own_text(styles, own, passage):
    ranking = who_wrote(styles, passage)
    assert ranking.winner is not None and ranking.winner.style == own
    assert ranking.readings[0].style == own
    assert ranking.margin_bits > CLOSE_CALL_BITS and not ranking.close_call
    assert ranking.verdict.startswith(f"{own} wrote it")


def test_unknown_characters_cost_the_stated_bits_each(styles):
    prose = styles["prose"]
    text = "Anna said 42 times that the door was old."  # digits: outside the novel's vocabulary
    reading = read(prose, text, "prose")
    known = prose.vocab.encode(text, "skip")
    assert reading.unknown == ("4", "2") and reading.unknown_count == 2
    assert reading.unknown_share == pytest.approx(2 / len(text))
    expected = (float(bits_per_char(surprisal_nats(prose, known.ids).sum())) + 2 * UNKNOWN_BITS) / len(text)
    np.testing.assert_allclose(reading.bits_per_char, expected, **FLOAT32)
    np.testing.assert_allclose(reading.perplexity, 2**expected, **FLOAT32)
    assert math.log2(1_114_112) == pytest.approx(UNKNOWN_BITS)
    assert reading.readable and reading.reason == ""


def test_a_style_that_cannot_read_most_of_the_text_ranks_last_with_the_reason(styles):
    ranking = who_wrote(styles, "x = 12 + 34;\n" * 3)  # the novel has none of the digits, = + ;
    prose = next(r for r in ranking.readings if r.style == "prose")
    assert prose.unknown_share > 0.5 and not prose.readable
    assert ranking.readings[-1] is prose
    assert prose.reason.startswith(f"cannot read {prose.unknown_share:.0%} of the text")


def reading(style: str, bits: float, unknown_count: int = 0, chars: int = 100) -> Reading:
    """A reading costing ``bits`` per character over the known characters' share of the text."""
    known_nats = bits * (chars - unknown_count) * math.log(2)
    return Reading(style, chars, known_nats, tuple("ж" * min(unknown_count, 1)), unknown_count, 0.0)


def test_an_unreadable_style_ranks_last_even_when_cheaper():
    # 60% unknown at 20.1 bits each would already cost more; zero known cost isolates the rule:
    blind = Reading("blind", 100, 0.0, ("ж",), 60, 0.0)
    readable = [reading("a", 12.0), reading("b", 13.0, unknown_count=50)]
    assert blind.bits_per_char > 0 and not blind.readable
    ranking = rank([blind, *readable])
    assert [r.style for r in ranking.readings] == ["a", "b", "blind"]
    # Among unreadable styles, the one that can read more ranks higher, whatever its cost:
    blinder = Reading("blinder", 100, 0.0, ("ж",), 90, 0.0)
    order = [r.style for r in rank([blinder, Reading("half", 100, 1e6, ("ж",), 70, 0.0)]).readings]
    assert order == ["half", "blinder"]
    assert rank([blinder]).winner is None
    assert rank([blinder]).verdict.startswith("No style can read this text: cannot read 90%")


def test_close_call_within_the_stated_margin_over_the_whole_text():
    per_char = CLOSE_CALL_BITS / 100  # readings of 100 characters
    near = rank([reading("a", 2.0), reading("b", 2.0 + per_char * 0.9), reading("c", 3.0)])
    assert near.winner.style == "a" and near.close_call
    assert near.margin == pytest.approx(per_char * 0.9) and near.margin_bits == pytest.approx(CLOSE_CALL_BITS * 0.9)
    assert near.verdict.startswith("A close call between a and b")
    clear = rank([reading("a", 2.0), reading("b", 2.0 + per_char * 1.1)])
    assert not clear.close_call and clear.verdict.startswith("a wrote it, most likely")
    longer = rank([reading("a", 2.0, chars=1_000), reading("b", 2.0 + per_char * 0.9, chars=1_000)])
    assert not longer.close_call  # the same gap per character is ten times the evidence
    alone = rank([reading("a", 2.0), Reading("blind", 100, 0.0, ("ж",), 80, 0.0)])
    assert alone.margin is None and not alone.close_call and "the only style" in alone.verdict


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "The text is empty"),
        (" \n\t \r\n", "The text is empty"),
        ("a", "One character ('a') is too little"),
        ("\n  x \n", "One character ('x') is too little"),
        ("PK\x03\x04\x00\x00abc" * 20, "This looks like binary data"),
        ("some text\x07" * 5, "This looks like binary data"),
        (b"bytes".decode() and 42, "expected a text, not int"),
    ],
)
def test_bad_input_gets_a_message(styles, text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        who_wrote(styles, text)


def test_no_styles_is_a_message():
    with pytest.raises(ValueError, match="no styles to read the text"):
        who_wrote({}, "some text")


def test_a_huge_text_is_cut_and_said(styles):
    text = novel(3_000, seed=3)
    ranking = who_wrote(styles, text, max_chars=1_000)
    assert ranking.chars == 1_000 and ranking.truncated == 2_000
    assert ranking.notes[0] == "The text is 2,000 characters longer: its first 1,000 were read."
    assert ranking.winner.style == "prose"


def test_a_short_text_is_flagged_as_a_guess(styles):
    ranking = who_wrote(styles, "He said")
    assert ranking.chars == 7 < SHORT_CHARS
    assert any(note.startswith("A short text (7 characters)") for note in ranking.notes)
    assert not any("short text" in note for note in who_wrote(styles, novel(SHORT_CHARS, seed=2)).notes)


def test_characters_no_style_knows_are_named_and_cost_every_style(styles):
    text = "Жизнь " + novel(200, seed=4)  # Cyrillic: in neither made-up text
    ranking = who_wrote(styles, text)
    assert ranking.unknown_to_all == ["Ж", "и", "з", "н", "ь"]
    assert any(note.startswith("5 character(s) no style knows ('Ж', 'и',") for note in ranking.notes)
    assert ranking.winner.style == "prose"
    nothing = who_wrote(styles, "Жизнь и смерть")
    assert nothing.winner is None and nothing.verdict.startswith("No style can read this text")
    assert all(r.unknown_share > 0.5 for r in nothing.readings)


def test_windows_line_ends_and_a_bom_read_as_the_corpora_clean_them(styles):
    text = novel(300, seed=5)
    plain = who_wrote(styles, text)
    windows = who_wrote(styles, "\ufeff" + text.replace("\n", "\r\n"))
    for a, b in zip(plain.readings, windows.readings, strict=True):
        assert a.style == b.style
        np.testing.assert_allclose(a.bits_per_char, b.bits_per_char, **FLOAT32)
    assert check_text("a\rb") == ("a\nb", 0)


def test_a_long_text_read_as_parallel_streams_stays_close_to_the_full_pass(styles):
    prose = styles["prose"]
    text = novel(6_000, seed=1)[2_000:3_500]  # several 256-character spans, every character known
    exact = float(np.mean(surprisal_nats(prose, prose.vocab.encode(text).ids))) / math.log(2)
    assert read(prose, text, "prose").bits_per_char == pytest.approx(exact, abs=0.02)


def test_a_style_that_learned_other_quotation_marks_is_told(styles):
    # The novel has straight quotes (") only: curly ones are unknown to it, but it knows a variant.
    text = novel(300, seed=8).replace('"', "“", 1)
    ranking = who_wrote(styles, text)
    prose = next(r for r in ranking.readings if r.style == "prose")
    assert "“" in prose.unknown and prose.variants == ("“",)
    assert any(
        note.startswith("prose learned other quotation marks or dashes than this text's ('“')")
        for note in ranking.notes
    )
    assert not any("quotation marks" in note for note in who_wrote(styles, novel(300, seed=8)).notes)
