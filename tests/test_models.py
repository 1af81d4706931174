"""The recommenders: scoring from embeddings, the exact NCF split, the official MF step, training."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from recsae.data.split import split
from recsae.metrics.ranking import popularity_scores, ranking_metrics
from recsae.models import MatrixFactorization, NeuralCF, score_all
from recsae.presets import paper_mf, paper_ncf
from recsae.training.recommender import (
    RecommenderConfig,
    _batch_loss,
    build_model,
    mf_sgd_step,
    train_recommender,
)


def _models() -> list[torch.nn.Module]:
    generator = torch.Generator().manual_seed(0)
    mf = MatrixFactorization(7, 5, 4, 0.5, 1.0, generator)
    with torch.no_grad():
        mf.user_bias.normal_(generator=generator)
        mf.item_bias.normal_(generator=generator)
    return [mf, NeuralCF(7, 5, 4, (8, 6, 3), 0.5, generator)]


@pytest.mark.parametrize("model", _models(), ids=["mf", "ncf"])
def test_logit_matrix_equals_pair_logits_on_every_pair(model: torch.nn.Module) -> None:
    users, items = torch.arange(7), torch.arange(5)
    matrix = model.logit_matrix(model.user_vectors, model.item_vectors, users, items)
    pair_users, pair_items = torch.meshgrid(users, items, indexing="ij")
    pairs = model.pair_logits(
        model.user_vectors[pair_users.ravel()],
        model.item_vectors[pair_items.ravel()],
        pair_users.ravel(),
        pair_items.ravel(),
    )
    torch.testing.assert_close(matrix, pairs.reshape(7, 5))
    torch.testing.assert_close(score_all(model, chunk_size=3), matrix.detach())


def test_mf_scores_other_vectors_with_the_models_biases() -> None:
    mf = _models()[0]
    user_vectors, item_vectors = torch.ones(2, 4), torch.full((3, 4), 0.5)
    users, items = torch.tensor([1, 6]), torch.tensor([0, 2, 4])
    expected = 2.0 + mf.user_bias[users, None] + mf.item_bias[None, items] + 1.0
    torch.testing.assert_close(mf.logit_matrix(user_vectors, item_vectors, users, items), expected)


def test_manual_mf_step_equals_autograd_sgd_on_the_summed_loss() -> None:
    config = replace(paper_mf("synthetic"), dim=4)
    manual, automatic = build_model(config, 7, 5), build_model(config, 7, 5)
    users, items = torch.tensor([0, 3, 3, 6]), torch.tensor([1, 1, 4, 1])
    labels = torch.tensor([1.0, 0.0, 1.0, 1.0])
    mf_sgd_step(manual, users, items, labels, config.lr, config.l2)
    objective, _ = _batch_loss(config, automatic, users, items, labels)
    objective.backward()
    torch.optim.SGD(automatic.parameters(), lr=config.lr).step()
    for mine, reference in zip(manual.parameters(), automatic.parameters()):
        torch.testing.assert_close(mine, reference)


def test_unknown_model_and_optimizer_are_refused() -> None:
    with pytest.raises(ValueError, match="Unknown recommender 'svd'; choose 'mf' or 'ncf'"):
        build_model(replace(paper_mf(), model="svd"), 3, 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Unknown optimizer 'rmsprop'"):
        train_recommender(replace(paper_ncf(), optimizer="rmsprop"), *_tiny())  # type: ignore[arg-type]


def _tiny():
    from recsae.data.synthetic import SyntheticConfig, planted_dataset

    data = planted_dataset(SyntheticConfig(n_users=60, n_items=40, interactions_per_user=10)).interactions
    return data, split(data)


@pytest.mark.parametrize(
    "config",
    [
        RecommenderConfig(
            "synthetic",
            "mf",
            dim=8,
            epochs=12,
            batch_size=64,
            optimizer="sgd",
            lr=0.05,
            l2=0.01,
            init_std=0.05,
            offset=1.0,
            monitor_users=100,
        ),
        RecommenderConfig(
            "synthetic",
            "ncf",
            dim=8,
            epochs=12,
            batch_size=64,
            optimizer="adam",
            lr=3e-3,
            l2=0.0,
            init_std=0.1,
            monitor_users=100,
        ),
    ],
    ids=["mf", "ncf"],
)
def test_training_learns_the_planted_preferences(planted, config: RecommenderConfig) -> None:
    data = planted.interactions
    held = split(data)
    trained = train_recommender(config, data, held, progress=False)
    assert not any(p.requires_grad for p in trained.model.parameters())
    assert [row["epoch"] for row in trained.history] == list(range(1, 13))
    assert trained.history[-1]["bce"] < trained.history[0]["bce"]
    ours = ranking_metrics(score_all(trained.model), held.test_positives, held.train_matrix())
    baseline = ranking_metrics(
        popularity_scores(held.train_popularity(), data.n_users), held.test_positives, held.train_matrix()
    )
    assert ours["ndcg@10"] > 1.5 * baseline["ndcg@10"]


def test_training_is_reproducible(planted) -> None:
    data = planted.interactions
    held = split(data)
    config = RecommenderConfig(
        "synthetic",
        "ncf",
        dim=4,
        epochs=2,
        batch_size=128,
        optimizer="adam",
        lr=1e-3,
        l2=0.0,
        init_std=0.1,
        monitor_users=50,
    )
    first = train_recommender(config, data, held, progress=False)
    second = train_recommender(config, data, held, progress=False)
    assert first.history == second.history
    for a, b in zip(first.model.parameters(), second.model.parameters()):
        assert torch.equal(a, b)
    assert np.isfinite([row["bce"] for row in first.history]).all()
