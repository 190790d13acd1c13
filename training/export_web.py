"""Export a model directory as one self-contained web page that writes in any browser, offline.

    python -m training.export_web models/shakespeare --out shakespeare.html
    python -m training.export_web models/shakespeare --space space/ --app-url https://USER-charrnn.hf.space

The page holds the weights (float16, gzipped, base85), the vocabulary, the start state and a small
hand-written JavaScript model step and sampler (``training/web/``): the same seed writes the same
text as the app. ``--space DIR`` writes ``index.html`` and a README with a static Space's front
matter. Exit codes: 0 written, 2 the model directory cannot be loaded (the loader's own message).
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import math
import re
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from charrnn import CharRNN, CheckpointError, bits_per_char, sampling
from charrnn.files import atomic_write_text
from charrnn.history import load_history
from charrnn.model import option
from training.card import model_licence

WEB_DIR = Path(__file__).with_name("web")
PROJECT = "Char-RNN Playground"
CARD_FILE = "README.md"
FALLBACK_PRIME = "The "
_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")
_LICENCE_LINE = re.compile(r"^license:\s*(\S+)\s*$", re.MULTILINE)
_SCRIPT_SAFE = bytes.maketrans(b"<>&", b",.:")  # page.js's BASE85 alphabet is base64's, so swapped
_FROM_SCRIPT_SAFE = bytes.maketrans(b",.:", b"<>&")


@dataclass(frozen=True)
class ExportConfig:
    model: str = option("", "model directory (shipped under models/, or trained in the Train tab)")
    out: str | None = option(None, "the HTML file to write (default: NAME.html unless --space is given)")
    app_url: str | None = option(None, "the app's URL: the page links each text to the same one in the app")
    space: str | None = option(None, "also write a folder for a static Hugging Face Space (index.html, README.md)")
    style: str | None = option(None, "the style's key in the app's links (default: the directory's name)")
    exact: bool = option(
        False,
        "keep float32 weights that float16 would round (a Train-tab checkpoint): the page then writes the app's "
        "very texts, at about 2.3x the size of float16 weights; without it a text can part from the app's "
        "(float16 checkpoints, as shipped, are exact either way)",
    )


def page_html(model_dir: str | Path, app_url: str | None = None, style: str | None = None, exact: bool = False) -> str:
    """The whole page for the model in ``model_dir``; ``exact`` keeps float32 weights that float16
    would round (see ``ExportConfig.exact``). Raises ``CheckpointError`` (the loader's)."""
    model = CharRNN.from_pretrained(model_dir)
    info = model_facts(model, model_dir)
    dtype, rounded = weights_dtype(model, exact)
    weights, weights_length = weights_text(model, dtype)
    data = page_data(model, info, app_url, style or Path(model_dir).name)
    data.update(weights_dtype=dtype, weights_rounded=rounded, weights_bytes=weights_length)
    parts = {
        "TITLE": _escape_html(f"{info.name} · {PROJECT}"),
        "DATA": _json_for_script(data),
        "WEIGHTS": weights,
        "MODEL_JS": (WEB_DIR / "charrnn.js").read_text(encoding="utf-8"),
        "PAGE_JS": (WEB_DIR / "page.js").read_text(encoding="utf-8"),
    }
    template = (WEB_DIR / "page.html").read_text(encoding="utf-8")
    return _PLACEHOLDER.sub(lambda m: parts[m.group(1)], template)  # one pass: no part is read as a template


@dataclass(frozen=True)
class ModelFacts:
    """What the page says of the model, from its own meta (as the app's sidebar reads them)."""

    name: str
    title: str = ""
    corpus: str = ""
    val_bits: float | None = None
    default_prime: str = ""
    card: Path | None = None  # the model card, where the directory has one


def model_facts(model: CharRNN, model_dir: str | Path) -> ModelFacts:
    """The model's name (its directory's unless its meta names it), corpus, validation loss in
    bits per character, the prime the page starts from (training's sample prime when the model
    can read it, else "The " or nothing) and its card: its meta first, then its training history."""
    meta, directory = model.meta, Path(model_dir)
    history = _history(directory)
    summary = history.get("summary") if isinstance(history.get("summary"), dict) else {}
    val_loss = next((v for v in (meta.get("val_loss"), summary.get("best_val_loss")) if _is_number(v)), None)
    known = set(model.vocab.chars)
    candidates = (history.get("sample_prime"), meta.get("sample_prime"), FALLBACK_PRIME)
    primes = [p for p in candidates if isinstance(p, str) and p and set(p) <= known]
    card = directory / CARD_FILE
    return ModelFacts(
        name=str(meta.get("name") or directory.name),
        title=str(meta.get("title") or ""),
        corpus=str(meta.get("corpus") or history.get("corpus") or ""),
        val_bits=None if val_loss is None else bits_per_char(val_loss),
        default_prime=primes[0] if primes else "",
        card=card if card.is_file() else None,
    )


def _history(directory: Path) -> dict[str, Any]:
    """The training history, or nothing (a model without one still exports)."""
    try:
        return load_history(directory)
    except (OSError, ValueError):
        return {}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def page_data(model: CharRNN, info: ModelFacts, app_url: str | None, style: str) -> dict[str, Any]:
    """What the page shows and needs besides the weights: names, facts, shapes and the app's bounds."""
    return {
        "project": PROJECT,
        "name": info.name,
        "title": info.title,
        "corpus": info.corpus,
        "licence": card_licence(info),
        "corpus_licence": str(model.meta.get("licence") or ""),
        "val_bits": None if info.val_bits is None else round(info.val_bits, 4),
        "cell": model.cell,
        "layers": model.layers,
        "hidden": model.hidden,
        "parameters": model.num_parameters,
        "vocab": model.vocab.chars,
        "tensors": tensor_layout(model),
        "default_prime": info.default_prime,
        "style": style,
        "app_url": app_url,
        "limits": {
            "length_default": sampling.LENGTH_DEFAULT,
            "length_max": sampling.LENGTH_MAX,
            "temperature_default": sampling.TEMPERATURE_DEFAULT,
            "temperature_min": sampling.TEMPERATURE_MIN,
            "temperature_max": sampling.TEMPERATURE_MAX,
            "top_p_min": sampling.TOP_P_MIN,
            "seed_max": sampling.SEED_MAX,
            "prime_max": sampling.PRIME_MAX,
        },
    }


def card_licence(info: ModelFacts) -> str:
    """The licence the model card declares (its front matter), else the one the card would declare."""
    if info.card is not None:
        found = _LICENCE_LINE.search(info.card.read_text(encoding="utf-8", errors="replace"))
        if found:
            return found.group(1)
    return model_licence(info.corpus)


def tensor_layout(model: CharRNN) -> list[dict[str, Any]]:
    """Each tensor's name, shape and offset (in values) in the weights blob, in state-dict order."""
    layout, offset = [], 0
    for name, tensor in model.state_dict().items():
        layout.append({"name": name, "shape": list(tensor.shape), "offset": offset})
        offset += tensor.numel()
    return layout


def weights_dtype(model: CharRNN, exact: bool) -> tuple[str, bool]:
    """float16, unless ``exact`` and some weight is not a float16 number (a float32 checkpoint); and
    whether the page's weights are rounded (float16 for such a checkpoint)."""
    lossless = all(torch.equal(t, t.half().float()) for t in model.state_dict().values())
    return ("float32" if exact and not lossless else "float16"), not (exact or lossless)


def weights_text(model: CharRNN, dtype: str = "float16") -> tuple[str, int]:
    """Every tensor in ``dtype`` (little-endian), one after another, gzipped (trained weights shrink to
    about 92%), as base85 (5 characters per 4 bytes, where base64 takes 16 per 12): the text and the
    gzip's length in bytes (base85 pads to 4). ``<``, ``>`` and ``&`` are swapped for characters
    base85 leaves unused, so the text can sit in a <script> element whatever the bytes."""
    arrays = [t.detach().to("cpu", getattr(torch, dtype)).numpy().ravel() for t in model.state_dict().values()]
    little_endian = np.dtype(dtype).newbyteorder("<")
    packed = gzip.compress(np.concatenate(arrays).astype(little_endian).tobytes(), compresslevel=9, mtime=0)
    return base64.b85encode(packed, pad=True).translate(_SCRIPT_SAFE).decode("ascii"), len(packed)


def weights_bytes(text: str, length: int) -> bytes:
    """The weights' bytes back from ``weights_text`` (what the page's script does, in Python)."""
    return gzip.decompress(base64.b85decode(text.encode("ascii").translate(_FROM_SCRIPT_SAFE))[:length])


def space_readme(info_name: str, licence: str) -> str:
    """A static Space's README: the Hub reads its front matter (JSON strings are valid YAML)."""
    return "\n".join(
        [
            "---",
            f"title: {json.dumps(info_name[:30])}",
            "emoji: ✍️",
            "colorFrom: yellow",
            "colorTo: red",
            "sdk: static",
            "app_file: index.html",
            "pinned: false",
            f"license: {licence}",
            "---",
            "",
            f"# {info_name}",
            "",
            f"A character-level language model from {PROJECT} that writes in your browser: one HTML page, "
            "no server. Made with `python -m training.export_web`.",
            "",
        ]
    )


def export(config: ExportConfig) -> list[Path]:
    """Write the page (and the Space folder); the paths written."""
    page = page_html(config.model, config.app_url, config.style, config.exact)
    written = []
    out = config.out or (None if config.space else f"{Path(config.model).name}.html")
    if out:
        atomic_write_text(out, page)
        written.append(Path(out))
    if config.space:
        space = Path(config.space)
        space.mkdir(parents=True, exist_ok=True)
        info = model_facts(CharRNN.from_pretrained(config.model), config.model)
        atomic_write_text(space / "index.html", page)
        atomic_write_text(space / "README.md", space_readme(info.name, card_licence(info)))
        written += [space / "index.html", space / "README.md"]
    return written


def _escape_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _json_for_script(data: dict[str, Any]) -> str:
    """JSON safe inside a <script> element: no '<', '>' or '&' that could close it."""
    text = json.dumps(data, ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m training.export_web", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    for f in fields(ExportConfig):
        flag = f.name if f.name == "model" else "--" + f.name.replace("_", "-")
        kind = {"action": "store_true"} if f.type in (bool, "bool") else {"default": f.default}
        parser.add_argument(flag, **kind, help=f.metadata["help"])
    return parser


def main(argv: list[str] | None = None) -> int:
    config = ExportConfig(**vars(build_parser().parse_args(argv)))
    try:
        written = export(config)
    except CheckpointError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
