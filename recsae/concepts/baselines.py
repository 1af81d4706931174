"""Code matrices that an SAE's concepts must beat (on purity, the paper's Table 1).

A claim that the SAE finds concepts means its neurons are purer than directions that need
no training: the embedding's own coordinates, its principal axes, and the SAE before
training. Each function turns item embeddings [items, d] into a code matrix
[items, columns] that ``recsae.concepts.neurons`` reads exactly as it reads SAE codes. A neuron
ranks items by its column, descending, so a direction and its negative are two neurons:
both ends of an axis may name a concept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch
from numpy.typing import ArrayLike, NDArray

from recsae.concepts.neurons import concept_profiles, neuron_table, summarise
from recsae.sae import SAEConfig, SparseAutoencoder, build_sae

if TYPE_CHECKING:
    from recsae.setting import Setting

BASELINES = ("embedding dimensions", "PCA directions", "random SAE")

SOURCE_KEYS = {
    "SAE": "sae",
    "embedding dimensions": "embedding",
    "PCA directions": "pca",
    "random SAE": "random_sae",
}
"""Each code source as a part of result keys (``ml1m.mf.pca.median_auc``)."""
"""The code matrices an SAE is compared with, by the names ``compared_codes`` gives them."""


def _embeddings(embeddings: ArrayLike) -> NDArray[np.float64]:
    matrix = np.asarray(embeddings, dtype=np.float64)
    if matrix.ndim != 2 or 0 in matrix.shape:
        raise ValueError(f"Embeddings must be a non-empty 2-D array [items, d], got shape {matrix.shape}.")
    return matrix


def _both_ends(directions: NDArray[np.float64]) -> NDArray[np.float64]:
    """[x, −x]: columns 0..c−1 rank items by each coordinate, columns c..2c−1 by its negative."""
    return np.concatenate([directions, -directions], axis=1)


def embedding_codes(embeddings: ArrayLike) -> NDArray[np.float64]:
    """The raw embedding coordinates and their negatives, [items, 2d]: is a concept already
    aligned with an axis of the recommender's space?"""
    return _both_ends(_embeddings(embeddings))


def principal_axes(embeddings: ArrayLike) -> NDArray[np.float64]:
    """The principal axes of the centred embeddings, one per row, by decreasing variance.

    Computed with numpy's SVD; the rows are orthonormal. The sign of an SVD axis is arbitrary,
    so each row is flipped to make its largest-magnitude entry positive (the first such entry
    on a tie), as scikit-learn's ``svd_flip`` does for PCA components.
    """
    matrix = _embeddings(embeddings)
    _, _, axes = np.linalg.svd(matrix - matrix.mean(axis=0), full_matrices=False)
    largest = axes[np.arange(len(axes)), np.abs(axes).argmax(axis=1)]
    return axes * np.where(largest < 0, -1.0, 1.0)[:, None]


def pca_codes(embeddings: ArrayLike) -> NDArray[np.float64]:
    """Projections of the centred embeddings on the principal axes and their negatives,
    [items, 2·min(items, d)]: the directions of largest variance, the usual unsupervised guess
    at a model's main concepts."""
    matrix = _embeddings(embeddings)
    return _both_ends((matrix - matrix.mean(axis=0)) @ principal_axes(matrix).T)


def random_sae_codes(embeddings: ArrayLike, config: SAEConfig) -> NDArray[np.float64]:
    """Item codes [items, m] of an untrained SAE built from ``config``.

    With the trained SAE's config this is that SAE's own initialisation (``build_sae`` seeds it
    from ``config.seed``), so the comparison isolates what training added; the architecture,
    its per-vector standardisation and the ReLU are the same.
    """
    sae = build_sae(config)
    vectors = torch.as_tensor(_embeddings(embeddings), dtype=torch.float32)
    with torch.no_grad():
        codes, _ = sae.encode(vectors)
    return codes.numpy().astype(np.float64)


def compared_codes(
    sae_codes: ArrayLike, embeddings: ArrayLike, autoencoder: SparseAutoencoder
) -> dict[str, NDArray[np.float64]]:
    """An SAE's item codes beside the three ``BASELINES`` built from the same item embeddings
    (the random SAE from the trained one's config), each read the same way."""
    return {
        "SAE": np.asarray(sae_codes, dtype=np.float64),
        "embedding dimensions": embedding_codes(embeddings),
        "PCA directions": pca_codes(embeddings),
        "random SAE": random_sae_codes(embeddings, autoencoder.config),
    }


def baseline_summary(measured: Setting) -> pd.DataFrame:
    """``summarise`` of a setting's SAE item codes and of the three baselines of its recommender,
    one row per source (``compared_codes``' names), counts as integers."""
    sources = compared_codes(
        measured.codes["item"], measured.recommender.item_vectors.detach(), measured.autoencoder
    )
    table = pd.DataFrame(
        {name: summarise(neuron_table(codes, measured.item_labels)) for name, codes in sources.items()}
    ).T
    return table.astype({"neurons": int, "labelled": int, "pure@10": int})


def concept_recovery(sources: dict[str, ArrayLike], labels: pd.DataFrame) -> pd.DataFrame:
    """Every concept of ``labels`` read off every code source (``compared_codes``) by
    ``concept_profiles``, rows (source, concept): on data whose concepts are known, how well
    each source recovers each one, the SAE and its baselines read by the same rule."""
    return pd.concat(
        {name: concept_profiles(codes, labels, list(labels.columns)) for name, codes in sources.items()},
        names=["codes", "concept"],
    )


def recovery_summary(recovery: pd.DataFrame, metric: str = "purity@20", bound: float = 0.9) -> pd.DataFrame:
    """Per code source of a ``concept_recovery`` table: its worst and median ``metric`` over the
    concepts, and how many concepts reach ``bound`` (a neuron whose top items nearly all carry
    the concept)."""
    grouped = recovery[metric].groupby(level=0, sort=False)
    return pd.DataFrame(
        {
            "worst": grouped.min(),
            "median": grouped.median(),
            "recovered": grouped.apply(lambda v: int((v >= bound).sum())),
        }
    ).rename_axis("codes")
