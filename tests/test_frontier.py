"""The frontier grid: which SAEs it holds, and how its points are read."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from recsae.book.frontier import (
    FRONTIER_KL,
    FRONTIER_L1,
    FULLY_PURE_MIN,
    beats_paper,
    best_point,
    frontier_runs,
    fully_pure,
    pareto,
    point_name,
    scheme_of,
    seeds_beating_paper,
)
from recsae.book.paper import reported
from recsae.book.profiles import get_profile
from recsae.book.sweeps import TOPK_KS, TRADE_OFF_BETA


def _changed(run, base) -> dict[str, object]:
    """The SAE fields in which ``run`` differs from ``base``."""
    return {
        field.name: getattr(run.sae_config, field.name)
        for field in dataclasses.fields(run.sae_config)
        if getattr(run.sae_config, field.name) != getattr(base.sae_config, field.name)
    }


@pytest.mark.parametrize("model", ["mf", "ncf"])
def test_the_full_frontier_has_at_least_twenty_distinct_saes_each_varied_from_one_base(model: str) -> None:
    profile = get_profile("full")
    runs = frontier_runs(profile, model)
    assert len(set(runs.values())) == len(runs) >= 20
    main = profile.sae_run(model)
    assert runs["paper"] == main
    base = dataclasses.replace(main, sae_config=dataclasses.replace(main.sae_config, beta=TRADE_OFF_BETA))
    for weight in FRONTIER_KL[model]:
        name = f"kl={weight:g}"
        if name in runs:  # NCF's paper point is its KL point at the official weight, named once
            assert _changed(runs[name], base) in ({"lambda_kl": weight}, {})
        else:
            assert runs["paper"] == dataclasses.replace(
                base, sae_config=dataclasses.replace(base.sae_config, lambda_kl=weight)
            )
    for weight in FRONTIER_L1:
        assert _changed(runs[f"l1={weight:g}"], base) == {"lambda_kl": 0.0, "lambda_l1": weight}
    assert _changed(runs["topk=4"], base) == {"sparsity": "topk", "k": 4}
    assert _changed(runs["topk=5,m=80"], base) == {"sparsity": "topk", "k": 5, "width": 80}
    assert runs["matryoshka"].sae_config.sparsity == "matryoshka"
    assert {scheme_of(point) for point in runs} == {"paper", "matryoshka", "kl", "l1", "topk", "wide"}


def test_the_quick_frontier_trains_no_new_topk_size_and_no_wider_dictionary() -> None:
    runs = frontier_runs(get_profile("quick"), "mf")
    assert sorted(run.sae_config.k for run in runs.values() if run.sae_config.sparsity == "topk") == list(
        TOPK_KS
    )
    assert {run.sae_config.width for run in runs.values()} == {22}


def test_point_names_and_schemes() -> None:
    assert point_name("kl", 0.07) == "kl=0.07"
    assert point_name("topk", 8, 80) == "topk=8,m=80"
    assert [scheme_of(name) for name in ("paper", "official", "topk=8,m=80", "l1=0.1", "matryoshka")] == [
        "paper",
        "paper",
        "wide",
        "l1",
        "matryoshka",
    ]


def test_fully_pure_counts_neurons_pure_at_every_depth() -> None:
    table = pd.DataFrame(
        {
            "label": ["Horror", "Drama", "unlabelled", "War"],
            "purity@10": [1.0, 1.0, np.nan, 1.0],
            "purity@20": [1.0, 0.95, np.nan, 1.0],
            "purity@50": [1.0, 1.0, np.nan, 1.0],
        }
    )
    assert fully_pure(table) == 2


def test_pareto_keeps_the_points_no_other_beats_on_both_axes() -> None:
    table = pd.DataFrame(
        {"x": [1.0, 2.0, 2.0, 0.5, 3.0], "y": [3.0, 2.0, 1.0, 0.5, 1.0]}, index=list("abcde")
    )
    # c is beaten by b (same x, more y) and d by everyone; a, b, e trade x against y
    assert pareto(table, "x", "y").to_dict() == {"a": True, "b": True, "c": False, "d": False, "e": True}


def test_the_best_point_is_the_most_faithful_within_the_papers_sparsity() -> None:
    l0 = reported("ml1m.mf.sae.l0_item")
    table = pd.DataFrame(
        {
            "l0_items": [l0 - 1, l0 - 0.5, l0 + 1, l0],
            "rbo": [0.70, 0.80, 0.95, 0.60],
            "kendall_tau": [0.5, 0.6, 0.9, 0.2],
            "fully_pure": [FULLY_PURE_MIN, FULLY_PURE_MIN - 1, 9, FULLY_PURE_MIN],
        },
        index=["a", "b", "dense", "c"],
    )
    assert best_point(table, "mf") == "a"  # b is more faithful but keeps too few fully pure neurons
    assert best_point(table.assign(fully_pure=0), "mf") == "b"
    assert best_point(table, "ncf") in table.index
    assert beats_paper(table, "mf").to_dict() == {"a": True, "b": True, "dense": False, "c": False}


def test_a_point_beats_the_paper_across_seeds_only_when_every_seed_does() -> None:
    l0, rbo, tau = (
        reported(key) for key in ("ml1m.mf.sae.l0_item", "ml1m.mf.beta=10.rbo", "ml1m.mf.beta=10.kendall_tau")
    )
    seed_0 = pd.DataFrame(
        {"l0_items": [l0, l0], "rbo": [rbo + 0.1, rbo], "kendall_tau": [tau + 0.1, tau]},
        index=["best", "paper"],
    )
    seed_1 = seed_0.assign(kendall_tau=[tau - 0.01, tau])  # the best point's τ falls below the paper's
    assert seeds_beating_paper({0: seed_0, 1: seed_1}, "mf").to_dict() == {"best": 1, "paper": 0}
    assert seeds_beating_paper({0: seed_0, 1: seed_0}, "mf").to_dict() == {"best": 2, "paper": 0}
