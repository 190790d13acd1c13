"""``surprisal_nats`` read as parallel streams (``span``, ``context``): every character scored once,
in order; with context back to the start it is the full pass; the first span always is."""

from __future__ import annotations

import numpy as np
import torch
from conftest import TINY_TEXT
from tolerances import FLOAT32

from charrnn.metrics import surprisal_nats, windows


def test_windows_cover_every_character_once_in_order():
    ids = torch.arange(10)
    streams, scored = windows(ids, span=4, context=3)
    assert streams.tolist() == [[0, 1, 2, 3, 0, 0, 0], [1, 2, 3, 4, 5, 6, 7], [5, 6, 7, 8, 9, 0, 0]]
    assert streams[scored].tolist() == list(range(10))
    assert scored.sum(dim=1).tolist() == [4, 4, 2]
    one, all_scored = windows(ids, span=10, context=3)
    assert one.tolist() == [list(range(10))] and bool(all_scored.all())


def test_streams_with_context_back_to_the_start_are_the_full_pass(tiny_model):
    ids = tiny_model.vocab.encode(TINY_TEXT[:300]).ids
    full = surprisal_nats(tiny_model, ids)
    np.testing.assert_allclose(surprisal_nats(tiny_model, ids, span=64, context=300), full, **FLOAT32)


def test_short_context_changes_only_the_spans_after_the_first(tiny_model):
    ids = tiny_model.vocab.encode(TINY_TEXT[:300]).ids
    full = surprisal_nats(tiny_model, ids)
    cut = surprisal_nats(tiny_model, ids, span=100, context=5)
    assert cut.shape == full.shape == (300,)
    np.testing.assert_allclose(cut[:100], full[:100], **FLOAT32)
    assert not np.allclose(cut[100:105], full[100:105], **FLOAT32)  # five characters of memory are not enough
    assert surprisal_nats(tiny_model, [], span=100, context=5).shape == (0,)
