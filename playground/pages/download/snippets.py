"""Small texts the page shows: the Python that reproduces a sample, labels, sizes, model cards."""

from __future__ import annotations

from playground.session.params import PRIME_MAX, Settings


def python_snippet(source: str, s: Settings) -> str:
    """Python that prints the sample of ``s`` (kept characters aside) from the model at ``source``
    (a folder or a Hub repo id): the library call behind the page."""
    args = [repr((s.prime or "")[-PRIME_MAX:]), f"length={s.length}"]
    sampling = s.sampling
    if sampling.greedy:
        args.append("greedy=True")
    else:
        args.append(f"temperature={sampling.temperature:g}")
        if sampling.top_k:
            args.append(f"top_k={sampling.top_k}")
        if sampling.top_p:
            args.append(f"top_p={sampling.top_p:g}")
        args.append(f"seed={s.seed}")
    if s.unknown != "error":
        args.append(f"unknown={s.unknown!r}")
    return (
        "from charrnn import CharRNN, sample\n\n"
        f"model = CharRNN.from_pretrained({source!r})  # a folder, or a Hub repo id\n"
        f"print(sample(model, {', '.join(args)}))"
    )


def format_size(size: int) -> str:
    return f"{size / 2**20:.1f} MiB" if size >= 2**20 else f"{size / 1024:.1f} KiB"


def strip_front_matter(text: str) -> str:
    """A model card without its YAML front matter (the Hub reads it; a reader does not need it)."""
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end != -1:
            return text[end + 4 :].lstrip("\n")
    return text
