"""Print a sample from a trained model, the most likely continuations (beam search), or many
sampled futures.

python -m training.sample models/shakespeare --prime "ROMEO:" --length 500 --temperature 0.8 --seed 1
python -m training.sample models/shakespeare --prime "ROMEO:" --length 200 --beam 8 --beams-shown 3
python -m training.sample models/shakespeare --prime "ROMEO:" --length 80 --futures 5 --seed 1
"""

from __future__ import annotations

import argparse
import itertools
import sys

from charrnn import UNKNOWN_POLICIES, CharRNN, CheckpointError, SamplingSettings, generate
from charrnn.beam import MAX_FUTURES, MAX_WIDTH, beam_search, futures


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
    parser.add_argument(
        "--beam", type=int, metavar="WIDTH", help=f"beam search of 1-{MAX_WIDTH} beams instead of sampling (1 = greedy)"
    )
    parser.add_argument(
        "--beams-shown",
        type=int,
        default=1,
        metavar="N",
        help="with --beam: print the best N, each with its log-probability",
    )
    parser.add_argument("--stop", help="with --beam: a beam ends once it ends with this text (a blank line: $'\\n\\n')")
    parser.add_argument(
        "--futures",
        type=int,
        metavar="N",
        help=f"print N (1-{MAX_FUTURES}) samples, seeds seed, seed+1, ..., each with its bits/char",
    )
    args = parser.parse_args(argv)
    try:
        model = CharRNN.from_pretrained(args.model)
        prime = args.prime if args.prime is not None else model.meta.get("sample_prime", "")
        settings = SamplingSettings(args.temperature, args.top_k, args.top_p, args.greedy)
        policy = (args.unknown, args.replacement)
        if args.beam is not None:
            print_beams(model, prime, args.length, args.beam, args.beams_shown, args.stop, policy)
        elif args.futures is not None:
            print_futures(model, prime, args.futures, args.length, settings, args.seed, policy)
        else:
            print_sample(model, prime, args.length, settings, args.seed, policy)
    except (CheckpointError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


def print_sample(
    model: CharRNN, prime: str, length: int, settings: SamplingSettings, seed: int | None, policy: tuple
) -> None:
    steps = generate(model, prime, length, settings, seed, *policy)
    first = next(steps, None)  # generate is lazy: a bad prime raises here, before anything is printed
    sys.stdout.write(prime)
    for step in itertools.chain([first] if first else [], steps):  # streams: printed as drawn
        sys.stdout.write(step.char)
    sys.stdout.write("\n")


def print_beams(
    model: CharRNN, prime: str, length: int, width: int, shown: int, stop: str | None, policy: tuple
) -> None:
    """The best beam's text; with ``shown`` > 1, the best ``shown``, each under a header line."""
    if shown < 1 or 1 <= width < shown:  # a bad width is beam_search's to name
        raise ValueError(f"--beams-shown must be between 1 and the beam width {width} (got {shown})")
    beams = beam_search(model, prime, length, width, stop, *policy)
    for rank, beam in enumerate(beams[:shown], 1):
        if shown > 1:
            ended = ", stopped" if beam.stopped else ""
            bits = f"{beam.bits:.1f} bits, {beam.bits_per_char:.3f} bits/char"
            print(f"# beam {rank}: ln p = {beam.logprob:.3f} nats, {bits}{ended}")
        print(prime + beam.text)


def print_futures(
    model: CharRNN, prime: str, count: int, length: int, settings: SamplingSettings, seed: int | None, policy: tuple
) -> None:
    for k, future in enumerate(futures(model, prime, count, length, settings, seed, *policy), 1):
        print(f"# future {k} (seed {future.seed}): {future.bits_per_char:.3f} bits/char under the model")
        print(prime + future.text)


if __name__ == "__main__":
    sys.exit(main())
