"""The paper's evaluation split (as in the official code), seeded.

Per user, 5 positives are held out for the recommender's ranking evaluation (HR/NDCG) and 5
non-interacted items are set aside as held-out negatives (the official code stores them; the
training negatives avoid them). Independently, 20 % of the users are "SAE test users": the
sparse autoencoder never sees their embeddings during training, and fidelity and steering
are measured on them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recsae.checks import check_int, check_number
from recsae.data.interactions import Interactions
from recsae.data.sampling import pair_keys, sample_negatives


@dataclass(frozen=True)
class SplitConfig:
    """How the data is split; part of every model's config, hence of its cache key."""

    held_out_positives: int = 5
    held_out_negatives: int = 5
    sae_test_fraction: float = 0.2
    seed: int = 0

    def __post_init__(self) -> None:
        check_int(self, "held_out_positives", 1)
        check_int(self, "held_out_negatives", 0)
        check_number(self, "sae_test_fraction", above=0, below=1)
        check_int(self, "seed", 0)


@dataclass(frozen=True, eq=False)
class Split:
    """Train positives, per-user held-out positives/negatives and the SAE user split."""

    config: SplitConfig
    n_users: int
    n_items: int
    train_users: np.ndarray
    train_items: np.ndarray
    test_positives: np.ndarray
    test_negatives: np.ndarray
    sae_test_users: np.ndarray
    sae_train_users: np.ndarray

    def train_matrix(self) -> sp.csr_matrix:
        ones = np.ones(len(self.train_users), dtype=np.float32)
        return sp.csr_matrix((ones, (self.train_users, self.train_items)), shape=(self.n_users, self.n_items))

    def summary(self) -> dict[str, int]:
        return {
            "train_positives": len(self.train_users),
            "held_out_positives": int(self.test_positives.size),
            "held_out_negatives": int(self.test_negatives.size),
            "sae_train_users": len(self.sae_train_users),
            "sae_test_users": len(self.sae_test_users),
        }

    def train_popularity(self) -> np.ndarray:
        """Number of training users per item: the popularity baseline's score (no test leak)."""
        return np.bincount(self.train_items, minlength=self.n_items)


def split(data: Interactions, config: SplitConfig = SplitConfig()) -> Split:
    """Hold out positives and negatives per user and pick the SAE test users, all seeded."""
    per_user = np.bincount(data.pair_users, minlength=data.n_users)
    if per_user.min() <= config.held_out_positives:
        raise ValueError(
            f"{data.name}: {int((per_user <= config.held_out_positives).sum())} users have at most "
            f"{config.held_out_positives} positives, so holding out {config.held_out_positives} would leave "
            f"them nothing to train on; filter such users out or hold out fewer."
        )
    rng = np.random.default_rng(config.seed)
    order = np.lexsort((rng.random(data.n_interactions), data.pair_users))
    starts = np.concatenate([[0], np.cumsum(per_user)[:-1]])
    rank_in_user = np.arange(data.n_interactions) - np.repeat(starts, per_user)
    held = rank_in_user < config.held_out_positives
    test_positives = data.pair_items[order[held]].reshape(data.n_users, config.held_out_positives)
    train = order[~held]

    negative_users = np.repeat(np.arange(data.n_users), config.held_out_negatives)
    forbidden = np.sort(pair_keys(data.pair_users, data.pair_items, data.n_items))
    negatives = sample_negatives(negative_users, data.n_items, forbidden, rng, distinct_per_user=True)

    n_sae_test = int(np.floor(config.sae_test_fraction * data.n_users))
    permutation = rng.permutation(data.n_users)
    return Split(
        config=config,
        n_users=data.n_users,
        n_items=data.n_items,
        train_users=data.pair_users[train],
        train_items=data.pair_items[train],
        test_positives=test_positives,
        test_negatives=negatives.reshape(data.n_users, config.held_out_negatives),
        sae_test_users=np.sort(permutation[:n_sae_test]),
        sae_train_users=np.sort(permutation[n_sae_test:]),
    )


def forbidden_training_negatives(held_out: Split) -> np.ndarray:
    """Sorted pair keys a training negative must avoid: every positive and every held-out negative.

    The split holds every positive, as training pairs plus each user's held-out positives.
    """
    keys = [pair_keys(held_out.train_users, held_out.train_items, held_out.n_items)]
    for per_user in (held_out.test_positives, held_out.test_negatives):
        users = np.repeat(np.arange(held_out.n_users), per_user.shape[1])
        keys.append(pair_keys(users, per_user.ravel(), held_out.n_items))
    return np.unique(np.concatenate(keys))
