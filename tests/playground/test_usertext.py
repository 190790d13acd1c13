"""``playground.train.usertext``: a training text refused with a reason, or cleaned and measured."""

from __future__ import annotations

import pytest
from texts import novel

from playground.train import usertext


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("short text " * 400, "too little to learn from"),
        (b"x" * (usertext.MAX_BYTES + 1), "the limit is 10 MB"),
        (novel(6_000).encode("latin-1") + b"\xe9\xff", "not UTF-8"),
        (b"\x89PNG\r\n\x1a\n\0\0\0" + bytes(range(256)) * 40, "binary"),
        ("".join(chr(0x4E00 + i) for i in range(1_200)) * 5, "distinct characters; the limit is 1,000"),
    ],
    ids=["short", "too-big", "not-utf8", "binary", "too-many-characters"],
)
def test_bad_texts_are_refused_with_a_reason(data: str | bytes, message: str) -> None:
    with pytest.raises(usertext.TextError, match=message):
        usertext.check_text(data)


def test_a_good_text_is_cleaned_and_measured() -> None:
    text = usertext.check_text(("\ufeff" + novel(9_000)).replace("\n", "\r\n").encode())
    assert "\r" not in text and not text.startswith("\ufeff")
    stats = usertext.text_stats(text)
    assert stats.chars == len(text) and stats.train_chars + stats.val_chars == len(text)
    assert stats.val_chars == pytest.approx(len(text) / 10, abs=1) and stats.distinct == len(set(text))
