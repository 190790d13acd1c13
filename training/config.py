"""The training configuration: one dataclass, its command line, and named recipes."""

from __future__ import annotations

import argparse
import dataclasses
import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from charrnn.model import ModelConfig, option

RECIPES_DIR = Path(__file__).resolve().parent / "recipes"


MODEL_FIELDS = {f.name: f for f in ModelConfig.shape_fields()}


def _arch(name: str, default: Any = dataclasses.MISSING) -> Any:
    """An architecture option read from the model's own field (``charrnn.model.ModelConfig``): its
    help, and its default unless training chooses another (dropout: the model's 0 is no training's)."""
    field = MODEL_FIELDS[name]
    return option(field.default if default is dataclasses.MISSING else default, field.metadata["help"])


@dataclass
class TrainConfig:
    # data
    corpus: str | None = option(None, "corpus name from the registry (python -m corpora list)")
    text: str | None = option(None, "train on any UTF-8 text file instead of a registry corpus")
    mirror: str | None = option(None, "folder with the corpus files (else $CHARRNN_CORPORA_MIRROR, else download)")
    val_fraction: float = option(0.1, "contiguous tail of the text held out for validation")
    # output
    out: str = option(
        "models/custom", "model directory to write (config.json, model.safetensors, history.json, README.md)"
    )
    run_dir: str | None = option(None, "where resumable state lives (default runs/<out name>; holds the optimiser)")
    name: str | None = option(None, "style name (default: the out folder's name)")
    # model
    cell: str = _arch("cell")
    layers: int = _arch("layers")
    hidden: int = _arch("hidden")
    embedding: int = _arch("embedding")
    dropout: float = _arch("dropout", 0.25)
    embedding_dropout: float = _arch("embedding_dropout")
    weight_drop: float = _arch("weight_drop")
    start_state: bool = option(
        False,
        "learn a start state (h0, and c0 for an LSTM, per layer) that every text begins from instead of "
        "zeros: each step also reads --start-batch segments that begin at paragraph starts of the training "
        "split from it, and their loss trains the start state only (the weights learn from the carried "
        "streams as without it)",
    )
    init_from: str | None = option(
        None,
        "begin from the weights of this model directory (say the shipped models/NAME; float16 is read as "
        "float32) instead of random ones; its architecture and vocabulary must match the text's. With --out "
        "the same directory the model is continued in place: its history.json gains a new stage, its card a "
        "command, and its meta (results, n-gram baseline, notes) is kept",
    )
    start_state_only: bool = option(
        False,
        "train the start state alone (implies --start-state), every weight frozen, on segments of --seq-len "
        "characters that begin at paragraph starts, at a constant --lr for --max-steps steps (schedule, EMA, "
        "dropout and weight decay play no part); use with --init-from",
    )
    start_batch: int = option(32, "segments per step, each beginning at a paragraph start, that train the start state")
    # optimisation
    seq_len: int = option(128, "characters of truncated backpropagation through time")
    batch_size: int = option(64, "parallel streams of text (the hidden state is carried across batches)")
    lr: float = option(2e-3, "peak learning rate (AdamW)")
    min_lr: float = option(1e-4, "learning rate at the end of the cosine schedule")
    warmup_steps: int = option(50, "linear warm-up steps")
    schedule: str = option("cosine", "cosine | exponential | constant")
    lr_decay: float = option(0.9, "per-epoch factor of the exponential schedule")
    cooldown_epochs: float = option(
        0.0, "final epochs over which the learning rate falls linearly to 0, on top of the schedule"
    )
    weight_decay: float = option(0.01, "AdamW weight decay (matrices and embeddings; not biases)")
    grad_clip: float = option(1.0, "clip the global gradient norm to this")
    epochs: float = option(10.0, "passes over the training split (fractions allowed)")
    max_steps: int | None = option(None, "stop after this many steps")
    ema: float = option(
        0.0, "decay of an exponential moving average of the weights that is evaluated and saved (0 = off)"
    )
    seed: int = option(1337, "random seed (weights, dropout)")
    # evaluation, samples, saving
    eval_every: int = option(0, "steps between full validations (0 = once per epoch; always also at the end)")
    log_every: int = option(10, "steps between loss records")
    save_every: int = option(
        0, "also save the resumable state every N steps, to bound what a crash loses (0 = only at validations)"
    )
    sample_prime: str | None = option(None, "prime of the samples recorded over training (default: the corpus's)")
    sample_temperature: float = option(0.8, "temperature of those samples")
    sample_length: int = option(300, "characters per recorded sample")
    sample_seed: int = option(1234, "seed of those samples (the same for every sample, so they compare)")
    save_float16: bool = option(False, "store weights in float16 (half the file; loading restores float32)")
    threads: int | None = option(None, "torch CPU threads (default: torch's choice)")
    max_minutes: float | None = option(
        None,
        "end the run after this many minutes of training (validates, keeps the best checkpoint, and writes "
        "the summary as for a finished run, with time_limit true)",
    )
    recipe: str | None = option(None, "named recipe from training/recipes/ (explicit flags override it)")

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m training.train",
        description="Train a character-level RNN / GRU / LSTM and write a self-describing model directory.",
    )
    for f in fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        if f.type == "bool":
            parser.add_argument(flag, action="store_true", default=None, help=f.metadata["help"])
            continue
        kind = {"int": int, "float": float, "str": str}[f.type.split(" ")[0]]
        # default=None so that a flag given on the command line can be told from a recipe's value
        shown = "" if f.default is None else f" (default {f.default})"
        parser.add_argument(flag, type=kind, default=None, help=f.metadata["help"] + shown)
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
