"""Hostile files for the "nothing unpickles" tests: pickles that create a marker file when loaded."""

from __future__ import annotations

import pickle
from pathlib import Path

import torch


class Payload:
    """Unpickling this creates ``marker``: proof that something was unpickled."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def payloads(directory: Path, marker: Path) -> dict[str, bytes]:
    """A plain pickle and a torch.save zip archive, both planting ``marker`` when loaded."""
    torch.save({"embed.weight": Payload(marker)}, directory / "torch.tmp")
    zipped = (directory / "torch.tmp").read_bytes()
    (directory / "torch.tmp").unlink()
    return {"pickle": pickle.dumps({"embed.weight": Payload(marker)}), "torch.save": zipped}
