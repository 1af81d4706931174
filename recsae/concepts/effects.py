"""What a neuron does to the scores: the items an edit of it lifts most and least.

A neuron's top *activating* items say what it describes; its *effect* says what it does when a
user's code is edited, which is what steering relies on. For MF the effect is exact: raising
neuron j of user u's code by δ moves item i's score by δ · σ_u · (w_j · q_i)
(``recsae.steering.unit_effect``). NCF passes the decoded user through an MLP, which has no
closed form, so its effect is a finite difference through the frozen model. Averaged over a
group of users, the effect is one number per item: a neuron card lists the items it lifts most,
and ``lift_purity`` checks them against the neuron's label as purity checks its top items.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from recsae.concepts.neurons import purity
from recsae.setting import Setting
from recsae.steering import RECONSTRUCTION, level_name, steer_users, unit_effect

STEP = 1e-2
"""The finite-difference step for NCF, in activation units: small against the activations the
case studies set (1 to 5), large against float32 rounding of the scores."""


@torch.no_grad()
def score_effect(setting: Setting, neuron: int, users: ArrayLike) -> NDArray[np.float64]:
    """Per item, the mean change of ``users``' scores per unit added to ``neuron`` of their codes,
    scored against the setting's item table: exact for MF (``unit_effect``), a forward finite
    difference of step ``STEP`` for NCF."""
    rows = np.asarray(users, dtype=np.int64)
    if setting.backbone == "mf":
        vectors = setting.recommender.user_vectors[torch.from_numpy(rows)].detach()
        effect = unit_effect(setting.autoencoder, vectors, neuron, setting.item_vectors)
    else:
        scores = steer_users(setting, rows, neuron, [STEP], mode="add")
        effect = (scores[level_name(STEP)] - scores[RECONSTRUCTION]) / STEP
    return effect.mean(dim=0).double().numpy()


def lifted_items(effect: ArrayLike, n: int) -> dict[str, NDArray[np.int64]]:
    """The ``n`` items a neuron lifts most (``lifted``, largest effect first) and least
    (``lowered``, most negative first), ties to the lower item id."""
    values = np.asarray(effect, dtype=np.float64)
    order = np.argsort(-values, kind="stable")
    return {"lifted": order[:n], "lowered": np.argsort(values, kind="stable")[:n]}


def lifted_titles(setting: Setting, neuron: int, users: ArrayLike, n: int = 10) -> pd.DataFrame:
    """The titles of the ``n`` items an edit of ``neuron`` lifts most and lowers most for ``users``
    (``score_effect``, ``lifted_items``): the neuron card's two lists, side by side."""
    ends = lifted_items(score_effect(setting, neuron, users), n)
    titles = setting.data.items["title"].to_numpy()
    return pd.DataFrame({"lifts most": titles[ends["lifted"]], "lowers most": titles[ends["lowered"]]})


def lift_purity(effect: ArrayLike, labels: pd.DataFrame, label: str, k: int) -> float:
    """The share of the ``k`` items a neuron's edit lifts most that carry ``label``: purity of
    the effect, read like the purity of the top activating items."""
    return float(purity(np.asarray(effect, dtype=np.float64)[:, None], labels, [label], k)[0])


def effect_cards(setting: Setting, neurons: pd.Series, users: ArrayLike, k: int = 20) -> pd.DataFrame:
    """For each concept of ``neurons`` (concept → neuron), the neuron, the purity of its top ``k``
    activating items for the concept and of the ``k`` items its edit lifts most, and how far
    those lifts correlate with the activations over the catalogue (Spearman)."""
    item_codes = setting.codes["item"]
    rows = {}
    for concept, neuron in neurons.items():
        effect = score_effect(setting, int(neuron), users)
        rows[concept] = {
            "neuron": int(neuron),
            f"activation_purity@{k}": float(
                purity(item_codes[:, [int(neuron)]], setting.item_labels, [concept], k)[0]
            ),
            f"lift_purity@{k}": lift_purity(effect, setting.item_labels, str(concept), k),
            "spearman": float(stats.spearmanr(item_codes[:, int(neuron)], effect).statistic),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("concept")
