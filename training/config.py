"""The training configuration: one dataclass, its command line, and named recipes."""

from __future__ import annotations

import argparse
import dataclasses
import json
from dataclasses import dataclass, fields
from pathlib import Path

from charrnn.model import ModelConfig

RECIPES_DIR = Path(__file__).resolve().parent / "recipes"


@dataclass
class TrainConfig:
    # data
    corpus: str | None = None  # a registry name (python -m corpora list)
    text: str | None = None  # or any UTF-8 file
    mirror: str | None = None  # corpus mirror folder (else env CHARRNN_CORPORA_MIRROR, else download)
    val_fraction: float = 0.1
    # output
    out: str = "models/custom"
    run_dir: str | None = None  # resume state; default runs/<name of out>
    name: str | None = None  # style name shown in the app; default: the out folder's name
    # model
    cell: str = "lstm"
    layers: int = 2
    hidden: int = 512
    embedding: int = 64
    dropout: float = 0.25  # between layers and before the head
    embedding_dropout: float = 0.0
    weight_drop: float = 0.0  # DropConnect on the recurrent weights
    start_state: bool = False  # a learned start state (h0, c0 per layer) that texts begin from
    # begin from a model directory's weights (a shipped models/NAME); the architecture is its own
    init_from: str | None = None
    start_state_only: bool = False  # train only the start state, every weight frozen
    start_batch: int = 32  # segments per step that begin at paragraph starts, for the start state
    # optimisation
    seq_len: int = 128
    batch_size: int = 64
    lr: float = 2e-3
    min_lr: float = 1e-4  # cosine schedule floor
    warmup_steps: int = 50
    schedule: str = "cosine"  # cosine | exponential | constant
    lr_decay: float = 0.9  # per epoch, for the exponential schedule
    cooldown_epochs: float = 0.0  # the last N epochs take the learning rate linearly down to 0
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    epochs: float = 10.0
    max_steps: int | None = None  # stop early (tests, quick looks)
    ema: float = 0.0  # decay of an exponential moving average of the weights; 0 = off
    seed: int = 1337
    # evaluation, samples, saving
    eval_every: int = 0  # steps between validations; 0 = once per epoch (always also at the end)
    log_every: int = 10
    save_every: int = 0  # steps between saves of the resumable state; 0 = only at validations
    sample_prime: str | None = None  # default: the corpus's prime, else a newline
    sample_temperature: float = 0.8
    sample_length: int = 300
    sample_seed: int = 1234
    save_float16: bool = False
    threads: int | None = None  # torch threads on CPU; default: torch's choice
    max_minutes: float | None = None  # stop after this much training time, keeping the best checkpoint
    recipe: str | None = None

    def total_steps(self, steps_per_epoch: int) -> int:
        steps = round(self.epochs * steps_per_epoch)
        return min(steps, self.max_steps) if self.max_steps else steps

    def training_options(self) -> dict:
        """The options that shape the weights: a resume that changes one starts a new stage."""
        return {k: v for k, v in self.to_dict().items() if k not in RUN_ONLY_OPTIONS}

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


# Where files go, how often to report, threads: a resume may change these without a trace.
RUN_ONLY_OPTIONS = {
    "mirror",
    "out",
    "run_dir",
    "name",
    "eval_every",
    "log_every",
    "save_every",
    "sample_prime",
    "sample_temperature",
    "sample_length",
    "sample_seed",
    "save_float16",
    "threads",
    "max_minutes",
    "recipe",
}


# The architecture's help is the model's own (charrnn.model.ModelConfig); the start state's is longer here.
ARCHITECTURE_HELP = {f.name: f.metadata["help"] for f in ModelConfig.shape_fields() if f.name != "start_state"}
HELP = {
    "corpus": "corpus name from the registry (python -m corpora list)",
    "text": "train on any UTF-8 text file instead of a registry corpus",
    "mirror": "folder with the corpus files (else $CHARRNN_CORPORA_MIRROR, else download)",
    "val_fraction": "contiguous tail of the text held out for validation",
    "out": "model directory to write (config.json, model.safetensors, history.json, README.md)",
    "run_dir": "where resumable state lives (default runs/<out name>; holds the optimiser)",
    "name": "style name (default: the out folder's name)",
    **ARCHITECTURE_HELP,
    "start_state": "learn a start state (h0, and c0 for an LSTM, per layer) that every text begins from "
    "instead of zeros: each step also reads --start-batch segments that begin at paragraph starts "
    "of the training split from it, and their loss trains the start state only (the weights learn "
    "from the carried streams as without it)",
    "init_from": "begin from the weights of this model directory (say the shipped models/NAME; float16 "
    "is read as float32) instead of random ones; its architecture and vocabulary must match the "
    "text's. With --out the same directory the model is continued in place: its history.json "
    "gains a new stage, its card a command, and its meta (results, n-gram baseline, notes) is kept",
    "start_state_only": "train the start state alone (implies --start-state), every weight frozen, on "
    "segments of --seq-len characters that begin at paragraph starts, at a constant --lr for "
    "--max-steps steps (schedule, EMA, dropout and weight decay play no part); use with --init-from",
    "start_batch": "segments per step, each beginning at a paragraph start, that train the start state",
    "seq_len": "characters of truncated backpropagation through time",
    "batch_size": "parallel streams of text (the hidden state is carried across batches)",
    "lr": "peak learning rate (AdamW)",
    "min_lr": "learning rate at the end of the cosine schedule",
    "warmup_steps": "linear warm-up steps",
    "schedule": "cosine | exponential | constant",
    "lr_decay": "per-epoch factor of the exponential schedule",
    "cooldown_epochs": "final epochs over which the learning rate falls linearly to 0, on top of the schedule",
    "weight_decay": "AdamW weight decay (matrices and embeddings; not biases)",
    "grad_clip": "clip the global gradient norm to this",
    "epochs": "passes over the training split (fractions allowed)",
    "max_steps": "stop after this many steps",
    "ema": "decay of an exponential moving average of the weights that is evaluated and saved (0 = off)",
    "seed": "random seed (weights, dropout)",
    "eval_every": "steps between full validations (0 = once per epoch)",
    "save_every": "also save the resumable state every N steps, to bound what a crash loses (0 = only at validations)",
    "log_every": "steps between loss records",
    "sample_prime": "prime of the samples recorded over training",
    "sample_temperature": "temperature of those samples",
    "sample_length": "characters per recorded sample",
    "sample_seed": "seed of those samples (the same for every sample, so they compare)",
    "save_float16": "store weights in float16 (half the file; loading restores float32)",
    "threads": "torch CPU threads",
    "max_minutes": "end the run after this many minutes of training (validates, keeps the best checkpoint, "
    "and writes the summary as for a finished run, with time_limit true)",
    "recipe": "named recipe from training/recipes/ (explicit flags override it)",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m training.train",
        description="Train a character-level RNN / GRU / LSTM and write a self-describing model directory.",
    )
    for f in fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        if f.type == "bool":
            parser.add_argument(flag, action="store_true", default=None, help=HELP[f.name])
            continue
        kind = {"int": int, "float": float, "str": str}[f.type.split(" ")[0]]
        # default=None so that a flag given on the command line can be told from a recipe's value
        shown = "" if f.default is None else f" (default {f.default})"
        parser.add_argument(flag, type=kind, default=None, help=HELP[f.name] + shown)
    parser.add_argument("--resume", action="store_true", help="continue from the run's saved state")
    parser.add_argument("--force", action="store_true", help="overwrite an --out that holds a different model")
    return parser


def load_recipe(name: str) -> dict:
    path = RECIPES_DIR / f"{name}.json"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in RECIPES_DIR.glob("*.json")))
        raise ValueError(f"unknown recipe {name!r}; known: {known}")
    return json.loads(path.read_text(encoding="utf-8"))


def config_from_args(argv: list[str] | None = None) -> tuple[TrainConfig, argparse.Namespace]:
    """Defaults <- recipe <- explicit flags."""
    args = build_parser().parse_args(argv)
    values = {}
    if args.recipe:
        values.update(load_recipe(args.recipe))
        values["recipe"] = args.recipe
    values.update({f.name: getattr(args, f.name) for f in fields(TrainConfig) if getattr(args, f.name) is not None})
    unknown = set(values) - {f.name for f in fields(TrainConfig)}
    if unknown:
        raise ValueError(f"recipe sets unknown option(s): {', '.join(sorted(unknown))}")
    config = TrainConfig(**values)
    if config.corpus is None and config.text is None:
        raise ValueError("give --corpus NAME, --text PATH or a --recipe that names a corpus")
    if config.corpus is not None and config.text is not None:
        raise ValueError("give only one of --corpus and --text")
    return config, args
