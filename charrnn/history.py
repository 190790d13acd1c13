"""``history.json``: what happened during training, replayed by the app's timeline.

Schema (format 1)::

    {
      "format_version": 1,
      "corpus": "shakespeare",              # or the --text path's name
      "sample_prime": "ROMEO:", "sample_temperature": 0.8, "sample_seed": 1234, "sample_length": 300,
      "records": [                          # in step order, never rewritten, only appended
        {"step": 10, "epoch": 0.01, "chars_seen": 81920, "train_loss": 3.1, "val_loss": null,
         "lr": 0.002, "elapsed_s": 4.2, "sample": "..."  # sample is null where none was taken
        }, ...
      ],
      "summary": {"best_val_loss": 1.41, "best_step": 9000, "train_time_s": 3600.0,
                  "hardware": "2 CPU cores (...)", "finished": true}
    }

Losses are nats/char. ``val_loss`` is measured on the whole validation split.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HISTORY_FILE = "history.json"
FORMAT_VERSION = 1


def new_history(**fields: Any) -> dict[str, Any]:
    return {"format_version": FORMAT_VERSION, **fields, "records": [], "summary": {}}


def load_history(model_dir: str | Path) -> dict[str, Any]:
    """Read and sanity-check a model directory's ``history.json``; ValueError says what is wrong."""
    path = Path(model_dir) / HISTORY_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path} is missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{path} is not valid JSON ({e})") from e
    if not isinstance(data, dict) or not isinstance(data.get("records"), list):
        raise ValueError(f"{path} has no 'records' list")
    for i, record in enumerate(data["records"]):
        if not isinstance(record, dict) or "step" not in record:
            raise ValueError(f"{path}: record {i} has no 'step'")
    return data


def sampled_records(history: dict[str, Any]) -> list[dict[str, Any]]:
    """The records that carry a sample, in step order: the app's timeline."""
    return [r for r in history["records"] if r.get("sample")]


def sample_steps(limit: int) -> set[int]:
    """0, 10, 30, 100, 300, 1000, ...: the log-spaced steps at which training records a sample
    (the trainer takes them; the Train tab counts them for its time estimate)."""
    steps, value = {0}, 10
    while value <= limit:
        steps.update({value, 3 * value})
        value *= 10
    return steps
