"""Texts made in the tests (no corpus, no network): a seeded pseudo-novel with words, sentences,
paragraphs and dialogue, so a model trained on it for a minute learns visible structure."""

from __future__ import annotations

import random

_WORDS = (
    "the and of to a in was he that it his her with as had for she not at but on him be said all "
    "you which by they were from would there one so been this prince old little house great could "
    "when what their into more time some like man long very night came went over eyes hand face "
    "door room began looked thought away still voice felt heart knew never again before after"
)
WORDS = _WORDS.split(" ")
NAMES = ["Anna", "Pierre", "Natasha", "Andrew", "Mary", "Nicholas", "Sonya", "Boris"]


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(4, 14))]
    if rng.random() < 0.4:
        words.insert(rng.randrange(len(words)), rng.choice(NAMES))
    text = " ".join(words)
    text = text[0].upper() + text[1:] + rng.choice(".....?!")
    return f'"{text}" said {rng.choice(NAMES)}.' if rng.random() < 0.2 else text


def novel(chars: int, seed: int = 0) -> str:
    """At least ``chars`` characters of paragraphs, cut to exactly ``chars``."""
    rng = random.Random(seed)
    parts: list[str] = []
    size = 0
    while size < chars:
        paragraph = " ".join(sentence(rng) for _ in range(rng.randint(2, 7))) + "\n\n"
        parts.append(paragraph)
        size += len(paragraph)
    return "".join(parts)[:chars]
