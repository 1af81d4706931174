"""How much of a concept an embedding holds linearly, whatever the basis: a linear probe.

Purity reads one coordinate at a time (a neuron, an embedding dimension, a principal axis). An SAE
can only make a concept a neuron if the concept is there to find: if no linear read-out of the
embeddings separates a genre's items from the rest, no dictionary of linear directions will.
``probe_auc`` fits a ridge-regression probe per concept and reports its ROC-AUC on items it was
not fitted on (k-fold cross-validation), so that the representations of two recommenders (MF
items, NCF items, the NCF MLP's first-layer view of its items) can be compared on one scale.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from numpy.typing import ArrayLike, NDArray

from recsae.concepts.neurons import label_auc
from recsae.models import NeuralCF

FOLDS = 5
RIDGE = 1.0
"""Ridge penalty on standardised features: enough to keep a probe on 20 to 64 features stable,
too little to change its ranking on thousands of items."""


def _features(vectors: ArrayLike) -> NDArray[np.float64]:
    matrix = np.asarray(vectors, dtype=np.float64)
    if matrix.ndim != 2 or 0 in matrix.shape:
        raise ValueError(
            f"Probe features must be a non-empty 2-D array [items, features], got {matrix.shape}."
        )
    return matrix


def ridge_fit(
    features: NDArray[np.float64], target: NDArray[np.float64], ridge: float = RIDGE
) -> NDArray[np.float64]:
    """Weights [features + 1] (intercept last) of ridge regression of ``target`` on ``features``,
    the intercept unpenalised: the closed form (XᵀX + λI)⁻¹Xᵀy on centred data."""
    mean, target_mean = features.mean(axis=0), target.mean()
    centred = features - mean
    gram = centred.T @ centred + ridge * np.eye(features.shape[1])
    weights = np.linalg.solve(gram, centred.T @ (target - target_mean))
    return np.append(weights, target_mean - mean @ weights)


def probe_scores(
    vectors: ArrayLike, target: ArrayLike, folds: int = FOLDS, seed: int = 0
) -> NDArray[np.float64]:
    """Out-of-fold probe scores: each item scored by a probe fitted on the other folds (items
    shuffled into ``folds`` folds with ``seed``), features standardised on the fitting folds."""
    features = _features(vectors)
    labels = np.asarray(target, dtype=np.float64)
    if len(labels) != len(features):
        raise ValueError(f"Give one target per item ({len(features)}); got {len(labels)}.")
    if not 2 <= folds <= len(features):
        raise ValueError(f"folds must be between 2 and the number of items ({len(features)}); got {folds}.")
    assignment = np.random.default_rng(seed).permutation(len(features)) % folds
    scores = np.empty(len(features))
    for fold in range(folds):
        fit, held = assignment != fold, assignment == fold
        mean, spread = features[fit].mean(axis=0), features[fit].std(axis=0)
        spread = np.where(spread > 0, spread, 1.0)
        weights = ridge_fit((features[fit] - mean) / spread, labels[fit])
        scores[held] = ((features[held] - mean) / spread) @ weights[:-1] + weights[-1]
    return scores


def probe_auc(vectors: ArrayLike, labels: pd.DataFrame, concepts: Sequence[str], seed: int = 0) -> pd.Series:
    """Per concept, the ROC-AUC of its cross-validated ridge probe on ``vectors`` (one row per
    item of ``labels``): 0.5 when the embeddings hold nothing linear about it, 1 when a linear
    read-out separates its items perfectly."""
    features = _features(vectors)
    aucs = {}
    for concept in concepts:
        if concept not in labels:
            raise ValueError(f"Unknown label {concept!r}; the labels are {list(labels.columns)}.")
        scores = probe_scores(features, labels[concept].to_numpy(), seed=seed)
        aucs[concept] = float(label_auc(scores[:, None], labels, [concept])[0])
    return pd.Series(aucs, name="probe_auc").rename_axis("concept")


@torch.no_grad()
def first_layer_items(model: NeuralCF) -> NDArray[np.float64]:
    """The NCF MLP's first-layer view of every item, W_i q_i [items, hidden]: the features its
    first layer adds to the user's before the ReLU, i.e. what the MLP reads from an item."""
    dim = model.item_vectors.shape[1]
    return (model.item_vectors @ model.mlp[0].weight[:, dim:].T).double().numpy()
