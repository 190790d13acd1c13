"""Corrupt model directories, side by side with a good one: the library refuses each with one line
that names the problem, the app shows that line in an error box for that style only, the good
style still generates, and nothing a stranger planted (pickles) is ever executed.

test_model.py checks the library's messages one fault at a time; here every fault sits in one
models folder, as it would on a machine that collected models from several places."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hostile import payloads
from safetensors.torch import load_file, save_file
from sidebar import pick_style
from streamlit.testing.v1 import AppTest

from charrnn import CharRNN, CheckpointError

ROOT = Path(__file__).resolve().parents[2]
GOOD = "tiny-lstm"


def truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def edit_config(directory: Path, change: Callable[[dict], None]) -> None:
    config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    change(config)
    (directory / "config.json").write_text(json.dumps(config), encoding="utf-8")


def shrink_a_tensor(directory: Path) -> None:
    tensors = load_file(directory / "model.safetensors")
    tensors["rnn.weight_hh_l0"] = tensors["rnn.weight_hh_l0"][:, :8].contiguous()
    save_file(tensors, directory / "model.safetensors")


def plant(directory: Path, filename: str, kind: str, marker: Path) -> None:
    (directory / filename).write_bytes(payloads(directory, marker)[kind])


# name -> (how the good directory is spoiled, the words of the error: from the library, in the app)
FAULTS: dict[str, tuple[Callable[[Path, Path], None], str, str]] = {
    "truncated-weights": (
        lambda d, m: truncate(d / "model.safetensors"),
        "not a valid safetensors file",
        "not a valid safetensors file",
    ),
    "partial-config": (lambda d, m: truncate(d / "config.json"), "not valid JSON", "not valid JSON"),
    "wrong-shape": (lambda d, m: shrink_a_tensor(d), "has shape (128, 8), config expects (128, 32)", "has shape"),
    "unknown-cell": (
        lambda d, m: edit_config(d, lambda c: c.update(cell="transformer")),
        "unknown cell 'transformer'",
        "unknown cell 'transformer'",
    ),
    "vocab-mismatch": (
        lambda d, m: edit_config(d, lambda c: c.update(vocab=[*c["vocab"], "\u2603"])),
        "the vocabulary does not match the weights",
        "the vocabulary does not match the weights",
    ),
    "pickle-as-safetensors": (
        lambda d, m: plant(d, "model.safetensors", "pickle", m),
        "not a valid safetensors file",
        "not a valid safetensors file",
    ),
    "torch-save-as-safetensors": (
        lambda d, m: plant(d, "model.safetensors", "torch.save", m),
        "not a valid safetensors file",
        "not a valid safetensors file",
    ),
    "bin-instead": (
        lambda d, m: ((d / "model.safetensors").unlink(), plant(d, "pytorch_model.bin", "torch.save", m)),
        "model.safetensors is missing (other weight formats are never loaded)",
        "pytorch_model.bin is never loaded",
    ),
}


@pytest.fixture
def corrupt_root(tiny_models_root: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A models folder: the good tiny LSTM, one directory per fault, and the good model with a
    malicious ``pytorch_model.bin`` beside its weights (it must load, ignoring the pickle)."""
    root, marker = tmp_path / "models", tmp_path / "pwned"
    root.mkdir()
    shutil.copytree(tiny_models_root / GOOD, root / GOOD)
    for name, (spoil, _, _) in FAULTS.items():
        shutil.copytree(root / GOOD, root / name)
        edit_config(root / name, lambda c, name=name: c["meta"].update(name=name))  # the name the app shows
        spoil(root / name, marker)
    shutil.copytree(root / GOOD, root / "bin-beside")
    plant(root / "bin-beside", "pytorch_model.bin", "pickle", marker)
    return root, marker


@pytest.mark.parametrize("name", FAULTS)
def test_the_library_refuses_each_fault_in_one_line(corrupt_root: tuple[Path, Path], name: str) -> None:
    root, marker = corrupt_root
    with pytest.raises(CheckpointError) as info:
        CharRNN.from_pretrained(root / name)
    message = str(info.value)
    assert "\n" not in message and FAULTS[name][1] in message, message
    assert not marker.exists()


def test_a_pytorch_model_bin_beside_the_weights_is_ignored(corrupt_root: tuple[Path, Path]) -> None:
    root, marker = corrupt_root
    model = CharRNN.from_pretrained(root / "bin-beside")
    good = CharRNN.from_pretrained(root / GOOD)
    assert all((p == q).all() for p, q in zip(model.parameters(), good.parameters(), strict=True))
    assert not marker.exists()


def error_texts(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.error]


def show(at: AppTest, style: str) -> AppTest:
    pick_style(at, style)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_app_shows_each_fault_for_its_style_only(
    corrupt_root: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, marker = corrupt_root
    monkeypatch.setenv("CHARRNN_MODELS_DIR", str(root))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.query_params["style"] = GOOD
    at.run()
    assert not at.exception and not error_texts(at)
    for name, (_, _, words) in FAULTS.items():
        errors = error_texts(show(at, name))
        assert errors and all(f"**{name}** cannot be used" in e for e in errors), (name, errors)
        assert any(words in e for e in errors), (name, errors)
    for name in ("bin-beside", GOOD):  # the usable styles show no error box and generate
        show(at, name)
        assert not error_texts(at), (name, error_texts(at))
        next(b for b in at.button if "Generate" in b.label).click()
        at.run()
        assert not at.exception and at.session_state["sample"].trace.text
    assert not marker.exists()
