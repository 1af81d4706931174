"""Steering without an SAE: each control changes exactly what it says, and methods are compared at
equal cost."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import numpy as np
import pandas as pd
import pytest
import torch
from test_steering import random_sae

from recsae.book.case_baselines import (
    ITEM_METHODS,
    METHOD_NAMES,
    NULL_DRAWS,
    USER_METHODS,
    compared,
    comparison,
    comparison_results,
    method_curves,
    ranking_table,
    sae_budget,
    winner,
)
from recsae.book.case_studies import CaseRun, CaseStudy, Fans
from recsae.data.split import Split
from recsae.models import score_all
from recsae.setting import Setting
from recsae.steering import ORIGINAL, level_name, user_dose_response
from recsae.steering_baselines import (
    best_at_cost,
    concept_direction,
    dose_name,
    effect_and_cost,
    metadata_rerank,
    random_neuron,
    shifted_item,
    shifted_users,
)
from recsae.training.recommender import TrainedRecommender


def test_the_metadata_reranker_moves_exactly_the_tagged_items() -> None:
    scores = torch.tensor([[1.0, 2.0, 3.0, 4.0], [0.0, -1.0, 5.0, 2.0]])
    tagged = np.array([False, True, False, True])
    unit = float(np.std(scores.numpy(), ddof=1))  # torch's std is the sample one
    moved = metadata_rerank(scores, tagged, doses=(0.0, 2.0), direction=-1.0)
    assert list(moved) == [ORIGINAL, dose_name(0.0), dose_name(2.0)]
    assert torch.equal(moved[dose_name(0.0)], scores)
    changed = moved[dose_name(2.0)]
    assert torch.equal(changed[:, [0, 2]], scores[:, [0, 2]])
    assert torch.allclose(changed[:, [1, 3]], scores[:, [1, 3]] - 2.0 * unit)


def test_the_metadata_reranker_refuses_bad_flags() -> None:
    scores = torch.zeros(2, 3)
    with pytest.raises(ValueError, match="one flag per item"):
        metadata_rerank(scores, [True, False])
    with pytest.raises(ValueError, match="No item carries"):
        metadata_rerank(scores, [False, False, False])


def test_a_concept_direction_is_the_members_mean_minus_the_mean() -> None:
    vectors = torch.tensor([[1.0, 0.0], [3.0, 2.0], [-1.0, 4.0], [1.0, 2.0]])
    # members 1 and 2 average (1, 3); all four average (1, 2)
    assert torch.equal(concept_direction(vectors, [1, 2]), torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="at least one member"):
        concept_direction(vectors, [])


@pytest.mark.parametrize("planted_recommender", ["mf"], indirect=True)
def test_shifted_users_score_the_moved_embeddings(planted_recommender: TrainedRecommender) -> None:
    model = planted_recommender.model
    users = np.array([0, 3, 7])
    direction = torch.zeros(model.user_vectors.shape[1])
    direction[0] = 2.0
    scores = shifted_users(model, users, direction, doses=(0.0, 1.5))
    unit = float(model.user_vectors.norm(dim=1).mean())
    ids = torch.from_numpy(users)
    # MF: moving p_u by s·e_0 moves every item's score by s·q_i0
    expected = score_all(model, users=ids) + 1.5 * unit * model.item_vectors[:, 0].detach()[None, :]
    assert torch.equal(scores[dose_name(0.0)], scores[ORIGINAL])
    assert torch.allclose(scores[dose_name(1.5)], expected, atol=1e-5)
    with pytest.raises(ValueError, match="direction is zero"):
        shifted_users(model, users, torch.zeros_like(direction))


@pytest.mark.parametrize("planted_recommender", ["mf", "ncf"], indirect=True)
def test_a_shifted_item_leaves_every_other_score_alone(planted_recommender: TrainedRecommender) -> None:
    model = planted_recommender.model
    users, item = np.arange(10), 4
    direction = model.user_vectors[:10].detach().mean(dim=0)
    scores = shifted_item(model, item, users, direction, doses=(0.0, 2.0))
    others = np.arange(model.item_vectors.shape[0]) != item
    assert torch.equal(scores[dose_name(2.0)][:, others], scores[ORIGINAL][:, others])
    assert torch.allclose(scores[dose_name(0.0)], scores[ORIGINAL], atol=1e-6)
    vector = model.item_vectors[item].detach()
    moved = vector + 2.0 * vector.norm() * direction / direction.norm()
    ids = torch.from_numpy(users)
    expected = model.pair_logits(
        model.user_vectors[ids].detach(), moved.expand(10, -1), ids, torch.full((10,), item)
    )
    assert torch.allclose(scores[dose_name(2.0)][:, item], expected, atol=1e-5)


def test_the_random_neuron_is_seeded_and_never_the_concepts() -> None:
    draws = [random_neuron(6, exclude=2, seed=seed) for seed in range(200)]
    assert draws == [random_neuron(6, exclude=2, seed=seed) for seed in range(200)]
    assert 2 not in draws and set(draws) == {0, 1, 3, 4, 5}
    with pytest.raises(ValueError, match="at least 2 neurons"):
        random_neuron(1, exclude=0, seed=0)


def test_effect_and_cost_and_the_best_effect_within_a_budget() -> None:
    table = pd.DataFrame(
        {"share": [0.8, 0.6, 0.3, 0.1], "ndcg@10": [0.20, 0.19, 0.15, 0.05]},
        index=[ORIGINAL, "a", "b", "c"],
    )
    curve = effect_and_cost(table, "share", sign=-1.0)
    assert np.allclose(curve["effect"], [0.0, 0.2, 0.5, 0.7])
    assert np.allclose(curve["cost"], [0.0, 0.01, 0.05, 0.15])
    assert best_at_cost(curve, 0.05) == pytest.approx(0.5)
    assert best_at_cost(curve, 0.0) == 0.0  # only the original is free
    assert np.isnan(best_at_cost(curve, -0.01))


@pytest.fixture
def planted_mf_setting(planted, planted_split: Split, planted_recommender: TrainedRecommender) -> Setting:
    model = planted_recommender.model
    return Setting(planted.interactions, planted_split, model, random_sae("mf", model.user_vectors.shape[1]))


@pytest.mark.parametrize("planted_recommender", ["mf"], indirect=True)
def test_a_suppression_is_compared_with_every_control_at_the_saes_cost(planted_mf_setting: Setting) -> None:
    levels = (1.0, 0.0, -1.0)
    case = CaseStudy("suppress genre 0", "mf", "suppress", "genre_0", Fans("genre_0", 8), levels, -1.0)
    run = CaseRun(planted_mf_setting, case, pd.DataFrame({"user_neuron": [3]}, index=["genre_0"]))
    curves = method_curves(run)
    assert tuple(curves) == USER_METHODS
    assert sae_budget(run, curves) == pytest.approx(
        max(run.table.loc[ORIGINAL, "ndcg@10"] - run.table.loc[level_name(-1.0), "ndcg@10"], 0.0)
    )
    # the null is the mean of the same edit of NULL_DRAWS seeded random neurons
    draws = []
    for seed in range(NULL_DRAWS):
        neuron = random_neuron(12, exclude=3, seed=seed)
        table, _ = user_dose_response(planted_mf_setting, run.audience, neuron, levels, "genre_0")
        draws.append(table.loc[ORIGINAL, "share"] - table["share"])
    assert np.allclose(curves["random_neuron"]["effect"], sum(draws) / NULL_DRAWS)
    # the re-ranker pushes the genre out of the top 30 at a large enough dose
    assert curves["metadata_rerank"]["effect"].max() == pytest.approx(run.table.loc[ORIGINAL, "share"])
    table = comparison(run, curves)
    for method, curve in curves.items():
        assert table.loc[method, "at_sae_cost"] == best_at_cost(curve, sae_budget(run, curves))
    assert table.loc[winner(table), "rank"] == 1
    case_study = compared(run)
    keys = comparison_results({"planted": [case_study]})
    assert keys["synthetic.mf.suppress.genre0.sae_cost"] == sae_budget(run, curves)
    assert keys["synthetic.mf.suppress.genre0.metadata_rerank.rank"] == table.loc["metadata_rerank", "rank"]
    assert keys["steering.cases"] == 1 and keys[f"steering.wins.{winner(table)}"] == 1
    assert sum(value for key, value in keys.items() if key.startswith("steering.wins.")) == 1
    assert (
        keys["steering.top_method"] == METHOD_NAMES[winner(table)] and keys["steering.top_method_wins"] == 1
    )
    beats_null = table.loc["sae", "at_sae_cost"] > table.loc["random_neuron", "at_sae_cost"]
    assert keys["steering.sae_beats_null"] == int(beats_null)
    ranking = ranking_table({"planted": [case_study]})
    assert ranking.loc[("planted", "MF suppress genre 0"), "winner"] == winner(table)
    assert ranking.loc[("planted", "MF suppress genre 0"), "NDCG@10 budget"] == case_study.budget


def test_an_edit_that_raises_ndcg_leaves_every_method_a_budget_of_nothing() -> None:
    run = cast(CaseRun, SimpleNamespace(case=SimpleNamespace(paper_level=-1.0)))
    curve = pd.DataFrame({"effect": [0.0, 0.3], "cost": [0.0, -0.01]}, index=[ORIGINAL, level_name(-1.0)])
    assert sae_budget(run, {"sae": curve}) == 0.0
    assert best_at_cost(curve, 0.0) == 0.3


@pytest.mark.parametrize("planted_recommender", ["mf"], indirect=True)
def test_a_promotion_is_compared_with_item_side_controls(planted_mf_setting: Setting) -> None:
    setting = planted_mf_setting
    title = "Item 5"  # the planted catalogue names its items "Item <id>"
    case = CaseStudy(
        "promote",
        "mf",
        "promote",
        "genre_1",
        Fans("genre_1", 8),
        (0.0, 2.0, 4.0),
        4.0,
        reading="item_neuron",
        promoted=title,
    )
    run = CaseRun(setting, case, pd.DataFrame({"item_neuron": [2]}, index=["genre_1"]))
    curves = method_curves(run)
    assert tuple(curves) == ITEM_METHODS
    # boosting the item's own score far enough brings it into everyone's top th + 10
    assert curves["metadata_rerank"]["effect"].max() == 1.0
    assert all(curve.loc[ORIGINAL, "effect"] == 0.0 for curve in curves.values())
