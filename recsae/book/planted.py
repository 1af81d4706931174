"""The planted-concepts chapter's setting: a small MF and its paper SAE on synthetic data whose
concepts are known (``recsae.data.synthetic``).

Ten planted genres and eight embedding dimensions: the genres cannot each have a coordinate of
their own, so they sit in superposition, the situation an SAE is meant to untangle. The same
setting backs the test that a trained SAE names every planted genre and its baselines do not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from recsae.data.interactions import Interactions
from recsae.data.split import Split, split
from recsae.data.synthetic import SyntheticConfig, planted_dataset
from recsae.presets import paper_sae
from recsae.training.recommender import RecommenderConfig, TrainedRecommender, train_recommender
from recsae.training.sae_trainer import TrainedSAE, train_sae

PLANTED_DATA = SyntheticConfig(n_genres=10)
"""More planted genres than embedding dimensions."""
PLANTED_MF = RecommenderConfig(
    "synthetic",
    "mf",
    dim=8,
    epochs=10,
    batch_size=64,
    optimizer="sgd",
    lr=0.05,
    l2=0.01,
    init_std=0.05,
    offset=1.0,
    monitor_users=50,
)
"""The official MF update at a size that fits the data: trains in seconds."""


@dataclass(frozen=True, eq=False)
class PlantedRun:
    """The planted data, its split, the frozen MF and the SAE trained on it."""

    data: Interactions
    held_out: Split
    recommender: TrainedRecommender
    sae: TrainedSAE

    def item_codes(self) -> np.ndarray:
        """The SAE's code of every item embedding of the MF."""
        with torch.no_grad():
            codes, _ = self.sae.autoencoder.encode(self.recommender.model.item_vectors)
        return codes.numpy()


def source_key(source: str) -> str:
    """A code source's name as a part of result keys ("PCA directions" → ``pca_directions``)."""
    return source.lower().replace(" ", "_")


def planted_run(compiled: bool | None = None) -> PlantedRun:
    """Generate the planted data, train the MF on it and the paper's MF SAE on the frozen MF
    (nothing is cached: the whole run takes well under a minute)."""
    data = planted_dataset(PLANTED_DATA).interactions
    held_out = split(data)
    recommender = train_recommender(PLANTED_MF, data, held_out, progress=False)
    trained = train_sae(
        paper_sae(recommender.config), recommender.model, held_out, progress=False, compiled=compiled
    )
    return PlantedRun(data, held_out, recommender, trained)
