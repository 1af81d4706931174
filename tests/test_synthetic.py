"""The planted-concept generator: real schema, and interactions that follow the planted genres."""

from __future__ import annotations

import numpy as np

from recsae.data.synthetic import SyntheticConfig, planted_dataset


def test_schema_matches_the_real_datasets(planted) -> None:
    data = planted.interactions
    config = SyntheticConfig()
    assert (data.n_users, data.n_items) == (config.n_users, config.n_items)
    assert data.n_interactions == config.n_users * config.interactions_per_user
    assert list(data.item_labels.columns) == [f"genre_{g}" for g in range(config.n_genres)]
    assert data.item_labels.any(axis=1).all()
    assert {"title", "year", "decade", "popularity", "popularity_rank"} <= set(data.items.columns)
    assert {"gender", "age"} <= set(data.users.columns)


def test_users_interact_mostly_with_their_planted_genres(planted) -> None:
    data = planted.interactions
    labels = data.item_labels.to_numpy()
    liked = planted.user_preferences > 0
    on_liked_genre = (labels[data.pair_items] & liked[data.pair_users]).any(axis=1)
    # Items of a liked genre are about 2/6 of the catalogue, but the bulk of the interactions.
    assert on_liked_genre.mean() > 0.9
    random_items = np.random.default_rng(0).integers(data.n_items, size=data.n_interactions)
    assert (labels[random_items] & liked[data.pair_users]).any(axis=1).mean() < 0.6


def test_generation_is_seeded() -> None:
    first = planted_dataset(SyntheticConfig(seed=3)).interactions
    again = planted_dataset(SyntheticConfig(seed=3)).interactions
    other = planted_dataset(SyntheticConfig(seed=4)).interactions
    assert np.array_equal(first.pair_items, again.pair_items)
    assert not np.array_equal(first.pair_items, other.pair_items)


def test_summary_counts(planted) -> None:
    summary = planted.interactions.summary()
    config = SyntheticConfig()
    assert summary["n_interactions"] == config.n_users * config.interactions_per_user
    assert (
        summary["user_interactions.min"] == summary["user_interactions.max"] == config.interactions_per_user
    )
    assert summary["density"] == round(config.interactions_per_user / config.n_items, 4)
    assert summary["n_labels"] == config.n_genres and summary["items_without_label"] == 0
