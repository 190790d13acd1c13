"""Training throughput of the pipeline beside a bare nn.LSTM loop of the same shape, in one run.

    python -m benchmarks.training [--steps 15 --repeats 3 --threads 2]

"bare" is embedding -> nn.LSTM -> linear with AdamW, clipping and a carried state, nothing else;
"pipeline" is ``Trainer.train_step``: the training loop's step with everything it adds (batch
slicing, learning-rate schedule, embedding and output dropout, finiteness check, EMA of the
weights). Validation and samples are periodic, not per step: their share of a real run is in the
run's own ``history.json`` (elapsed time around each validation). The two alternate so that drift
in the machine's speed hits both alike; medians are reported. Last line: JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from training.config import TrainConfig
from training.train import Trainer

SHAPE = {"layers": 2, "hidden": 512, "embedding": 64, "batch_size": 64, "seq_len": 128}
VOCAB = 65


def bare_chars_per_s(steps: int) -> float:
    torch.manual_seed(0)
    embed = nn.Embedding(VOCAB, SHAPE["embedding"])
    lstm = nn.LSTM(SHAPE["embedding"], SHAPE["hidden"], SHAPE["layers"], batch_first=True, dropout=0.25)
    head = nn.Linear(SHAPE["hidden"], VOCAB)
    params = [*embed.parameters(), *lstm.parameters(), *head.parameters()]
    optimiser = torch.optim.AdamW(params, lr=2e-3)
    b, t = SHAPE["batch_size"], SHAPE["seq_len"]
    data = torch.randint(0, VOCAB, (b, (steps + 1) * t + 1))
    state = None
    start = time.perf_counter()
    for i in range(steps):
        x, y = data[:, i * t : (i + 1) * t], data[:, i * t + 1 : (i + 1) * t + 1]
        h, state = lstm(embed(x), state)
        state = tuple(s.detach() for s in state)
        loss = F.cross_entropy(head(h).flatten(0, 1), y.flatten())
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimiser.step()
    return steps * b * t / (time.perf_counter() - start)


def pipeline_chars_per_s(steps: int, text_path: Path, workdir: Path) -> float:
    config = TrainConfig(
        text=str(text_path), out=str(workdir / "model"), run_dir=str(workdir / "run"), **SHAPE,
        dropout=0.25, ema=0.995, max_steps=steps, val_fraction=0.003, sample_length=300, log_every=10,
    )  # fmt: skip
    trainer = Trainer(config, force=True)
    step, hidden = trainer.start()
    trainer.model.train()
    start = time.perf_counter()
    for step in range(steps):
        _, hidden, _ = trainer.train_step(step, hidden)
    return steps * SHAPE["batch_size"] * SHAPE["seq_len"] / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.training", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--steps", type=int, default=15, help="optimiser steps per measurement")
    parser.add_argument("--repeats", type=int, default=3, help="alternating measurements of each")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        rng = random.Random(0)
        alphabet = [chr(c) for c in range(32, 32 + VOCAB - 1)] + ["\n"]
        text_path = workdir / "text.txt"
        chars = (args.steps + 2) * SHAPE["batch_size"] * SHAPE["seq_len"] * 11 // 10
        text_path.write_text("".join(rng.choices(alphabet, k=chars)), encoding="utf-8")
        bare, pipe = [], []
        for _ in range(args.repeats):
            bare.append(bare_chars_per_s(args.steps))
            pipe.append(pipeline_chars_per_s(args.steps, text_path, workdir))
    result = {
        "model": "lstm 2x512, embedding 64, batch 64 x 128",
        "threads": torch.get_num_threads(),
        "steps": args.steps,
        "repeats": args.repeats,
        "bare_chars_per_s": statistics.median(bare),
        "pipeline_chars_per_s": statistics.median(pipe),
    }
    result["overhead"] = 1 - result["pipeline_chars_per_s"] / result["bare_chars_per_s"]
    print(f"{'':10} {'chars/s (median)':>18}   runs")
    print(f"{'bare':10} {result['bare_chars_per_s']:>18,.0f}   {', '.join(f'{v:,.0f}' for v in bare)}")
    print(f"{'pipeline':10} {result['pipeline_chars_per_s']:>18,.0f}   {', '.join(f'{v:,.0f}' for v in pipe)}")
    print(f"pipeline overhead: {result['overhead']:.1%}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
