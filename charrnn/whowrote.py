"""Who wrote this? Every style reads one text; the one least surprised by it is the best guess.

The rules (``docs/who-wrote.md`` gives them with the measured accuracy):

* The text is normalised as the corpora are (a leading BOM dropped, CR LF and CR made LF), so a
  pasted Windows text reads as its author wrote it. At most ``READ_MAX`` characters are read.
* A model cannot score a character outside its vocabulary. It reads the text without them (the
  ``skip`` policy, as ``training.evaluate`` does) and each one costs ``UNKNOWN_BITS``: log2 of the
  number of Unicode code points (about 20.1 bits), the price of naming the character with no
  knowledge at all. That is more than any character a model knows usually costs, so a style that
  never saw a text's characters pays for each, yet one odd symbol does not decide the verdict.
* A model that cannot read more than ``UNREADABLE_SHARE`` of the characters ranks last (among
  such models, the more it can read, the higher), with the reason, whatever its bits/char.
* The others rank by bits/char, the unknown characters' cost included. When the best two
  styles' costs of the whole text differ by fewer than ``CLOSE_CALL_BITS`` bits (the one reads
  the text as less than 2^10, about 1,000, times likelier than the other) the verdict is "a close
  call". A margin in bits over the whole text rather than per character, because the evidence
  grows with the text: 0.05 bits/char is a close call over 200 characters, 0.2 over 50.
"""

from __future__ import annotations

import math
import time
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from charrnn.metrics import bits_per_char, perplexity, surprisal_nats
from charrnn.model import CharRNN

READ_MAX = 10_000  # characters read at most; the rest of a longer text is left out (and said)
MIN_CHARS = 2  # fewer characters than this cannot tell one style from another
SHORT_CHARS = 50  # under this many characters the verdict is flagged as a guess
UNKNOWN_BITS = math.log2(0x110000)  # one unknown character: one of every Unicode code point
UNREADABLE_SHARE = 0.5  # a model that cannot read more than this share of the text ranks last
CLOSE_CALL_BITS = 10.0  # the best two closer than this over the whole text (bits): "a close call"
SPAN = 256  # characters per stream when a long text is read as parallel streams
CONTEXT = 256  # characters read before each stream's span (``surprisal_nats``)
BINARY_SHARE = 0.01  # control characters (besides tab and newline) above this share: not text
# Characters that editions typeset differently: a style that learned one form pays the unknown
# cost for the other. Not folded into each other (the typography of a style's edition is part of
# what the benchmark finds it by), but said, so that a reader can retype a quote and try again.
VARIANTS = {'"': "“”", "“": '"', "”": '"', "'": "’‘", "‘": "'", "’": "'", "—": "-", "–": "-", "-": "—–"}


def normalise(text: str) -> str:
    """The corpora's cleaning of line ends and BOM (``corpora.prepare.clean``), nothing more."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def check_text(text: str, max_chars: int = READ_MAX) -> tuple[str, int]:
    """(the text to read, normalised and cut to ``max_chars``; how many characters were cut).
    ValueError with a message for a reader when there is nothing to attribute."""
    if not isinstance(text, str):
        raise ValueError(f"expected a text, not {type(text).__name__}")
    text = normalise(text)
    if not text.strip():
        raise ValueError("The text is empty: paste a passage of a sentence or more to see who wrote it.")
    controls = [c for c in text[:max_chars] if unicodedata.category(c) == "Cc" and c not in "\n\t"]
    if "\x00" in controls or len(controls) > BINARY_SHARE * min(len(text), max_chars):
        shown = ", ".join(dict.fromkeys(repr(c) for c in controls[:50]))
        raise ValueError(
            f"This looks like binary data, not text ({len(controls):,} control characters such as {shown}): "
            "paste plain text."
        )
    if len(text.strip()) < MIN_CHARS:
        raise ValueError(
            f"One character ({text.strip()!r}) is too little to tell who wrote it: give at least a few words."
        )
    return text[:max_chars], max(0, len(text) - max_chars)


@dataclass(frozen=True)
class Reading:
    """How one style read the text. Its cost counts every character: the known ones by the
    model's own surprise, each unknown one ``UNKNOWN_BITS``."""

    style: str
    chars: int  # characters in the text
    known_nats: float  # -ln p summed over the characters the model knows
    unknown: tuple[str, ...]  # distinct characters outside its vocabulary, in order of appearance
    unknown_count: int
    seconds: float
    author: str = ""
    variants: tuple[str, ...] = ()  # unknown characters the style knows in another typographic form

    @property
    def unknown_share(self) -> float:
        return self.unknown_count / self.chars

    @property
    def readable(self) -> bool:
        return self.unknown_share <= UNREADABLE_SHARE

    @property
    def bits_per_char(self) -> float:
        return (bits_per_char(self.known_nats) + self.unknown_count * UNKNOWN_BITS) / self.chars

    @property
    def perplexity(self) -> float:
        return perplexity(self.bits_per_char * math.log(2))

    @property
    def reason(self) -> str:
        """Why the model ranks last regardless of its bits/char ("" when it can read the text)."""
        if self.readable:
            return ""
        distinct = f"{len(self.unknown)} character{'s' if len(self.unknown) != 1 else ''}"
        return f"cannot read {self.unknown_share:.0%} of the text ({distinct} it never saw)"

    def as_dict(self) -> dict:
        return {
            "style": self.style,
            "author": self.author,
            "bits_per_char": self.bits_per_char,
            "perplexity": self.perplexity,
            "unknown_share": self.unknown_share,
            "unknown_chars": "".join(self.unknown),
            "readable": self.readable,
            "reason": self.reason,
            "seconds": round(self.seconds, 3),
        }


def read(model: CharRNN, text: str, style: str) -> Reading:
    """``style``'s reading of ``text`` (already checked: ``check_text``), in one batched pass."""
    started = time.perf_counter()
    encoded = model.vocab.encode(text, "skip")
    nats = surprisal_nats(model, encoded.ids, span=SPAN, context=CONTEXT)  # (known,)
    author = str(model.meta.get("author") or "")
    variants = tuple(c for c in encoded.unknown if any(v in model.vocab for v in VARIANTS.get(c, "")))
    return Reading(
        style, len(text), float(nats.sum()), tuple(encoded.unknown), encoded.unknown_count,
        time.perf_counter() - started, author, variants,
    )  # fmt: skip


def readings(models: Mapping[str, CharRNN], text: str) -> Iterator[Reading]:
    """Each style's reading of ``text`` (checked), one at a time, so a page can show each as it comes."""
    for style, model in models.items():
        yield read(model, text, style)


@dataclass(frozen=True)
class Ranking:
    """The styles from most to least likely author, and what the reader should know about it."""

    readings: tuple[Reading, ...]  # best first: readable ones by bits/char, then the rest
    truncated: int = 0  # characters left out beyond the maximum read

    @property
    def winner(self) -> Reading | None:
        first = self.readings[0] if self.readings else None
        return first if first is not None and first.readable else None

    @property
    def runner_up(self) -> Reading | None:
        second = self.readings[1] if len(self.readings) > 1 else None
        return second if second is not None and second.readable else None

    @property
    def margin(self) -> float | None:
        """Bits/char between the best two readable styles (None with fewer than two)."""
        if self.winner is None or self.runner_up is None:
            return None
        return self.runner_up.bits_per_char - self.winner.bits_per_char

    @property
    def margin_bits(self) -> float | None:
        """The same margin over the whole text, in bits (what ``close_call`` weighs)."""
        return None if self.margin is None else self.margin * self.chars

    @property
    def close_call(self) -> bool:
        return self.margin_bits is not None and self.margin_bits < CLOSE_CALL_BITS

    @property
    def chars(self) -> int:
        return self.readings[0].chars if self.readings else 0

    @property
    def unknown_to_all(self) -> list[str]:
        """Characters of the text that no style knows."""
        if not self.readings:
            return []
        return [c for c in self.readings[0].unknown if all(c in r.unknown for r in self.readings)]

    @property
    def verdict(self) -> str:
        winner, runner_up = self.winner, self.runner_up
        if winner is None:
            return "No style can read this text: " + (self.readings[0].reason if self.readings else "no styles")
        if runner_up is None:
            return f"{winner.style} wrote it: the only style that can read it."
        if self.close_call:
            return (
                f"A close call between {winner.style} and {runner_up.style}: {self.margin:.3f} bits/char apart, "
                f"{self.margin_bits:.1f} bits over the text (under {CLOSE_CALL_BITS:.0f})."
            )
        return (
            f"{winner.style} wrote it, most likely: {self.margin:.3f} bits/char ahead of {runner_up.style}, "
            f"{self.margin_bits:.1f} bits over the text."
        )

    @property
    def notes(self) -> list[str]:
        """What the reader should know besides the verdict: a cut or short text, unknown characters."""
        notes = []
        if self.truncated:
            notes.append(f"The text is {self.truncated:,} characters longer: its first {self.chars:,} were read.")
        if 0 < self.chars < SHORT_CHARS:
            notes.append(
                f"A short text ({self.chars} characters) says little about its author: take the verdict as a "
                "guess (200 characters or more tell the styles apart far better)."
            )
        unknown = self.unknown_to_all
        if unknown:
            shown = ", ".join(repr(c) for c in unknown[:10])
            notes.append(
                f"{len(unknown)} character(s) no style knows ({shown}): each costs every style {UNKNOWN_BITS:.1f} bits."
            )
        for r in self.readings[:3]:
            if r.variants and r.readable:
                shown = ", ".join(repr(c) for c in r.variants)
                notes.append(
                    f"{r.style} learned other quotation marks or dashes than this text's ({shown}): each costs it "
                    f"{UNKNOWN_BITS:.1f} bits. Retyped as its edition sets them, the text may rank it higher."
                )
        return notes

    def as_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "winner": self.winner.style if self.winner else None,
            "margin_bits_per_char": self.margin,
            "margin_bits": self.margin_bits,
            "close_call": self.close_call,
            "close_call_bits": CLOSE_CALL_BITS,
            "chars": self.chars,
            "truncated": self.truncated,
            "notes": self.notes,
            "ranking": [r.as_dict() for r in self.readings],
        }


def rank(readings: Iterable[Reading], truncated: int = 0) -> Ranking:
    """Readable styles by bits/char, best first; then the ones that cannot read the text, the
    more they can read the higher."""
    order = sorted(readings, key=lambda r: (not r.readable, r.unknown_share if not r.readable else 0, r.bits_per_char))
    return Ranking(tuple(order), truncated)


def who_wrote(models: Mapping[str, CharRNN], text: str, max_chars: int = READ_MAX) -> Ranking:
    """Every model reads ``text`` (see the module's rules); the ranking, best guess first.
    ValueError with a message for a reader when the text cannot be attributed."""
    if not models:
        raise ValueError("no styles to read the text: give at least one model")
    text, truncated = check_text(text, max_chars)
    return rank(readings(models, text), truncated)
