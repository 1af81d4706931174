"""The monosemanticity score (MS) of an SAE's item codes (official ``code/ML1M/utils.ipynb``).

A latent is monosemantic when the items that excite it most are alike. MS measures that
alikeness with the recommender's own notion of similarity: the cosine similarity of the
*original* item embeddings, averaged over the pairs of a latent's top items and weighted by
how strongly both items of a pair activate it (after Pach et al. 2025). The official code uses
it as the Optuna objective and reports it in the β-ablation (the paper's Fig. 4).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

TOP_ITEMS = 30
"""Items per latent that enter the score (30 in the official code)."""


class MonosemanticityScore(NamedTuple):
    """MS of every latent, and their mean: the SAE's MS."""

    mean: float
    per_neuron: NDArray[np.float64]


def monosemanticity(
    item_codes: ArrayLike | torch.Tensor,
    item_embeddings: ArrayLike | torch.Tensor,
    top_k: int = TOP_ITEMS,
) -> MonosemanticityScore:
    """MS of the codes [items, m] against the original item embeddings [items, d] (official ``utils.ipynb``).

    Per latent k, as in the official code: the codes are min-max scaled across items
    (a constant column becomes 0, as scikit-learn's MinMaxScaler does); T_k = the ``top_k``
    items by scaled code (ties to the lower item index) with activations a; R = a aᵀ and S the
    cosine similarities of T_k's original embeddings, both with zero diagonal;
    MS_k = Σ(R ⊙ S) / Σ R, or 0 when Σ R = 0 (a latent that fires on at most one of its top
    items). All latents are computed at once.
    """
    codes = torch.as_tensor(np.asarray(item_codes, dtype=np.float64))
    embeddings = torch.as_tensor(np.asarray(item_embeddings, dtype=np.float64))
    if codes.ndim != 2 or embeddings.ndim != 2 or codes.shape[0] != embeddings.shape[0]:
        raise ValueError(
            f"Item codes and item embeddings must be 2-D with one row per item, "
            f"got {tuple(codes.shape)} and {tuple(embeddings.shape)}."
        )
    low = codes.amin(dim=0)
    span = codes.amax(dim=0) - low
    scaled = (codes - low) / torch.where(span > 0, span, torch.ones_like(span))
    ranked = torch.sort(scaled, dim=0, descending=True, stable=True)
    depth = min(top_k, codes.shape[0])
    activations = ranked.values[:depth].T  # [m, depth]
    top_items = ranked.indices[:depth].T  # [m, depth]

    norms = embeddings.norm(dim=1, keepdim=True)
    directions = embeddings / torch.where(norms > 0, norms, torch.ones_like(norms))
    chosen = directions[top_items]  # [m, depth, d]
    similarity = chosen @ chosen.transpose(1, 2)
    off_diagonal = ~torch.eye(depth, dtype=torch.bool)
    weights = activations[:, :, None] * activations[:, None, :] * off_diagonal
    numerator = (weights * similarity).sum(dim=(1, 2))
    denominator = weights.sum(dim=(1, 2))
    safe = torch.where(denominator > 0, denominator, torch.ones_like(denominator))
    per_neuron = torch.where(denominator > 0, numerator / safe, torch.zeros_like(numerator))
    return MonosemanticityScore(float(per_neuron.mean()), per_neuron.numpy())
