"""Corpus registry, cleaning and preparation, on small fixtures (the real mirror only when present)."""

from __future__ import annotations

import hashlib
import http.server
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from corpora import CORPORA, Corpus, CorpusError, clean, prepare, prepare_text_file, registry
from tests.conftest import MIRROR

GUTENBERG = (
    "\ufeffThe Project Gutenberg eBook of A Test\r\n\r\nLicence words.\r\n"
    "*** START OF THE PROJECT GUTENBERG EBOOK A VERY LONG\r\nTITLE ***\r\n\r\n"
    "Chapter 1\r\n\r\nIt was a dark and stormy night.\r\n\r\n"
    "*** END OF THE PROJECT GUTENBERG EBOOK A TEST ***\r\nMore licence.\r\n"
)


@pytest.fixture
def fake_corpus(tmp_path, monkeypatch):
    """A registry entry 'fake' whose mirror file and checksum live in tmp_path."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    data = GUTENBERG.encode()
    (mirror / "fake.txt").write_bytes(data)
    entry = Corpus(
        "fake",
        "A Test",
        "Nobody",
        "http://127.0.0.1:9/fake.txt",
        hashlib.sha256(data).hexdigest(),
        "fake.txt",
        "gutenberg",
        "public domain",
        "It ",
    )
    monkeypatch.setitem(CORPORA, "fake", entry)
    monkeypatch.setenv("CHARRNN_CORPORA_CACHE", str(tmp_path / "cache"))
    return mirror, entry


def test_clean_drops_bom_and_carriage_returns():
    assert clean("\ufeffa\r\nb\rc\n") == "a\nb\nc\n"


def test_gutenberg_cleaning_keeps_only_the_text_even_when_the_marker_wraps():
    text = clean(GUTENBERG, "gutenberg")
    assert text == "Chapter 1\n\nIt was a dark and stormy night.\n"
    assert "\r" not in text and "\ufeff" not in text and "***" not in text


def test_gutenberg_cleaning_refuses_a_file_without_markers():
    with pytest.raises(CorpusError, match="START OF"):
        clean("just text\n", "gutenberg")


def test_prepare_from_mirror_writes_the_clean_text_to_the_cache(fake_corpus, tmp_path):
    mirror, _ = fake_corpus
    path = prepare("fake", mirror)
    assert path == tmp_path / "cache" / "fake.txt"
    assert path.read_text(encoding="utf-8").startswith("Chapter 1")
    assert not list((tmp_path / "cache").glob("*.tmp"))


def test_checksum_mismatch_is_refused_and_nothing_is_written(fake_corpus, tmp_path):
    mirror, _ = fake_corpus
    (mirror / "fake.txt").write_bytes(GUTENBERG.replace("dark", "DARK").encode())
    with pytest.raises(CorpusError, match="checksum mismatch"):
        prepare("fake", mirror)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"\xff\xfe\x00bad", "not UTF-8"), (b"", "empty"), (b"\n\n  \n", "empty")],
)
def test_bad_user_text_files(tmp_path, content, message):
    path = tmp_path / "t.txt"
    path.write_bytes(content)
    with pytest.raises(CorpusError, match=message):
        prepare_text_file(path)


def test_missing_text_file_and_missing_mirror_file(tmp_path, fake_corpus):
    with pytest.raises(CorpusError, match="not found"):
        prepare_text_file(tmp_path / "nope.txt")
    with pytest.raises(CorpusError, match="not found in the mirror"):
        prepare("fake", tmp_path / "empty-mirror")


def test_download_from_the_origin_with_checksum(fake_corpus, tmp_path, monkeypatch):
    """The download path, against a real HTTP server on 127.0.0.1."""
    mirror, entry = fake_corpus
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(mirror))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/fake.txt"
        monkeypatch.setitem(CORPORA, "fake", Corpus(**{**entry.__dict__, "url": url}))
        monkeypatch.delenv("CHARRNN_CORPORA_MIRROR", raising=False)
        assert prepare("fake").read_text(encoding="utf-8").startswith("Chapter 1")
    finally:
        server.shutdown()


def test_unreachable_origin_says_to_use_a_mirror(fake_corpus, monkeypatch):
    monkeypatch.delenv("CHARRNN_CORPORA_MIRROR", raising=False)
    with pytest.raises(CorpusError, match="CHARRNN_CORPORA_MIRROR"):
        prepare("fake")


@pytest.fixture
def many_files(tmp_path, monkeypatch):
    """A registry entry 'fakecode' of two files, listed with their checksums in a manifest."""
    mirror, manifests = tmp_path / "mirror", tmp_path / "manifests"
    (mirror / "code" / "sub").mkdir(parents=True)
    manifests.mkdir()
    files = {"sub/b.c": b"int b(void)\r\n{\r\n}\r\n", "a.c": b"int a;\n\n"}  # listed b first: order kept
    for name, data in files.items():
        (mirror / "code" / name).write_bytes(data)
    listing = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in files.items())
    (manifests / "fakecode.sha256").write_text(listing, encoding="utf-8")
    monkeypatch.setattr(registry, "MANIFESTS", manifests)
    origin = "http://127.0.0.1:9/{file}"
    entry = Corpus("fakecode", "Code", "Us", origin, None, "code/{file}", "plain", "GPL-2.0", "int ",
                   manifest="fakecode.sha256", separator="/* ---- {file} ---- */")  # fmt: skip
    monkeypatch.setitem(CORPORA, "fakecode", entry)
    monkeypatch.setenv("CHARRNN_CORPORA_CACHE", str(tmp_path / "cache"))
    return mirror


def test_a_many_file_corpus_is_joined_in_its_manifest_order(many_files):
    text = prepare("fakecode", many_files).read_text(encoding="utf-8")
    assert text == "/* ---- sub/b.c ---- */\nint b(void)\n{\n}\n\n/* ---- a.c ---- */\nint a;\n"
    (many_files / "code" / "a.c").write_bytes(b"int a = 1;\n")  # one file changed: refused, by name
    with pytest.raises(CorpusError, match=r"checksum mismatch for a\.c"):
        prepare("fakecode", many_files, force=True)
    (many_files / "code" / "a.c").unlink()
    with pytest.raises(CorpusError, match=r"a\.c not found in the mirror"):
        prepare("fakecode", many_files, force=True)


def test_python_corpus_is_built_from_the_standard_library(tmp_path, monkeypatch):
    monkeypatch.setenv("CHARRNN_CORPORA_CACHE", str(tmp_path))
    text = prepare("python").read_text(encoding="utf-8")
    assert "# ---- argparse.py ----" in text and "def " in text and len(text) > 500_000


def run_cli(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "corpora", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )


def test_cli_list_and_unknown_name():
    listing = run_cli("list")
    assert listing.returncode == 0
    for name in ["shakespeare", "tolstoy", "doyle", "austen", "twain", "python", "latex", "linux"]:
        assert name in listing.stdout
    bad = run_cli("prepare", "nope")
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "unknown corpus 'nope'" in bad.stderr


@pytest.mark.skipif(
    not (MIRROR / "SOURCES.md").exists(), reason="corpus mirror not present (set CHARRNN_CORPORA_MIRROR)"
)
@pytest.mark.parametrize("name", ["shakespeare", "tolstoy", "doyle", "austen", "twain", "latex", "linux"])
def test_real_corpora_from_the_mirror(name, tmp_path, monkeypatch):
    monkeypatch.setenv("CHARRNN_CORPORA_CACHE", str(tmp_path))
    text = prepare(name, MIRROR).read_text(encoding="utf-8")
    assert "\r" not in text and "\ufeff" not in text and "Project Gutenberg" not in text[:2000]
    assert "*** END OF" not in text and len(text) > 500_000
    prime = CORPORA[name].sample_prime
    assert set(prime) <= set(text), f"the sample prime {prime!r} has characters the text never uses"
    if name == "shakespeare":
        assert len(text) == 1_115_394 and len(set(text)) == 65
