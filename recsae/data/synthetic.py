"""A synthetic dataset with the real schema and *planted* concepts.

Items belong to one or two of ``n_genres`` genres; each user likes a few genres; a user
interacts with an item with a probability that grows with how much the user likes the item's
genres and with the item's popularity. Because the generating concepts are known, the tests
and the book's planted-concepts chapter can check that a model or an SAE recovers them,
something real data cannot prove.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsae.checks import check_int
from recsae.data.datasets import decade_of
from recsae.data.interactions import Interactions, from_pairs


@dataclass(frozen=True)
class SyntheticConfig:
    n_users: int = 600
    n_items: int = 400
    n_genres: int = 6
    genres_per_user: int = 2
    interactions_per_user: int = 40
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("n_users", "n_items", "n_genres"):
            check_int(self, name, 1)
        check_int(self, "genres_per_user", 1, self.n_genres)
        check_int(self, "interactions_per_user", 1, self.n_items)
        check_int(self, "seed", 0)


@dataclass(frozen=True, eq=False)
class PlantedDataset:
    """The generated interactions and the truth they were drawn from."""

    interactions: Interactions
    user_preferences: np.ndarray
    """(n_users × n_genres) weights of each user's liked genres, rows summing to 1."""


def planted_dataset(config: SyntheticConfig = SyntheticConfig()) -> PlantedDataset:
    rng = np.random.default_rng(config.seed)
    genre_names = [f"genre_{g}" for g in range(config.n_genres)]
    primary = np.arange(config.n_items) % config.n_genres
    second = rng.integers(config.n_genres, size=config.n_items)
    has_second = rng.random(config.n_items) < 0.3
    labels = np.zeros((config.n_items, config.n_genres), dtype=bool)
    labels[np.arange(config.n_items), primary] = True
    labels[np.arange(config.n_items)[has_second], second[has_second]] = True

    preferences = np.zeros((config.n_users, config.n_genres))
    for user in range(config.n_users):
        liked = rng.choice(config.n_genres, size=config.genres_per_user, replace=False)
        preferences[user, liked] = rng.dirichlet(np.ones(config.genres_per_user))
    appeal = np.exp(rng.normal(0.0, 0.5, size=config.n_items))
    affinity = (preferences @ labels.T.astype(float)) * appeal + 1e-3
    probabilities = affinity / affinity.sum(axis=1, keepdims=True)
    # Gumbel top-k: a without-replacement draw of interactions_per_user items per user, vectorised.
    keys = np.log(probabilities) - np.log(-np.log(rng.random(probabilities.shape)))
    chosen = np.argsort(-keys, axis=1)[:, : config.interactions_per_user]

    users = np.repeat(np.arange(1, config.n_users + 1), config.interactions_per_user)
    items = chosen.ravel() + 1
    item_ids = np.arange(1, config.n_items + 1)
    year = pd.Series(rng.integers(1950, 2001, size=config.n_items), index=item_ids).astype("Int64")
    item_table = pd.DataFrame({"title": [f"Item {i}" for i in item_ids], "year": year}, index=item_ids)
    item_table["decade"] = decade_of(year)
    label_table = pd.DataFrame(labels, index=item_ids, columns=genre_names)
    user_table = pd.DataFrame(
        {
            "gender": rng.choice(["F", "M"], size=config.n_users),
            "age": rng.choice([1, 18, 25, 35], size=config.n_users),
        },
        index=np.arange(1, config.n_users + 1),
    )
    interactions = from_pairs("synthetic", users, items, item_table, label_table, user_table, item_ids)
    return PlantedDataset(interactions, preferences)
