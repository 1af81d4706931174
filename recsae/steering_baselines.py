"""Steering without an SAE: the simple controls an SAE edit has to beat.

An SAE edit is worth its training only if nothing simpler moves the recommendations as far for
the same loss of quality. Each control here returns the scores [users, items] of every dose, keyed
like ``recsae.steering``'s conditions (``original`` first, then ``dose=…``), so the same tables
read them (``recsae.steering.dose_response``, ``promotion_table``):

* ``metadata_rerank``: add δ to the score of every item carrying the label (negative δ
  suppresses), the post-hoc control a practitioner tries first;
* ``shifted_users``: add a direction to the users' embeddings, e.g. a ``concept_direction``
  (the mean embedding of the label's items, or of its fans, minus the mean of all);
* ``shifted_item``: move one item's embedding, e.g. towards the audience's mean user vector;
* ``random_neuron``: a neuron drawn at random, the null an SAE neuron's effect is read against.

Doses are in units of each control's own scale (``score_scale``, ``vector_scale``), so that one
grid spans the same range for every recommender; methods are compared at equal cost in NDCG@10
(``best_at_cost``), never at equal dose.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from numpy.typing import ArrayLike
from torch import Tensor

from recsae.models import TwoTower, score_all
from recsae.steering import ORIGINAL

DOSES = (0.0, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
"""Dose grid of the controls, in units of their own scale: from no change to far beyond what a
recommender would ship, so that each curve covers the SAE edit's cost."""


def dose_name(dose: float) -> str:
    """Condition name of one dose: ``dose=0.5``."""
    return f"dose={float(dose):g}"


def _mask(tagged: ArrayLike, n_items: int) -> Tensor:
    mask = torch.from_numpy(np.array(tagged, dtype=bool))
    if mask.shape != (n_items,):
        raise ValueError(f"Give one flag per item ({n_items}); got {tuple(mask.shape)}.")
    if not mask.any():
        raise ValueError("No item carries the label: the control would change nothing.")
    return mask


def score_scale(scores: Tensor) -> float:
    """The standard deviation of the scores: a re-ranker's unit, so that δ = 1 moves a tagged
    item by one spread of the user's scores whatever the recommender's logit scale."""
    return float(scores.std())


def metadata_rerank(
    scores: Tensor, tagged: ArrayLike, doses: Sequence[float] = DOSES, direction: float = 1.0
) -> dict[str, Tensor]:
    """Scores of every dose when each item flagged in ``tagged`` gets ``direction · dose ·
    score_scale(scores)`` added: ``direction`` −1 suppresses the label, +1 promotes it. Items
    without the flag keep their scores exactly."""
    mask = _mask(tagged, scores.shape[1]).to(scores.dtype)
    unit = direction * score_scale(scores)
    return {ORIGINAL: scores, **{dose_name(dose): scores + dose * unit * mask for dose in doses}}


def concept_direction(vectors: Tensor, members: ArrayLike) -> Tensor:
    """The mean of the ``members`` rows of ``vectors`` minus the mean of all rows: the direction
    in which the members differ from the rest (the label's items, or its fans)."""
    rows = torch.tensor(np.asarray(members, dtype=np.int64))
    if rows.numel() == 0:
        raise ValueError("A concept direction needs at least one member.")
    return vectors[rows].mean(dim=0) - vectors.mean(dim=0)


def vector_scale(vectors: Tensor) -> float:
    """The mean norm of ``vectors``: a shift's unit, so that dose 1 moves an embedding by the
    length of a typical one."""
    return float(vectors.norm(dim=-1).mean())


@torch.no_grad()
def shifted_users(
    model: TwoTower, users: ArrayLike, direction: Tensor, doses: Sequence[float] = DOSES
) -> dict[str, Tensor]:
    """Scores of ``users`` against the recommender's own items when each user's embedding moves by
    ``dose · vector_scale(all users) · direction / ‖direction‖``: a steer with no SAE."""
    norm = direction.norm()
    if norm == 0:
        raise ValueError("The direction is zero: its members do not differ from the mean.")
    ids = torch.tensor(np.asarray(users, dtype=np.int64))
    vectors = model.user_vectors.detach()
    unit = vector_scale(vectors) * direction / norm
    scores = {ORIGINAL: score_all(model, users=ids)}
    for dose in doses:
        scores[dose_name(dose)] = score_all(model, vectors[ids] + dose * unit, users=ids)
    return scores


@torch.no_grad()
def shifted_item(
    model: TwoTower, item: int, users: ArrayLike, direction: Tensor, doses: Sequence[float] = DOSES
) -> dict[str, Tensor]:
    """Scores of ``users`` when only ``item``'s embedding moves by ``dose · ‖q_item‖ · direction /
    ‖direction‖`` (say towards the audience's mean user vector); every other item keeps its
    score exactly."""
    ids = torch.tensor(np.asarray(users, dtype=np.int64))
    original = score_all(model, users=ids)
    vector = model.item_vectors[item].detach()
    unit = vector.norm() * direction / direction.norm()
    moved = torch.stack([vector + dose * unit for dose in doses])
    column = model.logit_matrix(model.user_vectors[ids].detach(), moved, ids, torch.full((len(doses),), item))
    scores = {ORIGINAL: original}
    for position, dose in enumerate(doses):
        scores[dose_name(dose)] = original.clone()
        scores[dose_name(dose)][:, item] = column[:, position]
    return scores


def random_neuron(width: int, exclude: int, seed: int) -> int:
    """A neuron other than ``exclude`` drawn uniformly from ``width`` with ``seed``: the same
    null for the same seed on every run."""
    if width < 2:
        raise ValueError(f"A random neuron other than {exclude} needs at least 2 neurons; got {width}.")
    others = [neuron for neuron in range(width) if neuron != exclude]
    return others[int(np.random.default_rng(seed).integers(len(others)))]


def effect_and_cost(table: pd.DataFrame, measure: str, sign: float) -> pd.DataFrame:
    """A dose–response table (conditions × measures, with ``ndcg@10``) as the two numbers a
    comparison needs per condition: ``effect``, the change in ``measure`` from the original
    recommender in the wanted direction (``sign`` −1 for a suppression), and ``cost``, the fall
    in NDCG@10 from the original."""
    return pd.DataFrame(
        {
            "effect": sign * (table[measure] - table.loc[ORIGINAL, measure]),
            "cost": table.loc[ORIGINAL, "ndcg@10"] - table["ndcg@10"],
        }
    )


def best_at_cost(curve: pd.DataFrame, budget: float) -> float:
    """The largest ``effect`` of ``curve`` (``effect_and_cost``) among its conditions that cost
    at most ``budget`` in NDCG@10 (the original recommender costs nothing and moves nothing);
    NaN when every condition costs more."""
    affordable = curve.loc[curve["cost"] <= budget + 1e-12, "effect"]
    return float(affordable.max()) if len(affordable) else float("nan")
