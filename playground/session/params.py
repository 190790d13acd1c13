"""The playground's settings, their bounds, and their round trip through the URL query string.

``parse_query`` takes anything a URL can carry and never raises: every value out of range or
malformed is replaced (clamped, or reset to its default) and a note says so, for the page to show.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace

from charrnn import UNKNOWN_POLICIES, SamplingSettings
from charrnn.beam import MAX_FUTURES, MAX_WIDTH
from charrnn.sampling import (  # the library's bounds, re-exported: the app and its tests read them here
    LENGTH_DEFAULT,
    LENGTH_MAX,
    LENGTH_MIN,
    PRIME_MAX,
    SEED_MAX,
    TEMPERATURE_DEFAULT,
    TEMPERATURE_MAX,
    TEMPERATURE_MIN,
    TOP_K_MAX,
    TOP_P_MIN,
)
from playground.session import catalog, hub

POLICY_DEFAULT = "replace"
POLICY_HELP = {
    "replace": "replace them by a space (or the model's first character)",
    "skip": "skip them",
    "error": "refuse the text",
}
FIRST_TAB = "generate"  # the page registry's first (``playground.pages.PAGES``; a test checks)
DECODINGS = ("sample", "greedy", "beam")  # greedy: the sampler's greedy setting; beam: charrnn.beam
BEAM_WIDTH_MIN, BEAM_WIDTH_DEFAULT = 2, 8
FUTURES_DEFAULT, FUTURES_LENGTH_MAX, FUTURES_LENGTH_DEFAULT = 5, 500, 80
_FUTURES_FIELDS = ("futures", "futures_length", "futures_at")  # what is shown beside a sample, not the sample
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


_SAMPLING_DEFAULT = SamplingSettings(TEMPERATURE_DEFAULT)  # frozen: one instance can be every default


@dataclass(frozen=True)
class Settings:
    """Everything that determines a sample (plus the open tab). ``prime`` None means the style's
    default prime; ``seed`` None means "pick one"; ``keep`` is text chosen by branching that the
    model continues after. ``sampling`` holds top-k and top-p off as None (0 and 1 on the page and
    in links), and top-k as given: the model's vocabulary bounds it in ``sampling_for``."""

    style: str | None = None
    prime: str | None = None
    length: int = LENGTH_DEFAULT
    sampling: SamplingSettings = _SAMPLING_DEFAULT
    seed: int | None = None
    unknown: str = POLICY_DEFAULT
    keep: str = ""
    tab: str = FIRST_TAB
    decoding: str = DECODINGS[0]
    beam_width: int = BEAM_WIDTH_DEFAULT
    futures: int = 0  # how many futures to show beside the sample (0: none)
    futures_length: int = FUTURES_LENGTH_DEFAULT
    futures_at: int = 0  # the position of the sample they start from (0: the end of the prime)

    @classmethod
    def of(
        cls,
        temperature: float = TEMPERATURE_DEFAULT,
        top_k: int = 0,
        top_p: float = 1.0,
        greedy: bool = False,
        decoding: str = DECODINGS[0],
        **rest: object,
    ) -> Settings:
        """Settings from flat values as the page's widgets give them: temperature 0 means greedy
        (``SamplingSettings.from_temperature``), top-k 0 and top-p 1 mean off, and greedy
        decoding is the sampler's greedy setting (either one sets the other)."""
        greedy = greedy or decoding == "greedy"
        sampling = SamplingSettings.from_temperature(temperature, top_k or None, top_p if top_p < 1 else None, greedy)
        decoding = "greedy" if sampling.greedy and decoding == "sample" else decoding
        return cls(sampling=sampling, decoding=decoding, **rest)

    def sampling_for(self, vocab_size: int) -> SamplingSettings:
        """The library's settings for a model: top-k at or above its vocabulary size is off."""
        top_k = self.sampling.top_k
        return self.sampling if top_k is None or top_k < vocab_size else replace(self.sampling, top_k=None)

    def same_sample(self, other: Settings) -> bool:
        """Whether both settings give the same text (the open tab and the futures shown beside it
        do not matter)."""
        blind = {"tab": FIRST_TAB, **{name: getattr(Settings, name) for name in _FUTURES_FIELDS}}
        return replace(self, **blind) == replace(other, **blind)

    @property
    def label(self) -> str:
        """``beam 8``, ``greedy`` or ``T=0.8``: how the app names the decoding."""
        return f"beam {self.beam_width}" if self.decoding == "beam" else self.sampling.label


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


def parse_query(query: Mapping[str, str | list[str]], tabs: Sequence[str]) -> tuple[Settings, list[str]]:
    """Settings from a query string (missing keys keep their defaults) and notes on what was fixed;
    ``tabs``: the ``?tab=`` names there are (the page registry's, which this module cannot import)."""
    given = {str(k): _last(v) for k, v in query.items()}
    q = {k: clean_text(v) for k, v in given.items()}
    notes: list[str] = []
    garbled = [k for k in q if q[k] != given[k]]
    if garbled:
        notes.append(f"The link's {', '.join(garbled)} held broken characters (lone surrogates): they are dropped.")
    s = Settings()
    for spec in SPECS:
        if spec.query in q:
            s = spec.read(s, q[spec.query], notes)
    if s.tab not in tabs:  # an old or mistyped tab: the first, silently
        s = replace(s, tab=FIRST_TAB)
    return s, notes


# One reader per query key: (settings so far, the key's text, notes) -> settings. Each takes a
# valid value as given and replaces any other (clamped, or its default) with a note saying so.


def _sampled(s: Settings, **changes: object) -> Settings:
    return replace(s, sampling=replace(s.sampling, **changes))


def _read_style(s: Settings, style: str, notes: list[str]) -> Settings:
    try:
        style = hub.hub_key(hub.repo_of(style)) if hub.is_hub_key(style) else style
        ok = hub.is_hub_key(style) or catalog.is_valid_name(style)
    except ValueError:
        ok = False
    if ok:
        return replace(s, style=style)
    notes.append(f"The link names the style {_shown(style)}, which is not a model name: it is ignored.")
    return s


def _read_prime(s: Settings, prime: str, notes: list[str]) -> Settings:
    if len(prime) > PRIME_MAX:
        notes.append(f"The link's prime has {len(prime):,} characters; only its last {PRIME_MAX:,} are used.")
        prime = prime[-PRIME_MAX:]
    return replace(s, prime=prime)


def _whole(label: str, field: str, low: int, high: int) -> Callable[[Settings, str, list[str]], Settings]:
    """The reader of a whole-number setting in [low, high]: clamped, or its default, with a note."""

    def read(s: Settings, text: str, notes: list[str]) -> Settings:
        value = _parse_int(text)
        if value is None:
            notes.append(f"{label} {_shown(text)} is not a whole number: using {getattr(Settings, field)}.")
            return s
        if not low <= value <= high:
            clamped = min(max(value, low), high)
            notes.append(f"{label} {value:,} is out of range ({low}–{high:,}): using {clamped:,}.")
            value = clamped
        return replace(s, **{field: value})

    return read


_read_length = _whole("Length", "length", LENGTH_MIN, LENGTH_MAX)


def _read_greedy(s: Settings, text: str, notes: list[str]) -> Settings:
    flag = text.strip().lower()
    if flag in _TRUE or flag in _FALSE:
        return _sampled(s, greedy=flag in _TRUE)
    notes.append(f"greedy={_shown(text)} is neither 1 nor 0: greedy is off.")
    return s


def _read_temperature(s: Settings, text: str, notes: list[str]) -> Settings:
    temperature = _parse_float(text)
    if temperature is None or temperature < 0:
        notes.append(f"Temperature {_shown(text)} is not a number above 0: using {TEMPERATURE_DEFAULT}.")
        return s
    if temperature == 0:
        notes.append("Temperature 0 means greedy: the most likely character every time.")
        return _sampled(s, greedy=True)
    if temperature < TEMPERATURE_MIN:
        notes.append(f"Temperature {temperature:g} is below {TEMPERATURE_MIN:g}: using {TEMPERATURE_MIN:g}.")
        return _sampled(s, temperature=TEMPERATURE_MIN)
    if temperature > TEMPERATURE_MAX:
        notes.append(f"Temperature {temperature:g} is above {TEMPERATURE_MAX:g}: using {TEMPERATURE_MAX:g}.")
        return _sampled(s, temperature=TEMPERATURE_MAX)
    return _sampled(s, temperature=round(temperature, 4))


def _read_top_k(s: Settings, text: str, notes: list[str]) -> Settings:
    top_k = _parse_int(text)
    if top_k is None or top_k < 0:
        notes.append(f"Top-k {_shown(text)} is not a whole number ≥ 0: top-k is off.")
        return s
    return _sampled(s, top_k=min(top_k, TOP_K_MAX) or None)


def _read_top_p(s: Settings, text: str, notes: list[str]) -> Settings:
    top_p = _parse_float(text)
    if top_p is None or top_p <= 0:
        notes.append(f"Top-p {_shown(text)} is not a number in (0, 1]: top-p is off.")
        return s
    if top_p > 1:
        notes.append(f"Top-p {top_p:g} is above 1: top-p is off.")
        return s
    if top_p < TOP_P_MIN:
        notes.append(f"Top-p {top_p:g} is below {TOP_P_MIN:g}: using {TOP_P_MIN:g}.")
        return _sampled(s, top_p=TOP_P_MIN)
    return _sampled(s, top_p=round(top_p, 4) if top_p < 1 else None)


def _read_seed(s: Settings, text: str, notes: list[str]) -> Settings:
    seed = _parse_int(text)
    if seed is None or not 0 <= seed <= SEED_MAX:
        notes.append(f"Seed {_shown(text)} is not a whole number in 0–{SEED_MAX}: a new seed is used.")
        return s
    return replace(s, seed=seed)


def _read_unknown(s: Settings, policy: str, notes: list[str]) -> Settings:
    if policy in UNKNOWN_POLICIES:
        return replace(s, unknown=policy)
    notes.append(
        f"Unknown-character policy {_shown(policy)} is not one of {', '.join(UNKNOWN_POLICIES)}: "
        f"using {POLICY_DEFAULT}."
    )
    return s


def _read_keep(s: Settings, keep: str, notes: list[str]) -> Settings:
    if len(keep) > LENGTH_MAX:
        notes.append(f"The link keeps {len(keep):,} characters; only the first {LENGTH_MAX:,} are used.")
        keep = keep[:LENGTH_MAX]
    return replace(s, keep=keep, length=max(s.length, len(keep)))


def _read_decoding(s: Settings, text: str, notes: list[str]) -> Settings:
    choice = text.strip().lower()
    if choice not in DECODINGS:
        notes.append(f"Decoding {_shown(text)} is not one of {', '.join(DECODINGS)}: using {DECODINGS[0]}.")
        return s
    s = replace(s, decoding=choice)
    return _sampled(s, greedy=True) if choice == "greedy" else s


def _read_tab(s: Settings, tab: str, notes: list[str]) -> Settings:
    return replace(s, tab=tab)  # parse_query checks it against the tabs there are


@dataclass(frozen=True)
class Spec:
    """One setting: its field of ``Settings``, its query key, how a link's text is read (clamped,
    with a note) and whether it is always written, and, for those the page draws, its widget: the
    session-state key, label, bounds, step and help (``{min}``/``{max}`` there are the widget's
    bounds). ``parse_query``, ``to_query``, the Generate tab's widgets and app.py all read these."""

    field: str
    query: str
    read: Callable[[Settings, str, list[str]], Settings]
    always: bool = False  # a sampling setting: written even at its default, so a link keeps its meaning
    widget: str = ""  # number, slider, toggle, select, radio, text (drawn by generate_page); "" for none
    label: str = ""
    low: float = 0
    high: float = 0
    step: float = 1
    help: str = ""
    options: tuple[str, ...] = ()  # a choice's values
    greedy_off: bool = False  # ignored (and its widget disabled) when sampling is greedy
    off: object = None  # the page's and the link's value for a sampling filter that is off (None)

    @property
    def key(self) -> str:
        """The session-state key of its widget: the field's name."""
        return self.field

    @property
    def default(self) -> object:
        return self.get(Settings())

    def get(self, s: Settings) -> object:
        """Its value in ``s`` as the page and the link give it (a field of ``s`` or of ``s.sampling``)."""
        value = getattr(s.sampling, self.field) if self.field in _SAMPLING_FIELDS else getattr(s, self.field)
        return self.off if value is None else value

    def of(self, value: object) -> object:
        """A widget's value as the setting's type (a number input can hand back a float)."""
        kind = _WIDGET_TYPES.get(self.widget)
        return kind(value) if kind is not None else value

    def write(self, value: object) -> str | None:
        """The query text for ``value``, or None to leave the key out (an optional setting at its default)."""
        if not self.always and value == self.default:
            return None
        if isinstance(value, bool):
            return "1"
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)[-PRIME_MAX:] if self.field == "prime" else str(value)


# In the order links are read (and written): keep may lengthen len, and temp 0 sets greedy, so
# greedy is read before temp (a link's greedy=0 must not undo it).
SPECS = (
    Spec("style", "style", _read_style),
    Spec("prime", "prime", _read_prime, widget="text", label="Prime",
         help="The text the model reads before it writes. Each style has its own default."),
    Spec("length", "len", _read_length, always=True, widget="number", label="Length",
         low=LENGTH_MIN, high=LENGTH_MAX, step=100, help="Characters to generate ({min}–{max:,})."),
    Spec("greedy", "greedy", _read_greedy, widget="toggle", label="Greedy",
         help="Always take the most likely character (ignores temperature, top-k, top-p, seed)."),
    Spec("temperature", "temp", _read_temperature, always=True, widget="slider", label="Temperature",
         low=0.0, high=TEMPERATURE_MAX, step=0.05, greedy_off=True,
         help="Below 1: safer, more repetitive. Above 1: wilder. 0 means greedy."),
    Spec("top_k", "k", _read_top_k, always=True, widget="number", label="Top-k", low=0, high=TOP_K_MAX, off=0,
         greedy_off=True, help="Draw only among the k most likely characters; 0 = off (the model knows {max})."),
    Spec("top_p", "p", _read_top_p, always=True, widget="slider", label="Top-p", low=TOP_P_MIN, high=1.0,
         step=0.01, off=1.0, greedy_off=True,
         help="Draw only among the most likely characters whose mass reaches p; 1 = off."),
    Spec("seed", "seed", _read_seed, widget="number", label="Seed", low=0, high=SEED_MAX,
         help="Same settings and seed give the same text, every time."),
    Spec("unknown", "unknown", _read_unknown, widget="select", label="Unknown characters", options=UNKNOWN_POLICIES,
         help="What to do with characters of the prime the model has never seen."),
    Spec("decoding", "decode", _read_decoding, widget="radio", label="Decoding", options=DECODINGS,
         help="sample: draw every character at random; greedy: always the favourite; beam: the most "
         "probable continuations that a beam search finds (the best one is shown as the sample)."),
    Spec("beam_width", "width", _whole("Beam width", "beam_width", BEAM_WIDTH_MIN, MAX_WIDTH), widget="number",
         label="Beam width", low=BEAM_WIDTH_MIN, high=MAX_WIDTH,
         help="How many partial texts the search keeps ({min}–{max}): wider finds likelier, blander text."),
    Spec("futures", "futures", _whole("Futures", "futures", 0, MAX_FUTURES), widget="number", label="Futures",
         high=MAX_FUTURES, help="How many samples to draw from the position (0: none; at most {max})."),
    Spec("futures_length", "flen", _whole("Future length", "futures_length", 1, FUTURES_LENGTH_MAX),
         widget="number", label="Characters each", low=1, high=FUTURES_LENGTH_MAX, step=10,
         help="Characters in each future ({min}–{max})."),
    Spec("futures_at", "fat", _whole("Futures position", "futures_at", 0, LENGTH_MAX), widget="number",
         label="Futures start at", high=LENGTH_MAX,
         help="Where in the sample they start: 0 is right after the prime."),
    Spec("keep", "keep", _read_keep),
    Spec("tab", "tab", _read_tab),
)  # fmt: skip
_SAMPLING_FIELDS = frozenset(f.name for f in fields(SamplingSettings))
_WIDGET_TYPES: dict[str, Callable[[object], object]] = {"number": int, "slider": float, "toggle": bool}
SPEC = {spec.field: spec for spec in SPECS}
WIDGETS = tuple(spec for spec in SPECS if spec.widget)  # the settings the Generate tab draws


def to_query(s: Settings) -> dict[str, str]:
    """The query string that reproduces ``s`` (every sampling setting is written, defaults included,
    so that a link keeps its meaning if a default changes)."""
    query: dict[str, str] = {}
    for spec in SPECS:
        text = spec.write(spec.get(s))
        if text is not None:
            query[spec.query] = text
    return query
