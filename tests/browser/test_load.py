"""Load: 8 browser sessions generating at once against one ``streamlit run app.py``.

``benchmarks/load.py`` does the work (and prints the figures with ``-s``): one session alone,
then 8 browser contexts in one headless Chromium, each on its own seeded link, clicking Generate
at the same moment, twice. Every text must equal the library's sample for that session's settings
(no state leaks between sessions); the server's memory must stay flat (models are loaded once).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from benchmarks.browser import running_app
from benchmarks.load import run_load, sessions_for
from charrnn import CharRNN, ModelConfig
from tests.conftest import TINY_TEXT, write_model_dir

SESSIONS, LENGTH, ROUNDS = 8, 200, 2
TIMEOUT_S = 300  # per round of all sessions (tens of seconds on a free machine; minutes beside training)
# Loading the 2x384 LSTM costs ~14 MiB (weights + engine): once per session would add ~110 MiB.
GROWTH_LIMIT_MIB = 60


@pytest.fixture(scope="module")
def load_model_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One 2x384 LSTM with random weights: large enough for a per-session reload to show in memory."""
    torch.manual_seed(0)
    model = CharRNN(ModelConfig(sorted(set(TINY_TEXT)), cell="lstm", layers=2, hidden=384, embedding=16)).eval()
    root = tmp_path_factory.mktemp("load-models")
    write_model_dir(model, root / "load-lstm", "load-lstm")
    return root


def test_eight_sessions_at_once_match_their_runs_alone_and_memory_stays_flat(
    load_model_root: Path, tmp_path: Path
) -> None:
    model = CharRNN.from_pretrained(load_model_root / "load-lstm")
    sessions = sessions_for("load-lstm", SESSIONS, LENGTH, "To")
    assert len({s.expected(model) for s in sessions}) == SESSIONS  # a leak would show as a wrong text
    with running_app(load_model_root, tmp_path / "streamlit.log") as url:
        figures = run_load(url, model, sessions, ROUNDS, TIMEOUT_S)
    print("\n" + json.dumps(figures))
    assert figures["all_texts_match"]
    rss = [figures["rss_mib_sessions_open"], *figures["rss_mib_after_rounds"]]
    assert max(rss) - figures["rss_mib_single"] < GROWTH_LIMIT_MIB, figures
    assert rss[-1] - rss[1] < GROWTH_LIMIT_MIB / 2, figures  # a second round adds next to nothing
