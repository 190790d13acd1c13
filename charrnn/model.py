"""The character-level recurrent language model: embedding -> RNN/GRU/LSTM stack -> linear head."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from huggingface_hub import PyTorchModelHubMixin
from huggingface_hub.utils import HFValidationError, validate_repo_id
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import nn
from torch.func import functional_call
from torch.nn import functional as F

from charrnn.files import atomic_write, atomic_write_json
from charrnn.vocab import Vocab

CELLS = ("rnn", "gru", "lstm")
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
FORMAT_VERSION = 1

# An LSTM state is (h, c), each (layers, B, H); an RNN or GRU state is h alone.
State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


class CheckpointError(RuntimeError):
    """A model directory or Hub repo that cannot be loaded; the message says which file and why."""


def option(default: Any, help: str) -> Any:
    """A dataclass field with its ``--help`` text in the metadata (the model's and training's configs)."""
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class ModelConfig:
    """The architecture: every field shapes the weights or the forward pass, and ``config.json``
    holds them by name (with ``format_version``, ``parameters`` and ``meta``). A new hyperparameter
    is one field here (its help is the training CLI's) plus its use in ``CharRNN``."""

    vocab: list[str]
    cell: str = option("lstm", "rnn | gru | lstm")
    layers: int = option(2, "stacked recurrent layers")
    hidden: int = option(512, "hidden units per layer")
    embedding: int = option(64, "character embedding size")
    dropout: float = option(0.0, "dropout between layers and before the output head")
    embedding_dropout: float = option(0.0, "dropout on the character embeddings")
    weight_drop: float = option(0.0, "DropConnect on the recurrent weights W_hh, one mask per batch (AWD-LSTM)")
    start_state: bool = option(False, "a learned start state (h0, and c0 for an LSTM, per layer) texts begin from")

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"unknown cell {self.cell!r}; expected one of {', '.join(CELLS)}")
        if self.layers < 1 or self.hidden < 1 or self.embedding < 1:
            raise ValueError("layers, hidden and embedding must be positive")
        if not 0.0 <= self.weight_drop < 1.0:
            raise ValueError(f"weight_drop must be in [0, 1), not {self.weight_drop}")

    @classmethod
    def shape_fields(cls) -> list[dataclasses.Field]:
        """The fields besides the vocabulary (what a training config chooses)."""
        return [f for f in dataclasses.fields(cls) if f.name != "vocab"]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelConfig:
        """The config that a ``config.json`` holds (its other keys: ``format_version``, ``parameters``,
        ``meta``, are not the architecture's); a missing field takes its default."""
        return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data})


_ARCHITECTURE = frozenset(f.name for f in ModelConfig.shape_fields())


class CharRNN(
    nn.Module,
    PyTorchModelHubMixin,
    library_name="charrnn",
    tags=["char-rnn", "text-generation", "character-level"],
    pipeline_tag="text-generation",
    license="mit",
):
    """A character-level language model.

    ``cell`` is ``rnn`` (h_t = tanh(W_hh h_{t-1} + W_xh x_t + b)), ``gru`` or ``lstm``.
    ``dropout`` acts between stacked layers and before the output head; ``embedding_dropout``
    on the character embeddings; ``weight_drop`` on the recurrent weights W_hh (DropConnect, as in
    Merity et al.'s AWD-LSTM), during training only. ``start_state=True`` gives the model a learned
    start state (``start_h``, and ``start_c`` for an LSTM, each (layers, hidden)): every forward
    without a state, and every sampler, scorer and probe of the library, begins from it instead of
    zeros, and the first character of a text is predicted from it (``start_logits``). ``meta``
    carries what describes the model but does not shape it (corpus, training recipe, results) so
    that ``config.json`` is self-describing.
    """

    def __init__(self, config: ModelConfig, meta: dict | None = None):
        """The model that ``config`` describes, with random weights (``from_pretrained`` reads both
        from a ``config.json``). An architecture field reads from the config: ``model.hidden`` is
        ``model.model_config.hidden``."""
        super().__init__()
        c = self.model_config = config
        self.vocab = Vocab(c.vocab)
        self.meta: dict[str, Any] = dict(meta or {})

        rnn_class = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[c.cell]
        extra = {"nonlinearity": "tanh"} if c.cell == "rnn" else {}
        self.embed = nn.Embedding(len(self.vocab), c.embedding)
        self.embed_drop = nn.Dropout(c.embedding_dropout)
        self.rnn = rnn_class(
            c.embedding, c.hidden, c.layers, batch_first=True, dropout=c.dropout if c.layers > 1 else 0.0, **extra
        )
        self.out_drop = nn.Dropout(c.dropout)
        self.head = nn.Linear(c.hidden, len(self.vocab))
        self.start_h: nn.Parameter | None = None
        self.start_c: nn.Parameter | None = None
        if c.start_state:
            self.add_start_state()

    def __getattr__(self, name: str) -> Any:
        # nn.Module's own lookup (parameters, submodules) first; then the architecture's fields.
        if name in _ARCHITECTURE and "model_config" in self.__dict__:
            return getattr(self.__dict__["model_config"], name)
        return super().__getattr__(name)

    @property
    def has_start_state(self) -> bool:
        return self.start_h is not None

    def add_start_state(self) -> None:
        """Give the model a learned start state, initialised to zeros (so it computes exactly what
        it did before until the start state is trained). No-op if it has one."""
        if self.has_start_state:
            return
        self.model_config = dataclasses.replace(self.model_config, start_state=True)
        device = self.head.weight.device
        self.start_h = nn.Parameter(torch.zeros(self.layers, self.hidden, device=device))  # (L, H)
        if self.cell == "lstm":
            self.start_c = nn.Parameter(torch.zeros(self.layers, self.hidden, device=device))  # (L, H)

    def forward(self, ids: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """ids (B, T) int64 -> logits (B, T, V) and the state after the last character."""
        return self.read_embedded(self.embed_drop(self.embed(ids)), state)

    def read_embedded(self, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """The model after its embedding: x (B, T, E) -> logits (B, T, V) and the state after the
        last character (``charrnn.memory`` differentiates the log-probabilities with respect to x)."""
        if state is None and self.has_start_state:
            state = self.initial_state(x.shape[0])
        h, state = self._recur(x, state)  # (B, T, H)
        return self.head(self.out_drop(h)), state  # (B, T, V)

    def _recur(self, x: torch.Tensor, state: State | None) -> tuple[torch.Tensor, State]:
        if not (self.training and self.weight_drop > 0):
            return self.rnn(x, state)
        # DropConnect: one mask on W_hh per batch, shared by every time step, so the recurrence is
        # regularised without noise that changes from step to step and erodes the memory. The
        # dropped weights are lent to the module for this call only; gradients reach the originals.
        weights = {
            name: F.dropout(w, self.weight_drop) if name.startswith("weight_hh") else w
            for name, w in self.rnn.named_parameters()
        }
        return functional_call(self.rnn, weights, (x, state))

    def initial_state(self, batch: int = 1) -> State:
        """The state a text begins from, (layers, batch, H) (a pair for an LSTM): the learned start
        state repeated over the batch (gradients reach it), else zeros."""
        if self.start_h is None:
            zeros = torch.zeros(self.layers, batch, self.hidden, device=self.head.weight.device)
            return (zeros, zeros.clone()) if self.cell == "lstm" else zeros

        def repeat(s: torch.Tensor) -> torch.Tensor:  # (L, H) -> (L, B, H); cuDNN wants contiguous
            return s.unsqueeze(1).expand(-1, batch, -1).contiguous()

        h = repeat(self.start_h)
        return (h, repeat(self.start_c)) if self.start_c is not None else h

    def start_logits(self, batch: int = 1) -> torch.Tensor:
        """(B, 1, V): the prediction of a text's first character, from the start state's top-layer
        h (zeros for a model without a start state: then it is the head's bias alone)."""
        state = self.initial_state(batch)
        h = state[0] if isinstance(state, tuple) else state  # (L, B, H)
        return self.head(self.out_drop(h[-1])).unsqueeze(1)

    def predictions(
        self, ids: torch.Tensor, state: State | None = None, first: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, State, torch.Tensor]:
        """Logits predicting every character of ids (B, T) from the ones before it: (B, T, V), the
        first one from ``first`` (B, 1, V) when a text is read in chunks (the carried prediction of
        an earlier chunk, with its ``state``), else from the start state (``start_logits``). Also
        returns the state after ids and the prediction (B, 1, V) of the character after them."""
        logits, state = self(ids, state)  # (B, T, V): logits[:, t] predicts ids[:, t + 1]
        first = self.start_logits(ids.shape[0]) if first is None else first
        return torch.cat([first, logits[:, :-1]], dim=1), state, logits[:, -1:]

    @property
    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def config(self) -> dict[str, Any]:
        """Everything needed to rebuild this model; written as ``config.json``."""
        return {
            "format_version": FORMAT_VERSION,
            **dataclasses.asdict(self.model_config),  # start_state: whether the weights hold start_h (and start_c)
            "parameters": self.num_parameters,
            "meta": self.meta,
        }

    # ---- persistence: safetensors + JSON only; nothing here unpickles ----

    def save_pretrained(  # type: ignore[override]
        self,
        save_directory: str | Path,
        *,
        dtype: torch.dtype | None = None,
        repo_id: str | None = None,
        push_to_hub: bool = False,
        **push_to_hub_kwargs: Any,
    ) -> str | None:
        """Write ``model.safetensors`` and ``config.json`` into ``save_directory``, each
        atomically. ``dtype=torch.float16`` halves the file; loading restores float32."""
        directory = Path(save_directory)
        tensors = {k: v.detach().to("cpu", dtype or v.dtype).contiguous() for k, v in self.state_dict().items()}
        atomic_write(directory / WEIGHTS_FILE, lambda tmp: save_file(tensors, tmp, metadata={"format": "pt"}))
        config = self.config()
        config["meta"] = {**self.meta, "weights_dtype": str(dtype or torch.float32).removeprefix("torch.")}
        atomic_write_json(directory / CONFIG_FILE, config)
        if push_to_hub:
            return self.push_to_hub(repo_id=repo_id or directory.name, **push_to_hub_kwargs)
        return None

    def _save_pretrained(self, save_directory: Path) -> None:
        # Used by the mixin's push_to_hub; keep the same format as save_pretrained.
        self.save_pretrained(save_directory)

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | Path, **kwargs: Any) -> CharRNN:  # type: ignore[override]
        """Load from a local directory or a Hub repo id, on CPU, with strict key/shape checks.
        Raises ``CheckpointError`` with a one-line reason for anything malformed."""
        source = str(pretrained_model_name_or_path)
        try:
            model = super().from_pretrained(_check_source(source), **kwargs)
        except CheckpointError:
            raise
        except json.JSONDecodeError as e:
            raise CheckpointError(f"{source}: {CONFIG_FILE} is not valid JSON ({e.msg} at line {e.lineno})") from e
        except (TypeError, ValueError, AttributeError, KeyError) as e:
            raise CheckpointError(f"{source}: {CONFIG_FILE} does not describe a CharRNN ({e})") from e
        except OSError as e:  # unreadable files; for a repo id: not cached and the Hub not reachable
            reason = (str(e).strip().splitlines() or [type(e).__name__])[0]
            if _looks_local(source):
                raise CheckpointError(f"{source}: cannot be read ({reason})") from e
            raise CheckpointError(
                f"{source}: not in the local cache and not fetched from the Hugging Face Hub ({reason})"
            ) from e
        model.eval()
        return model

    @classmethod
    def _from_pretrained(cls, *, model_id: str, map_location: str = "cpu", strict: bool = True, **kwargs: Any):
        hub_args = {k: kwargs.pop(k) for k in ("revision", "cache_dir", "force_download", "local_files_only", "token")}
        config_path = Path(model_id) / CONFIG_FILE
        if Path(model_id).is_dir() and not config_path.exists():
            raise CheckpointError(f"{model_id}: {CONFIG_FILE} is missing")
        data = kwargs.get("config")  # config.json as read by the Hub mixin
        if not isinstance(data, dict) and not Path(model_id).is_dir():  # the Hub gave no usable config
            raise CheckpointError(
                f"{model_id}: no charrnn {CONFIG_FILE} on the Hugging Face Hub (no such repo, not reachable, "
                "or not a charrnn model)"
            )
        if not isinstance(data, dict) or "vocab" not in data:
            raise CheckpointError(f"{model_id}: {CONFIG_FILE} has no 'vocab'; it was not written by charrnn")
        model = cls(ModelConfig.from_json({**data, "vocab": list(data["vocab"])}), meta=kwargs.get("meta"))
        weights = _resolve_weights(model_id, hub_args)
        model.load_state_dict(_read_safetensors(weights, model), strict=strict)
        return model.to(map_location)


def _looks_local(source: str) -> bool:
    """A Hub repo id is ``name`` or ``owner/name``; anything else is meant as a local path."""
    return Path(source).exists() or source.startswith((".", "/", "~")) or source.count("/") > 1 or "\\" in source


def _check_source(source: str) -> str:
    """What to hand to the Hub mixin: the local directory (``~`` expanded), or a valid repo id."""
    if not _looks_local(source):
        try:
            validate_repo_id(source)
        except HFValidationError:
            raise CheckpointError(f"{source}: neither a model directory nor a Hub repo id ('owner/name')") from None
        return source
    _check_local_source(source)
    return str(Path(source).expanduser())


def _check_local_source(source: str) -> None:
    path = Path(source).expanduser()
    if not path.is_dir():
        raise CheckpointError(f"{source}: model directory not found")
    config = path / CONFIG_FILE
    if config.is_file():
        try:
            data = json.loads(config.read_text(encoding="utf-8"))
        except UnicodeDecodeError as e:
            raise CheckpointError(f"{source}: {CONFIG_FILE} is not valid JSON (not UTF-8)") from e
        except json.JSONDecodeError as e:
            raise CheckpointError(f"{source}: {CONFIG_FILE} is not valid JSON ({e.msg} at line {e.lineno})") from e
        if not isinstance(data, dict):
            raise CheckpointError(f"{source}: {CONFIG_FILE} must hold a JSON object, not {type(data).__name__}")


def _resolve_weights(model_id: str, hub_args: dict[str, Any]) -> Path:
    if Path(model_id).is_dir():
        path = Path(model_id) / WEIGHTS_FILE
        if not path.exists():
            raise CheckpointError(f"{model_id}: {WEIGHTS_FILE} is missing (other weight formats are never loaded)")
        return path
    from huggingface_hub import hf_hub_download  # only the Hub path needs it

    return Path(hf_hub_download(repo_id=model_id, filename=WEIGHTS_FILE, **hub_args))


def _read_safetensors(path: Path, model: CharRNN) -> dict[str, torch.Tensor]:
    """Read every tensor, checking names and shapes against ``model`` before touching it."""
    expected = model.state_dict()
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            tensors = {name: f.get_tensor(name) for name in f.keys()}  # noqa: SIM118 (safe_open is no dict)
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{path}: not a valid safetensors file ({e})") from e
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        raise CheckpointError(f"{path}: tensors do not match config (missing {missing}, unexpected {unexpected})")
    for name, tensor in tensors.items():
        if tensor.shape != expected[name].shape:
            vocab_sized = name in ("embed.weight", "head.weight", "head.bias")
            vocab_differs = vocab_sized and tensor.shape[0] != expected[name].shape[0]
            hint = " (the vocabulary does not match the weights)" if vocab_differs else ""
            got, want = tuple(tensor.shape), tuple(expected[name].shape)
            raise CheckpointError(f"{path}: tensor {name} has shape {got}, config expects {want}{hint}")
        if not tensor.is_floating_point():
            raise CheckpointError(f"{path}: tensor {name} has non-float dtype {tensor.dtype}")
    return {name: t.float() for name, t in tensors.items()}
