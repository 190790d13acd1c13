"""Train a character-level RNN / GRU / LSTM: stateful truncated BPTT, AdamW, a learning-rate
schedule, full validation, samples over training, and a resumable state that survives kills.

    python -m training.train --corpus shakespeare --out models/my-shakespeare --epochs 1
    python -m training.train --recipe shakespeare            # a shipped model's exact recipe
    python -m training.train --recipe shakespeare --init-from models/shakespeare --out models/shakespeare \
        --start-state-only --max-steps 300 --lr 0.01 --seq-len 128   # teach a shipped model how to begin
    torchrun --nproc_per_node=2 -m training.train ...        # data parallel (gloo on CPU)
"""

from __future__ import annotations

import gc
import json
import math
import os
import platform
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from safetensors import SafetensorError
from tqdm import tqdm

from charrnn import CharRNN, Vocab
from charrnn.files import atomic_write_json, remove_stale_temporaries
from charrnn.history import HISTORY_FILE, load_history, new_history, sample_steps
from charrnn.metrics import bits_per_char, mean_nats, paragraph_starts
from charrnn.model import CONFIG_FILE, WEIGHTS_FILE, CheckpointError, ModelConfig
from charrnn.sampling import sample
from corpora import CORPORA, CorpusError
from corpora.training_text import text_sha256
from training.card import write_card
from training.config import TrainConfig, config_from_args
from training.data import load_text, split_text, to_streams
from training.state import STATE_FILE, RunState, load_state, optimizer_tensors, restore_optimizer, save_state

VAL_STREAMS = 16  # validation runs the whole split as this many parallel stateful streams
VAL_CHUNK = 512


class TrainingError(RuntimeError):
    """A run that cannot start or go on; the message says what to do."""


@contextmanager
def saving(path: Path) -> Iterator[None]:
    """Turn a failed write (disk full, quota, permissions) into one line for the user. The writes are
    atomic, so the files of the previous checkpoint are still whole: nothing to clean up."""
    try:
        yield
    except (OSError, SafetensorError) as e:
        failed = e.filename if isinstance(e, OSError) and e.filename else path
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise TrainingError(
            f"could not save {failed} ({reason}); the previous checkpoint is intact: "
            "free some space, then run the same command with --resume"
        ) from e


def learning_rate(config: TrainConfig, step: int, total: int, steps_per_epoch: int) -> float:
    # The cool-down multiplies whatever the schedule gives, so the steps before it are the same
    # as a run without one: a run can be given a cool-down on --resume and equal a fresh run.
    rate = scheduled_rate(config, step, total, steps_per_epoch)
    cooldown_steps = config.cooldown_epochs * steps_per_epoch
    return rate * min(1.0, (total - step) / cooldown_steps) if cooldown_steps > 0 else rate


def note_new_stage(history: dict, saved: dict, config: TrainConfig, step: int) -> dict:
    """A resume that changes an option that shapes the weights (say --epochs, which moves the
    cool-down) starts a new stage. Record the options the steps so far ran under, so that the
    model card can replay the whole run, and what changed, for the app's timeline.
    Returns {option: (old, new)}, empty when none changed."""
    now = config.training_options()
    before = {k: v for k, v in saved.items() if k in now}  # older states may lack newer options
    changed = {k: (v, now[k]) for k, v in before.items() if v != now[k]}
    if changed:
        stage = {"until_step": step, "options": before, "changed": {k: list(v) for k, v in changed.items()}}
        history.setdefault("stages", []).append(stage)
    return changed


def scheduled_rate(config: TrainConfig, step: int, total: int, steps_per_epoch: int) -> float:
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    if config.schedule == "constant":
        return config.lr
    if config.schedule == "exponential":
        return config.lr * config.lr_decay ** (step / steps_per_epoch)
    progress = min(1.0, (step - config.warmup_steps) / max(1, total - config.warmup_steps))
    return config.min_lr + 0.5 * (config.lr - config.min_lr) * (1 + math.cos(math.pi * progress))


def hardware(world: int = 1) -> str:
    procs = f" x {world} processes" if world > 1 else ""
    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)} GPU{procs}"
    threads = torch.get_num_threads()
    return f"{threads} CPU thread{'s' if threads > 1 else ''}{procs} ({platform.machine()}, {os.cpu_count()} cores)"


def detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def state_tensors(state, prefix: str) -> dict[str, torch.Tensor]:
    if state is None:
        return {}
    parts = state if isinstance(state, tuple) else (state,)
    return {f"{prefix}.{i}": s for i, s in enumerate(parts)}


def state_from_tensors(tensors: dict[str, torch.Tensor], prefix: str, cell: str, device):
    parts = [tensors[k].to(device) for k in sorted(k for k in tensors if k.startswith(prefix + "."))]
    if not parts:
        return None
    return tuple(parts) if cell == "lstm" else parts[0]


def start_positions(text: str, seq_len: int) -> torch.Tensor:
    """(P,) offsets where a start-state segment of ``seq_len`` characters may begin: every paragraph
    start (after a blank line), else every line start, else the start of the text."""
    starts = paragraph_starts(text, 0, seq_len)
    if not starts:
        starts = [i for i in range(1, len(text) - seq_len + 1) if text[i - 1] == "\n"] or [0]
    return torch.tensor(starts)


def validation_loss(model: CharRNN, val_ids: torch.Tensor) -> float:
    """Nats/char of the validation split, read as parallel stateful streams (``metrics.mean_nats``)."""
    x, y = to_streams(val_ids, min(VAL_STREAMS, max(1, (len(val_ids) - 1) // 2)), 1)  # (S, N)
    return mean_nats(model, x, y, VAL_CHUNK)


class Trainer:
    def __init__(self, config: TrainConfig, resume: bool = False, force: bool = False):
        self.config, self.resume = config, resume
        self.rank, self.world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
        self.device = torch.device(
            f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if torch.cuda.is_available() else "cpu"
        )
        self.out = Path(config.out)
        self.run_dir = Path(config.run_dir or Path("runs") / self.out.name)
        self.name = config.name or self.out.name
        self.stop_signal: int | None = None
        self.run_state = RunState()  # history, best, clock, pending losses, offsets: filled by start()
        self.init_meta: dict | None = None
        self._check_out(force)
        if config.threads:
            torch.set_num_threads(config.threads)
        self._load_data()
        self._build_model()

    # ---- setup ----

    @property
    def in_place(self) -> bool:
        """A model continued in its own directory (--init-from DIR --out DIR): nothing is refused or removed."""
        init = self.config.init_from
        return init is not None and Path(init).resolve() == self.out.resolve()

    def _check_out(self, force: bool) -> None:
        existing = self.out / "config.json"
        if self.resume or self.in_place or not existing.exists():
            return
        if not force:
            raise TrainingError(
                f"{self.out} already holds a model; pass --resume to continue it or --force to replace it"
            )
        if self.rank == 0:
            for path in [self.run_dir / STATE_FILE, *self.out.iterdir()]:
                if path.is_file():
                    path.unlink()

    def _load_data(self) -> None:
        c = self.config
        self.corpus_name, text = load_text(c.corpus, c.text, c.mirror)
        train_text, val_text = split_text(text, c.val_fraction)
        self.text_sha256 = text_sha256(text)  # lets the copy check find this very text again
        if len(val_text) < 3:
            raise TrainingError("the validation split is too small; use a longer text")
        self.vocab = Vocab.from_text(text)  # whole text, so validation has no unknown characters
        self.train_ids = torch.tensor(self.vocab.encode(train_text).ids)
        self.val_ids = torch.tensor(self.vocab.encode(val_text).ids)
        if c.batch_size % self.world:
            raise TrainingError(f"--batch-size {c.batch_size} must divide among {self.world} processes")
        x, y = to_streams(self.train_ids, c.batch_size, c.seq_len)  # (B, N)
        rows = slice(self.rank * c.batch_size // self.world, (self.rank + 1) * c.batch_size // self.world)
        self.x, self.y = x[rows].to(self.device), y[rows].to(self.device)  # this process's streams
        self.steps_per_epoch = x.shape[1] // c.seq_len
        self.total_steps = c.total_steps(self.steps_per_epoch)
        self.train_ids = self.train_ids.to(self.device)
        if c.start_state or c.start_state_only:
            self.start_positions = start_positions(train_text, c.seq_len).to(self.device)

    def _build_model(self) -> None:
        c = self.config
        torch.manual_seed(c.seed)
        registry = CORPORA.get(c.corpus or "")
        meta = {
            "name": self.name,
            "corpus": self.corpus_name,
            "title": registry.title if registry else self.corpus_name,
            "author": registry.author if registry else None,
            "licence": registry.licence if registry else None,
            "sample_prime": self.sample_prime,
            "train_config": c.to_dict(),
            "text_sha256": self.text_sha256,
        }
        if c.text:
            meta["text_path"] = str(Path(c.text).resolve())
        self.model = self._initial_model(meta).to(self.device)
        if c.start_state or c.start_state_only:
            if self.world > 1:
                raise TrainingError("--start-state trains on one process; run it without torchrun")
            self.model.add_start_state()
        self.start_params = [p for n, p in self.model.named_parameters() if n.startswith("start_")]
        if c.start_state_only:  # the weights stay as they are; only h0 (and c0) learn
            for n, p in self.model.named_parameters():
                p.requires_grad_(n.startswith("start_"))
            groups = [{"params": self.start_params, "weight_decay": 0.0}]
        else:
            weights = [(n, p) for n, p in self.model.named_parameters() if not n.startswith("start_")]
            decay = [p for n, p in weights if p.dim() >= 2]
            no_decay = [p for n, p in weights if p.dim() < 2] + self.start_params
            groups = [{"params": decay, "weight_decay": c.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
        self.optimizer = torch.optim.AdamW(groups, lr=c.lr, betas=(0.9, 0.99))
        use_ema = c.ema and not c.start_state_only
        self.ema = [p.detach().clone() for p in self.model.parameters()] if use_ema else None
        self.net = self.model
        if self.world > 1:
            self.net = torch.nn.parallel.DistributedDataParallel(self.model)

    def _initial_model(self, meta: dict) -> CharRNN:
        """Random weights shaped by the config, or (--init-from) a trained model's, checked against the text."""
        c = self.config
        if c.init_from is None:
            # without the start state: it is added afterwards, on either path (``add_start_state``)
            shape = {f.name: getattr(c, f.name) for f in ModelConfig.shape_fields() if f.name != "start_state"}
            return CharRNN(ModelConfig(self.vocab.chars, **shape), meta=meta)
        try:
            model = CharRNN.from_pretrained(c.init_from)
        except CheckpointError as e:
            raise TrainingError(f"--init-from: {e}") from e
        if model.vocab.chars != self.vocab.chars:
            raise TrainingError(f"--init-from {c.init_from} was trained on a different text (its vocabulary differs)")
        mine = (c.cell, c.layers, c.hidden, c.embedding)
        theirs = (model.cell, model.layers, model.hidden, model.embedding)
        if mine != theirs:
            raise TrainingError(
                f"--init-from {c.init_from} is a {theirs[1]} x {theirs[2]} {theirs[0]} (embedding {theirs[3]}); "
                f"the options ask for {mine[1]} x {mine[2]} {mine[0]} (embedding {mine[3]})"
            )
        self.init_meta = dict(model.meta)  # what the model was: its results, baseline, notes, training config
        # what it was, plus how this run saw its text (the copy check finds the text by it)
        seen = {k: meta[k] for k in ("text_sha256", "text_path") if k in meta}
        model.meta = {**model.meta, "name": self.name, "train_config": c.to_dict(), **seen}
        return model

    @property
    def sample_prime(self) -> str:
        if self.config.sample_prime is not None:
            return self.config.sample_prime
        registry = CORPORA.get(self.config.corpus or "")
        return registry.sample_prime if registry else "\n"

    # ---- averaged weights ----

    def swap_ema(self) -> None:
        """Exchange the live weights with the averaged ones (call twice to restore)."""
        if self.ema is None:
            return
        with torch.no_grad():
            for p, e in zip(self.model.parameters(), self.ema, strict=True):
                tmp = p.detach().clone()
                p.copy_(e)
                e.copy_(tmp)

    def update_ema(self, step: int) -> None:
        if self.ema is None:
            return
        decay = min(self.config.ema, (1 + step) / (10 + step))  # tracks closely early in training
        with torch.no_grad():
            for p, e in zip(self.model.parameters(), self.ema, strict=True):
                e.lerp_(p.detach(), 1 - decay)

    # ---- state ----

    def save(self, step: int, hidden) -> None:
        """Resumable state (rank 0 writes; the hidden state of every rank is gathered)."""
        hidden_all = self.gather(hidden)
        rng = self.gather_rng()
        if self.rank != 0:
            return
        tensors = {f"model.{k}": v for k, v in self.model.state_dict().items()}
        if self.ema is not None:
            tensors.update({f"ema.{i}": e for i, e in enumerate(self.ema)})
        optim_tensors, optim_info = optimizer_tensors(self.optimizer)
        tensors.update(optim_tensors)
        tensors.update(state_tensors(hidden_all, "hidden"))
        tensors["rng"] = rng
        info = {
            "step": step,
            "optimizer": optim_info,
            "config": self.config.to_dict(),
            "vocab": self.vocab.chars,
            "world": self.world,
            **self.run_state.info(),
        }
        with saving(self.run_dir / STATE_FILE):
            save_state(self.run_dir, tensors, info)
        # After the state: the history on disk never holds a record that a resume would not restore.
        with saving(self.out / HISTORY_FILE):
            atomic_write_json(self.out / HISTORY_FILE, self.run_state.history)
            if (self.out / CONFIG_FILE).exists():
                write_card(self.out)

    def gather(self, hidden):
        if self.world == 1 or hidden is None:
            return hidden
        parts = hidden if isinstance(hidden, tuple) else (hidden,)
        gathered = []
        for part in parts:
            chunks = [torch.empty_like(part) for _ in range(self.world)]
            dist.all_gather(chunks, part.contiguous())
            gathered.append(torch.cat(chunks, dim=1))  # (layers, B, H)
        return tuple(gathered) if isinstance(hidden, tuple) else gathered[0]

    def gather_rng(self) -> torch.Tensor:
        rng = torch.get_rng_state()  # (N,) uint8; dropout masks come from here
        if self.world == 1:
            return rng[None]
        chunks = [torch.empty_like(rng) for _ in range(self.world)]
        dist.all_gather(chunks, rng)
        return torch.stack(chunks)

    def restore(self) -> tuple[int, object]:
        """(step, hidden state) where the saved run stopped; the weights, optimiser, RNG and run state too."""
        tensors, info = load_state(self.run_dir)
        if info["vocab"] != self.vocab.chars:
            raise TrainingError("the saved run was trained on a different text; start a new run with --force")
        if info["world"] != self.world:
            raise TrainingError(f"the saved run used {info['world']} processes; resume with the same number")
        self.model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
        if self.ema is not None:
            for i, e in enumerate(self.ema):
                e.copy_(tensors[f"ema.{i}"])
        restore_optimizer(self.optimizer, tensors, info["optimizer"])
        torch.set_rng_state(tensors["rng"][self.rank])
        hidden = state_from_tensors(tensors, "hidden", self.config.cell, self.device)
        if hidden is not None:  # this rank's streams
            rows = slice(self.rank * self.x.shape[0], (self.rank + 1) * self.x.shape[0])
            hidden = tuple(h[:, rows] for h in hidden) if isinstance(hidden, tuple) else hidden[:, rows]
        self.run_state = RunState.from_info(info)
        changed = note_new_stage(self.run_state.history, info["config"], self.config, info["step"])
        if changed and self.rank == 0:
            listed = ", ".join(f"{k} {old} -> {new}" for k, (old, new) in changed.items())
            print(f"resuming at step {info['step']} as a new stage: {listed}", file=sys.stderr)
        return info["step"], hidden

    def save_model(self, val: float, step: int) -> None:
        """The shipped files: weights of the best validation so far, config, history, card."""
        if self.rank != 0:
            return
        self.model.meta.update(
            {
                "val_loss": val,
                "train_time_s": round(time.time() - self.run_state.start_time, 2),
                "hardware": hardware(self.world),
            }
        )
        if not self.config.start_state_only:  # else the weights are still those of the earlier best step
            epochs = self.run_state.epoch_offset + step / self.steps_per_epoch
            self.model.meta.update(best_step=self.run_state.step_offset + step, epochs_trained=epochs)
        with saving(self.out / WEIGHTS_FILE):  # history and card follow in save(), after the state
            self.model.save_pretrained(self.out, dtype=torch.float16 if self.config.save_float16 else None)

    # ---- the loop ----

    def record_sample(self) -> str:
        c = self.config
        was_training = self.model.training
        self.model.eval()
        text = sample(
            self.model,
            self.sample_prime,
            c.sample_length,
            temperature=c.sample_temperature,
            seed=c.sample_seed,
            unknown="replace",
        )
        self.model.train(was_training)
        return text

    def evaluate(self) -> float:
        self.swap_ema()
        val = validation_loss(self.model, self.val_ids)
        self.swap_ema()
        return val

    def start(self) -> tuple[int, object]:
        """(first step, hidden state): fresh, or where the saved run stopped."""
        c = self.config
        if self.resume:
            step, hidden = self.restore()
            if self.rank == 0:  # what a kill -9 in the middle of a save left behind
                for directory in (self.out, self.run_dir):
                    remove_stale_temporaries(directory)
            return step, hidden
        self.run_state.start_time = time.time()  # the clock starts now
        if c.init_from is not None:
            self.run_state.history = self.continued_history()
            return 0, None
        self.run_state.history = new_history(
            corpus=self.corpus_name,
            sample_prime=self.sample_prime,
            sample_temperature=c.sample_temperature,
            sample_seed=c.sample_seed,
            sample_length=c.sample_length,
        )
        if self.rank == 0:
            self.run_state.history["records"].append(self.make_record(0, None, None, self.record_sample()))
        return 0, None

    def continued_history(self) -> dict:
        """--init-from: the model's own history.json with a new stage: the steps so far ran under
        its training config (kept whole, so the card can replay them); this run's records follow."""
        assert self.init_meta is not None
        history = load_history(Path(self.config.init_from))  # type: ignore[arg-type]
        records = history["records"]
        summary = history.get("summary") or {}
        run = self.run_state
        run.step_offset = int(summary.get("steps") or (records[-1]["step"] if records else 0))
        if records:
            run.epoch_offset, run.chars_offset = records[-1]["epoch"], records[-1]["chars_seen"]
        run.start_time -= records[-1]["elapsed_s"] if records else 0.0
        earlier = self.init_meta.get("train_config") or {}
        now = self.config.training_options()
        defaults = TrainConfig().training_options()  # what an option newer than the model's config meant
        before = {k: earlier.get(k, defaults[k]) for k in now}
        changed = {k: [before[k], v] for k, v in now.items() if before[k] != v}
        stage = {"until_step": run.step_offset, "options": before, "changed": changed, "train_config": earlier}
        history.setdefault("stages", []).append(stage)
        return history

    def train_step(self, step: int, hidden) -> tuple[float, object, float]:
        """One optimiser step on batch ``step``; returns (loss, carried hidden state, lr)."""
        c = self.config
        if c.start_state_only:
            return self.start_state_step(step), hidden, c.lr
        batch = step % self.steps_per_epoch
        if batch == 0:
            hidden = None  # a new pass over the text starts from the start state (zeros without one)
        x = self.x[:, batch * c.seq_len : (batch + 1) * c.seq_len]  # (B, T)
        y = self.y[:, batch * c.seq_len : (batch + 1) * c.seq_len]
        lr = learning_rate(c, step, self.total_steps, self.steps_per_epoch)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        logits, hidden = self.net(x, hidden)  # (B, T, V)
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
        self.check_finite(loss, step)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if c.start_state:
            self.add_start_gradients()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), c.grad_clip)
        self.optimizer.step()
        self.update_ema(step)
        return loss.item(), detach(hidden), lr

    def check_finite(self, loss: torch.Tensor, step: int) -> None:
        if not torch.isfinite(loss):
            raise TrainingError(
                f"loss became {loss.item()} at step {step}; the last good checkpoint is kept "
                "in --out; lower --lr or --grad-clip and --resume or start again"
            )

    def start_loss(self) -> torch.Tensor:
        """Mean nats/char of --start-batch segments of the training split that begin at paragraph
        starts, each read from the start state with its first character predicted from it. Read in
        eval mode (no dropout): the start state is fitted to the function that inference runs."""
        c = self.config
        pick = torch.randint(len(self.start_positions), (c.start_batch,))
        offsets = self.start_positions[pick.to(self.device)][:, None] + torch.arange(c.seq_len, device=self.device)
        segments = self.train_ids[offsets]  # (S, T)
        was_training = self.model.training
        self.model.eval()
        predictions, _, _ = self.model.predictions(segments)  # (S, T, V), the first from the start state
        self.model.train(was_training)
        return F.cross_entropy(predictions.flatten(0, 1), segments.flatten())

    def add_start_gradients(self) -> None:
        """The start loss's gradient, for the start state only: the weights learn from the carried
        streams alone, exactly as they would without a start state."""
        grads = torch.autograd.grad(self.start_loss(), self.start_params)
        for param, grad in zip(self.start_params, grads, strict=True):
            param.grad = grad if param.grad is None else param.grad + grad

    def start_state_step(self, step: int) -> float:
        """--start-state-only: one step of the start state alone, at the constant --lr."""
        for group in self.optimizer.param_groups:
            group["lr"] = self.config.lr
        loss = self.start_loss()
        self.check_finite(loss, step)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()  # the weights are frozen: only the start state gets a gradient
        torch.nn.utils.clip_grad_norm_(self.start_params, self.config.grad_clip)
        self.optimizer.step()
        return loss.item()

    def log(self, step: int, losses: list[float], lr: float, validate: bool, samples_at: set[int]) -> str | None:
        """Append a record (rank 0); on validation keep the weights if they are the best so far."""
        val = self.evaluate() if validate else None
        text = self.record_sample() if (step in samples_at or validate) else None
        record = self.make_record(step, sum(losses) / len(losses), val, text, lr)
        if self.config.start_state_only:  # not a training loss of the weights: kept apart from their curve
            record["start_loss"], record["train_loss"] = record["train_loss"], None
        self.run_state.history["records"].append(record)
        if val is None:
            return None
        if self.run_state.best is None or val < self.run_state.best:
            self.run_state.best = val
            self.swap_ema()
            self.save_model(val, step)
            self.swap_ema()
        trained = record["train_loss"] if record["train_loss"] is not None else record["start_loss"]
        return (
            f"step {step} epoch {record['epoch']:.2f}: train {trained:.4f} "
            f"val {val:.4f} nats/char ({bits_per_char(val):.4f} bits)"
        )

    def stop(self, step: int, hidden) -> None:
        if self.rank == 0 and not (self.out / WEIGHTS_FILE).exists():
            self.run_state.best = self.evaluate()  # leave a loadable model even when stopped before any validation
            self.save_model(self.run_state.best, step)
        self.save(step, hidden)
        raise KeyboardInterrupt(
            f"stopped by signal {self.stop_signal} at step {step}; resume with the same command plus --resume"
        )

    def run(self) -> dict:
        c = self.config
        step, hidden = self.start()
        eval_every = c.eval_every or self.steps_per_epoch
        samples_at = sample_steps(self.total_steps) if c.init_from is None else set()
        losses = self.run_state.pending_losses  # saved with the state, so a resumed record averages every step
        self.model.train()
        bar = tqdm(total=self.total_steps, initial=step, disable=self.rank != 0, unit="step", mininterval=2.0)
        with bar:
            while step < self.total_steps:
                t0 = time.time()
                loss, hidden, lr = self.train_step(step, hidden)
                step += 1
                losses.append(loss)
                bar.update(1)
                speed = c.batch_size * c.seq_len * self.world / (time.time() - t0)
                bar.set_postfix(loss=f"{loss:.3f}", lr=f"{lr:.1e}", chars_s=f"{speed:,.0f}")
                out_of_time = self.out_of_time()
                validate = step % eval_every == 0 or step == self.total_steps or out_of_time
                if self.rank == 0 and (step % c.log_every == 0 or step in samples_at or validate):
                    message = self.log(step, losses, lr, validate, samples_at)
                    losses.clear()
                    if message:
                        bar.write(message)
                if validate or (c.save_every and step % c.save_every == 0):
                    self.save(step, hidden)
                if self.stop_signal is not None:
                    self.stop(step, hidden)
                if out_of_time:
                    break
        self.run_state.history["summary"] = {
            "best_val_loss": self.run_state.best,
            "steps": step + self.run_state.step_offset,
            "train_time_s": time.time() - self.run_state.start_time,
            "hardware": hardware(self.world),
            "finished": True,
            "time_limit": step < self.total_steps,  # ended by --max-minutes
        }
        self.save(step, hidden)  # every rank takes part in the gathers
        return self.run_state.history["summary"]

    def out_of_time(self) -> bool:
        """--max-minutes spent (the app's cap on a run); measured from this run's own start."""
        limit = self.config.max_minutes
        return bool(limit) and time.time() - self.run_state.session_start > 60 * limit

    def make_record(self, step: int, train_loss, val_loss, text: str | None, lr: float | None = None) -> dict:
        c = self.config
        return {  # a continued model's records follow its earlier ones
            "step": self.run_state.step_offset + step,
            "epoch": self.run_state.epoch_offset + step / self.steps_per_epoch,
            "chars_seen": self.run_state.chars_offset + step * c.batch_size * c.seq_len,
            "train_loss": train_loss,
            "val_loss": val_loss,
            "lr": lr if lr is not None else c.lr,
            "elapsed_s": round(time.time() - self.run_state.start_time, 2),
            "sample": text,
        }


def leave_process_group(trainer: Trainer | None, finished: bool) -> None:
    """Tear down the process group while every rank is still alive and the interpreter too.

    DDP holds the group: left to the interpreter's exit, gloo's threads were destroyed while running and a rank
    aborted ("terminate called without an active exception"), 1 run in 10 on a 2-core machine. The barrier makes
    no rank tear down while another still writes; after a failure it is skipped (the other rank may be gone).
    """
    if trainer is not None:
        trainer.net = trainer.model  # drop the DistributedDataParallel wrapper and its hold on the group
    if finished:
        dist.barrier()
    dist.destroy_process_group()
    gc.collect()  # free the group's backend now, not during interpreter shutdown


def main(argv: list[str] | None = None) -> int:
    try:
        config, args = config_from_args(argv)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    distributed = int(os.environ.get("WORLD_SIZE", 1)) > 1
    if distributed:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    trainer, finished = None, False
    try:
        trainer = Trainer(config, resume=args.resume, force=args.force)

        def on_signal(signum, _frame):
            trainer.stop_signal = signum  # finish the step, save, then stop

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        summary = trainer.run()
        finished = True
    except (TrainingError, CorpusError, OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        print(f"\n{e}", file=sys.stderr)
        return 130
    finally:
        if distributed:
            leave_process_group(trainer, finished)
    if trainer.rank == 0:
        print(json.dumps({"out": str(trainer.out), **summary}))
        print(
            f"done: best validation {summary['best_val_loss']:.4f} nats/char, {summary['steps']} steps in "
            f"{summary['train_time_s'] / 60:.1f} min -> {trainer.out}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
