"""Every steering case study run by the SAE and by the controls that need no SAE, compared at
equal cost.

For a case study (``recsae.book.case_studies``) each method traces a curve of its effect against
its cost in NDCG@10, dose by dose (``recsae.steering_baselines.effect_and_cost``):

* ``sae``: the paper's edit, the case study's own levels;
* ``random_neuron``: the same edit of ``NULL_DRAWS`` neurons drawn at random (seeded), the null;
* ``metadata_rerank``: the label's items (the promoted item) moved by δ in every score;
* ``concept_direction``: users shifted along the mean embedding of the label's items minus the
  catalogue mean; ``fan_direction``: along the mean embedding of the label's heaviest fans among
  the SAE training users minus the mean user (user-side edits);
* ``towards_audience``: the promoted item moved towards the audience's mean user vector.

The budget is the SAE edit's own cost at the paper's level; each method is credited with the
largest effect it reaches at no more than that cost (``best_at_cost``). A suppression's effect
is how far the label's share falls, a nudge's how far it rises, a promotion's the share of the
audience that gets the item into its top th + 10 from outside its top th.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from recsae.book.case_studies import CaseRun
from recsae.book.results import Value, flat, result_key
from recsae.concepts.neurons import top_fans
from recsae.models import score_all
from recsae.steering import (
    dose_response,
    group_ndcg,
    item_ranks,
    level_name,
    promotion_dose_response,
    promotion_table,
    user_dose_response,
)
from recsae.steering_baselines import (
    best_at_cost,
    concept_direction,
    effect_and_cost,
    metadata_rerank,
    random_neuron,
    shifted_item,
    shifted_users,
)

NULL_DRAWS = 5
"""Random neurons per case study; the null's curve is their mean."""

FAN_PROBES = 100
"""Heaviest fans among the SAE training users whose mean embedding gives the fan direction."""

USER_METHODS = ("sae", "random_neuron", "metadata_rerank", "concept_direction", "fan_direction")
ITEM_METHODS = ("sae", "random_neuron", "metadata_rerank", "towards_audience")
METHOD_NAMES = {
    "sae": "SAE neuron",
    "random_neuron": "random neuron (null)",
    "metadata_rerank": "metadata re-ranker",
    "concept_direction": "item-mean direction",
    "fan_direction": "fan direction",
    "towards_audience": "item towards audience",
}
"""How tables, figures and sentences name each method."""


def methods_of(run: CaseRun) -> tuple[str, ...]:
    """The methods a case study is compared across: user-side or item-side."""
    return ITEM_METHODS if run.case.edit == "promote" else USER_METHODS


def _sign(run: CaseRun) -> float:
    return -1.0 if run.case.edit == "suppress" else 1.0


def _measure(run: CaseRun) -> str:
    """The measure compared: the label's share, or a promotion's success from the original
    recommender (every method has that start, unlike the official level-0 one)."""
    return "success" if run.case.edit == "promote" else "share"


def _promotion(run: CaseRun, scores: dict[str, torch.Tensor]) -> pd.DataFrame:
    item = run.case.promoted_item(run.setting)
    table = promotion_table(item_ranks(scores, item, run.audience), run.case.threshold)
    return table.join(group_ndcg(scores, run.setting.held_out, run.audience))


def _user_side(run: CaseRun, scores: dict[str, torch.Tensor]) -> pd.DataFrame:
    setting = run.setting
    return dose_response(scores, setting.item_labels, run.case.concept, setting.held_out, run.audience)


def _random_curve(run: CaseRun, seed: int) -> pd.DataFrame:
    """The case study's edit, levels and mode applied to a random neuron instead of its own."""
    case, setting = run.case, run.setting
    neuron = random_neuron(setting.autoencoder.config.width, run.neuron, seed)
    if case.edit == "promote":
        table, _ = promotion_dose_response(
            setting,
            case.promoted_item(setting),
            neuron,
            case.levels,
            run.audience,
            run.item_vectors,
            case.mode,
            case.threshold,
        )
    else:
        table, _ = user_dose_response(
            setting, run.audience, neuron, case.levels, case.concept, run.item_vectors, case.mode
        )
    return effect_and_cost(table, _measure(run), _sign(run))


def _control_scores(run: CaseRun, method: str) -> dict[str, torch.Tensor]:
    """The scores of every dose of a control that needs no SAE."""
    case, setting = run.case, run.setting
    model, labels, audience = setting.recommender, setting.item_labels, run.audience
    original = score_all(model, users=torch.tensor(audience, dtype=torch.long))
    if case.edit == "promote":
        item = case.promoted_item(setting)
        if method == "metadata_rerank":
            return metadata_rerank(original, np.arange(len(labels)) == item)
        mean_user = model.user_vectors[torch.tensor(audience, dtype=torch.long)].detach().mean(dim=0)
        return shifted_item(model, item, audience, mean_user)
    if method == "metadata_rerank":
        return metadata_rerank(original, labels[case.concept].to_numpy(), direction=_sign(run))
    if method == "concept_direction":
        vectors, members = model.item_vectors.detach(), np.flatnonzero(labels[case.concept].to_numpy())
    else:
        fans = top_fans(
            setting.interaction_matrix, labels, case.concept, setting.held_out.sae_train_users, FAN_PROBES
        )
        vectors, members = model.user_vectors.detach(), fans
    return shifted_users(model, audience, _sign(run) * concept_direction(vectors, members))


def method_curves(run: CaseRun) -> dict[str, pd.DataFrame]:
    """Each method's curve of effect and cost (``effect_and_cost``), by method name; the null's
    is the mean over ``NULL_DRAWS`` random neurons (seeds 0, 1, …), condition by condition."""
    measure, sign = _measure(run), _sign(run)
    read: Callable[[CaseRun, dict[str, torch.Tensor]], pd.DataFrame] = (
        _promotion if run.case.edit == "promote" else _user_side
    )
    curves = {"sae": effect_and_cost(run.table, measure, sign)}
    draws = [_random_curve(run, seed) for seed in range(NULL_DRAWS)]
    curves["random_neuron"] = sum(draws[1:], draws[0]) / len(draws)
    for method in methods_of(run)[2:]:
        curves[method] = effect_and_cost(read(run, _control_scores(run, method)), measure, sign)
    return curves


def sae_budget(run: CaseRun, curves: dict[str, pd.DataFrame]) -> float:
    """The SAE edit's cost in NDCG@10 at the paper's level: the budget every method gets. An edit
    that raises NDCG@10 for its audience costs nothing, not less: every method can still afford
    to leave the recommender as it is."""
    return max(float(curves["sae"].loc[level_name(run.case.paper_level), "cost"]), 0.0)


def comparison(run: CaseRun, curves: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per method of ``curves`` (``method_curves``): its best effect at the SAE's cost
    (``at_sae_cost``), its largest effect at any dose, and its rank at that cost (1 = most
    effect; ties share the better rank)."""
    budget = sae_budget(run, curves)
    table = pd.DataFrame(
        {
            method: {"at_sae_cost": best_at_cost(curve, budget), "max_effect": float(curve["effect"].max())}
            for method, curve in curves.items()
        }
    ).T.rename_axis("method")
    table["rank"] = table["at_sae_cost"].rank(ascending=False, method="min")
    return table


def winner(table: pd.DataFrame) -> str:
    """The method with the most effect at the SAE's cost (the SAE on a tie, then the list order)."""
    best = table["at_sae_cost"].max()
    return str(table.index[(table["at_sae_cost"] >= best - 1e-12).to_numpy()][0])


@dataclass(frozen=True)
class Compared:
    """One case study run by every method: the curves (``method_curves``), the budget
    (``sae_budget``) and the ``comparison`` at that budget, each computed once."""

    run: CaseRun
    curves: dict[str, pd.DataFrame]
    budget: float
    table: pd.DataFrame

    @property
    def title(self) -> str:
        """The case study's name in tables and figures: its backbone and title."""
        return f"{self.run.case.backbone.upper()} {self.run.case.title}"


def compared(run: CaseRun) -> Compared:
    """Run ``run``'s case study with every method and compare them at the SAE's cost."""
    curves = method_curves(run)
    return Compared(run, curves, sae_budget(run, curves), comparison(run, curves))


def ranking_table(groups: Mapping[str, Iterable[Compared]]) -> pd.DataFrame:
    """One row per case study (indexed by group and title): the budget, every method's effect at
    that budget (NaN where a method does not apply) and the winner (``winner``)."""
    rows = {
        (group, case.title): {
            "NDCG@10 budget": case.budget,
            **case.table["at_sae_cost"].to_dict(),
            "winner": winner(case.table),
        }
        for group, cases in groups.items()
        for case in cases
    }
    return pd.DataFrame.from_dict(rows, orient="index")


def comparison_results(groups: Mapping[str, Iterable[Compared]]) -> dict[str, Value]:
    """Result keys of every comparison: ``<case key>.<method>.at_sae_cost``, ``.max_effect``,
    ``.rank``, each method's curve (``<case key>.<method>.curve.<condition>.effect`` and ``.cost``)
    and the budget (``<case key>.sae_cost``); and over all case studies, how many each method
    wins (``steering.wins.<method>``, every method of ``METHOD_NAMES``) out of ``steering.cases``,
    and the name of the one that wins most (``steering.top_method``, the first in
    ``METHOD_NAMES`` on a tie) with its count (``steering.top_method_wins``), and in how many
    the SAE moves more than its null at that cost (``steering.sae_beats_null``)."""
    values: dict[str, Value] = {}
    every = [case for cases in groups.values() for case in cases]
    for case in every:
        key = case.run.key
        values[result_key(key, "sae_cost")] = case.budget
        values.update(flat(key, case.table, skip_missing=True))
        for method, curve in case.curves.items():
            values.update(flat(result_key(key, method, "curve"), curve))
    winners = [winner(case.table) for case in every]
    for method in METHOD_NAMES:
        values[result_key("steering", "wins", method)] = winners.count(method)
    values[result_key("steering", "cases")] = len(every)
    most = max(METHOD_NAMES, key=winners.count)
    values[result_key("steering", "top_method")] = METHOD_NAMES[most]
    values[result_key("steering", "top_method_wins")] = winners.count(most)
    values[result_key("steering", "sae_beats_null")] = sum(
        bool(case.table.loc["sae", "at_sae_cost"] > case.table.loc["random_neuron", "at_sae_cost"])
        for case in every
    )
    return values
