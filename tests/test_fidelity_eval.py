"""Fidelity of an SAE end to end: exact, mean-ablated and imperfect reconstructions."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch import Tensor, nn

from recsae.data.split import Split
from recsae.evaluation.fidelity import fidelity
from recsae.sae import SAEConfig, SAEOutput, build_sae
from recsae.setting import Setting
from recsae.training.recommender import TrainedRecommender


@pytest.fixture
def held_out(planted_split: Split) -> Split:
    return planted_split


@pytest.fixture
def trained(planted_recommender: TrainedRecommender) -> TrainedRecommender:
    return planted_recommender


def dim_of(trained: TrainedRecommender) -> int:
    return trained.model.user_vectors.shape[1]


def exact_sae(dim: int) -> nn.Module:
    """A real NCF-form SAE with W = [I; −I] and no bias: Wᵀ ReLU(Wx) = ReLU(x) − ReLU(−x) = x."""
    sae = build_sae(SAEConfig(input_dim=dim, width=2 * dim, form="ncf"))
    with torch.no_grad():
        sae.encoder.weight.copy_(torch.cat([torch.eye(dim), -torch.eye(dim)]))
        sae.encoder.bias.zero_()
    return sae.eval().requires_grad_(False)


class MeanSAE(nn.Module):
    """A stand-in that reconstructs every vector as the mean of its batch, with all-zero codes."""

    def forward(self, x: Tensor) -> SAEOutput:
        codes = torch.zeros(len(x), 3)
        return SAEOutput(codes, codes, None, (x.mean(dim=0).expand_as(x),))


def test_exact_reconstruction_gives_perfect_fidelity(
    planted, held_out: Split, trained: TrainedRecommender
) -> None:
    result = fidelity(
        Setting(planted.interactions, held_out, trained.model, exact_sae(dim_of(trained))),
        planted.interactions.matrix(),
    )
    assert result["rbo"] == pytest.approx(1 - 0.9**30, abs=1e-12)
    assert result["rbo_ext"] == pytest.approx(1.0, abs=1e-12)
    assert result["kendall_tau"] == pytest.approx(1.0, abs=1e-12)
    assert result["weighted_tau"] == pytest.approx(1.0, abs=1e-12)
    assert result["ndcg@10_reconstructed"] == result["ndcg@10_original"]
    assert result["ndcg@10_original"] != result["ndcg@10_mean"]
    assert result["ndcg@10_recovered"] == pytest.approx(1.0, abs=1e-12)
    assert result["l0_users"] == result["l0_items"] == dim_of(trained)


def test_mean_reconstruction_recovers_nothing(planted, held_out: Split, trained: TrainedRecommender) -> None:
    result = fidelity(
        Setting(planted.interactions, held_out, trained.model, MeanSAE()), planted.interactions.matrix()
    )
    assert result["ndcg@10_reconstructed"] == result["ndcg@10_mean"]
    assert result["ndcg@10_recovered"] == 0.0
    assert result["l0_users"] == result["l0_items"] == 0.0


def test_interacted_items_are_masked_in_both_lists(
    planted, held_out: Split, trained: TrainedRecommender
) -> None:
    # Every item but the first 30 counts as interacted, so both top-30 lists hold exactly
    # those 30 items, in different orders: the agreement at depth 30 is 1 for every user,
    # and RBO_ext exceeds the truncated RBO by exactly 0.9^30.
    seen = np.ones((held_out.n_users, held_out.n_items), dtype=np.float32)
    seen[:, :30] = 0.0
    imperfect = (
        build_sae(SAEConfig(input_dim=dim_of(trained), width=12, form="mf")).eval().requires_grad_(False)
    )
    result = fidelity(Setting(planted.interactions, held_out, trained.model, imperfect), sp.csr_matrix(seen))
    assert result["rbo_ext"] - result["rbo"] == pytest.approx(0.9**30, abs=1e-12)
    assert result["kendall_tau"] < 1.0


def test_without_a_mask_seen_items_stay_in_the_lists(
    planted, held_out: Split, trained: TrainedRecommender
) -> None:
    # Masking all but the first 30 items pins both lists to those items; without a mask the
    # lists range over the whole catalogue, so the agreement at depth 30 is no longer forced.
    seen = np.ones((held_out.n_users, held_out.n_items), dtype=np.float32)
    seen[:, :30] = 0.0
    imperfect = (
        build_sae(SAEConfig(input_dim=dim_of(trained), width=12, form="mf")).eval().requires_grad_(False)
    )
    masked = fidelity(Setting(planted.interactions, held_out, trained.model, imperfect), sp.csr_matrix(seen))
    unmasked = fidelity(Setting(planted.interactions, held_out, trained.model, imperfect), None)
    assert unmasked["rbo_ext"] - unmasked["rbo"] < masked["rbo_ext"] - masked["rbo"]
    assert unmasked["ndcg@10_original"] == masked["ndcg@10_original"]  # NDCG masks training items either way
    assert fidelity(Setting(planted.interactions, held_out, trained.model, exact_sae(dim_of(trained))), None)[
        "rbo_ext"
    ] == pytest.approx(1.0)
