"""The copy check: which spans of a text appear verbatim in a model's training text.

``CopyIndex`` is a suffix array over the training text (built by prefix doubling in NumPy), cached
on disk as ``.npy`` arrays (``allow_pickle=False``) plus a JSON header, written atomically and
rebuilt when the text's checksum changes. ``CopyIndex.find(text, min_length)`` returns every
maximal span of at least ``min_length`` characters of ``text`` that occurs in the training text,
each with one place where it occurs.

How a query runs: the first ``k`` characters of every suffix, packed into one uint64 in an order
that matches string order, are sorted along with the suffix array; one ``searchsorted`` over
all positions of the text at once tells which positions start a ``k``-gram of the corpus. Only
positions followed by a run of such hits long enough for ``min_length`` are searched exactly
(a binary search inside their ``k``-gram's interval of the suffix array, then the longest common
prefix with the two neighbours), so original text costs one vectorised lookup.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from charrnn.files import atomic_write, atomic_write_json

INDEX_VERSION = 1
MIN_LENGTH_DEFAULT = 20


class CopyCheckError(RuntimeError):
    """The check cannot run (its training text is missing or changed); the message says what to do."""


@dataclass(frozen=True)
class Span:
    """``text[start:start + length]`` equals ``corpus[corpus_offset:corpus_offset + length]``."""

    start: int
    length: int
    corpus_offset: int

    @property
    def end(self) -> int:
        return self.start + self.length


@dataclass(frozen=True)
class CopyReport:
    """The maximal copied spans of a text (they may overlap), in order of their start."""

    text_length: int
    min_length: int
    spans: tuple[Span, ...]

    @property
    def longest(self) -> int:
        return max((s.length for s in self.spans), default=0)

    def mask(self) -> np.ndarray:
        """Per character of the text: inside at least one copied span."""
        covered = np.zeros(self.text_length, dtype=bool)
        for span in self.spans:
            covered[span.start : span.end] = True
        return covered

    @property
    def copied_chars(self) -> int:
        return int(self.mask().sum())

    @property
    def copied_fraction(self) -> float:
        return self.copied_chars / self.text_length if self.text_length else 0.0

    def longest_span(self) -> Span | None:
        return max(self.spans, key=lambda s: s.length, default=None)

    def to_json(self) -> dict:
        return {
            "longest_copied_chars": self.longest,
            "copied_fraction": round(self.copied_fraction, 6),
            "copied_chars": self.copied_chars,
            "chars": self.text_length,
            "min_length": self.min_length,
            "spans": [{"start": s.start, "length": s.length, "corpus_offset": s.corpus_offset} for s in self.spans],
        }


def text_checksum(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _packing(alphabet_size: int) -> tuple[int, int]:
    """(bits per character, characters per uint64 key). Codes run 0 (past the end) .. size + 1
    (a character the corpus lacks, in a query), so the bits must hold size + 1."""
    bits = max(1, int(alphabet_size + 1).bit_length())
    return bits, 64 // bits


def _pack(codes: np.ndarray, bits: int, width: int) -> np.ndarray:
    """Key i = codes[i : i + width] as one big-endian number: key order is string order, and a
    suffix running past the end reads zeros, so it sorts before its longer extensions (as Python does)."""
    padded = np.concatenate([codes.astype(np.uint64), np.zeros(width, dtype=np.uint64)])
    keys = np.zeros(len(codes), dtype=np.uint64)
    for j in range(width):
        keys = (keys << np.uint64(bits)) | padded[j : j + len(codes)]
    return keys


def _dense_ranks(values: np.ndarray) -> np.ndarray:
    """Rank of each value among the distinct values (equal values share a rank), as int64."""
    _, inverse = np.unique(values, return_inverse=True)
    return inverse.astype(np.int64).reshape(-1)


def suffix_array(codes: np.ndarray, bits: int, width: int) -> np.ndarray:
    """Suffix array by prefix doubling: ranks by the first ``width`` characters, then by 2x, 4x...
    that, until every rank is distinct (rounds: log2 of the longest repeat / width)."""
    n = len(codes)
    rank = _dense_ranks(_pack(codes, bits, width))
    h = width
    while n and rank.max() < n - 1:
        second = np.zeros(n, dtype=np.int64)
        second[: n - h] = rank[h:] + 1 if h < n else second[:0]
        rank = _dense_ranks(rank * (n + 1) + second)  # pairs (rank, rank h later) as one int64
        h *= 2
    sa = np.empty(n, dtype=np.int64)
    sa[rank] = np.arange(n)
    return sa.astype(np.int32 if n < 2**31 else np.int64)


class CopyIndex:
    """A suffix array over one text, with what a query needs beside it."""

    def __init__(self, text: str, sa: np.ndarray, alphabet: str, codes: np.ndarray) -> None:
        self.text = text
        self.sa = sa
        self.alphabet = alphabet
        self.codes = codes
        self.bits, self.width = _packing(len(alphabet))
        self.unknown_code = len(alphabet) + 1
        self._lookup = {c: i + 1 for i, c in enumerate(alphabet)}
        self._sorted_keys = _pack(codes, self.bits, self.width)[sa]  # first ``width`` chars, in SA order
        self._prefix_keys: dict[int, np.ndarray] = {}

    @classmethod
    def build(cls, text: str) -> CopyIndex:
        alphabet, codes = _encode_corpus(text)
        bits, width = _packing(len(alphabet))
        return cls(text, suffix_array(codes, bits, width), alphabet, codes)

    # ------------------------------------------------------------ cache on disk

    def save(self, stem: Path) -> None:
        """``STEM.sa.npy``, ``STEM.codes.npy`` then ``STEM.json`` (last: it names the arrays' checksums,
        so a crash between the writes leaves a header that does not match, and a rebuild)."""
        header = {"version": INDEX_VERSION, "sha256": text_checksum(self.text), "chars": len(self.text)}
        header["alphabet"] = self.alphabet
        for name, array in (("sa", self.sa), ("codes", self.codes)):
            path = _array_path(stem, name)
            atomic_write(path, lambda tmp, a=array: _save_npy(tmp, a))
            header[f"{name}_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        atomic_write_json(stem.with_name(stem.name + ".json"), header)

    @classmethod
    def load(cls, stem: Path, text: str) -> CopyIndex | None:
        """The cached index of ``text``, or None when absent, stale (another text) or damaged."""
        try:
            header = json.loads(stem.with_name(stem.name + ".json").read_text(encoding="utf-8"))
            if header.get("version") != INDEX_VERSION or header.get("sha256") != text_checksum(text):
                return None
            arrays = {}
            for name in ("sa", "codes"):
                path = _array_path(stem, name)
                data = path.read_bytes()
                if hashlib.sha256(data).hexdigest() != header.get(f"{name}_sha256"):
                    return None
                arrays[name] = _load_npy(path, data)
        except (OSError, ValueError, TypeError, AttributeError):
            return None
        if len(arrays["sa"]) != len(text) or len(arrays["codes"]) != len(text):
            return None
        return cls(text, arrays["sa"], str(header["alphabet"]), arrays["codes"])

    @classmethod
    def load_or_build(cls, stem: Path, text: str) -> CopyIndex:
        """From the cache when it matches ``text``, else built and cached (a read-only cache folder
        only costs the rebuild next time)."""
        index = cls.load(stem, text)
        if index is None:
            index = cls.build(text)
            with contextlib.suppress(OSError):  # a read-only cache: the check works, only starts slower
                index.save(stem)
        return index

    # ------------------------------------------------------------ queries

    def find(self, text: str, min_length: int = MIN_LENGTH_DEFAULT) -> CopyReport:
        """Every maximal span of ``text`` of at least ``min_length`` characters found verbatim in the corpus."""
        if min_length < 1:
            raise ValueError(f"min_length must be at least 1 (got {min_length})")
        q = self._encode_query(text)
        spans: list[Span] = []
        if len(q) < min_length or not len(self.text):
            return CopyReport(len(text), min_length, ())
        lo, hi, runs = self._prefilter(q, min(min_length, self.width))
        last, last_end, resume = -2, -1, 0  # the last position whose match end is known, and that end
        for i in np.flatnonzero(runs >= min_length).tolist():
            if i < resume:
                continue
            length, offset = self._longest_match(text, q, i, int(lo[i]), int(hi[i]))
            end = i + length
            # Match ends never decrease from one position to the next, so a match is maximal (not
            # inside the previous position's) when it ends later; a position not searched had a
            # match shorter than min_length, which ends before this one.
            if length >= min_length and (last != i - 1 or end > last_end):
                spans.append(Span(i, length, offset))
                resume = self._next_extension(text, i, end)
                last, last_end = resume - 1, end  # every position before ``resume`` ends at ``end``
            else:
                last, last_end = i, end
        return CopyReport(len(text), min_length, tuple(spans))

    def context(self, offset: int, length: int, width: int = 80) -> tuple[str, str, str]:
        """(before, match, after) around ``corpus[offset:offset + length]``, ``width`` characters each side."""
        start, end = max(0, offset - width), min(len(self.text), offset + length + width)
        return self.text[start:offset], self.text[offset : offset + length], self.text[offset + length : end]

    def _encode_query(self, text: str) -> np.ndarray:
        get, unknown = self._lookup.get, self.unknown_code
        return np.fromiter((get(c, unknown) for c in text), dtype=self.codes.dtype, count=len(text))

    def _keys(self, k: int) -> np.ndarray:
        """The first ``k`` characters of each suffix, in SA order (a prefix of a sorted key stays sorted)."""
        if k not in self._prefix_keys:
            self._prefix_keys[k] = self._sorted_keys >> np.uint64(self.bits * (self.width - k))
        return self._prefix_keys[k]

    def _prefilter(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each position: the SA interval of its ``k``-gram and how many characters from there are
        covered by consecutive corpus ``k``-grams (an upper bound on its longest match)."""
        keys = self._keys(k)
        positions = len(q) - k + 1
        qk = _pack(q, self.bits, k)[:positions]
        lo, hi = np.searchsorted(keys, qk, "left"), np.searchsorted(keys, qk, "right")
        hits = (hi > lo).tolist()
        runs = [0] * (len(q) + 1)
        for i in range(positions - 1, -1, -1):  # backwards: a hit's run covers k chars plus the next hit's
            runs[i] = (runs[i + 1] + 1 if runs[i + 1] else k) if hits[i] else 0
        return lo, hi, np.array(runs[: len(q)], dtype=np.int64)

    def _longest_match(self, text: str, q: np.ndarray, i: int, lo: int, hi: int) -> tuple[int, int]:
        """(length, corpus offset) of the longest corpus match of ``text[i:]``, searching SA[lo:hi]."""
        cap = 256
        while True:
            # the first suffix not below the pattern and the one before: they share the most with it
            a = self._lower_bound(text[i : i + cap], lo, hi)
            best = max((self._lcp(int(self.sa[j]), q, i), int(self.sa[j])) for j in (a - 1, a) if lo <= j < hi)
            if best[0] < cap or i + cap >= len(text):
                return best
            cap *= 4  # the pattern was cut short and fully matched: search with more of it

    def _next_extension(self, text: str, start: int, end: int) -> int:
        """The first position after ``start`` whose match reaches past ``end`` (``text[j:end + 1]``
        occurs; true for every later j once true for one), found in log(length) lookups instead of
        one search per character of a long copied passage."""
        if end >= len(text):
            return len(text)
        a, b = start + 1, end + 1  # b: no position up to ``end`` extends
        while a < b:
            mid = (a + b) // 2
            if self._occurs(text[mid : end + 1]):
                b = mid
            else:
                a = mid + 1
        return a

    def _lower_bound(self, pattern: str, lo: int, hi: int) -> int:
        """The first position in SA[lo:hi] whose suffix is not below ``pattern`` (binary search)."""
        m = len(pattern)
        while lo < hi:
            mid = (lo + hi) // 2
            s = int(self.sa[mid])
            if self.text[s : s + m] < pattern:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _occurs(self, pattern: str) -> bool:
        a = self._lower_bound(pattern, 0, len(self.sa))
        return a < len(self.sa) and self.text[int(self.sa[a]) : int(self.sa[a]) + len(pattern)] == pattern

    def _lcp(self, offset: int, q: np.ndarray, i: int) -> int:
        a = self.codes[offset : offset + len(q) - i]
        differ = np.flatnonzero(a != q[i : i + len(a)])
        return int(differ[0]) if differ.size else len(a)


def _encode_corpus(text: str) -> tuple[str, np.ndarray]:
    """(sorted distinct characters, code per character: 1 + its rank), so codes sort as characters do."""
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    values, inverse = np.unique(points, return_inverse=True)
    alphabet = "".join(map(chr, values.tolist()))
    dtype = np.uint8 if len(alphabet) + 1 < 2**8 else np.uint16 if len(alphabet) + 1 < 2**16 else np.uint32
    return alphabet, (inverse.reshape(-1) + 1).astype(dtype)


def _array_path(stem: Path, name: str) -> Path:
    return stem.with_name(f"{stem.name}.{name}.npy")


def _save_npy(path: str, array: np.ndarray) -> None:
    with open(path, "wb") as f:  # a file object: np.save would add ".npy" to a temporary's name
        np.save(f, array, allow_pickle=False)


def _load_npy(path: Path, data: bytes) -> np.ndarray:
    """The array in ``data`` (the bytes of ``path``, already read for their checksum: not read again)."""
    array = np.load(io.BytesIO(data), allow_pickle=False)
    if array.ndim != 1 or array.dtype.kind not in "iu":
        raise ValueError(f"{path} is not a 1-D integer array")
    return array
