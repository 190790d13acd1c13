"""Resumable training state in ONE safetensors file: tensors as tensors, everything else as JSON
in the file's metadata. One file means one atomic ``os.replace``; safetensors means no pickle."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from charrnn.files import atomic_write

STATE_FILE = "state.safetensors"


@dataclass
class RunState:
    """A run's progress besides the weights, the optimiser and the RNG: created whole with the
    ``Trainer``, filled by a fresh start or a resume, saved with the resumable state."""

    history: dict[str, Any] = field(default_factory=dict)  # what history.json holds
    best: float | None = None  # the best validation loss so far (its weights are in --out)
    start_time: float = field(default_factory=time.time)  # the run's elapsed time counts from here
    pending_losses: list[float] = field(default_factory=list)  # training losses since the last record
    # when this process took the run up: --max-minutes counts from here, not from start_time,
    # which a resume moves back by the time already trained
    session_start: float = field(default_factory=time.time)
    # steps, epochs and characters an --init-from model had behind it: its records continue from there
    step_offset: int = 0
    epoch_offset: float = 0.0
    chars_offset: int = 0

    def info(self) -> dict[str, Any]:
        """The JSON part of the resumable state (``from_info`` reads it back)."""
        return {
            "best_val": self.best,
            "history": self.history,
            "pending_losses": self.pending_losses,  # steps since the last record: its average needs them
            "offsets": [self.step_offset, self.epoch_offset, self.chars_offset],
        }

    @classmethod
    def from_info(cls, info: dict[str, Any]) -> RunState:
        """Where a saved run stopped; its clock goes on from the last record's elapsed time."""
        records = info["history"]["records"]
        step_offset, epoch_offset, chars_offset = info.get("offsets", [0, 0.0, 0])
        return cls(
            history=info["history"],
            best=info["best_val"],
            start_time=time.time() - (records[-1]["elapsed_s"] if records else 0.0),
            pending_losses=[float(x) for x in info.get("pending_losses", [])],
            step_offset=step_offset,
            epoch_offset=epoch_offset,
            chars_offset=chars_offset,
        )


def save_state(run_dir: str | Path, tensors: dict[str, torch.Tensor], info: dict[str, Any]) -> None:
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    metadata = {"info": json.dumps(info)}
    atomic_write(Path(run_dir) / STATE_FILE, lambda tmp: save_file(tensors, tmp, metadata=metadata))


def load_state(run_dir: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    path = Path(run_dir) / STATE_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no resumable state at {path}; start without --resume")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
            info = json.loads((f.metadata() or {})["info"])
    except (SafetensorError, OSError, KeyError, json.JSONDecodeError) as e:
        # Saves are atomic, so this is damage from outside (a bad disk, a copy cut short).
        raise ValueError(f"{path} cannot be read ({type(e).__name__}: {e}); start again with --force") from e
    return tensors, info


def optimizer_tensors(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Split an optimiser's state dict into tensors (per-parameter moments) and JSON."""
    sd = optimizer.state_dict()
    tensors, scalars = {}, {}
    for pid, pstate in sd["state"].items():
        for key, value in pstate.items():
            if torch.is_tensor(value):
                tensors[f"optim.{pid}.{key}"] = value
            else:
                scalars[f"{pid}.{key}"] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def restore_optimizer(optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], info: dict[str, Any]) -> None:
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        if name.startswith("optim."):
            _, pid, key = name.split(".", 2)
            state.setdefault(int(pid), {})[key] = value
    for name, value in info["scalars"].items():
        pid, key = name.split(".", 1)
        state.setdefault(int(pid), {})[key] = value
    optimizer.load_state_dict({"state": state, "param_groups": info["param_groups"]})
