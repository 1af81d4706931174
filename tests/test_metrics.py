"""HR@K and NDCG@K against hand-computed cases; top-K masking and tie order."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from recsae.metrics.ranking import hit_rate, ndcg, popularity_scores, ranking_metrics, top_k


def test_ndcg_by_hand() -> None:
    # user 0: held-out items 7 and 9 at ranks 0 and 2 of the top-3; user 1: no hit.
    top = np.array([[7, 1, 9], [2, 3, 4]])
    held_out = np.array([[7, 9], [8, 5]])
    dcg_user0 = 1 / math.log2(2) + 1 / math.log2(4)
    ideal = 1 / math.log2(2) + 1 / math.log2(3)
    assert ndcg(top, held_out, 3) == pytest.approx((dcg_user0 / ideal + 0) / 2)
    assert hit_rate(top, held_out, 3) == 0.5
    assert hit_rate(top, held_out, 1) == 0.5
    assert ndcg(top, held_out, 1) == pytest.approx(0.5)  # ideal DCG@1 = 1


def test_ndcg_ideal_is_capped_by_the_number_of_held_out_items() -> None:
    # 5 held-out positives, all in the top 5 of a top-10 list: a perfect list scores 1.
    top = np.array([[0, 1, 2, 3, 4, 10, 11, 12, 13, 14]])
    held_out = np.array([[4, 3, 2, 1, 0]])
    assert ndcg(top, held_out, 10) == pytest.approx(1.0)
    assert ndcg(top[:, ::-1].copy(), held_out, 10) < 1.0


def test_top_k_masks_training_items_and_breaks_ties_by_item_id() -> None:
    scores = torch.tensor([[0.5, 0.9, 0.9, 0.1], [1.0, 1.0, 1.0, 1.0]])
    exclude = sp.csr_matrix(np.array([[0, 1, 0, 0], [0, 0, 0, 0]]))
    assert top_k(scores, 2, exclude).tolist() == [[2, 0], [0, 1]]
    assert scores[0, 1] == 0.9  # the caller's scores are left untouched


def test_ranking_metrics_keys_and_a_perfect_ranker() -> None:
    held_out = np.array([[3, 4], [0, 1]])
    scores = torch.tensor([[0.0, 0.1, 0.2, 0.9, 0.8], [0.9, 0.8, 0.0, 0.1, 0.2]])
    metrics = ranking_metrics(scores, held_out, sp.csr_matrix((2, 5)), ks=(2, 3))
    assert metrics == {"hr@2": 1.0, "ndcg@2": 1.0, "hr@3": 1.0, "ndcg@3": 1.0}


def test_popularity_baseline_ranks_everyone_the_same() -> None:
    scores = popularity_scores(np.array([3, 10, 1]), n_users=2)
    assert top_k(scores, 3).tolist() == [[1, 0, 2], [1, 0, 2]]
