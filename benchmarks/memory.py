"""The Memory tab's two budgets on the flagship, measured as medians, printed as JSON.

    OMP_NUM_THREADS=1 python -m benchmarks.memory [--model models/shakespeare --repeats 5]

  influence_500_s   the influence of the 500 characters before one position on its prediction
                    (``charrnn.memory.influence``, window 500, position 500): budget 1 s
  influence_500_cpu_s
                    the same in CPU seconds of this process: what it costs on an idle core when
                    the machine is shared (the wall times then include waiting for a core)
  carry_2k_chars_s what a longer history adds: 2,000 characters before the window read
                    without gradients (``carried_state``), the state carried in
  curve_50x200_s    a memory curve over 50 positions x 200 distances (``memory_curve``, 100
                    characters of context each, 64 positions per backward pass): budget 15 s
  per_position_batched_s / per_position_alone_s
                    the same curve's cost per position, batched as above and one position per
                    backward pass (measured on its first ``--alone`` positions): why it batches

The text is the corpus's validation split when $CHARRNN_CORPORA_MIRROR (or a prepared cache)
provides it, else characters drawn uniformly from the vocabulary (the cost does not depend on
the text). A measurement, not a test: the figures depend on the machine and on what else it runs.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from benchmarks.copycheck import median_time
from charrnn import CharRNN
from charrnn.memory import carried_state, influence, memory_curve

CARRIED = 2_000  # characters of history read without gradients, timed on their own


def text_ids(model: CharRNN, corpus: str) -> tuple[str, list[int]]:
    """The corpus's validation split as ids, else 100,000 uniform random ones."""
    from corpora import CorpusError
    from training.data import load_text
    from training.evaluate import select_split

    try:
        _, text = load_text(corpus, None)
        return f"{corpus} (val)", model.vocab.encode(select_split(text, "val", 0.1), policy="skip").ids
    except (CorpusError, OSError, ValueError):
        return "random", np.random.default_rng(0).integers(0, len(model.vocab), 100_000).tolist()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="models/shakespeare", help="the model measured (the 2 x 512 flagship)")
    parser.add_argument("--corpus", default="shakespeare", help="the text read, its validation split")
    parser.add_argument("--repeats", type=int, default=5, help="measurements per figure (the median is reported)")
    parser.add_argument("--alone", type=int, default=10, help="curve positions timed one per backward pass")
    args = parser.parse_args(argv)

    model = CharRNN.from_pretrained(args.model)
    name, ids = text_ids(model, args.corpus)
    figures: dict[str, object] = {"model": args.model, "text": name, "torch_threads": torch.get_num_threads()}
    one = median_time(lambda: influence(model, ids, 500, window=500), args.repeats)
    one_cpu = median_time(lambda: influence(model, ids, 500, window=500), args.repeats, time.process_time)
    carry = median_time(lambda: carried_state(model, torch.tensor([ids[:CARRIED]])), args.repeats)
    curve = median_time(lambda: memory_curve(model, ids, 50, 200), max(1, args.repeats // 2))
    alone = median_time(lambda: memory_curve(model, ids, args.alone, 200, batch=1), 1)
    figures["influence_500_s"], figures["curve_50x200_s"] = round(one, 3), round(curve, 3)
    figures["influence_500_cpu_s"] = round(one_cpu, 3)
    figures["per_position_batched_s"] = round(curve / 50, 3)
    figures["per_position_alone_s"] = round(alone / args.alone, 3)
    figures["carry_2k_chars_s"] = round(carry, 3)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
