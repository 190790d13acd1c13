"""The corpora we train on: where each comes from, its checksum, licence and how to clean it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# The Hub licence of weights trained on public-domain and PSF texts, or on a user's own text: the
# project's own. A copyleft corpus names its licence instead (``Corpus.model_licence``).
PROJECT_LICENCE = "mit"


@dataclass(frozen=True)
class Corpus:
    name: str
    title: str
    author: str
    url: str | None  # None: built locally (the Python standard library)
    sha256: str | None  # of the file as published at ``url``; None where the origin is not fixed
    mirror_path: str | None  # path inside a mirror folder (CHARRNN_CORPORA_MIRROR / --mirror)
    cleaning: str  # "plain" (BOM/CR only), "gutenberg" (also strip header and licence), "python"
    licence: str
    sample_prime: str  # a sensible prime for this style's samples
    # A corpus of many files: ``url`` and ``mirror_path`` are templates with ``{file}``, and the
    # files, in their fixed order, with each one's sha256, are listed in corpora/manifests/NAME.
    manifest: str | None = None
    separator: str = ""  # the line written before each file, with ``{file}``
    # The licence a model card declares (Hub identifier) for weights trained on this text
    model_licence: str = PROJECT_LICENCE

    def files(self) -> list[tuple[str, str]]:
        """(file name, sha256) of each file of a many-file corpus, in the order they are joined."""
        if self.manifest is None:
            return []
        lines = (MANIFESTS / self.manifest).read_text(encoding="utf-8").splitlines()
        return [(name, digest) for digest, name in (line.split(maxsplit=1) for line in lines if line.strip())]


MANIFESTS = Path(__file__).resolve().parent / "manifests"
GUTENBERG_LICENCE = "Public domain in the USA (Project Gutenberg); the Gutenberg header and licence are stripped"

CORPORA: dict[str, Corpus] = {
    c.name: c
    for c in [
        Corpus(
            "shakespeare",
            "Tiny Shakespeare (40k lines from several plays)",
            "William Shakespeare",
            "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
            "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
            "tinyshakespeare/input.txt",
            "plain",
            "Public domain (Shakespeare's plays); compilation from the char-rnn repository",
            "ROMEO:\n",
        ),
        Corpus(
            "tolstoy",
            "War and Peace (Maude translation, text body)",
            "Leo Tolstoy",
            "https://cs.stanford.edu/people/karpathy/char-rnn/warpeace_input.txt",
            "fb66ba999dafe24017cdd59e04c56d385a9c8466993d374fd4c6f08b2142985e",
            "warpeace_input.txt",
            "plain",
            "Public domain (translation by Louise and Aylmer Maude)",
            "Pierre ",
        ),
        Corpus(
            "doyle",
            "The Adventures of Sherlock Holmes",
            "Arthur Conan Doyle",
            "https://www.gutenberg.org/cache/epub/1661/pg1661.txt",
            "08ef0a9094923ab5f648e2e7b02d458e697509930177cac570355d0736d0d423",
            "pg1661.txt",
            "gutenberg",
            GUTENBERG_LICENCE,
            "“My dear Watson,” ",  # the text's own curly quotes: a straight one is not in it
        ),
        Corpus(
            "austen",
            "Pride and Prejudice",
            "Jane Austen",
            "https://www.gutenberg.org/cache/epub/1342/pg1342.txt",
            "cfe0b0e2a8e9e957fd4f25593bddcfbed4695abf898db3a4a82ee69dc40761ca",
            "pg1342.txt",
            "gutenberg",
            GUTENBERG_LICENCE,
            "It is a truth ",
        ),
        Corpus(
            "twain",
            "Adventures of Huckleberry Finn",
            "Mark Twain",
            "https://www.gutenberg.org/cache/epub/76/pg76.txt",
            "65f52c8d2eec3ca5945c695e6bdb845376451ee37c1f7377bdc0a6d0a55f559a",
            "pg76.txt",
            "gutenberg",
            GUTENBERG_LICENCE,
            "Jim said ",
        ),
        Corpus(
            "python",
            "Python standard library source (a fixed subset of modules)",
            "Python Software Foundation and contributors",
            None,
            None,
            None,
            "python",
            "PSF License Agreement (the source of the running Python's standard library)",
            "def ",
        ),
        Corpus(
            "latex",
            "The Stacks project, LaTeX sources of seven chapters (schemes to coherent cohomology)",
            "The Stacks project authors",
            "https://raw.githubusercontent.com/stacks/stacks-project/4ac4815d5a00dc2eacab7824cf4e4baafe2773ac/{file}",
            None,
            "stacks/{file}",
            "plain",
            "GNU Free Documentation License 1.2 (not public domain; copying and training allowed, the licence "
            "and origin must be named): https://github.com/stacks/stacks-project, commit 4ac4815d",
            "\\begin{lemma}",
            manifest="latex.sha256",
            separator="% ---- {file} ----",
            model_licence="gfdl",
        ),
        Corpus(
            "linux",
            "Linux kernel 6.1.192 (Debian 6.1.192-3), every C file directly under kernel/",
            "The Linux kernel developers",
            "https://sources.debian.org/data/main/l/linux/6.1.192-3/{file}",
            None,
            "linux/{file}",
            "plain",
            "GPL-2.0 WITH Linux-syscall-note (not public domain; copying and training allowed, the licence and "
            "origin must be named): Debian's linux 6.1.192-3 source package (linux-source-6.1)",
            "static int ",
            manifest="linux.sha256",
            separator="/* ---- {file} ---- */",
            model_licence="gpl-2.0",
        ),
    ]
}

# The modules of the ``python`` corpus: pure-Python, stable, varied in style. Files are read from
# the running interpreter's standard library in this order; the text depends on its version.
PYTHON_MODULES = (
    "abc",
    "argparse",
    "base64",
    "bisect",
    "calendar",
    "cmd",
    "codecs",
    "collections/__init__",
    "colorsys",
    "configparser",
    "contextlib",
    "copy",
    "csv",
    "dataclasses",
    "difflib",
    "enum",
    "fnmatch",
    "fractions",
    "ftplib",
    "functools",
    "getopt",
    "gettext",
    "glob",
    "heapq",
    "hmac",
    "html/__init__",
    "html/parser",
    "inspect",
    "ipaddress",
    "json/__init__",
    "json/decoder",
    "json/encoder",
    "keyword",
    "linecache",
    "locale",
    "logging/__init__",
    "mailbox",
    "netrc",
    "numbers",
    "operator",
    "optparse",
    "pathlib",
    "pickletools",
    "pprint",
    "queue",
    "quopri",
    "random",
    "reprlib",
    "sched",
    "secrets",
    "selectors",
    "shlex",
    "shutil",
    "smtplib",
    "socket",
    "statistics",
    "string",
    "subprocess",
    "tarfile",
    "tempfile",
    "textwrap",
    "threading",
    "timeit",
    "tokenize",
    "trace",
    "traceback",
    "types",
    "typing",
    "uuid",
    "warnings",
    "wave",
    "weakref",
    "zipfile",
)


def get(name: str) -> Corpus:
    try:
        return CORPORA[name]
    except KeyError:
        raise KeyError(
            f"unknown corpus {name!r}; known: {', '.join(CORPORA)} (or train on any file with --text)"
        ) from None
