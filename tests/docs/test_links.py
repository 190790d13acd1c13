"""Every relative link in the project's Markdown resolves: the file exists and, for ``#anchor``, one
of its headings makes that anchor by GitHub's rules. And the README stays a five-minute read."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
README_MAX_LINES = 200
SCREENSHOT_MAX_BYTES = 300_000

FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"`+[^`]*`+")
# [text](target "title") and ![alt](target); the target may sit in <...>.
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
HTML_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"", re.IGNORECASE)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # http:, https:, mailto:, ...


def markdown_files() -> list[Path]:
    """The tracked Markdown files (the working tree's, so a new file counts before its commit)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.md"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return sorted(ROOT / name for name in listed if (ROOT / name).is_file())


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks, with inline code blanked (a link in code is no link)."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(INLINE_CODE.sub("", line))
    return lines


def github_slug(heading: str) -> str:
    """GitHub's anchor for a heading: markup dropped, lower case, every character that is not a
    letter, digit, space, hyphen or underscore removed, each space a hyphen."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading keeps its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").lower()
    kept = (c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return "".join(kept).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor a file offers: its headings' slugs (a repeat gets -1, -2, ...) and <a name/id>."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in prose_lines(path.read_text(encoding="utf-8")):
        found.update(HTML_ANCHOR.findall(line))
        match = HEADING.match(line)
        if not match:
            continue
        slug = github_slug(match.group(2))
        found.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return found


def links(path: Path) -> list[str]:
    targets = []
    for line in prose_lines(path.read_text(encoding="utf-8")):
        targets += INLINE_LINK.findall(line)
        definition = REFERENCE_DEF.match(line)
        if definition:
            targets.append(definition.group(1))
    return targets


def broken_links(path: Path) -> list[str]:
    """Each relative link of ``path`` whose file or anchor does not exist, with the reason."""
    broken = []
    for target in links(path):
        if EXTERNAL.match(target):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / unquote(file_part)).resolve() if file_part else path
        if not linked.exists():
            broken.append(f"{target}: no file {linked.relative_to(ROOT) if linked.is_relative_to(ROOT) else linked}")
        elif anchor and linked.suffix == ".md" and unquote(anchor).lower() not in anchors(linked):
            broken.append(f"{target}: no heading of {linked.name} makes #{anchor}")
    return broken


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(path: Path) -> None:
    assert broken_links(path) == []


def test_the_markdown_checked_includes_the_readme_docs_and_cards() -> None:
    names = {str(p.relative_to(ROOT)) for p in markdown_files()}
    assert "README.md" in names
    assert any(name.startswith("docs/") for name in names)
    assert any(name.startswith("models/") and name.endswith("/README.md") for name in names)


def test_a_missing_file_or_anchor_is_reported(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# Train your own style\n\n## Train your own style\n", encoding="utf-8")
    page.write_text(
        "# Is it copied? (the copy check)\n\n"
        "[ok](other.md#train-your-own-style) [repeat](other.md#train-your-own-style-1)\n"
        "[self](#is-it-copied-the-copy-check)\n"
        "[gone](missing.md) [bad anchor](other.md#train) [web](https://example.com/x.md)\n"
        "`[in code](nowhere.md)`\n\n```\n[in a block](nowhere.md)\n```\n",
        encoding="utf-8",
    )
    broken = broken_links(page)
    assert [b.split(":")[0] for b in broken] == ["missing.md", "other.md#train"]


def test_github_slugs() -> None:
    assert github_slug("Is it copied? (the copy check)") == "is-it-copied-the-copy-check"
    assert github_slug("`charrnn/` the library") == "charrnn-the-library"
    assert github_slug("RNN vs GRU vs LSTM") == "rnn-vs-gru-vs-lstm"
    assert github_slug("Nats, bits & perplexity") == "nats-bits--perplexity"
    assert github_slug("[Deploy](DEPLOY.md) it") == "deploy-it"


def test_the_readme_is_a_five_minute_read() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move detail to docs/"


def test_the_readme_shows_a_real_small_screenshot() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    images = [target for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", readme) if target.startswith("docs/")]
    assert images, "the README shows no screenshot from docs/"
    for image in images:
        data = (ROOT / image).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n"), f"{image} is not a PNG"
        assert len(data) < SCREENSHOT_MAX_BYTES, f"{image} has {len(data):,} bytes"
