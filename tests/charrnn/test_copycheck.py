"""The copy check: the suffix-array index against brute force, its cache, the planted
passages (a text made here always; a real corpus when the mirror is there), the training-text
lookup from a model's meta, and the CLI."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import numpy as np
import pytest

from charrnn.copycheck import CopyIndex, CopyReport, Span
from corpora.training_text import split_text, text_sha256, training_text
from tests.conftest import MIRROR, train_tiny, write_model_dir
from training import copycheck as cli
from training.data import split_text as training_split


def brute_spans(corpus: str, text: str, n: int) -> list[tuple[int, int]]:
    """Maximal matches of at least n characters, by trying every length at every position."""
    lengths = []
    for i in range(len(text)):
        length = 0
        while i + length < len(text) and text[i : i + length + 1] in corpus:
            length += 1
        lengths.append(length)
    ends = [i + length for i, length in enumerate(lengths)]
    return [(i, lengths[i]) for i in range(len(text)) if lengths[i] >= n and (i == 0 or ends[i] > ends[i - 1])]


def letters(rng: random.Random, n: int, alphabet: str = "abcdefghijklmnopqrstuvwxyz") -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def made_text(seed: int = 0, words: int = 6000) -> str:
    """A text with English-like repetition: words from a small vocabulary, lines, punctuation."""
    rng = random.Random(seed)
    vocab = [letters(rng, rng.randint(1, 9)) for _ in range(400)]
    out = ["To "]  # the tiny models' sample prime
    for i in range(words):
        out.append(rng.choice(vocab) + ("\n" if i % 11 == 10 else ", " if i % 7 == 6 else " "))
    return "".join(out)


@pytest.mark.parametrize("seed", range(6))
def test_the_index_finds_exactly_the_maximal_matches_brute_force_finds(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = "ab" if seed % 2 else "abc \n"
    corpus = letters(rng, 3000, alphabet)
    text = corpus[500:560] + letters(rng, 200, alphabet + "Z") + corpus[2900:] + letters(rng, 50, alphabet)
    index = CopyIndex.build(corpus)
    for n in (1, 3, 8, 20):
        report = index.find(text, n)
        assert [(s.start, s.length) for s in report.spans] == brute_spans(corpus, text, n)
        for span in report.spans:  # the offset names a real occurrence
            assert corpus[span.corpus_offset : span.corpus_offset + span.length] == text[span.start : span.end]


def test_the_suffix_array_is_sorted_as_python_sorts_strings() -> None:
    corpus = "naïve café — ünïcode\nbanana bandana " * 30 + "a"
    index = CopyIndex.build(corpus)
    assert sorted(range(len(corpus)), key=lambda i: corpus[i:]) == index.sa.tolist()


def test_a_planted_passage_is_found_and_original_text_is_not() -> None:
    train = split_text(made_text())[0]
    index = CopyIndex.build(train)
    rng = random.Random(1)
    start = rng.randrange(len(train) - 300)
    planted = letters(rng, 150).upper() + train[start : start + 300] + letters(rng, 150).upper()
    report = index.find(planted)
    assert 300 <= report.longest <= 305
    assert report.longest_span().corpus_offset <= start + 5
    assert index.find(letters(rng, 2000).upper()).spans == ()


def test_an_empty_or_short_text_or_unknown_characters_report_nothing() -> None:
    index = CopyIndex.build("abcdefghij" * 5)
    assert index.find("", 20) == CopyReport(0, 20, ())
    assert index.find("abc", 20).longest == 0
    assert index.find("☃" * 40, 3).spans == ()
    spans = index.find("abcdefghij☃abcdefghij", 5).spans  # the snowman breaks the match in two
    assert [(s.start, s.length, s.corpus_offset % 10) for s in spans] == [(0, 10, 0), (11, 10, 0)]
    with pytest.raises(ValueError, match="min_length"):
        index.find("abc", 0)


def test_the_report_counts_overlapping_spans_once() -> None:
    report = CopyReport(10, 2, (Span(0, 4, 7), Span(2, 4, 1)))
    assert report.copied_chars == 6 and report.copied_fraction == 0.6 and report.longest == 4
    assert report.to_json()["spans"][1] == {"start": 2, "length": 4, "corpus_offset": 1}


def test_the_cache_round_trips_and_is_rebuilt_when_the_text_changes(tmp_path: Path) -> None:
    text = made_text(words=800)
    stem = tmp_path / "corpus.copyindex"
    built = CopyIndex.load_or_build(stem, text)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "corpus.copyindex.codes.npy",
        "corpus.copyindex.json",
        "corpus.copyindex.sa.npy",
    ]
    loaded = CopyIndex.load(stem, text)
    assert loaded is not None and np.array_equal(loaded.sa, built.sa)
    assert CopyIndex.load(stem, text + "more") is None  # another text: stale
    (tmp_path / "corpus.copyindex.sa.npy").write_bytes(b"\x93NUMPY garbage")
    assert CopyIndex.load(stem, text) is None  # damaged: rebuilt, never trusted
    rebuilt = CopyIndex.load_or_build(stem, text)
    assert np.array_equal(rebuilt.sa, built.sa) and CopyIndex.load(stem, text) is not None


def test_a_pickled_array_in_the_cache_is_refused(tmp_path: Path) -> None:
    text = made_text(words=300)
    stem = tmp_path / "c.copyindex"
    CopyIndex.build(text).save(stem)
    path = tmp_path / "c.copyindex.sa.npy"
    np.save(path, np.array([object()] * 3), allow_pickle=True)
    header = json.loads((tmp_path / "c.copyindex.json").read_text())
    import hashlib

    header["sa_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()  # even with a matching checksum
    (tmp_path / "c.copyindex.json").write_text(json.dumps(header))
    assert CopyIndex.load(stem, text) is None


def test_training_and_the_check_split_the_same_way() -> None:
    text = made_text(words=500)
    assert split_text(text, 0.1) == training_split(text, 0.1)
    assert split_text(text, 0.25) == training_split(text, 0.25)


# ---------------------------------------------------------------- the training text of a model


def test_the_training_text_of_a_registry_corpus_or_a_text_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CHARRNN_CORPORA_CACHE", str(tmp_path / "cache"))
    with pytest.raises(Exception, match="python -m corpora prepare shakespeare"):
        training_text({"corpus": "shakespeare", "train_config": {"corpus": "shakespeare"}})
    with pytest.raises(Exception, match="does not know"):
        training_text({"corpus": "tiny-hamlet"})
    with pytest.raises(Exception, match="names neither"):
        training_text({})
    file = tmp_path / "mine.txt"
    text = made_text(words=400).strip() + "\n"  # as cleaning leaves it: the checksum is of the clean text
    file.write_text(text, encoding="utf-8")
    meta = {"corpus": "mine", "text_path": str(file), "text_sha256": text_sha256(text)}
    source = training_text({**meta, "train_config": {"text": str(file), "val_fraction": 0.2}})
    assert source.text == text[: int(len(text) * 0.8)]
    assert source.index_stem.parent == tmp_path / "cache"
    file.write_text(text + "changed", encoding="utf-8")
    with pytest.raises(Exception, match="checksum differs"):
        training_text(meta)
    file.unlink()
    with pytest.raises(Exception, match="cannot be read here"):
        training_text(meta)


def model_on_a_text_file(tmp_path: Path, monkeypatch, words: int, trained_on: int, steps: int) -> tuple[str, Path]:
    """A made text in a file, and a tiny model directory that names it as its --text."""
    monkeypatch.setenv("CHARRNN_CORPORA_CACHE", str(tmp_path / "cache"))
    text = made_text(words=words)
    corpus_file = tmp_path / "corpus.txt"
    corpus_file.write_text(text, encoding="utf-8")
    model = train_tiny(text[:trained_on], steps=steps)
    model.meta.update({"text_path": str(corpus_file), "train_config": {"text": str(corpus_file)}})
    return text, write_model_dir(model, tmp_path / "model")


def test_the_cli_reports_a_planted_passage_as_json(tmp_path: Path, monkeypatch, capsys) -> None:
    text, model_dir = model_on_a_text_file(tmp_path, monkeypatch, words=3000, trained_on=2000, steps=2)
    planted = "QQQQQ" + text[1000:1300] + "ZZZZZ"
    (tmp_path / "sample.txt").write_text(planted, encoding="utf-8")
    assert cli.main(["--model", str(model_dir), "--text", str(tmp_path / "sample.txt")]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["longest_copied_chars"] == 300
    assert [(s["start"], s["length"]) for s in result["spans"]] == [(5, 300)]
    assert result["copied_fraction"] == pytest.approx(300 / 310)


def test_the_cli_stores_sample_stats_in_the_meta_and_the_card(tmp_path: Path, monkeypatch, capsys) -> None:
    _, model_dir = model_on_a_text_file(tmp_path, monkeypatch, words=1500, trained_on=3000, steps=5)
    before = json.loads((model_dir / "config.json").read_text())
    args = ["--model", str(model_dir), "--sample-stats", "--length", "500", "--min-length", "8"]
    assert cli.main(args) == 0
    stats = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    after = json.loads((model_dir / "config.json").read_text())
    assert after["meta"].pop("copy_stats") == stats and after == before  # only the one key added
    assert set(stats["temperatures"]) == {"0.8", "1"}
    card = (model_dir / "README.md").read_text()
    assert "copied" in card and "training.copycheck --model" in card


def test_the_cli_says_what_is_missing(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CHARRNN_CORPORA_CACHE", str(tmp_path / "cache"))
    model_dir = write_model_dir(train_tiny(made_text(words=100), steps=1), tmp_path / "model")
    (tmp_path / "s.txt").write_text("abc", encoding="utf-8")
    assert cli.main(["--model", str(model_dir), "--text", str(tmp_path / "s.txt"), "--corpus", "doyle"]) == 2
    assert "python -m corpora prepare doyle" in capsys.readouterr().err


# ---------------------------------------------------------------- a real corpus


@pytest.mark.skipif(
    not (MIRROR / "warpeace_input.txt").is_file(),
    reason=f"War and Peace is not in the corpora mirror ({MIRROR}); set CHARRNN_CORPORA_MIRROR",
)
def test_war_and_peace_planted_and_validation_passages(tmp_path: Path, monkeypatch) -> None:
    from corpora import prepare

    monkeypatch.setenv("CHARRNN_CORPORA_CACHE", os.environ.get("CHARRNN_CORPORA_CACHE") or str(tmp_path))
    full = prepare("tolstoy", MIRROR).read_text(encoding="utf-8")
    train, val = split_text(full)
    index = training_text({"corpus": "tolstoy", "train_config": {"corpus": "tolstoy"}}).index()
    rng = random.Random(21)
    for _ in range(3):
        start = rng.randrange(len(train) - 300)
        planted = letters(rng, 100) + train[start : start + 300] + letters(rng, 100)
        assert 300 <= index.find(planted).longest <= 305
        v = rng.randrange(len(val) - 600)
        assert index.find(val[v : v + 600]).longest < 80


def test_a_build_without_the_corpora_leaves_a_note_the_app_shows(tmp_path: Path, monkeypatch, capsys) -> None:
    from corpora.__main__ import main as corpora_main
    from playground import copycheck

    monkeypatch.setenv("CHARRNN_CORPORA_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CHARRNN_CORPORA_MIRROR", raising=False)
    model = train_tiny(made_text(words=100), steps=1)
    model.meta["train_config"] = {"corpus": "doyle"}
    write_model_dir(model, tmp_path / "models" / "doyle")
    empty_mirror = str(tmp_path / "no-mirror")
    assert corpora_main(["index", str(tmp_path / "models"), "--mirror", empty_mirror]) == 2
    assert corpora_main(["index", str(tmp_path / "models"), "--mirror", empty_mirror, "--allow-missing"]) == 0
    assert "could not prepare" in copycheck.skipped_note() and "doyle" in copycheck.skipped_note()
    assert "python -m corpora prepare doyle" in copycheck.index_for(model)


@pytest.mark.skipif(not (MIRROR / "pg1661.txt").is_file(), reason=f"Doyle is not in the corpora mirror ({MIRROR})")
def test_the_build_step_prepares_and_indexes_the_shipped_corpora(tmp_path: Path, monkeypatch) -> None:
    from corpora.__main__ import main as corpora_main

    monkeypatch.setenv("CHARRNN_CORPORA_CACHE", str(tmp_path / "cache"))
    model = train_tiny(made_text(words=100), steps=1)
    model.meta["train_config"] = {"corpus": "doyle"}
    write_model_dir(model, tmp_path / "models" / "doyle")
    assert corpora_main(["index", str(tmp_path / "models"), "--mirror", str(MIRROR)]) == 0
    assert (tmp_path / "cache" / "doyle.copyindex.json").is_file()
