"""Ranking quality of the frozen recommenders against a popularity baseline (no official numbers)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from recsae.data.split import Split
from recsae.metrics.ranking import popularity_scores, ranking_metrics
from recsae.models import TwoTower, score_all
from recsae.setting import frozen_recommender
from recsae.training.recommender import TrainedRecommender

KS = (10, 20)


def evaluate(model: TwoTower, held_out: Split, ks: tuple[int, ...] = KS) -> dict[str, float]:
    """HR@K / NDCG@K on every user's held-out positives; all items ranked, training items masked."""
    return ranking_metrics(score_all(model), held_out.test_positives, held_out.train_matrix(), ks)


def evaluate_popularity(held_out: Split, ks: tuple[int, ...] = KS) -> dict[str, float]:
    """The same metrics for ranking every user's unseen items by training popularity."""
    scores = popularity_scores(held_out.train_popularity(), held_out.n_users)
    return ranking_metrics(scores, held_out.test_positives, held_out.train_matrix(), ks)


def comparison_table(models: Mapping[str, TrainedRecommender]) -> pd.DataFrame:
    """One row per (dataset, model), plus a popularity row per dataset, indexed like result keys."""
    rows: dict[str, dict[str, float]] = {}
    for key, trained in models.items():
        dataset = key.split(".")[0]
        held_out = frozen_recommender(trained.config).held_out
        if f"{dataset}.popularity" not in rows:
            rows[f"{dataset}.popularity"] = evaluate_popularity(held_out)
        rows[key] = evaluate(trained.model, held_out)
    return pd.DataFrame(rows).T.sort_index()
