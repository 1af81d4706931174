"""What a latent means, read off the items (and users) that activate it (PAPER §5).

Every function takes a plain code matrix, one row per item (or user) and one column per
"neuron", so SAE codes and the baselines of ``recsae.concept_baselines`` are measured by the
same rules. A neuron is read through its top-K items (PAPER §5.1): it gets the concept label
most over-represented among its top 10 (PAPER §10.15), and is scored by how many of its top-K
items carry that label (semantic purity, PAPER §5.2) and by how well its activation separates
labelled from unlabelled items over the whole catalogue (ROC-AUC). The decade profile and the
mean popularity rank of the top items find the temporal and popularity neurons of PAPER §8.4.

Every reading of neuron j uses column j only, so labels and scores do not depend on the other
neurons or on their order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from recsae.datasets import DECADES

PURITY_DEPTHS = (10, 20, 50)
"""K of purity@K (PAPER §5.2)."""

LABEL_DEPTH = 10
"""Top items that name a neuron: the paper's tables show and label the top 10 (PAPER §5.1)."""

MIN_LABEL_COUNT = 3
"""Top-10 items a label needs before it can name a neuron.

Lift rewards rare labels, so one or two chance hits of a rare label would otherwise outbid a
label that fills the top 10. For a label carried by 5 % of the items, a random top 10 holds
at least 1 of them with probability 0.40, at least 2 with 0.086 and at least 3 with 0.012
(binomial), so 3 is the smallest count that is rarely reached by chance.
"""

UNLABELLED = "unlabelled"
"""The label of a neuron that no label qualifies for, or that ranks no item above another."""

PURE = 0.9
"""purity@10 at which the summary counts a neuron as pure: at most one of its top 10 is off-label."""

DECADE_DEPTH = 50
"""Top items of the decade profile: the deepest purity depth, so a share moves in steps of 0.02.
The paper's figures use the top 200 of 3,706 ML-1M movies (PAPER §8.4); 50 keeps the profile
on a neuron's strongest items also in catalogues of a few hundred items."""

POPULARITY_DEPTHS = (10, 50)
"""Top items whose mean popularity rank the neuron table reports (PAPER §8.4 uses 50 and 500)."""


def _codes(codes: ArrayLike) -> NDArray[np.float64]:
    matrix = np.asarray(codes, dtype=np.float64)
    if matrix.ndim != 2 or 0 in matrix.shape:
        raise ValueError(f"Codes must be a non-empty 2-D array [rows, neurons], got shape {matrix.shape}.")
    return matrix


def _label_matrix(labels: pd.DataFrame, n_items: int) -> NDArray[np.bool_]:
    if len(labels) != n_items:
        raise ValueError(f"Labels must have one row per item ({n_items}), got {len(labels)}.")
    return labels.to_numpy(dtype=bool)


def top_items(codes: ArrayLike, k: int) -> NDArray[np.int64]:
    """Row j: the k items (row indices) with the highest activation of neuron j, best first
    (PAPER §5.1). Ties go to the lower item index (stable sort), so the result is deterministic
    even for a neuron that is zero on most items."""
    matrix = _codes(codes)
    order = np.argsort(-matrix, axis=0, kind="stable")
    return order[: min(k, matrix.shape[0])].T


def silent_neurons(codes: ArrayLike) -> NDArray[np.bool_]:
    """Neurons whose column is constant: they rank no item above another, so their "top items"
    are just the first rows. For ReLU codes this is a neuron that never fires."""
    matrix = _codes(codes)
    return matrix.max(axis=0) == matrix.min(axis=0)


def label_neurons(
    codes: ArrayLike,
    labels: pd.DataFrame,
    depth: int = LABEL_DEPTH,
    min_count: int = MIN_LABEL_COUNT,
) -> pd.DataFrame:
    """The deterministic labelling rule standing in for the paper's GPT labels (PAPER §10.15).

    Neuron j's label is the label with the highest lift among its top ``depth`` items, where
    lift = (share of the top items carrying it) / (share of all items carrying it), among the
    labels carried by at least ``min_count`` of the top items; ties go to the higher count,
    then to the alphabetically first label. Lift rather than the majority label, because a
    majority rule names every broad neuron after the most common genre (Drama carries 40 % of
    ML-1M, PAPER §8.4). Silent neurons and neurons with no qualifying label are ``UNLABELLED``
    (count 0, lift NaN). Returns one row per neuron: ``label``, ``count``, ``lift``.
    """
    if depth < 1 or min_count < 1:
        raise ValueError(f"depth and min_count must be at least 1, got {depth} and {min_count}.")
    matrix = _codes(codes)
    hits = _label_matrix(labels, matrix.shape[0])
    n_items = matrix.shape[0]
    counts = hits[top_items(matrix, depth)].sum(axis=1)  # [neurons, labels]
    # lift = (count / depth) / (carriers / n_items), as one ratio of integers: equal lifts
    # then give equal floats, so the tie-breaks below see every exact tie.
    carriers = hits.sum(axis=0)
    lifts = (counts * n_items) / (min(depth, n_items) * np.maximum(carriers, 1))
    silent = silent_neurons(matrix)
    names = [str(name) for name in labels.columns]
    name_order = np.argsort(np.argsort(names, kind="stable"), kind="stable")
    rows = []
    for neuron in range(matrix.shape[1]):
        candidates = np.flatnonzero(counts[neuron] >= min_count)
        if silent[neuron] or len(candidates) == 0:
            rows.append((UNLABELLED, 0, np.nan))
            continue
        # lexsort sorts by its last key first: lift, then count (both descending), then name.
        keys = (name_order[candidates], -counts[neuron, candidates], -lifts[neuron, candidates])
        best = candidates[np.lexsort(keys)[0]]
        rows.append((names[best], int(counts[neuron, best]), float(lifts[neuron, best])))
    return pd.DataFrame(rows, columns=["label", "count", "lift"]).rename_axis("neuron")


def _label_columns(label_names: pd.Series | Sequence[str], labels: pd.DataFrame) -> NDArray[np.int64]:
    """Column index in ``labels`` of each neuron's label, −1 for unlabelled neurons."""
    position = {str(name): column for column, name in enumerate(labels.columns)}
    return np.array([position.get(name, -1) for name in label_names], dtype=np.int64)


def purity(
    codes: ArrayLike, labels: pd.DataFrame, label_names: pd.Series | Sequence[str], k: int
) -> NDArray[np.float64]:
    """purity@k of every neuron: the share of its top-k items that carry its label (PAPER §5.2).

    ``label_names`` holds one label per neuron (as ``label_neurons`` returns it); an item with
    several labels counts when any of them is the neuron's (multi-label matching). Unlabelled
    neurons get NaN: they name no concept that could be pure. A neuron that fires on fewer
    than k items fills its top-k with silent items in index order (``top_items``), which
    count like any other item, as in the paper's ranking.
    """
    matrix = _codes(codes)
    hits = _label_matrix(labels, matrix.shape[0])
    columns = _label_columns(label_names, labels)
    top = top_items(matrix, k)  # [neurons, k]
    on_label = hits[top, np.maximum(columns, 0)[:, None]]
    return np.where(columns >= 0, on_label.mean(axis=1), np.nan)


def label_auc(
    codes: ArrayLike, labels: pd.DataFrame, label_names: pd.Series | Sequence[str]
) -> NDArray[np.float64]:
    """ROC-AUC of each neuron's activation for its own label, over all items.

    Purity sees only the top of the ranking; the AUC asks whether the whole activation
    separates the label's items from the rest. It is the Mann–Whitney statistic: the
    probability that a random item with the label out-activates a random item without it,
    ties counting one half, computed from mid-ranks. NaN for unlabelled neurons and for labels
    that every item, or no item, carries.
    """
    matrix = _codes(codes)
    hits = _label_matrix(labels, matrix.shape[0])
    columns = _label_columns(label_names, labels)
    ranks = stats.rankdata(matrix, axis=0)  # mid-ranks: ties share their average rank
    positive = hits[:, np.maximum(columns, 0)]  # [items, neurons]
    n_positive = positive.sum(axis=0)
    n_negative = matrix.shape[0] - n_positive
    rank_sum = (ranks * positive).sum(axis=0)
    defined = (columns >= 0) & (n_positive > 0) & (n_negative > 0)
    pairs = np.where(defined, n_positive * n_negative, 1)
    return np.where(defined, (rank_sum - n_positive * (n_positive + 1) / 2) / pairs, np.nan)


def decade_profile(codes: ArrayLike, decades: pd.Series, k: int = DECADE_DEPTH) -> pd.DataFrame:
    """Share of each decade among every neuron's top-k items (PAPER §5.1, §8.4).

    One row per neuron, one column per decade that occurs in ``decades`` (one entry per item,
    e.g. '1990s'); the columns follow ``recsae.datasets.DECADES`` and then any other value in
    sorted order, so rows sum to 1.
    """
    matrix = _codes(codes)
    if len(decades) != matrix.shape[0]:
        raise ValueError(f"Decades must have one entry per item ({matrix.shape[0]}), got {len(decades)}.")
    values = decades.astype(str).to_numpy()
    present = set(values)
    order = [d for d in DECADES if d in present] + sorted(present.difference(DECADES))
    one_hot = values[:, None] == np.array(order)[None, :]
    shares = one_hot[top_items(matrix, k)].mean(axis=1)
    return pd.DataFrame(shares, columns=order).rename_axis("neuron")


def dominant_decade(profile: pd.DataFrame) -> pd.DataFrame:
    """Each neuron's most frequent decade in its top items and that decade's share; a tie goes
    to the earlier decade. A "1990s action" neuron (PAPER §8.4) shows 1990s with a high share."""
    return pd.DataFrame({"decade": profile.idxmax(axis=1), "decade_share": profile.max(axis=1)})


def mean_popularity_rank(codes: ArrayLike, popularity_rank: pd.Series, k: int) -> NDArray[np.float64]:
    """Mean popularity rank of every neuron's top-k items (PAPER §5.1, §8.4), on the rank scale
    of ``popularity_rank`` (the item tables use 0 = most popular). A low value marks a
    "blockbuster" neuron, a high one a long-tail neuron."""
    matrix = _codes(codes)
    ranks = np.asarray(popularity_rank, dtype=np.float64)
    if len(ranks) != matrix.shape[0]:
        raise ValueError(f"Popularity ranks must have one entry per item ({matrix.shape[0]}), got {len(ranks)}.")
    return ranks[top_items(matrix, k)].mean(axis=1)


def neuron_table(codes: ArrayLike, labels: pd.DataFrame, items: pd.DataFrame | None = None) -> pd.DataFrame:
    """Everything this module reads off each neuron, one row per neuron (PAPER §5, Table 1).

    Always: ``label``, ``count`` and ``lift`` (``label_neurons``), ``purity@K`` for
    K in ``PURITY_DEPTHS`` and ``auc``. When ``items`` is given (one row per item): with a
    ``decade`` column, the dominant ``decade`` and ``decade_share`` of the top
    ``DECADE_DEPTH``; with a ``popularity_rank`` column, ``popularity_rank@K`` for K in
    ``POPULARITY_DEPTHS``. Data without those columns still gets the label readings.
    """
    table = label_neurons(codes, labels)
    for k in PURITY_DEPTHS:
        table[f"purity@{k}"] = purity(codes, labels, table["label"], k)
    table["auc"] = label_auc(codes, labels, table["label"])
    if items is not None and "decade" in items:
        table = table.join(dominant_decade(decade_profile(codes, items["decade"])))
    if items is not None and "popularity_rank" in items:
        for k in POPULARITY_DEPTHS:
            table[f"popularity_rank@{k}"] = mean_popularity_rank(codes, items["popularity_rank"], k)
    return table


def summarise(table: pd.DataFrame) -> dict[str, float]:
    """The figures that compare code matrices (an SAE against its baselines): how many neurons
    get a label, the median purity@10 and AUC over the labelled ones, and how many of them are
    pure (purity@10 ≥ ``PURE``). Medians are NaN when no neuron is labelled."""
    labelled = table[table["label"] != UNLABELLED]
    return {
        "neurons": len(table),
        "labelled": len(labelled),
        "median_purity@10": float(labelled["purity@10"].median()),
        "pure@10": int((labelled["purity@10"] >= PURE).sum()),
        "median_auc": float(labelled["auc"].median()),
    }


def group_activation(user_codes: ArrayLike, groups: pd.Series) -> pd.DataFrame:
    """Mean activation of each neuron per user group, relative to its mean over all users (PAPER §5.1).

    ``groups`` holds one group per user row (e.g. gender 'F'/'M', or an under-18 flag); users
    without a group count towards the overall mean only. Entry (j, g) is the mean activation of
    neuron j over group g divided by its mean over all users, so 1 means "as active as the
    average user" and 1.5 "50 % more", on the same scale for every neuron whatever its
    magnitude. The size-weighted mean of a row is therefore 1 when every user has a group.
    The ratio is meant for non-negative (ReLU) codes: neurons whose overall mean is not
    positive, such as those silent on every user, get NaN. Rows are neurons, columns groups
    (sorted).
    """
    matrix = _codes(user_codes)
    if len(groups) != matrix.shape[0]:
        raise ValueError(f"Groups must have one entry per user ({matrix.shape[0]}), got {len(groups)}.")
    overall = matrix.mean(axis=0)
    means = pd.DataFrame(matrix).groupby(groups.to_numpy(), sort=True).mean()
    relative = means.to_numpy() / np.where(overall > 0, overall, np.nan)
    return pd.DataFrame(relative.T, columns=means.index).rename_axis("neuron")
