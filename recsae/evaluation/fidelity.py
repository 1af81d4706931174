"""Fidelity of an SAE: do the recommender's lists survive when it sees reconstructions?

Official protocol: for every SAE test user (never seen in SAE training), the frozen recommender ranks
all items twice, once from the original user and item embeddings and once from the SAE
reconstructions of both, and the two top-N lists are compared with the rank metrics of
``recsae.metrics.fidelity``. Beyond those list metrics, NDCG@10 on the held-out positives says whether
the reconstructions still *recommend well*, measured against the floor of replacing every
embedding by its side's mean (``fraction_ndcg_recovered``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from recsae.metrics.fidelity import (
    fraction_ndcg_recovered,
    kendall_tau_b,
    rank_biased_overlap,
    rank_biased_overlap_ext,
    weighted_tau,
)
from recsae.metrics.ranking import ranking_metrics, top_k
from recsae.models import score_all
from recsae.sae import mean_l0
from recsae.setting import Setting

NDCG_CUTOFF = 10


@torch.no_grad()
def fidelity(setting: Setting, seen: sp.csr_matrix | None, top_n: int = 30) -> dict[str, float]:
    """Mean fidelity of ``sae`` over the setting's SAE test users (see the official-code appendix).

    Both top-``top_n`` lists come from the same frozen recommender (the MF biases from the ids),
    with every item the user interacted with, training or held-out (``seen``, users × items,
    usually the setting's ``interaction_matrix``), masked in both (the book's choice: seen items
    filtered for both backbones). ``seen=None`` masks nothing, the official NCF protocol
    (``code/ML1M``), whose lists are dominated by items the user has already seen. Embeddings go
    into the SAE raw,
    as at evaluation and steering time.

    Returns the means of truncated RBO (p = 0.9, at most 1 − 0.9^N), RBO_ext, Kendall τ-b and
    weighted τ; NDCG@10 on the held-out positives (training items masked) for original,
    reconstructed and mean-embedding scores, with the fraction of NDCG recovered; and the L0
    of the test users' codes and of all item codes.
    """
    model, sae, held_out = setting.recommender, setting.autoencoder, setting.held_out
    test_users = held_out.sae_test_users
    users = torch.from_numpy(test_users).long()
    user_vectors, item_vectors = model.user_vectors[users], model.item_vectors
    user_out, item_out = sae(user_vectors), sae(item_vectors)
    vectors = {
        "original": (user_vectors, item_vectors),
        "reconstructed": (user_out.reconstruction, item_out.reconstruction),
        "mean": (_side_mean(user_vectors), _side_mean(item_vectors)),
    }
    scores = {name: score_all(model, *pair, users=users) for name, pair in vectors.items()}

    masked = None if seen is None else sp.csr_matrix(seen)[test_users]
    original = top_k(scores["original"], top_n, masked)
    reconstructed = top_k(scores["reconstructed"], top_n, masked)

    positives = held_out.test_positives[test_users]
    trained_on = held_out.train_matrix()[test_users]
    ndcg = {
        name: ranking_metrics(score, positives, trained_on, (NDCG_CUTOFF,))[f"ndcg@{NDCG_CUTOFF}"]
        for name, score in scores.items()
    }
    return {
        "rbo": float(np.mean(rank_biased_overlap(original, reconstructed))),
        "rbo_ext": float(np.mean(rank_biased_overlap_ext(original, reconstructed))),
        "kendall_tau": float(np.mean(kendall_tau_b(original, reconstructed))),
        "weighted_tau": float(np.mean(weighted_tau(original, reconstructed))),
        **{f"ndcg@{NDCG_CUTOFF}_{name}": value for name, value in ndcg.items()},
        f"ndcg@{NDCG_CUTOFF}_recovered": fraction_ndcg_recovered(
            ndcg["original"], ndcg["reconstructed"], ndcg["mean"]
        ),
        "l0_users": mean_l0(user_out.codes),
        "l0_items": mean_l0(item_out.codes),
    }


def _side_mean(vectors: torch.Tensor) -> torch.Tensor:
    """Every row replaced by the mean of the rows: the mean-ablation floor of one tower."""
    return vectors.mean(dim=0).expand_as(vectors)
