"""A neuron's effect on the scores: exact for MF, a finite difference for NCF, read like purity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from test_steering import random_sae

from recsae.book.frontier import probe_table, representation_table
from recsae.concepts.effects import effect_cards, lift_purity, lifted_items, lifted_titles, score_effect
from recsae.concepts.probes import first_layer_items, probe_auc
from recsae.data.split import Split
from recsae.setting import Setting
from recsae.training.recommender import TrainedRecommender


def _setting(planted, planted_split: Split, trained: TrainedRecommender) -> Setting:
    model = trained.model
    sae = random_sae(trained.config.model, model.user_vectors.shape[1])
    return Setting(planted.interactions, planted_split, model, sae)


@pytest.mark.parametrize("planted_recommender", ["mf", "ncf"], indirect=True)
def test_the_effect_is_the_derivative_of_the_mean_score(
    planted, planted_split: Split, planted_recommender: TrainedRecommender
) -> None:
    setting = _setting(planted, planted_split, planted_recommender)
    model, sae = setting.recommender, setting.autoencoder
    users = np.arange(6)
    neuron = int(np.argmax(setting.codes["user"][users].mean(axis=0)))  # active, away from ReLU kinks
    ids = torch.from_numpy(users)
    codes, stats = sae.encode(model.user_vectors[ids].detach())
    codes = codes.clone().requires_grad_(True)
    # autograd of the mean score over users, item by item, through decoder and recommender
    scores = model.logit_matrix(
        sae.decode(codes, stats), setting.item_vectors, ids, torch.arange(len(setting.item_vectors))
    )
    gradient = torch.stack(
        [
            torch.autograd.grad(scores[:, item].mean(), codes, retain_graph=True)[0][:, neuron].sum()
            for item in range(scores.shape[1])
        ]
    )
    tolerance = 1e-5 if planted_recommender.config.model == "mf" else 2e-2
    assert np.allclose(score_effect(setting, neuron, users), gradient.numpy(), atol=tolerance)


def test_lifted_items_and_their_purity_by_hand() -> None:
    effect = np.array([0.5, -2.0, 3.0, 0.5, -1.0])
    assert lifted_items(effect, 2)["lifted"].tolist() == [2, 0]
    assert lifted_items(effect, 2)["lowered"].tolist() == [1, 4]
    labels = pd.DataFrame({"x": [True, False, True, False, False]})
    assert lift_purity(effect, labels, "x", 2) == 1.0  # items 2 and 0
    assert lift_purity(effect, labels, "x", 4) == 0.5  # items 2, 0, 3, 4


@pytest.mark.parametrize("planted_recommender", ["mf"], indirect=True)
def test_an_effect_card_reads_the_neurons_it_is_given(
    planted, planted_split: Split, planted_recommender: TrainedRecommender
) -> None:
    setting = _setting(planted, planted_split, planted_recommender)
    cards = effect_cards(setting, pd.Series({"genre_0": 1, "genre_1": 4}), np.arange(10), k=5)
    assert cards["neuron"].tolist() == [1, 4]
    effect = score_effect(setting, 4, np.arange(10))
    assert cards.loc["genre_1", "lift_purity@5"] == lift_purity(effect, setting.item_labels, "genre_1", 5)


@pytest.mark.parametrize("planted_recommender", ["mf"], indirect=True)
def test_lifted_titles_name_the_items_the_edit_lifts_and_lowers_most(
    planted, planted_split: Split, planted_recommender: TrainedRecommender
) -> None:
    setting = _setting(planted, planted_split, planted_recommender)
    users = np.arange(10)
    effect = score_effect(setting, 4, users)
    titles = lifted_titles(setting, 4, users, n=3)
    ids = setting.data.item_ids  # the planted catalogue names its items "Item <id>"
    assert titles["lifts most"].tolist() == [f"Item {ids[i]}" for i in np.argsort(-effect, kind="stable")[:3]]
    assert titles["lowers most"].tolist() == [f"Item {ids[i]}" for i in np.argsort(effect, kind="stable")[:3]]


@pytest.mark.parametrize("planted_recommender", ["ncf"], indirect=True)
def test_the_representation_table_summarises_the_probe_table(
    planted, planted_split: Split, planted_recommender: TrainedRecommender
) -> None:
    settings = {"NCF": _setting(planted, planted_split, planted_recommender)}
    probes = probe_table(settings)
    model = settings["NCF"].recommender
    first_layer = first_layer_items(model)
    assert list(probes.columns) == ["NCF item embeddings", "NCF first layer, item half"]
    assert probes.index.tolist() == list(settings["NCF"].item_labels.columns)
    labels = settings["NCF"].item_labels
    expected = probe_auc(first_layer, labels, list(labels.columns))
    assert np.allclose(probes["NCF first layer, item half"], expected)
    table = representation_table(settings, probes)
    assert table["features"].tolist() == [model.item_vectors.shape[1], first_layer.shape[1]]
    assert np.allclose(table["median_probe_auc"], probes.median().to_numpy())
    assert np.allclose(table["lowest_probe_auc"], probes.min().to_numpy())
