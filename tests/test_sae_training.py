"""Training SAEs against a frozen recommender: the batch stream, the frozen model, scaling,
reproducibility, caching, and recovery of concepts planted in synthetic data."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from recsae.book.profiles import ncf
from recsae.data.interactions import Interactions
from recsae.data.sampling import pair_keys
from recsae.data.sources import DATA_DIR_ENV
from recsae.data.split import Split, forbidden_training_negatives, split
from recsae.data.synthetic import SyntheticConfig, planted_dataset
from recsae.presets import paper_mf, paper_sae
from recsae.sae import build_sae
from recsae.training import sae_step
from recsae.training.recommender import RecommenderConfig, TrainedRecommender, build_model, train_recommender
from recsae.training.sae_trainer import (
    SAERunConfig,
    TrainedSAE,
    explained_variance,
    sae_training_stream,
    train_sae,
    trained_sae,
)

GENRES = 10
"""More planted genres than embedding dimensions (8): the concepts sit in superposition, so no
coordinate of the embedding, and rarely a random direction, isolates one of them."""

PURITY_K = 20
PURITY_BOUND = 0.925
"""Measured on this data (purity moves in steps of 1/20): trained SAEs with seeds 0–3 reach
≥ 0.95 on their worst genre, and random initialisations with seeds 0–19 at most 0.90."""

HISTORY_KEYS = {
    "epoch",
    "loss",
    "loss_emb",
    "loss_pred",
    "loss_sparsity",
    "l0_users",
    "l0_items",
    "dead_fraction",
    "explained_variance_users",
    "explained_variance_items",
    "score_mse",
}


@pytest.fixture(scope="module")
def data() -> Interactions:
    return planted_dataset(SyntheticConfig(n_genres=GENRES)).interactions


@pytest.fixture(scope="module")
def held_out(data: Interactions) -> Split:
    return split(data)


@pytest.fixture(scope="module")
def mf(data: Interactions, held_out: Split) -> TrainedRecommender:
    config = RecommenderConfig(
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
    return train_recommender(config, data, held_out, progress=False)


def run_for(mf: TrainedRecommender, input_scaling: str = "raw", **changes: object) -> SAERunConfig:
    run = paper_sae(mf.config, input_scaling)  # type: ignore[arg-type]
    return replace(run, sae_config=replace(run.sae_config, **changes))


@pytest.fixture(scope="module")
def trained(mf: TrainedRecommender, held_out: Split) -> tuple[TrainedSAE, dict[str, torch.Tensor]]:
    """The paper's MF-SAE (18 epochs) on the planted MF, and the MF's weights before training."""
    before = {name: value.clone() for name, value in mf.model.state_dict().items()}
    return train_sae(run_for(mf), mf.model, held_out, progress=False, compiled=False), before


def genre_purity(autoencoder: torch.nn.Module, mf: TrainedRecommender, labels: np.ndarray) -> np.ndarray:
    """Per genre, the best purity@K over latents: the share of a latent's top-K items (by item
    code) that carry the genre (purity, the paper's Table 1)."""
    with torch.no_grad():
        codes, _ = autoencoder.encode(mf.model.item_vectors)
    top = torch.sort(codes, dim=0, descending=True, stable=True).indices[:PURITY_K].numpy()
    return labels[top].mean(axis=0).max(axis=0)


def test_paper_sae_follows_the_official_weights() -> None:
    mf_run, ncf_run = paper_sae(paper_mf("ml-1m")), paper_sae(ncf("ml-1m"))
    mf_sae, ncf_sae = mf_run.sae_config, ncf_run.sae_config
    assert (
        mf_sae.form,
        mf_sae.width,
        mf_sae.alpha,
        mf_sae.beta,
        mf_sae.lambda_kl,
        mf_sae.rho,
        mf_sae.prediction,
    ) == ("mf", 22, 0.1, 1.0, 0.01, 0.05, "cross")
    assert (
        ncf_sae.form,
        ncf_sae.width,
        ncf_sae.alpha,
        ncf_sae.beta,
        ncf_sae.lambda_kl,
        ncf_sae.rho,
        ncf_sae.prediction,
    ) == ("ncf", 22, 2.0, 10.0, 0.07, 0.05, "pairs")
    for run in (mf_run, ncf_run):
        assert (
            run.sae_config.epochs,
            run.sae_config.lr,
            run.sae_config.batch_size,
            run.sae_config.input_dim,
        ) == (18, 1e-3, 256, 20)
        assert run.input_scaling == "raw"
    assert paper_sae(paper_mf("ml-1m"), "batch-minmax").input_scaling == "batch-minmax"
    assert paper_sae(paper_mf("lastfm")).sae_config.input_dim == 100


def test_run_config_refuses_unknown_scaling_and_mismatched_sizes() -> None:
    run = paper_sae(paper_mf("ml-1m"))
    with pytest.raises(ValueError, match="Unknown input scaling 'zscore'"):
        replace(run, input_scaling="zscore")
    with pytest.raises(ValueError, match="20 dimensions"):
        replace(run, sae_config=replace(run.sae_config, input_dim=8))


def test_stream_is_the_sae_train_users_positives_and_fresh_negatives(
    data: Interactions, held_out: Split
) -> None:
    forbidden = forbidden_training_negatives(held_out)
    users, items = (t.numpy() for t in sae_training_stream(held_out, forbidden, np.random.default_rng(0)))
    assert not np.isin(users, held_out.sae_test_users).any()
    keep = np.isin(held_out.train_users, held_out.sae_train_users)
    positive_keys = np.sort(pair_keys(held_out.train_users[keep], held_out.train_items[keep], data.n_items))
    keys = pair_keys(users, items, data.n_items)
    is_positive = np.isin(keys, positive_keys)
    np.testing.assert_array_equal(np.sort(keys[is_positive]), positive_keys)  # each positive once
    assert is_positive.sum() == (~is_positive).sum()
    assert not np.isin(keys[~is_positive], forbidden).any()
    np.testing.assert_array_equal(np.bincount(users[is_positive]), np.bincount(users[~is_positive]))


def test_training_leaves_the_recommender_bit_identical(trained, mf: TrainedRecommender) -> None:
    _, before = trained
    after = mf.model.state_dict()
    assert before.keys() == after.keys()
    for name, value in before.items():
        assert torch.equal(value, after[name]), name


def test_trained_sae_is_frozen_and_has_a_full_history(trained) -> None:
    result, _ = trained
    assert not result.autoencoder.training
    assert not any(parameter.requires_grad for parameter in result.autoencoder.parameters())
    history = result.history
    assert [row["epoch"] for row in history] == list(range(1, 19))
    assert all(row.keys() == HISTORY_KEYS for row in history)
    assert history[-1]["loss"] < history[0]["loss"]
    assert history[-1]["score_mse"] < history[0]["score_mse"]
    last = history[-1]
    assert (
        0 < last["l0_users"] < result.run.sae_config.width
        and 0 < last["l0_items"] < result.run.sae_config.width
    )
    assert 0.0 <= last["dead_fraction"] < 1.0
    assert 0.9 < last["explained_variance_items"] <= 1.0


def test_trained_sae_recovers_the_planted_genres(trained, mf: TrainedRecommender, data: Interactions) -> None:
    result, _ = trained
    labels = data.item_labels.to_numpy()
    assert labels.shape[1] == GENRES
    assert genre_purity(result.autoencoder, mf, labels).min() >= PURITY_BOUND
    untrained = build_sae(result.run.sae_config)
    assert genre_purity(untrained, mf, labels).min() < PURITY_BOUND


def test_training_is_reproducible(mf: TrainedRecommender, held_out: Split) -> None:
    # The NCF-form SAE with L_pred on matched pairs: the path the fixture's MF-SAE does not take.
    run = run_for(mf, form="ncf", prediction="pairs", epochs=2)
    # Compiled, as the book trains: the compiled step must reproduce itself exactly.
    first, second = (train_sae(run, mf.model, held_out, progress=False, compiled=True) for _ in range(2))
    assert first.history == second.history
    for a, b in zip(first.autoencoder.state_dict().values(), second.autoencoder.state_dict().values()):
        assert torch.equal(a, b)


def test_batch_minmax_scales_training_batches_only(
    mf: TrainedRecommender, held_out: Split, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
    original_loss = sae_step.total_loss

    def recording_loss(autoencoder, model, users, items, user_vectors, item_vectors, weights):
        seen.append((users, user_vectors, item_vectors))
        return original_loss(autoencoder, model, users, items, user_vectors, item_vectors, weights)

    monkeypatch.setattr(sae_step, "total_loss", recording_loss)
    result = train_sae(
        run_for(mf, "batch-minmax", epochs=1), mf.model, held_out, progress=False, compiled=False
    )
    for _, user_vectors, item_vectors in seen[:-1]:  # the last batch may be too short to span
        for vectors in (user_vectors, item_vectors):
            torch.testing.assert_close(vectors.amin(dim=0), torch.zeros(8))
            torch.testing.assert_close(vectors.amax(dim=0), torch.ones(8))
    # The per-epoch diagnostics, like evaluation, feed raw embeddings to the SAE.
    users = torch.from_numpy(held_out.sae_train_users).long()
    raw = mf.model.user_vectors[users]
    with torch.no_grad():
        expected = explained_variance(raw, result.autoencoder(raw).reconstruction)
    assert result.history[-1]["explained_variance_users"] == pytest.approx(expected, abs=1e-6)

    seen.clear()
    train_sae(run_for(mf, "raw", epochs=1), mf.model, held_out, progress=False, compiled=False)
    users, user_vectors, _ = seen[0]
    assert torch.equal(user_vectors, mf.model.user_vectors[users])


def test_an_unfrozen_recommender_is_refused(mf: TrainedRecommender, held_out: Split) -> None:
    model = build_model(mf.config, held_out.n_users, held_out.n_items)
    with pytest.raises(ValueError, match="must be frozen"):
        train_sae(run_for(mf, epochs=1), model, held_out, progress=False)


def test_cached_sae_is_the_trained_one(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    run = paper_sae(replace(paper_mf("ml-100k"), epochs=1))
    run = replace(run, sae_config=replace(run.sae_config, epochs=1))
    first = trained_sae(run, progress=False)
    again = trained_sae(run, progress=False)
    assert again.history == first.history
    assert torch.equal(again.autoencoder.weight, first.autoencoder.weight)
    assert not again.autoencoder.training and not again.autoencoder.weight.requires_grad
