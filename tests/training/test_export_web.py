"""``python -m training.export_web``: what the page holds, its size, the Space folder and the CLI's
errors (the page's behaviour in a browser is tests/browser/test_web_export_browser.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import TINY_TEXT, train_tiny, write_model_dir
from hostile import payloads

from charrnn import CharRNN
from training import export_web
from training.export_web import main, page_html

ROOT = Path(__file__).resolve().parents[2]

FLAGSHIP = Path(__file__).resolve().parents[2] / "models" / "shakespeare"


def parts(html: str) -> tuple[dict, bytes]:
    """The page's data (JSON) and its weights (bytes), as the page's own script reads them."""
    data = re.search(r'<script type="application/json" id="charrnn-data">(.*?)</script>', html, re.S)
    weights = re.search(r'<script type="text/plain" id="charrnn-weights">(.*?)</script>', html, re.S)
    assert data and weights
    data = json.loads(data.group(1))
    return data, export_web.weights_bytes(weights.group(1).strip(), data["weights_bytes"])


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_model_dir(
        train_tiny(TINY_TEXT, "gru", steps=20, layers=2), tmp_path_factory.mktemp("m") / "tiny", "tiny"
    )


def test_the_page_holds_the_weights_in_float16_and_everything_it_shows(model_dir: Path) -> None:
    model = CharRNN.from_pretrained(model_dir)
    data, blob = parts(page_html(model_dir, app_url="https://example.org", style="yours.tiny-1"))
    assert (data["weights_dtype"], data["weights_rounded"]) == ("float16", True)  # a float32 checkpoint, rounded
    values = np.frombuffer(blob, "<f2")
    for tensor in data["tensors"]:
        size = int(np.prod(tensor["shape"]))
        want = model.state_dict()[tensor["name"]].to(torch.float16).numpy().ravel()
        assert np.array_equal(values[tensor["offset"] : tensor["offset"] + size], want), tensor["name"]
    assert sum(int(np.prod(t["shape"])) for t in data["tensors"]) == len(values) == model.num_parameters
    assert data["vocab"] == model.vocab.chars and (data["cell"], data["layers"], data["hidden"]) == ("gru", 2, 32)
    assert data["name"] == "tiny" and data["corpus"] == "tiny-hamlet" and data["project"] == "Char-RNN Playground"
    assert data["val_bits"] == pytest.approx(2.0 / np.log(2), abs=1e-4) and data["licence"] == "mit"
    assert (data["style"], data["app_url"], data["default_prime"]) == ("yours.tiny-1", "https://example.org", "To")


def test_an_exact_page_keeps_float32_weights_only_where_float16_would_round_them(
    model_dir: Path, tmp_path: Path
) -> None:
    model = CharRNN.from_pretrained(model_dir)
    data, blob = parts(page_html(model_dir, exact=True))
    assert (data["weights_dtype"], data["weights_rounded"]) == ("float32", False)
    want = np.concatenate([t.numpy().ravel() for t in model.state_dict().values()])
    assert np.array_equal(np.frombuffer(blob, "<f4"), want)
    model.save_pretrained(tmp_path / "half", dtype=torch.float16)  # already float16: exact in float16
    data, blob = parts(page_html(tmp_path / "half", exact=True))
    assert (data["weights_dtype"], data["weights_rounded"]) == ("float16", False)
    assert np.array_equal(np.frombuffer(blob, "<f2"), want.astype(np.float16))


def test_the_page_loads_nothing_from_the_network(model_dir: Path) -> None:
    html = page_html(model_dir)
    assert not re.search(r"<(script|link|img|iframe)[^>]*\b(src|href)=", html, re.I)
    assert "@import" not in html and "url(" not in html and "fetch(" not in html and "XMLHttpRequest" not in html
    assert "default-src 'none'" in html  # the Content-Security-Policy forbids any request anyway


def test_text_from_the_model_cannot_break_out_of_the_script(tmp_path: Path) -> None:
    model = train_tiny("To a</script><b>&\n" * 20, "rnn", steps=2)
    model.meta["licence"] = "</script><script>alert(1)</script>"
    directory = write_model_dir(model, tmp_path / "odd", "</script>odd")
    html = page_html(directory)
    assert html.count("</script>") == 4  # data, weights and the two scripts: nothing from the model
    data, _ = parts(html)
    assert data["vocab"] == model.vocab.chars and data["name"] == "</script>odd"
    assert data["corpus_licence"] == "</script><script>alert(1)</script>"
    assert "<title>&lt;/script&gt;odd · Char-RNN Playground</title>" in html


def test_the_licence_is_the_cards(model_dir: Path, tmp_path: Path) -> None:
    directory = write_model_dir(train_tiny(TINY_TEXT, "rnn", steps=2), tmp_path / "gfdl", "gfdl")
    (directory / "README.md").write_text("---\nlibrary_name: charrnn\nlicense: gfdl\n---\n# x\n", encoding="utf-8")
    assert parts(page_html(directory))[0]["licence"] == "gfdl"
    (directory / "README.md").unlink()  # no card: the one the card would declare (the registry's)
    assert parts(page_html(directory))[0]["licence"] == "mit"


@pytest.mark.skipif(not (FLAGSHIP / "model.safetensors").exists(), reason="the shipped models/shakespeare is absent")
def test_the_flagships_page_is_at_most_1_4_times_its_float16_weights() -> None:
    size = len(page_html(FLAGSHIP).encode("utf-8"))
    float16_bytes = 2 * CharRNN.from_pretrained(FLAGSHIP).num_parameters
    assert size <= 1.4 * float16_bytes, size / float16_bytes


def test_the_cli_writes_the_page_and_a_static_space(model_dir: Path, tmp_path: Path, capsys) -> None:
    out, space = tmp_path / "tiny.html", tmp_path / "space"
    assert main([str(model_dir), "--out", str(out), "--space", str(space), "--app-url", "https://x.hf.space"]) == 0
    assert out.read_text(encoding="utf-8") == (space / "index.html").read_text(encoding="utf-8")
    readme = (space / "README.md").read_text(encoding="utf-8")
    front = readme.split("---")[1]
    assert "\nsdk: static\n" in front and "\napp_file: index.html\n" in front and "\nlicense: mit\n" in front
    assert 'title: "tiny"' in front
    assert f"wrote {out}" in capsys.readouterr().out


@pytest.mark.parametrize("kind", ["missing", "not a model", "pickle as safetensors", "torch.save beside"])
def test_the_cli_refuses_bad_directories_with_the_loaders_message(kind: str, tmp_path: Path, capsys) -> None:
    directory, marker, out = tmp_path / "bad", tmp_path / "pwned", tmp_path / "bad.html"
    expected = {
        "missing": "model directory not found",
        "not a model": "config.json is missing",
        "pickle as safetensors": "not a valid safetensors file",
        "torch.save beside": "model.safetensors is missing (other weight formats are never loaded)",
    }[kind]
    if kind != "missing":
        directory.mkdir()
    if kind.startswith(("pickle", "torch")):
        write_model_dir(train_tiny(TINY_TEXT, "rnn", steps=2), directory)
        (directory / "model.safetensors").unlink()
        hostile = payloads(tmp_path, marker)["pickle" if kind.startswith("pickle") else "torch.save"]
        (directory / ("model.safetensors" if kind.startswith("pickle") else "pytorch_model.bin")).write_bytes(hostile)
    assert main([str(directory), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and expected in err and "Traceback" not in err
    assert not out.exists() and not marker.exists()


def test_the_page_uses_the_apps_bounds() -> None:
    from playground.session import params

    data = export_web.page_data(train_tiny(TINY_TEXT, "rnn", steps=1), export_web.ModelFacts(name="k"), None, "k")
    assert data["limits"]["length_max"] == params.LENGTH_MAX and data["limits"]["seed_max"] == params.SEED_MAX


def test_a_one_minute_preset_models_page_is_at_most_1_4_times_its_float16_weights(tmp_path: Path) -> None:
    from benchmarks.web import preset_model

    directory = preset_model(tmp_path / "preset")  # random weights: they gzip worse than trained ones
    size = len(page_html(directory).encode("utf-8"))
    assert size <= 1.4 * 2 * CharRNN.from_pretrained(directory).num_parameters


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "models").iterdir() if (p / "config.json").is_file()))
def test_the_page_says_of_each_shipped_model_what_the_apps_sidebar_says(name: str) -> None:
    from playground.session import catalog

    directory = ROOT / "models" / name
    facts = export_web.model_facts(CharRNN.from_pretrained(directory), directory)
    info = catalog.read_model_info(directory, name, directory.parent)
    assert (facts.name, facts.title, facts.corpus, facts.default_prime) == (
        info.name,
        info.title,
        info.corpus,
        info.default_prime,
    )
    assert facts.val_bits == pytest.approx(info.val_bits, abs=1e-12)
    assert facts.card == info.file(catalog.CARD_FILE)
