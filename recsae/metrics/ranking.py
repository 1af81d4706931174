"""Ranking metrics on the held-out positives, with a full ranking that masks training items.

The paper's own NDCG helper uses the predicted score as gain and does not run (official
``code/ML1M/utils.ipynb``); these are the standard definitions with binary gain (Järvelin & Kekäläinen 2002):

* HR@K — share of users with at least one held-out positive in their top K.
* NDCG@K — DCG = Σ_{r<K} rel_r / log2(r + 2) over the top K (r = 0-based rank), divided by
  the DCG of a perfect list, which puts min(K, #held-out) positives first.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor


def top_k(scores: Tensor, k: int, exclude: sp.csr_matrix | None = None) -> np.ndarray:
    """The k highest-scoring item ids per row; items marked in ``exclude`` never appear.

    Ties are broken towards the lower item id (a stable sort), so lists are deterministic.
    """
    scores = scores.clone()
    if exclude is not None:
        rows, columns = exclude.nonzero()
        scores[torch.from_numpy(rows).long(), torch.from_numpy(columns).long()] = -torch.inf
    order = torch.sort(scores, dim=1, descending=True, stable=True).indices
    return order[:, :k].numpy()


def hits(top: np.ndarray, positives: np.ndarray) -> np.ndarray:
    """Boolean (users × k): is the item at each rank one of the user's held-out positives?"""
    return (top[:, :, None] == positives[:, None, :]).any(axis=2)


def hit_rate(top: np.ndarray, positives: np.ndarray, k: int) -> float:
    return float(hits(top[:, :k], positives).any(axis=1).mean())


def ndcg(top: np.ndarray, positives: np.ndarray, k: int) -> float:
    relevant = hits(top[:, :k], positives)
    discounts = 1.0 / np.log2(np.arange(k) + 2.0)
    dcg = relevant @ discounts
    ideal = discounts[: min(k, positives.shape[1])].sum()
    return float((dcg / ideal).mean())


def ranking_metrics(
    scores: Tensor, positives: np.ndarray, exclude: sp.csr_matrix, ks: tuple[int, ...] = (10, 20)
) -> dict[str, float]:
    """HR@K and NDCG@K for every K, keyed ``"hr@10"``, ``"ndcg@10"`` ..."""
    top = top_k(scores, max(ks), exclude)
    metrics: dict[str, float] = {}
    for k in ks:
        metrics[f"hr@{k}"] = hit_rate(top, positives, k)
        metrics[f"ndcg@{k}"] = ndcg(top, positives, k)
    return metrics


def popularity_scores(popularity: np.ndarray, n_users: int) -> Tensor:
    """The popularity baseline: every user gets the same ranking, most-interacted first."""
    return torch.from_numpy(popularity.astype(np.float32)).expand(n_users, -1)
