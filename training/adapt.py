"""Choose a model's adaptive-reading settings (``charrnn.adaptive``) on held-out training text,
then record them, with the static and adaptive validation figures, in its ``config.json`` and card.

    python -m training.adapt models/shakespeare --corpus shakespeare
    python -m training.adapt models/doyle models/twain            # each on the corpus it names

The settings are chosen on the last ``--held-out`` characters of the TRAINING split, never on the
validation split; the rms rule's gradient statistics come from the training characters just
before that slice. The search is coarse, one setting at a time (coordinate descent): for each
rule, the learning rate along a ladder of factors of 3 from a start until it stops improving; then
the decay, then the segment length, for the best rule. If nothing reads the held-out slice
cheaper than static reading, the chosen learning rate is 0 (adaptive reading is then static
reading) and the card says so. Only ``config.json`` and ``README.md`` are written: the weights are
never touched. Last line: JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

from charrnn import CharRNN, CheckpointError, nats_per_char
from charrnn.adaptive import RMS_TEXT_CHARS, AdaptiveSettings, adaptive_surprisal, gradient_rms
from charrnn.files import atomic_write_json
from charrnn.model import CONFIG_FILE
from corpora import CorpusError
from training.card import write_card
from training.data import load_text, split_text

HELD_OUT_CHARS = 10_000
# The search's one table: where each rule's learning-rate ladder starts, and the decays and
# segment lengths tried after it (a decay per update: the share of the way back to the trained
# weights; the rms rule scales it per weight).
START_LR = {"sgd": 0.1, "rms": 1e-5}
LR_FACTOR = 3.0
DECAYS = (0.0, 0.01)
SEGMENTS = (100, 50)
MAX_LADDER = 5  # learning rates tried per direction at most


def tuning_texts(train: str, held_out: int = HELD_OUT_CHARS) -> tuple[str, str]:
    """(text for the rms rule's gradient statistics, held-out slice) from the training split: the
    slice is its last ``held_out`` characters, the statistics text the ``RMS_TEXT_CHARS`` before."""
    if len(train) < 2 * held_out:
        raise ValueError(f"the training split ({len(train):,} chars) is too short to hold out {held_out:,}")
    cut = len(train) - held_out
    return train[max(0, cut - RMS_TEXT_CHARS) : cut], train[cut:]


class Trials:
    """Reads the held-out slice with each setting once (cached), remembering every figure."""

    def __init__(self, model: CharRNN, held_out: str, rms_text: str, log=print) -> None:
        self.model, self.log = model, log
        self.ids = model.vocab.encode(held_out, policy="skip").ids
        self.rms_ids = model.vocab.encode(rms_text, policy="skip").ids
        self.static = nats_per_char(model, self.ids)
        self.results: dict[AdaptiveSettings, float] = {}
        self._rms: dict[int, dict] = {}

    def rms(self, segment: int) -> dict:
        if segment not in self._rms:
            self._rms[segment] = gradient_rms(self.model, self.rms_ids, segment)
        return self._rms[segment]

    def __call__(self, s: AdaptiveSettings) -> float:
        if s not in self.results:
            start = time.time()
            rms = self.rms(s.segment) if s.rule == "rms" else None
            self.results[s] = float(adaptive_surprisal(self.model, self.ids, s, rms).mean())
            self.log(f"  {s.label}: {self.results[s]:.4f} (static {self.static:.4f}, {time.time() - start:.0f} s)")
        return self.results[s]


def times(settings: AdaptiveSettings, factor: float) -> AdaptiveSettings:
    """``settings`` with its learning rate times ``factor``, to three significant digits."""
    return replace(settings, lr=float(f"{settings.lr * factor:.3g}"))


def best_lr(trials: Trials, start: AdaptiveSettings, down: bool = True) -> AdaptiveSettings:
    """The learning rate along a ladder of factors of LR_FACTOR from ``start``'s, walking up while
    the held-out figure improves, or else (if ``down``) down."""
    up = times(start, LR_FACTOR)
    if trials(up) >= trials(start) and not down:
        return start
    step = LR_FACTOR if trials(up) < trials(start) else 1 / LR_FACTOR
    best = up if step > 1 else start
    for _ in range(MAX_LADDER):
        nxt = times(best, step)
        if trials(nxt) >= trials(best):
            break
        best = nxt
    return best


def tune(trials: Trials) -> AdaptiveSettings:
    """Coordinate descent: rule and learning rate, then decay (with a learning rate as large or
    larger, since a pull back allows larger steps), then segment length."""
    starts = [AdaptiveSettings(rule, lr, 0.0, SEGMENTS[0]) for rule, lr in START_LR.items()]
    best = min((best_lr(trials, start) for start in starts), key=trials)
    for decay in DECAYS[1:]:
        best = min(best, best_lr(trials, replace(best, decay=decay), down=False), key=trials)
    best = min((replace(best, segment=n) for n in SEGMENTS), key=trials)
    if trials(best) >= trials.static:  # no gain on held-out text: read statically
        return replace(best, lr=0.0)
    return best


def choose_and_measure(model: CharRNN, train: str, val: str, held_out: int, log=print) -> dict:
    """Tune on held-out training text, then score the validation split both ways: ``meta.adaptive``."""
    rms_text, slice_ = tuning_texts(train, held_out)
    trials = Trials(model, slice_, rms_text, log)
    chosen = tune(trials)
    rms = trials.rms(chosen.segment) if chosen.rule == "rms" else None
    return {
        "settings": chosen.to_dict(),
        "held_out_chars": held_out,
        "chosen_on": (
            f"the last {len(trials.ids):,} characters of the training split (rms statistics from the "
            f"{len(trials.rms_ids):,} before them); coarse coordinate descent: rule and learning rate, then "
            "decay, then segment"
            + ("; no setting read it cheaper than static reading, so it reads statically" if not chosen.lr else "")
        ),
        "held_out": {
            "static": trials.static,
            "adaptive": trials(chosen) if chosen.lr else trials.static,
            "trials": [{**s.to_dict(), "nats_per_char": v} for s, v in trials.results.items()],
        },
        "val": validation_figures(model, val, chosen, rms),
    }


def statistics_for(model: CharRNN, settings: AdaptiveSettings, train: str) -> dict | None:
    """The rms rule's gradient statistics, from the same training characters tuning used (None for sgd)."""
    if settings.rule != "rms" or not settings.lr:
        return None
    rms_text, _ = tuning_texts(train, model.meta.get("adaptive", {}).get("held_out_chars", HELD_OUT_CHARS))
    return gradient_rms(model, model.vocab.encode(rms_text, policy="skip").ids, settings.segment)


def validation_figures(model: CharRNN, val: str, settings: AdaptiveSettings, rms: dict | None) -> dict:
    """Static and adaptive nats/char on the validation split (known characters), and the time taken."""
    ids = model.vocab.encode(val, policy="skip").ids
    static = nats_per_char(model, ids)
    start = time.time()
    adaptive = float(adaptive_surprisal(model, ids, settings, rms).mean()) if settings.lr else static
    seconds = time.time() - start
    return {"static": static, "adaptive": adaptive, "chars": len(ids), "seconds": round(seconds, 1)}


def training_splits(
    model: CharRNN, corpus: str | None = None, text: str | None = None, mirror: str | None = None
) -> tuple[str, str]:
    """(train, val) of the text ``model`` was trained on: ``corpus`` or the ``text`` file if given,
    else the corpus (or text file) its config.json names, split as training split it."""
    train_config = model.meta.get("train_config", {})
    if corpus is None and text is None:
        corpus, text = train_config.get("corpus") or model.meta.get("corpus"), train_config.get("text")
        if corpus and text:
            text = None
    _, full = load_text(corpus, text, mirror)
    return split_text(full, train_config.get("val_fraction", 0.1))


def record(model_dir: Path, adaptive: dict) -> None:
    """Write ``meta.adaptive`` into the directory's config.json (the weights are not touched) and
    re-render its card."""
    path = model_dir / CONFIG_FILE
    config = json.loads(path.read_text(encoding="utf-8"))
    config["meta"]["adaptive"] = adaptive
    atomic_write_json(path, config)
    write_card(model_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.adapt", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("models", nargs="+", type=Path, help="model directories, tuned one after another")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--corpus", help="the corpus they were trained on (else the one each config.json names)")
    source.add_argument("--text", help="the text file they were trained on (else the one each config.json names)")
    parser.add_argument("--held-out", type=int, default=HELD_OUT_CHARS, help="training characters to tune on")
    parser.add_argument("--mirror", help="corpus mirror folder (else $CHARRNN_CORPORA_MIRROR)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--dry-run", action="store_true", help="print the figures; write nothing")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    results = []
    for model_dir in args.models:
        try:
            model = CharRNN.from_pretrained(model_dir)
            train, val = training_splits(model, args.corpus, args.text, args.mirror)
            print(f"{model_dir}: tuning on {len(train):,} training characters", flush=True)
            adaptive = choose_and_measure(model, train, val, args.held_out, log=lambda s: print(s, flush=True))
        except (CheckpointError, CorpusError, ValueError, OSError) as e:
            print(f"error: {model_dir}: {e}", file=sys.stderr)
            return 2
        if not args.dry_run:
            record(model_dir, adaptive)
        v = adaptive["val"]
        print(
            f"{model_dir}: {AdaptiveSettings.from_dict(adaptive['settings']).label}; validation static "
            f"{v['static']:.4f}, adaptive {v['adaptive']:.4f} nats/char",
            flush=True,
        )
        results.append({"model": str(model_dir), **adaptive})
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
