"""Resumable training state in ONE safetensors file: tensors as tensors, everything else as JSON
in the file's metadata. One file means one atomic ``os.replace``; safetensors means no pickle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from charrnn.files import atomic_write

STATE_FILE = "state.safetensors"


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
