"""Print a sample from a trained model.

python -m training.sample models/shakespeare --prime "ROMEO:" --length 500 --temperature 0.8 --seed 1
"""

from __future__ import annotations

import argparse
import itertools
import sys

from charrnn import UNKNOWN_POLICIES, CharRNN, CheckpointError, SamplingSettings, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.sample", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("model", help="model directory or Hugging Face repo id")
    parser.add_argument("--prime", help="text that warms the state (default: the style's own prime)")
    parser.add_argument("--length", type=int, default=500, help="characters to generate")
    parser.add_argument("--temperature", type=float, default=0.8, help="> 0; lower is safer, higher wilder")
    parser.add_argument("--greedy", action="store_true", help="always take the most likely character")
    parser.add_argument("--top-k", type=int, help="sample among the k most likely characters")
    parser.add_argument("--top-p", type=float, help="sample among the smallest set holding this probability")
    parser.add_argument("--seed", type=int, help="same seed and settings give the same text")
    parser.add_argument(
        "--unknown",
        choices=UNKNOWN_POLICIES,
        default="error",
        help="what to do with prime characters the model has never seen",
    )
    parser.add_argument("--replacement", help="character used by --unknown replace (default: space)")
    args = parser.parse_args(argv)
    try:
        model = CharRNN.from_pretrained(args.model)
        prime = args.prime if args.prime is not None else model.meta.get("sample_prime", "")
        settings = SamplingSettings(args.temperature, args.top_k, args.top_p, args.greedy)
        steps = generate(model, prime, args.length, settings, args.seed, args.unknown, args.replacement)
        first = next(steps, None)  # generate is lazy: a bad prime raises here, before anything is printed
        sys.stdout.write(prime)
        for step in itertools.chain([first] if first else [], steps):  # streams: printed as drawn
            sys.stdout.write(step.char)
        sys.stdout.write("\n")
    except (CheckpointError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
