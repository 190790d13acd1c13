"""Text coloured character by character (by probability, or by surprise), as in Karpathy's blog post.

Everything returned is a self-contained HTML fragment for ``st.html``; every character of user or
model text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import numpy as np

from playground.table import percent, visible

TEXT_STYLE = (
    "font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace; "
    "font-size: 0.95rem; line-height: 1.6; white-space: pre-wrap; word-break: break-word; "
    "padding: 0.75rem 1rem; border-radius: 0.5rem; border: 1px solid rgba(128,128,128,0.25); color: #111;"
    "background: #fff; max-height: 32rem; overflow-y: auto;"
)
PRIME_STYLE = "color: #6b7280; background: #f3f4f6;"
SURPRISE_MAX_BITS = 8.0


def prob_colour(p: float) -> str:
    """Red (unlikely) through yellow to green (likely), light enough to read black text on."""
    hue = 120.0 * min(max(float(p), 0.0), 1.0)
    return f"hsl({hue:.0f}, 75%, 80%)"


def surprise_colour(bits: float) -> str:
    """Green (expected, 0 bits) to red (``SURPRISE_MAX_BITS`` or more); grey when unscored (NaN)."""
    if not np.isfinite(bits):
        return "#e5e7eb"
    return prob_colour(1.0 - min(max(float(bits), 0.0), SURPRISE_MAX_BITS) / SURPRISE_MAX_BITS)


def _char_html(char: str) -> str:
    if char == "\n":
        return '<span style="opacity:0.45">⏎</span>'
    if char in (" ", "\t"):
        return char
    shown = visible(char)
    return escape(shown) if shown == char else f'<span style="opacity:0.6">{escape(shown)}</span>'


def coloured_text(
    chars: Sequence[str],
    colours: Sequence[str],
    titles: Sequence[str],
    prefix: str = "",
    selected: int | None = None,
    kept: int = 0,
    sample_id: int | None = None,
) -> str:
    """``prefix`` (the prime) in grey, then each character on its colour with a tooltip; the
    ``selected`` position outlined, the first ``kept`` characters (chosen by branching) underlined.
    ``sample_id`` marks the view (``data-sample``) so that a browser can tell one press of Generate
    from the next even when both draw the same text."""
    marker = f' data-sample="{sample_id}"' if sample_id is not None else ""
    parts = [f'<div class="charrnn-text"{marker} style="{TEXT_STYLE}">']
    if prefix:
        parts.append(f'<span style="{PRIME_STYLE}" title="prime">{escape(prefix)}</span>')
    for i, (char, colour, title) in enumerate(zip(chars, colours, titles, strict=True)):
        style = f"background:{colour};"
        if i < kept:
            style += "text-decoration: underline 2px #2563eb;"
        if i == selected:
            style += "outline: 2px solid #111827; outline-offset: -1px;"
        parts.append(f'<span style="{style}" title="{escape(title)}">{_char_html(char)}</span>')
        if char == "\n":
            parts.append("\n")
    if selected is not None and selected == len(chars):
        parts.append('<span style="outline: 2px dashed #111827;" title="the next character">&nbsp;</span>')
    parts.append("</div>")
    return "".join(parts)


def streaming_text(prefix: str, text: str) -> str:
    """The sample while it is drawn: the prime in grey, the new text plain, a cursor at the end."""
    return (
        f'<div class="charrnn-stream" style="{TEXT_STYLE}">'
        f'<span style="{PRIME_STYLE}">{escape(prefix)}</span>{escape(text)}<span style="opacity:0.5">▌</span></div>'
    )


def probability_html(
    chars: Sequence[str],
    prob: np.ndarray,
    prob_raw: np.ndarray,
    rank: np.ndarray,
    prefix: str = "",
    selected: int | None = None,
    kept: int = 0,
    sample_id: int | None = None,
) -> str:
    """A sample coloured by the probability of each chosen character (as drawn)."""
    colours = [prob_colour(p) for p in prob]
    titles = [
        f"#{i}  {visible(c)}  p {percent(p)} (model {percent(q)}), rank {r}"
        for i, (c, p, q, r) in enumerate(zip(chars, prob, prob_raw, rank, strict=True))
    ]
    return coloured_text(chars, colours, titles, prefix, selected, kept, sample_id)


def surprise_html(chars: Sequence[str], bits: np.ndarray) -> str:
    """A scored text coloured by surprise (bits); an unscored (NaN) character in grey."""
    colours = [surprise_colour(b) for b in bits]
    titles = [
        f"#{i}  {visible(c)}  " + ("no context yet" if not np.isfinite(b) else f"{b:.2f} bits")
        for i, (c, b) in enumerate(zip(chars, bits, strict=True))
    ]
    return coloured_text(chars, colours, titles)


def legend(left: str = "unlikely", right: str = "likely") -> str:
    stops = ", ".join(prob_colour(p) for p in np.linspace(0, 1, 6))
    return (
        '<div style="display:flex; align-items:center; gap:0.5rem; font-size:0.8rem; color:#6b7280;">'
        f"<span>{escape(left)}</span>"
        f'<span style="display:inline-block; width:10rem; height:0.7rem; border-radius:0.35rem; '
        f'background: linear-gradient(to right, {stops});"></span>'
        f"<span>{escape(right)}</span></div>"
    )


def marked_prime(text: str, unknown: set[str], policy: str, replacement: str) -> str:
    """The prime with characters the model has never seen highlighted, and what the policy does."""
    action = {"skip": "skipped", "replace": f"replaced by {visible(replacement)}", "error": "refused"}[policy]
    parts = [f'<div style="{TEXT_STYLE} max-height: 10rem;">']
    for char in text:
        if char in unknown:
            shown = escape(visible(char))
            after = f"→{escape(visible(replacement))}" if policy == "replace" else ""
            parts.append(
                f'<mark style="background:#fecaca; color:#7f1d1d; border-radius:0.2rem; padding:0 0.1rem;'
                f'{" text-decoration: line-through;" if policy == "skip" else ""}" '
                f'title="not in the vocabulary: {escape(action)}">{shown}{after}</mark>'
            )
        else:
            parts.append(_char_html(char) + ("\n" if char == "\n" else ""))
    parts.append("</div>")
    return "".join(parts)
