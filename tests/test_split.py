"""The paper's split: 5 held-out positives and negatives per user, 20 % SAE test users."""

from __future__ import annotations

import numpy as np
import pytest

from recsae.data.sampling import pair_keys, sample_negatives
from recsae.data.split import SplitConfig, forbidden_training_negatives, split
from recsae.data.synthetic import SyntheticConfig, planted_dataset


def test_held_out_and_train_partition_the_positives(planted) -> None:
    data = planted.interactions
    held = split(data)
    assert held.test_positives.shape == (data.n_users, 5)
    train = set(pair_keys(held.train_users, held.train_items, data.n_items).tolist())
    test_users = np.repeat(np.arange(data.n_users), 5)
    test = set(pair_keys(test_users, held.test_positives.ravel(), data.n_items).tolist())
    assert len(test) == 5 * data.n_users and not train & test
    assert train | test == set(pair_keys(data.pair_users, data.pair_items, data.n_items).tolist())


def test_held_out_negatives_are_distinct_unobserved_items(planted) -> None:
    data = planted.interactions
    held = split(data)
    positives = set(pair_keys(data.pair_users, data.pair_items, data.n_items).tolist())
    for user, negatives in enumerate(held.test_negatives):
        assert len(set(negatives)) == 5
        assert not {user * data.n_items + int(i) for i in negatives} & positives


def test_sae_users_are_a_seeded_20_percent(planted) -> None:
    data = planted.interactions
    held = split(data)
    assert len(held.sae_test_users) == int(0.2 * data.n_users)
    assert np.array_equal(np.union1d(held.sae_test_users, held.sae_train_users), np.arange(data.n_users))
    assert not np.intersect1d(held.sae_test_users, held.sae_train_users).size
    again, other = split(data), split(data, SplitConfig(seed=1))
    assert np.array_equal(again.sae_test_users, held.sae_test_users)
    assert np.array_equal(again.test_positives, held.test_positives)
    assert not np.array_equal(other.test_positives, held.test_positives)


def test_users_with_too_few_positives_are_refused() -> None:
    data = planted_dataset(SyntheticConfig(n_users=20, interactions_per_user=5)).interactions
    with pytest.raises(ValueError, match="20 users have at most 5 positives"):
        split(data)


def test_training_negatives_avoid_positives_and_held_out_negatives(planted) -> None:
    data = planted.interactions
    held = split(data)
    forbidden = forbidden_training_negatives(held)
    rng = np.random.default_rng(0)
    negatives = sample_negatives(held.train_users, data.n_items, forbidden, rng)
    assert not np.isin(pair_keys(held.train_users, negatives, data.n_items), forbidden).any()
    held_out_negative_keys = pair_keys(
        np.repeat(np.arange(data.n_users), 5), held.test_negatives.ravel(), data.n_items
    )
    assert np.isin(held_out_negative_keys, forbidden).all()


def test_negative_draws_cover_the_allowed_items_uniformly() -> None:
    rng = np.random.default_rng(0)
    forbidden = np.array([0, 1, 2])  # user 0 may not get items 0, 1, 2
    draws = sample_negatives(np.zeros(70_000, dtype=int), 10, forbidden, rng)
    counts = np.bincount(draws, minlength=10)
    assert counts[:3].sum() == 0
    assert np.abs(counts[3:] / 10_000 - 1).max() < 0.05


def test_distinct_draws_per_user() -> None:
    rng = np.random.default_rng(0)
    users = np.repeat(np.arange(50), 6)
    draws = sample_negatives(users, 8, np.array([], dtype=np.int64), rng, distinct_per_user=True)
    assert all(len(set(draws[users == u])) == 6 for u in range(50))


def test_impossible_negative_requests_fail_instead_of_looping() -> None:
    forbidden = np.array([0, 1, 2, 3])  # user 0 has interacted with all 4 items
    with pytest.raises(
        ValueError, match="User 0 needs 1 negative item.s. but only 0 of the 4 items are allowed"
    ):
        sample_negatives(np.array([0, 0]), 4, forbidden, np.random.default_rng(0))
    with pytest.raises(ValueError, match="User 1 needs 3 negative"):
        sample_negatives(
            np.array([1, 1, 1]), 4, np.array([4, 5]), np.random.default_rng(0), distinct_per_user=True
        )
