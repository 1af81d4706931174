"""The linear probe: ridge regression in closed form, scored on items it was not fitted on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from recsae.concepts.probes import first_layer_items, probe_auc, probe_scores, ridge_fit
from recsae.training.recommender import TrainedRecommender


def test_ridge_without_a_penalty_is_least_squares() -> None:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(50, 3))
    target = features @ [1.0, -2.0, 0.5] + 3.0 + rng.normal(scale=0.1, size=50)
    expected, *_ = np.linalg.lstsq(np.column_stack([features, np.ones(50)]), target, rcond=None)
    assert np.allclose(ridge_fit(features, target, ridge=0.0), expected)


def test_a_ridge_penalty_shrinks_the_weights_but_not_the_intercept() -> None:
    features = np.array([[-1.0], [0.0], [1.0]])
    target = np.array([1.0, 3.0, 5.0])  # slope 2, intercept 3; centred Xᵀx = 2
    weights = ridge_fit(features, target, ridge=2.0)
    assert weights == pytest.approx([4.0 / (2.0 + 2.0), 3.0])  # Xᵀy / (XᵀX + λ)


def test_the_probe_finds_a_linear_concept_and_not_a_random_one() -> None:
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(400, 5))
    labels = pd.DataFrame({"linear": vectors[:, 2] > 0.3, "noise": rng.random(400) < 0.3})
    aucs = probe_auc(vectors, labels, ["linear", "noise"])
    assert aucs["linear"] > 0.95
    assert abs(aucs["noise"] - 0.5) < 0.1


def test_out_of_fold_scores_never_use_the_item_itself() -> None:
    # one item far off the line: fitted with it, its own score would be pulled towards its target
    features = np.arange(10, dtype=np.float64)[:, None]
    target = features[:, 0].copy()
    target[9] = 100.0
    scores = probe_scores(features, target, folds=10)
    # left out, item 9 is scored by the line through the other nine, shrunk a little by the ridge
    assert scores[9] == pytest.approx(9.0, abs=0.6)


def test_bad_probe_input_is_refused() -> None:
    labels = pd.DataFrame({"a": [True, False, True]})
    with pytest.raises(ValueError, match="Unknown label"):
        probe_auc(np.zeros((3, 2)), labels, ["b"])
    with pytest.raises(ValueError, match="one target per item"):
        probe_scores(np.zeros((3, 2)), [1.0, 0.0])
    with pytest.raises(ValueError, match="non-empty 2-D"):
        probe_scores(np.zeros(3), [1.0, 0.0, 1.0])


@pytest.mark.parametrize("planted_recommender", ["ncf"], indirect=True)
def test_the_first_layer_view_of_an_item_is_the_mlps_item_half(
    planted_recommender: TrainedRecommender,
) -> None:
    model = planted_recommender.model
    first = model.mlp[0]
    items = model.item_vectors.detach()
    zero_users = torch.zeros_like(items)
    with torch.no_grad():
        expected = first(torch.cat([zero_users, items], dim=1)) - first.bias
    assert np.allclose(first_layer_items(model), expected.numpy(), atol=1e-5)
