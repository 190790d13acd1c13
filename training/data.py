"""Training text: load a corpus or a user's file, split it, and cut it into stateful batches."""

from __future__ import annotations

from pathlib import Path

import torch

from corpora import prepare, prepare_text_file
from corpora.training_text import split_text  # one split for training and the copy check

__all__ = ["load_text", "split_text", "to_streams"]


def load_text(corpus: str | None, text_path: str | None, mirror: str | None = None) -> tuple[str, str]:
    """(name, clean text) of ``--corpus NAME`` or ``--text PATH`` (exactly one of them)."""
    if (corpus is None) == (text_path is None):
        raise ValueError("give exactly one of --corpus NAME or --text PATH")
    if corpus is not None:
        return corpus, prepare(corpus, mirror).read_text(encoding="utf-8")
    return Path(text_path).stem, prepare_text_file(text_path)


def to_streams(ids: torch.Tensor, batch_size: int, seq_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Cut a 1-D id tensor into ``batch_size`` contiguous streams, as char-rnn does: row b of
    batch i continues row b of batch i-1, so the hidden state can be carried across batches.
    Returns inputs and next-char targets, both (batch_size, steps * seq_len)."""
    per_stream = (len(ids) - 1) // batch_size
    steps = per_stream // seq_len
    if steps < 1:
        raise ValueError(
            f"text too short: {len(ids):,} characters cannot fill {batch_size} streams of {seq_len}; "
            "use a longer text or smaller --batch-size / --seq-len"
        )
    usable = steps * seq_len
    starts = torch.arange(batch_size) * per_stream
    index = starts[:, None] + torch.arange(usable)[None, :]  # (B, steps*T)
    return ids[index], ids[index + 1]
