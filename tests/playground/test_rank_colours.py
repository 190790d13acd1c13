"""The rank colouring (GLTR's buckets): 1st, top 3, top 10, beyond, with the share in each."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TINY_TEXT

from playground.pages.score.rank_colours import BUCKETS, bucket, rank_html, rank_legend, shares
from playground.pages.score.scoring import score_text


def test_ranks_fall_into_gltr_buckets():
    ranks = np.array([1, 2, 3, 4, 10, 11, 65])
    assert bucket(ranks).tolist() == [0, 1, 1, 2, 2, 3, 3]
    assert [label for _, label, _ in BUCKETS] == ["1st", "top 3", "top 10", "beyond"]


def test_shares_count_every_character_once():
    assert shares(np.array([1, 1, 2, 12])) == [("1st", 0.5), ("top 3", 0.25), ("top 10", 0.0), ("beyond", 0.25)]
    assert sum(share for _, share in shares(np.arange(1, 40))) == pytest.approx(1.0)


def test_a_scored_text_is_coloured_by_rank(tiny_model):
    score = score_text(tiny_model, TINY_TEXT[:120], "error")
    page = rank_html(score.chars, score.rank)
    assert page.count('<span style="background:') == 120
    first = BUCKETS[0][2]
    assert page.count(f"background:{first};") == int((score.rank == 1).sum()) > 30  # it trained on this very text
    assert f"rank {score.rank[5]}" in page
    legend = rank_legend(score.rank)
    assert f"1st {(score.rank == 1).mean():.0%}" in legend and "beyond" in legend
