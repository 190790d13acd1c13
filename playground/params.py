"""The playground's settings, their bounds, and their round trip through the URL query string.

``parse_query`` takes anything a URL can carry and never raises: every value out of range or
malformed is replaced (clamped, or reset to its default) and a note says so, for the page to show.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace

from charrnn import UNKNOWN_POLICIES, SamplingSettings
from playground import catalog, hub

LENGTH_MIN, LENGTH_MAX, LENGTH_DEFAULT = 1, 5_000, 500
TEMPERATURE_MIN, TEMPERATURE_MAX, TEMPERATURE_DEFAULT = 0.01, 3.0, 0.8
TOP_K_MAX = 100_000  # the page clamps further, to the model's vocabulary
TOP_P_MIN = 0.01
SEED_MAX = 2**32 - 1
PRIME_MAX = 1_000  # characters of prime the model reads: the last ones (an RNN forgets earlier ones)
POLICY_DEFAULT = "replace"
POLICY_HELP = {
    "replace": "replace them by a space (or the model's first character)",
    "skip": "skip them",
    "error": "refuse the text",
}
TABS = (
    "generate",
    "score",
    "training",
    "lesson",
    "neurons",
    "compare",
    "download",
    "train",
)  # the page's tabs, in order
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


@dataclass(frozen=True)
class Settings:
    """Everything that determines a sample (plus the open tab). ``prime`` None means the style's
    default prime; ``seed`` None means "pick one"; ``keep`` is text chosen by branching that the
    model continues after."""

    style: str | None = None
    prime: str | None = None
    length: int = LENGTH_DEFAULT
    temperature: float = TEMPERATURE_DEFAULT
    greedy: bool = False
    top_k: int = 0
    top_p: float = 1.0
    seed: int | None = None
    unknown: str = POLICY_DEFAULT
    keep: str = ""
    tab: str = TABS[0]

    def sampling(self, vocab_size: int) -> SamplingSettings:
        """The library's settings: top-k at or above the vocabulary size and top-p 1 mean "off";
        temperature 0 means greedy."""
        greedy = self.greedy or self.temperature <= 0  # temperature 0 means greedy
        top_k = self.top_k if 0 < self.top_k < vocab_size else None
        top_p = self.top_p if self.top_p < 1 else None
        return SamplingSettings(self.temperature if self.temperature > 0 else 1.0, top_k, top_p, greedy)

    def same_sample(self, other: Settings) -> bool:
        """Whether both settings give the same text (the open tab does not matter)."""
        return replace(self, tab=TABS[0]) == replace(other, tab=TABS[0])


def random_seed() -> int:
    """A fresh seed for a new session or the New seed button (small, so that it is easy to share)."""
    return secrets.randbelow(1_000_000)


def _last(value: str | list[str]) -> str:
    if isinstance(value, list | tuple):
        return str(value[-1]) if value else ""
    return str(value)


def clean_text(text: str) -> str:
    """Drop lone surrogates: they cannot be encoded into a URL, a file or the page."""
    return "".join(c for c in text if not 0xD800 <= ord(c) <= 0xDFFF)


def _parse_int(text: str) -> int | None:
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if math.isfinite(value) and value == int(value) else None


def _parse_float(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")


def parse_query(query: Mapping[str, str | list[str]]) -> tuple[Settings, list[str]]:
    """Settings from a query string (missing keys keep their defaults) and notes on what was fixed."""
    given = {str(k): _last(v) for k, v in query.items()}
    q = {k: clean_text(v) for k, v in given.items()}
    notes: list[str] = []
    s = Settings()
    garbled = [k for k in q if q[k] != given[k]]
    if garbled:
        notes.append(f"The link's {', '.join(garbled)} held broken characters (lone surrogates): they are dropped.")

    if "style" in q:
        style = q["style"]
        try:
            style = hub.hub_key(hub.repo_of(style)) if hub.is_hub_key(style) else style
            ok = hub.is_hub_key(style) or catalog.is_valid_name(style)
        except ValueError:
            ok = False
        if ok:
            s = replace(s, style=style)
        else:
            notes.append(f"The link names the style {_shown(style)}, which is not a model name: it is ignored.")

    if "prime" in q:
        prime = q["prime"]
        if len(prime) > PRIME_MAX:
            notes.append(f"The link's prime has {len(prime):,} characters; only its last {PRIME_MAX:,} are used.")
            prime = prime[-PRIME_MAX:]
        s = replace(s, prime=prime)

    if "len" in q:
        length = _parse_int(q["len"])
        if length is None:
            notes.append(f"Length {_shown(q['len'])} is not a whole number: using {LENGTH_DEFAULT}.")
        elif not LENGTH_MIN <= length <= LENGTH_MAX:
            clamped = min(max(length, LENGTH_MIN), LENGTH_MAX)
            notes.append(f"Length {length:,} is out of range ({LENGTH_MIN}–{LENGTH_MAX:,}): using {clamped:,}.")
            s = replace(s, length=clamped)
        else:
            s = replace(s, length=length)

    if "greedy" in q:
        flag = q["greedy"].strip().lower()
        if flag in _TRUE or flag in _FALSE:
            s = replace(s, greedy=flag in _TRUE)
        else:
            notes.append(f"greedy={_shown(q['greedy'])} is neither 1 nor 0: greedy is off.")

    if "temp" in q:
        temperature = _parse_float(q["temp"])
        if temperature is None or temperature < 0:
            notes.append(f"Temperature {_shown(q['temp'])} is not a number above 0: using {TEMPERATURE_DEFAULT}.")
        elif temperature == 0:
            notes.append("Temperature 0 means greedy: the most likely character every time.")
            s = replace(s, greedy=True)
        elif temperature < TEMPERATURE_MIN:
            notes.append(f"Temperature {temperature:g} is below {TEMPERATURE_MIN:g}: using {TEMPERATURE_MIN:g}.")
            s = replace(s, temperature=TEMPERATURE_MIN)
        elif temperature > TEMPERATURE_MAX:
            notes.append(f"Temperature {temperature:g} is above {TEMPERATURE_MAX:g}: using {TEMPERATURE_MAX:g}.")
            s = replace(s, temperature=TEMPERATURE_MAX)
        else:
            s = replace(s, temperature=round(temperature, 4))

    if "k" in q:
        top_k = _parse_int(q["k"])
        if top_k is None or top_k < 0:
            notes.append(f"Top-k {_shown(q['k'])} is not a whole number ≥ 0: top-k is off.")
        else:
            s = replace(s, top_k=min(top_k, TOP_K_MAX))

    if "p" in q:
        top_p = _parse_float(q["p"])
        if top_p is None or top_p <= 0:
            notes.append(f"Top-p {_shown(q['p'])} is not a number in (0, 1]: top-p is off.")
        elif top_p > 1:
            notes.append(f"Top-p {top_p:g} is above 1: top-p is off.")
        elif top_p < TOP_P_MIN:
            notes.append(f"Top-p {top_p:g} is below {TOP_P_MIN:g}: using {TOP_P_MIN:g}.")
            s = replace(s, top_p=TOP_P_MIN)
        else:
            s = replace(s, top_p=round(top_p, 4))

    if "seed" in q:
        seed = _parse_int(q["seed"])
        if seed is None or not 0 <= seed <= SEED_MAX:
            notes.append(f"Seed {_shown(q['seed'])} is not a whole number in 0–{SEED_MAX}: a new seed is used.")
        else:
            s = replace(s, seed=seed)

    if "unknown" in q:
        if q["unknown"] in UNKNOWN_POLICIES:
            s = replace(s, unknown=q["unknown"])
        else:
            notes.append(
                f"Unknown-character policy {_shown(q['unknown'])} is not one of {', '.join(UNKNOWN_POLICIES)}: "
                f"using {POLICY_DEFAULT}."
            )

    if "keep" in q:
        keep = q["keep"]
        if len(keep) > LENGTH_MAX:
            notes.append(f"The link keeps {len(keep):,} characters; only the first {LENGTH_MAX:,} are used.")
            keep = keep[:LENGTH_MAX]
        s = replace(s, keep=keep, length=max(s.length, len(keep)))

    if q.get("tab") in TABS:
        s = replace(s, tab=q["tab"])
    return s, notes


def to_query(s: Settings) -> dict[str, str]:
    """The query string that reproduces ``s`` (every sampling setting is written, defaults included,
    so that a link keeps its meaning if a default changes)."""
    query: dict[str, str] = {}
    if s.style is not None:
        query["style"] = s.style
    if s.prime is not None:
        query["prime"] = s.prime[-PRIME_MAX:]
    query["len"] = str(s.length)
    query["temp"] = f"{s.temperature:g}"
    if s.greedy:
        query["greedy"] = "1"
    query["k"] = str(s.top_k)
    query["p"] = f"{s.top_p:g}"
    if s.seed is not None:
        query["seed"] = str(s.seed)
    if s.unknown != POLICY_DEFAULT:
        query["unknown"] = s.unknown
    if s.keep:
        query["keep"] = s.keep
    if s.tab != TABS[0]:
        query["tab"] = s.tab
    return query
