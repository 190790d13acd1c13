"""Character vocabulary: characters <-> integer ids, with an explicit unknown-character policy."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

UNKNOWN_POLICIES = ("error", "skip", "replace")


class UnknownCharactersError(ValueError):
    """Raised when a text holds characters the vocabulary has never seen (policy ``error``)."""

    def __init__(self, unknown: list[str]):
        self.unknown = unknown
        shown = ", ".join(repr(c) for c in unknown[:10])
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        super().__init__(
            f"{len(unknown)} character(s) not in the model's vocabulary: {shown}{more}; "
            "use the 'skip' or 'replace' policy to go on"
        )


@dataclass(frozen=True)
class Encoded:
    """The ids of a text plus what the unknown-character policy did to it."""

    ids: list[int]
    unknown: list[str]  # distinct unknown characters, in order of first appearance
    unknown_count: int  # how many characters of the text were unknown
    started_empty: bool = False  # nothing readable was left: ids hold the start character instead


class Vocab:
    """An ordered set of characters; the id of a character is its index."""

    def __init__(self, chars: Iterable[str]):
        self.chars: list[str] = list(chars)
        if not self.chars:
            raise ValueError("a vocabulary needs at least one character")
        if any(len(c) != 1 for c in self.chars):
            raise ValueError("every vocabulary entry must be exactly one character")
        if len(set(self.chars)) != len(self.chars):
            raise ValueError("vocabulary characters must be distinct")
        self.index: dict[str, int] = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def from_text(cls, text: str) -> Vocab:
        """Every distinct character of ``text``, sorted by code point (stable across runs)."""
        return cls(sorted(set(text)))

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, char: str) -> bool:
        return char in self.index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.chars == other.chars

    def unknown_chars(self, text: str) -> list[str]:
        """Distinct characters of ``text`` outside the vocabulary, in order of first appearance."""
        return list(dict.fromkeys(c for c in text if c not in self.index))

    def encode(self, text: str, policy: str = "error", replacement: str | None = None) -> Encoded:
        """Map ``text`` to ids. Unknown characters raise (``error``), are dropped (``skip``) or
        become ``replacement`` (``replace``, which must itself be in the vocabulary)."""
        if policy not in UNKNOWN_POLICIES:
            raise ValueError(f"unknown-character policy must be one of {UNKNOWN_POLICIES}, not {policy!r}")
        if policy == "replace" and not (isinstance(replacement, str) and replacement in self.index):
            raise ValueError(f"replacement character {replacement!r} is not in the vocabulary; pick one that is")
        unknown = self.unknown_chars(text)
        if not unknown:
            return Encoded([self.index[c] for c in text], [], 0)
        if policy == "error":
            raise UnknownCharactersError(unknown)
        counts = Counter(c for c in text if c not in self.index)
        if policy == "skip":
            ids = [self.index[c] for c in text if c in self.index]
        else:
            fill = self.index[replacement]
            ids = [self.index.get(c, fill) for c in text]
        return Encoded(ids, unknown, sum(counts.values()))

    def decode(self, ids: Iterable[int]) -> str:
        return "".join(self.chars[i] for i in ids)

    @property
    def start_id(self) -> int:
        """Where generation starts when there is no prime: a newline if known, else the first char."""
        return self.index.get("\n", 0)

    def default_replacement(self) -> str:
        """A harmless stand-in for unknown characters: a space if known, else the first char."""
        return " " if " " in self.index else self.chars[0]
