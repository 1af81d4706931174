"""A setting: the data, its split, the frozen recommender trained on it and an SAE trained
against it, built once and handed around as one object.

Every stage after training reads the same few things: which users the SAE never saw, the
recommender's embeddings, the SAE's codes of them, the interaction history. ``setting(run)``
builds them from the artifact cache once per run, so a chapter or a function takes one
``Setting`` instead of a recommender, an SAE, a split, labels and item tables one by one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch import Tensor

from recsae.data.datasets import load
from recsae.data.interactions import Interactions
from recsae.data.split import Split, split
from recsae.models import MatrixFactorization, TwoTower
from recsae.sae import SparseAutoencoder
from recsae.training.recommender import RecommenderConfig, trained_recommender
from recsae.training.sae_trainer import SAERunConfig, trained_sae


@dataclass(frozen=True, eq=False)
class FrozenRecommender:
    """A trained, frozen recommender with the data and the split it was trained on."""

    data: Interactions
    held_out: Split
    model: TwoTower


@lru_cache(maxsize=8)
def frozen_recommender(config: RecommenderConfig) -> FrozenRecommender:
    """The recommender of ``config`` (cached or trained now), its data and its split, built once
    per configuration: sweeps and chapters measure many SAEs on the same recommender."""
    data = load(config.dataset)
    return FrozenRecommender(data, split(data, config.split), trained_recommender(config).model)


@dataclass(frozen=True, eq=False)
class Setting:
    """An SAE trained against a frozen recommender, with the data and split they share.

    ``training_history`` is the SAE's per-epoch record; ``codes``, ``item_vectors`` and
    ``interaction_matrix`` are computed on first use and kept.
    """

    data: Interactions
    held_out: Split
    recommender: TwoTower
    autoencoder: SparseAutoencoder
    training_history: list[dict[str, float]] = field(default_factory=list)

    @property
    def backbone(self) -> str:
        """``"mf"`` or ``"ncf"``: the recommender's family, as in result keys."""
        return "mf" if isinstance(self.recommender, MatrixFactorization) else "ncf"

    @property
    def item_labels(self) -> pd.DataFrame:
        """One boolean column per concept (genre or tag), one row per item."""
        return self.data.item_labels

    @cached_property
    def interaction_matrix(self) -> sp.csr_matrix:
        """Every user's interactions, training and held-out (users × items): what audiences are
        read from and what fidelity masks."""
        return self.data.matrix()

    @cached_property
    def codes(self) -> dict[str, np.ndarray]:
        """The SAE codes of every ``"item"`` and every ``"user"`` embedding of the recommender:
        what the concept readings choose a neuron from."""
        towers = {"item": self.recommender.item_vectors, "user": self.recommender.user_vectors}
        with torch.no_grad():
            return {
                side: self.autoencoder.encode(vectors.detach())[0].numpy() for side, vectors in towers.items()
            }

    @cached_property
    def item_vectors(self) -> Tensor:
        """The item table that edited users are scored against: the recommender's own items for
        MF, their SAE reconstructions for NCF, as the official ML-1M NCF case studies do (the
        book's appendix on the official code, steering)."""
        items = self.recommender.item_vectors.detach()
        if self.backbone == "mf":
            return items
        with torch.no_grad():
            return self.autoencoder(items).reconstruction


@lru_cache(maxsize=16)
def setting(run: SAERunConfig) -> Setting:
    """The setting of ``run``: its recommender and SAE from the artifact cache (trained now
    when missing), with their data and split."""
    frozen = frozen_recommender(run.recommender)
    trained = trained_sae(run)
    return Setting(frozen.data, frozen.held_out, frozen.model, trained.autoencoder, trained.history)
