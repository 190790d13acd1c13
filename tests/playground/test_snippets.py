"""``playground.pages.download.snippets``: the Download tab's Python snippet and small texts."""

from __future__ import annotations

from pathlib import Path

import pytest

from charrnn import CharRNN
from playground.pages.download import snippets
from playground.pages.generate import generation
from playground.session.params import Settings


def test_the_python_snippet_prints_the_same_sample(tiny_models_root: Path, capsys: pytest.CaptureFixture) -> None:
    path = str(tiny_models_root / "tiny-lstm")
    for s in (
        Settings.of(prime="To", length=40, temperature=1.1, top_k=7, top_p=0.9, seed=3, unknown="skip"),
        Settings.of(prime="Tö", length=30, greedy=True, unknown="replace"),
    ):
        code = snippets.python_snippet(path, s)
        exec(compile(code, "<snippet>", "exec"), {})
        printed = capsys.readouterr().out.rstrip("\n")
        tiny = CharRNN.from_pretrained(path)
        prime = generation.prepare_prime(tiny, s.prime, s.unknown)
        expected = "".join(
            step.char for step in generation.stream(tiny, prime, s.length, s.sampling_for(len(tiny.vocab)), s.seed)
        )
        assert printed == expected


def test_small_texts() -> None:
    assert Settings.of(temperature=0.75).sampling.label == "T=0.75"
    assert Settings.of(greedy=True).sampling.label == "greedy"
    assert snippets.format_size(2048) == "2.0 KiB" and snippets.format_size(13_290_916) == "12.7 MiB"
    card = "---\nlicense: mit\ntags: [x]\n---\n\n# shakespeare\n\ntext\n"
    assert snippets.strip_front_matter(card) == "# shakespeare\n\ntext\n"
    assert snippets.strip_front_matter("# plain\n") == "# plain\n"
