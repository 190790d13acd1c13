"""charrnn.model: shapes, state carrying, and persistence (safetensors + JSON, nothing unpickled)."""

from __future__ import annotations

import dataclasses
import json
import pickle
from pathlib import Path

import pytest
import torch
from hostile import payloads
from safetensors.torch import load_file, save_file
from tolerances import FLOAT16, FLOAT32

from charrnn import CELLS, CharRNN, CheckpointError, ModelConfig

TEXT = "the quick brown fox jumps over the lazy dog.\nTHE QUICK BROWN FOX!\n" * 3
VOCAB = sorted(set(TEXT))


def make_model(
    cell: str = "lstm", layers: int = 2, hidden: int = 24, seed: int = 0, meta: dict | None = None, **kwargs
) -> CharRNN:
    torch.manual_seed(seed)
    config = ModelConfig(VOCAB, cell=cell, layers=layers, hidden=hidden, embedding=8, **kwargs)
    return CharRNN(config, meta=meta).eval()


def ids_of(model: CharRNN, text: str = TEXT) -> torch.Tensor:
    return torch.tensor([model.vocab.encode(text).ids])


def logits_of(model: CharRNN, text: str = TEXT) -> torch.Tensor:
    with torch.no_grad():
        return model(ids_of(model, text))[0]


def one_line_error(call) -> str:
    with pytest.raises(CheckpointError) as info:
        call()
    message = str(info.value)
    assert message and "\n" not in message, message
    return message


# ---- shapes and state ----


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers", [1, 3])
def test_shapes(cell, layers):
    model = make_model(cell, layers=layers, hidden=12)
    ids = torch.randint(0, len(VOCAB), (4, 9))
    logits, state = model(ids)
    assert logits.shape == (4, 9, len(VOCAB))
    states = state if cell == "lstm" else (state,)
    assert len(states) == (2 if cell == "lstm" else 1)
    for s in states:
        assert s.shape == (layers, 4, 12)
    initial = model.initial_state(4)
    for s, z in zip(states, initial if cell == "lstm" else (initial,), strict=True):
        assert z.shape == s.shape and not z.any()


@pytest.mark.parametrize("cell", CELLS)
def test_state_carry_equals_one_long_call(cell):
    model = make_model(cell, dropout=0.3, embedding_dropout=0.2)  # eval mode: dropout is off
    ids = ids_of(model)
    with torch.no_grad():
        whole, _ = model(ids)
        for sizes in ([1] * 10 + [ids.shape[1] - 10], [7, 50, 13, ids.shape[1] - 70], [ids.shape[1]]):
            state, parts = None, []
            for piece in torch.split(ids, sizes, dim=1):
                out, state = model(piece, state)
                parts.append(out)
            # other sequence lengths may take other kernels: float32 rounding, across paths
            torch.testing.assert_close(torch.cat(parts, dim=1), whole, **FLOAT32)


@pytest.mark.parametrize("cell", CELLS)
def test_dropped_state_changes_the_output(cell):
    """Control for the test above: without the carried state the chunks differ (the carry matters)."""
    model = make_model(cell)
    ids = ids_of(model)
    with torch.no_grad():
        whole, _ = model(ids)
        second, _ = model(ids[:, 40:])
    assert not torch.allclose(second, whole[:, 40:], atol=1e-3)


@pytest.mark.parametrize("cell", CELLS)
def test_initial_state_is_no_state(cell):
    model = make_model(cell)
    ids = ids_of(model).repeat(3, 1)
    with torch.no_grad():
        a, _ = model(ids)
        b, _ = model(ids, model.initial_state(3))
    torch.testing.assert_close(a, b)


def test_batch_rows_are_independent():
    model = make_model("gru")
    ids = torch.randint(0, len(VOCAB), (3, 20))
    with torch.no_grad():
        batch, _ = model(ids)
        for row in range(3):
            single, _ = model(ids[row : row + 1])
            torch.testing.assert_close(batch[row : row + 1], single, **FLOAT32)  # batched kernels: across paths


@pytest.mark.parametrize(
    "kwargs",
    [{"cell": "transformer"}, {"layers": 0}, {"hidden": 0}, {"embedding": 0}],
)
def test_constructor_refuses_bad_shapes(kwargs):
    with pytest.raises(ValueError):
        CharRNN(ModelConfig(VOCAB, **kwargs))


def test_constructor_refuses_bad_vocab():
    with pytest.raises(ValueError):
        CharRNN(ModelConfig(["a", "a"]))


@pytest.mark.parametrize("cell", CELLS)
def test_weight_drop_masks_the_recurrent_weights_in_training_only(cell):
    model = make_model(cell, weight_drop=0.5)
    plain = make_model(cell)  # same seed: the same weights
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    ids = ids_of(model)
    torch.testing.assert_close(logits_of(model), logits_of(plain))  # eval: no mask
    model.train()
    torch.manual_seed(1)
    first, _ = model(ids)
    torch.manual_seed(2)
    second, _ = model(ids)
    assert not torch.allclose(first, second)  # a new mask per call
    first.logsumexp(-1).mean().backward()
    assert model.rnn.weight_hh_l0.grad.abs().sum() > 0  # gradients reach the real weights
    # the masked weights were lent for the call only: the module is unchanged afterwards
    for name, p in model.named_parameters():
        assert torch.equal(p.detach(), before[name]), name
    torch.testing.assert_close(logits_of(model.eval()), logits_of(plain))


def test_weight_drop_masks_only_hidden_to_hidden_weights():
    """The first step starts from h0 = 0, where W_hh plays no part: with most of W_hh dropped it
    still equals the plain model's first step, so no other weight (W_ih, biases) was masked."""
    model, plain = make_model("lstm", weight_drop=0.9), make_model("lstm")
    model.train()
    model.embed_drop.p = model.out_drop.p = 0.0
    with torch.no_grad():
        first_step, _ = model(ids_of(model, "t"))
        later, _ = model(ids_of(model, "th"))
    torch.testing.assert_close(first_step, logits_of(plain, "t"))
    assert not torch.allclose(later[:, 1], logits_of(plain, "th")[:, 1])  # the second step does use W_hh


def test_a_config_from_before_weight_drop_loads_without_it(tmp_path):
    make_model("lstm").save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text(encoding="utf-8"))
    del config["weight_drop"]
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    assert CharRNN.from_pretrained(tmp_path).weight_drop == 0.0


@pytest.mark.parametrize("weight_drop", [-0.1, 1.0])
def test_constructor_refuses_a_bad_weight_drop(weight_drop):
    with pytest.raises(ValueError, match="weight_drop"):
        CharRNN(ModelConfig(VOCAB, weight_drop=weight_drop))


# ---- save / load ----


@pytest.mark.parametrize("cell", CELLS)
def test_save_load_round_trip(tmp_path, cell):
    model = make_model(cell, meta={"corpus": "test", "val_loss": 1.5})
    model.save_pretrained(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["config.json", "model.safetensors"]
    loaded = CharRNN.from_pretrained(tmp_path / "m")
    assert isinstance(loaded, CharRNN) and not loaded.training
    assert loaded.cell == cell and loaded.vocab == model.vocab
    assert loaded.meta["corpus"] == "test" and loaded.meta["val_loss"] == 1.5
    assert torch.equal(logits_of(loaded), logits_of(model))
    for name, tensor in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], tensor), name


def test_trained_model_round_trip(tmp_path, tiny_model):
    tiny_model.save_pretrained(str(tmp_path / "tiny"))  # a str path works too
    loaded = CharRNN.from_pretrained(str(tmp_path / "tiny"))
    assert torch.equal(logits_of(loaded, "To be, or not"), logits_of(tiny_model, "To be, or not"))


def test_config_describes_the_model(tmp_path):
    model = make_model("gru", layers=2, hidden=24, dropout=0.1, weight_drop=0.2, meta={"corpus": "x"})
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text(encoding="utf-8"))
    assert config["vocab"] == VOCAB
    assert (config["cell"], config["layers"], config["hidden"], config["embedding"]) == ("gru", 2, 24, 8)
    assert (config["dropout"], config["weight_drop"]) == (0.1, 0.2)
    assert CharRNN.from_pretrained(tmp_path).weight_drop == 0.2
    assert config["parameters"] == model.num_parameters
    assert config["meta"] == {"corpus": "x", "weights_dtype": "float32"}
    assert set(load_file(tmp_path / "model.safetensors")) == set(model.state_dict())


def test_saving_again_replaces_the_files_and_leaves_no_temporaries(tmp_path):
    make_model("rnn", seed=1).save_pretrained(tmp_path)
    second = make_model("rnn", seed=2)
    second.save_pretrained(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "model.safetensors"]
    assert torch.equal(logits_of(CharRNN.from_pretrained(tmp_path)), logits_of(second))


def test_float16_save_loads_as_float32(tmp_path):
    model = make_model("lstm", hidden=64)
    model.save_pretrained(tmp_path / "full")
    model.save_pretrained(tmp_path / "half", dtype=torch.float16)
    stored = load_file(tmp_path / "half" / "model.safetensors")
    assert all(t.dtype == torch.float16 for t in stored.values())
    full_size = (tmp_path / "full" / "model.safetensors").stat().st_size
    assert (tmp_path / "half" / "model.safetensors").stat().st_size < 0.6 * full_size
    config = json.loads((tmp_path / "half" / "config.json").read_text(encoding="utf-8"))
    assert config["meta"]["weights_dtype"] == "float16"
    loaded = CharRNN.from_pretrained(tmp_path / "half")
    assert all(p.dtype == torch.float32 for p in loaded.parameters())
    expected = logits_of(model)
    got = logits_of(loaded)
    assert not torch.equal(got, expected)  # it really went through float16
    torch.testing.assert_close(got, expected, **FLOAT16)
    assert model.head.weight.dtype == torch.float32  # saving did not convert the live model


# ---- malformed checkpoints: CheckpointError with one line that names the problem ----


@pytest.fixture
def saved(tmp_path) -> Path:
    directory = tmp_path / "model"
    make_model("gru", layers=1, hidden=16).save_pretrained(directory)
    return directory


def write_config(directory: Path, config) -> None:
    (directory / "config.json").write_text(json.dumps(config), encoding="utf-8")


def read_config(directory: Path) -> dict:
    return json.loads((directory / "config.json").read_text(encoding="utf-8"))


def test_missing_config(saved):
    (saved / "config.json").unlink()
    assert "config.json is missing" in one_line_error(lambda: CharRNN.from_pretrained(saved))


def test_missing_weights(saved):
    (saved / "model.safetensors").unlink()
    message = one_line_error(lambda: CharRNN.from_pretrained(saved))
    assert "model.safetensors is missing" in message


def test_empty_directory(tmp_path):
    assert "config.json is missing" in one_line_error(lambda: CharRNN.from_pretrained(tmp_path))


def test_directory_that_does_not_exist(tmp_path):
    message = one_line_error(lambda: CharRNN.from_pretrained(tmp_path / "no-such-model"))
    assert "not found" in message or "does not exist" in message or "no such" in message.lower()


@pytest.mark.parametrize("text", ["{not json", "", '{"vocab": ["a", "b"],}', "\x00\x01"])
def test_invalid_json_config(saved, text):
    (saved / "config.json").write_text(text, encoding="utf-8")
    message = one_line_error(lambda: CharRNN.from_pretrained(saved))
    assert "config.json" in message and "not valid JSON" in message


def test_config_that_is_not_an_object(saved):
    (saved / "config.json").write_text("[1, 2, 3]", encoding="utf-8")
    message = one_line_error(lambda: CharRNN.from_pretrained(saved))
    assert "config.json" in message


def test_config_without_vocab(saved):
    config = read_config(saved)
    del config["vocab"]
    write_config(saved, config)
    message = one_line_error(lambda: CharRNN.from_pretrained(saved))
    assert "vocab" in message and "config.json" in message


@pytest.mark.parametrize("vocab", [None, [], ["a", "a"], ["ab", "c"]])
def test_config_with_a_bad_vocab(saved, vocab):
    config = read_config(saved)
    config["vocab"] = vocab
    write_config(saved, config)
    assert "config.json" in one_line_error(lambda: CharRNN.from_pretrained(saved))


def test_unknown_cell(saved):
    config = read_config(saved)
    config["cell"] = "transformer"
    write_config(saved, config)
    message = one_line_error(lambda: CharRNN.from_pretrained(saved))
    assert "transformer" in message and "config.json" in message


def test_bad_sizes_in_config(saved):
    config = read_config(saved)
    config["layers"] = "two"
    write_config(saved, config)
    one_line_error(lambda: CharRNN.from_pretrained(saved))


def test_vocabulary_mismatch(saved):
    config = read_config(saved)
    config["vocab"] = [*config["vocab"], "\u2603"]  # one character more than the tensors hold
    write_config(saved, config)
    message = one_line_error(lambda: CharRNN.from_pretrained(saved))
    assert "model.safetensors" in message and "vocabulary" in message
    assert any(name in message for name in ("embed.weight", "head.weight", "head.bias"))


def test_tensor_of_wrong_shape(saved):
    tensors = load_file(saved / "model.safetensors")
    tensors["rnn.weight_hh_l0"] = tensors["rnn.weight_hh_l0"][:, :8].contiguous()
    save_file(tensors, saved / "model.safetensors")
    message = one_line_error(lambda: CharRNN.from_pretrained(saved))
    assert "rnn.weight_hh_l0" in message and "(48, 8)" in message and "(48, 16)" in message


def test_hidden_size_mismatch_does_not_blame_the_vocabulary(saved):
    config = read_config(saved)
    config["hidden"] = 20  # vocabulary unchanged
    write_config(saved, config)
    message = one_line_error(lambda: CharRNN.from_pretrained(saved))
    assert "vocabulary" not in message


def test_missing_and_unexpected_tensors(saved):
    tensors = load_file(saved / "model.safetensors")
    tensors["extra.weight"] = tensors.pop("head.bias")
    save_file(tensors, saved / "model.safetensors")
    message = one_line_error(lambda: CharRNN.from_pretrained(saved))
    assert "head.bias" in message and "extra.weight" in message


def test_integer_tensors_are_refused(saved):
    tensors = load_file(saved / "model.safetensors")
    tensors["head.bias"] = tensors["head.bias"].to(torch.int32)
    save_file(tensors, saved / "model.safetensors")
    assert "head.bias" in one_line_error(lambda: CharRNN.from_pretrained(saved))


@pytest.mark.parametrize("keep", [0, 4, 8, 40, 0.5, 0.99])
def test_truncated_safetensors(saved, keep):
    path = saved / "model.safetensors"
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep) if isinstance(keep, float) else keep])
    message = one_line_error(lambda: CharRNN.from_pretrained(saved))
    assert "model.safetensors" in message


@pytest.fixture
def no_unpickling(monkeypatch):
    """Fail loudly if anything calls torch.load or pickle.load(s) while loading."""
    calls = []
    for owner, name in [(torch, "load"), (pickle, "load"), (pickle, "loads")]:
        monkeypatch.setattr(owner, name, lambda *a, _n=name, **k: calls.append(_n))
    return calls


def test_the_payload_really_creates_its_marker(tmp_path):
    """Control: the planted files would have created the marker if anything unpickled them."""
    for kind, data in payloads(tmp_path, tmp_path / "marker").items():
        (tmp_path / "marker").unlink(missing_ok=True)
        if kind == "pickle":
            pickle.loads(data)
        else:
            (tmp_path / "p.bin").write_bytes(data)
            torch.load(tmp_path / "p.bin", weights_only=False)
        assert (tmp_path / "marker").exists(), kind


@pytest.mark.parametrize("kind", ["pickle", "torch.save"])
def test_pickle_renamed_to_safetensors_is_never_unpickled(saved, tmp_path, kind, no_unpickling):
    marker = tmp_path / "pwned"
    (saved / "model.safetensors").write_bytes(payloads(tmp_path, marker)[kind])
    message = one_line_error(lambda: CharRNN.from_pretrained(saved))
    assert "model.safetensors" in message and "safetensors" in message
    assert not marker.exists()
    assert no_unpickling == []


@pytest.mark.parametrize("kind", ["pickle", "torch.save"])
def test_pytorch_model_bin_is_never_loaded(saved, tmp_path, kind, no_unpickling):
    marker = tmp_path / "pwned"
    (saved / "model.safetensors").unlink()
    (saved / "pytorch_model.bin").write_bytes(payloads(tmp_path, marker)[kind])
    message = one_line_error(lambda: CharRNN.from_pretrained(saved))
    assert "model.safetensors is missing" in message
    assert not marker.exists()
    assert no_unpickling == []


def test_a_valid_pytorch_model_bin_is_not_loaded_either(saved, tmp_path):
    """Even a genuine state dict in the legacy format is refused: only safetensors loads."""
    model = CharRNN.from_pretrained(saved)
    (saved / "model.safetensors").unlink()
    torch.save(model.state_dict(), saved / "pytorch_model.bin")
    assert "model.safetensors" in one_line_error(lambda: CharRNN.from_pretrained(saved))


def test_a_repo_id_neither_cached_nor_reachable_is_one_line(tmp_path, monkeypatch, fake_hub):
    # Offline and not in the cache, or missing on the Hub: a CheckpointError, not the Hub's own error.
    with pytest.raises(CheckpointError, match="not in the local cache") as offline:
        CharRNN.from_pretrained("alice/nothing-here", local_files_only=True)
    with pytest.raises(CheckpointError, match="no such repo") as missing:
        CharRNN.from_pretrained("alice/nothing-here")
    assert "\n" not in str(offline.value) and "\n" not in str(missing.value)


def test_a_model_config_builds_the_same_model_and_config_json(tmp_path) -> None:
    config = ModelConfig(list("abc\n"), cell="gru", layers=2, hidden=6, embedding=3, weight_drop=0.1, start_state=True)
    torch.manual_seed(0)
    by_config = CharRNN(config)
    torch.manual_seed(0)
    by_name = CharRNN(
        ModelConfig(list("abc\n"), cell="gru", layers=2, hidden=6, embedding=3, weight_drop=0.1, start_state=True)
    )
    assert by_config.model_config == config == by_name.model_config
    assert by_config.config() == by_name.config()
    assert list(by_config.config()) == [
        "format_version", "vocab", "cell", "layers", "hidden", "embedding", "dropout", "embedding_dropout",
        "weight_drop", "start_state", "parameters", "meta",
    ]  # fmt: skip
    by_config.save_pretrained(tmp_path)
    assert CharRNN.from_pretrained(tmp_path).model_config == config
    with pytest.raises(ValueError, match="unknown cell"):
        ModelConfig(list("ab"), cell="transformer")


def test_the_training_cli_takes_the_architecture_help_from_the_model_config() -> None:
    from training.config import TrainConfig

    help_of = {f.name: f.metadata["help"] for f in dataclasses.fields(TrainConfig)}
    for f in ModelConfig.shape_fields():
        if f.name != "start_state":
            assert help_of[f.name] == f.metadata["help"]
