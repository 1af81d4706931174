"""A case study run in a setting: its audience, its table, its keys, beside the paper."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from test_steering import random_sae

from recsae.book.case_studies import CASE_STUDIES, CaseRun, CaseStudy, Fans, runner_up
from recsae.concepts.neurons import top_fans
from recsae.data.split import Split
from recsae.setting import Setting
from recsae.steering import level_name, neuron_scale, user_dose_response
from recsae.training.recommender import TrainedRecommender


@pytest.mark.parametrize("planted_recommender", ["mf"], indirect=True)
def test_a_case_run_is_the_dose_response_of_its_audience(
    planted, planted_split: Split, planted_recommender: TrainedRecommender
) -> None:
    model = planted_recommender.model
    setting = Setting(
        planted.interactions, planted_split, model, random_sae("mf", model.user_vectors.shape[1])
    )
    case = CaseStudy("suppress genre 0", "mf", "suppress", "genre_0", Fans("genre_0", 5), (1.0, 0.0), 0.0)
    readings = pd.DataFrame({"user_neuron": [3], "control_neuron": [5]}, index=["genre_0"])
    run = CaseRun(setting, case, readings)

    fans = top_fans(
        planted.interactions.matrix(),
        planted.interactions.item_labels,
        "genre_0",
        planted_split.sae_test_users,
        5,
    )
    assert np.array_equal(run.audience, fans) and run.neuron == 3
    assert run.table.equals(user_dose_response(setting, fans, 3, [1.0, 0.0], "genre_0")[0])
    assert run.key == "synthetic.mf.suppress.genre0"
    row = run.beside_paper()  # the paper has no synthetic numbers
    assert math.isnan(row["paper"]) and row["edited"] == run.table.loc[level_name(0), "share"]
    scale = neuron_scale(setting.codes["user"], 3, fans)
    assert run.level_scale() == {"neuron": 3, **scale}
    prefix = "synthetic.mf.suppress.genre0"
    assert run.results() == {
        **{
            f"{prefix}.{condition}.{column.replace('genre_', 'genre')}": float(value)
            for condition, row in run.table.iterrows()
            for column, value in row.items()
        },
        f"{prefix}.scale.audience_median": scale["audience median"],
        f"{prefix}.scale.99th_percentile": scale["99th percentile"],
        f"{prefix}.scale.max": scale["max"],
        f"{prefix}.end.original": float(run.table.loc["original", "share"]),
        f"{prefix}.end.reconstruction": float(run.table.loc["reconstruction", "share"]),
        f"{prefix}.end.edited": float(run.table.loc[level_name(0), "share"]),
        f"{prefix}.end.monotone": bool(row["monotone"]),
        f"{prefix}.end.ndcg@10_original": float(run.table.loc["original", "ndcg@10"]),
        f"{prefix}.end.ndcg@10_edited": float(run.table.loc[level_name(0), "ndcg@10"]),
    }

    control = CaseRun(
        setting, CaseStudy(**{**case.__dict__, "reading": "control_neuron"}), readings, "control_neuron"
    )
    assert control.neuron == 5
    measured = {
        key: value for key, value in control.results().items() if ".scale." not in key and ".end." not in key
    }
    assert measured == {
        f"synthetic.mf.suppress.genre0.control_neuron.{condition}.{column}": float(
            control.table.loc[condition, column]
        )
        for condition in control.table.index
        for column in ("share", "ndcg@10")
    }


def test_the_papers_case_studies_are_each_backbones_three_edits() -> None:
    assert sorted((case.backbone, case.edit) for case in CASE_STUDIES) == sorted(
        (backbone, edit) for backbone in ("mf", "ncf") for edit in ("suppress", "nudge", "promote")
    )
    keys = {(case.backbone, case.edit): case.key for case in CASE_STUDIES}
    assert keys[("mf", "suppress")] == "suppress.horror" and keys[("ncf", "nudge")] == "nudge.childrens"
    promotions = [case for case in CASE_STUDIES if case.edit == "promote"]
    assert all(case.side == "item" and case.measure == "official_success" for case in promotions)
    assert all(case.paper_measure == "success" for case in promotions)


def test_the_runner_up_is_the_second_strongest_edit_in_the_intended_direction() -> None:
    down = pd.Series({"neuron": 1, "effect": -0.5, "effects": np.array([-0.1, -0.5, -0.3, 0.4])})
    assert runner_up(down, -1.0) == (2, pytest.approx(-0.3))
    up = pd.Series({"neuron": 3, "effect": 0.4, "effects": np.array([-0.1, -0.5, 0.3, 0.4])})
    assert runner_up(up, 3.0) == (2, pytest.approx(0.3))
