"""The model card (``README.md`` of a model directory), written from the directory's own files."""

from __future__ import annotations

import json
from pathlib import Path

from charrnn.files import atomic_write_text
from charrnn.history import load_history
from charrnn.metrics import bits_per_char, perplexity
from corpora.registry import CORPORA, PROJECT_LICENCE
from training.config import TrainConfig, load_recipe

CARD_FILE = "README.md"
TARGET_MARGIN = 0.05  # every shipped style should beat its best n-gram baseline by this much


def render_card(config: dict, history: dict) -> str:
    meta = config.get("meta", {})
    name = meta.get("name", "char-rnn model")
    lines = header_lines(config, meta, name)
    lines += result_rows(config, meta)
    lines += copy_rows(meta.get("copy_stats"))
    lines += [
        "",
        "Validation: the last 10% of the text, contiguous, scored in one stateful pass; every character"
        " counts, the first one predicted from the start state.",
        "",
    ]
    lines += copy_note(meta.get("copy_stats"), name)
    lines += reproduce_lines(meta, history)
    if meta.get("notes"):
        lines += ["## Notes", "", *(f"- {note}" for note in meta["notes"]), ""]
    lines += [
        "## Load",
        "",
        "```python",
        "from charrnn import CharRNN, sample",
        f'model = CharRNN.from_pretrained("{meta.get("repo_id", "models/" + name)}")',
        f"print(sample(model, prime={meta.get('sample_prime', '')!r}, length=500, temperature=0.8, seed=0))",
        "```",
        "",
    ]
    return "\n".join(lines + sample_lines(history))


def header_lines(config: dict, meta: dict, name: str) -> list[str]:
    """The Hub's front matter, the title, one sentence and the table's first rows (the architecture)."""
    return [
        "---",
        "library_name: charrnn",
        f"license: {model_licence(meta.get('corpus'))}",
        "pipeline_tag: text-generation",
        "tags: [char-rnn, character-level, text-generation, " + config["cell"] + "]",
        "---",
        "",
        f"# {name}",
        "",
        f"A character-level {config['cell'].upper()} language model trained on"
        f" *{meta.get('title', meta.get('corpus'))}*"
        + (f" by {meta['author']}" if meta.get("author") else "")
        + ", part of Char-RNN Playground.",
        "",
        "| | |",
        "|---|---|",
        f"| corpus | `{meta.get('corpus')}`: {meta.get('title', '')} ({meta.get('licence', 'see source')}) |",
        f"| cell | {config['cell']} |",
        f"| layers x hidden | {config['layers']} x {config['hidden']} (embedding {config['embedding']}) |",
        f"| parameters | {config.get('parameters', 0):,} |",
        f"| vocabulary | {len(config['vocab'])} characters |",
    ]


def model_licence(corpus: str | None) -> str:
    """The card's Hub licence: the registry's choice for a registry corpus, else the project's own."""
    entry = CORPORA.get(corpus or "")
    return entry.model_licence if entry else PROJECT_LICENCE


def reproduce_lines(meta: dict, history: dict) -> list[str]:
    """The commands that retrain the model (and finalize it, when it was), if it was trained here."""
    train = meta.get("train_config", {})
    if not train:
        return []
    half = " --float16" if meta.get("weights_dtype") == "float16" else ""
    # a run of another trainer (training.minrnn) names its own command
    stages = history.get("stages", [])
    commands = [meta["train_command"]] if meta.get("train_command") else reproduce_commands(train, stages, half)
    if meta.get("ngram_baseline"):  # finalized: official validation, n-gram baseline, maybe float16
        commands.append(finalize_command(train, half))
    if meta.get("adaptive"):  # settings for adaptive reading, chosen on held-out training text
        commands.append(f"python -m training.adapt {shipped_dir(train)}")
    return ["## Reproduce", "", "```bash", *commands, "```", ""]


def sample_lines(history: dict) -> list[str]:
    """The last sample recorded during training, if any."""
    samples = [r for r in history.get("records", []) if r.get("sample")]
    if not samples:
        return []
    last = samples[-1]
    return [
        f"## A sample (step {last['step']}, temperature {history.get('sample_temperature')})",
        "",
        "```text",
        (history.get("sample_prime") or "") + last["sample"],
        "```",
        "",
    ]


def copy_rows(stats: dict | None) -> list[str]:
    """One table row per temperature of the copy-check figures (``python -m training.copycheck
    --sample-stats``): the longest span of its own sample found verbatim in the training text and
    the share of characters inside such spans."""
    if not stats:
        return []
    return [
        f"| copied at T={t} | longest span {f['longest_copied_chars']} chars; {f['copied_fraction']:.1%} of "
        f"characters in spans of {stats['min_length']}+ found verbatim in the training text |"
        for t, f in stats.get("temperatures", {}).items()
    ]


def copy_note(stats: dict | None, name: str) -> list[str]:
    if not stats:
        return []
    return [
        f"Copied spans: one {stats['length']:,}-character sample per temperature (seed {stats['seed']}, "
        f"prime {stats['prime']!r}) checked against the training split; re-run with "
        f"`python -m training.copycheck --model models/{name} --sample-stats`.",
        "",
    ]


def result_rows(config: dict, meta: dict) -> list[str]:
    """The card's table rows after the architecture: validation, baseline, start of a text, time, weights."""
    val = meta.get("val_loss")
    baseline = meta.get("ngram_baseline")  # {"order": n, "nats_per_char": x} when measured
    lines: list[str] = []
    if val is not None:
        shown = f"{val:.4f} nats/char, {bits_per_char(val):.4f} bits/char, perplexity {perplexity(val):.2f}"
        lines.append(f"| validation loss | {shown} |")
    if baseline:
        margin = 1 - val / baseline["nats_per_char"] if val else None
        lines.append(
            f"| n-gram baseline | {baseline['nats_per_char']:.4f} nats/char, perplexity "
            f"{perplexity(baseline['nats_per_char']):.2f} (interpolated Kneser-Ney, order "
            f"{baseline['order']})"
            + (
                f"; this model is {abs(margin):.1%} {'lower' if margin >= 0 else 'higher'} |"
                if margin is not None
                else " |"
            )
        )
    if baseline and val and 1 - val / baseline["nats_per_char"] < TARGET_MARGIN:
        lines.append(f"| note | below the project's target of a {TARGET_MARGIN:.0%} margin over the n-gram baseline |")
    if meta.get("cold_start"):
        cold = meta["cold_start"]
        lines.append(
            f"| start of a text | {cold['cold']:.4f} nats/char over the 32 characters after a blank line read "
            f"from the start state, {cold['warm']:.4f} after the 256 before them: cold/warm {cold['ratio']:.3f} |"
        )
        lines.append(f"| start state | {'learned' if config.get('start_state') else 'zeros'} |")
    lines += adaptive_rows(meta.get("adaptive"))
    if meta.get("train_time_s") is not None:
        lines.append(f"| training time | {meta['train_time_s'] / 60:.1f} min on {meta.get('hardware', '?')} |")
    lines.append(f"| weights | {meta.get('weights_dtype', 'float32')} safetensors |")
    return lines


def adaptive_rows(adaptive: dict | None) -> list[str]:
    """Validation read adaptively (``python -m training.adapt``): the static and adaptive figures
    side by side, each named, and the settings with how they were chosen."""
    if not adaptive or "val" not in adaptive:
        return []
    v, s = adaptive["val"], adaptive["settings"]
    settings = f"{s['rule']} rule, learning rate {s['lr']:g}, decay {s['decay']:g}, segments of {s['segment']}"
    return [
        f"| validation loss, read adaptively | static {v['static']:.4f} nats/char, adaptive {v['adaptive']:.4f} "
        f"nats/char ({bits_per_char(v['adaptive']):.4f} bits/char): the model learning as it reads "
        "(dynamic evaluation) |",
        f"| adaptive settings | {settings}; chosen on {adaptive['chosen_on']} |",
    ]


def shipped_dir(train: dict) -> str:
    """Where the reproduce command writes the model: the recipe's folder (a run may have been
    written elsewhere with ``--out`` and moved into place), else the run's own ``--out``."""
    if train.get("recipe"):
        try:
            return load_recipe(train["recipe"]).get("out", train.get("out"))
        except ValueError:  # a recipe this checkout does not have
            pass
    return train.get("out")


def reproduce_commands(train: dict, stages: list[dict], half: str = "") -> list[str]:
    """The training command, or one per stage when a resume changed an option that shapes the
    weights: each earlier stage runs with the options it had, then the last resumes. A model
    continued from its own weights (``--init-from``; its stage holds the earlier ``train_config``)
    first replays the run that trained them and its finalize (with ``half``: `` --float16``)."""
    cut = max((i for i, stage in enumerate(stages) if "train_config" in stage), default=None)
    if cut is None:
        return run_commands(train, stages)
    earlier = stages[cut]["train_config"]
    before = reproduce_commands(earlier, stages[:cut], half)
    return [*before, finalize_command(earlier, half), *run_commands(train, stages[cut + 1 :])]


def run_commands(train: dict, stages: list[dict]) -> list[str]:
    commands = []
    for i, stage in enumerate(stages):
        changed = {k: v for k, v in stage["options"].items() if v != train.get(k) and v is not None}
        resume = " --resume" if i else ""
        commands.append(f"{train_command(train, changed)}{resume}  # until step {stage['until_step']}")
    return [*commands, train_command(train) + " --resume" * bool(stages)]


def finalize_command(train: dict, half: str, reused: bool | None = None) -> str:
    """``training.finalize`` for ``train``'s model; a continued model reuses its own n-gram baseline."""
    source = f"--corpus {train['corpus']}" if train.get("corpus") else f"--text {train.get('text')}"
    folder = shipped_dir(train)
    reuse = train.get("init_from") is not None if reused is None else reused
    return f"python -m training.finalize {folder} {source}{half}" + (f" --baseline-from {folder}" if reuse else "")


def flag(name: str, value: object) -> str:
    if value is True:  # a switch
        return f"--{name.replace('_', '-')}"
    shown = f"{value:g}" if isinstance(value, float) else value  # --epochs 6, not 6.0
    return f"--{name.replace('_', '-')} {shown}"


def recipe_overrides(train: dict) -> dict:
    """The options of a recipe run that differ from the recipe (and the defaults): the flags its
    command needs. Only a continued run (--init-from) spells them out; a plain run is its recipe."""
    if not train.get("init_from"):
        return {}
    try:
        recipe = load_recipe(train["recipe"])
    except ValueError:  # a recipe this checkout does not have: name every option
        recipe = {}
    base = {**TrainConfig().training_options(), **recipe}
    first = {"init_from": train["init_from"], "out": train.get("out")}
    rest = {k: v for k, v in train.items() if k in base and k not in first and v != base[k]}
    return {**first, **rest}


# What a command without a recipe spells out (the rest are defaults or do not shape the weights).
COMMAND_OPTIONS = [
    "cell",
    "layers",
    "hidden",
    "embedding",
    "dropout",
    "embedding_dropout",
    "weight_drop",
    "seq_len",
    "batch_size",
    "lr",
    "weight_decay",
    "epochs",
    "ema",
    "seed",
]


CONTINUED_OPTIONS = ["start_state", "start_state_only", "start_batch", "max_steps"]


def train_command(train: dict, overrides: dict | None = None) -> str:
    """The command that trains with ``train``'s options, ``overrides`` replacing some."""
    overrides = overrides or {}
    if train.get("recipe"):
        flags = "".join(f" {flag(k, v)}" for k, v in {**recipe_overrides(train), **overrides}.items())
        return f"python -m training.train --recipe {train['recipe']}{flags}"
    options = {**train, **overrides}
    shown = [k for k in COMMAND_OPTIONS if k in options] + [k for k in overrides if k not in COMMAND_OPTIONS]
    if options.get("init_from"):  # a continued run: what it began from and what it trained
        shown = ["init_from"] + shown + [k for k in CONTINUED_OPTIONS if options.get(k) and k not in shown]
    source = f"--corpus {options['corpus']}" if options.get("corpus") else f"--text {options.get('text')}"
    flags = " ".join(flag(k, options[k]) for k in shown)
    return f"python -m training.train {source} --out {options.get('out')} {flags}"


def write_card(model_dir: str | Path) -> None:
    model_dir = Path(model_dir)
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    atomic_write_text(model_dir / CARD_FILE, render_card(config, load_history(model_dir)))
