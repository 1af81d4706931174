"""What a latent means, read off the items (and users) that activate it (as in the official notebooks).

Every function takes a plain code matrix, one row per item (or user) and one column per
"neuron", so SAE codes and the baselines of ``recsae.concepts.baselines`` are measured by the
same rules. A neuron is read through its top-K items (as in the official code): it gets the concept label
most over-represented among its top 10 (the book's rule), and is scored by how many of its top-K
items carry that label (semantic purity, paper Table 1) and by how well its activation separates
labelled from unlabelled items over the whole catalogue (ROC-AUC). The decade profile and the
mean popularity rank of the top items find the temporal and popularity neurons of the official notebooks.

Every reading of neuron j uses column j only, so labels and scores do not depend on the other
neurons or on their order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from recsae.data.datasets import DECADES

PURITY_DEPTHS = (10, 20, 50)
"""K of purity@K (paper Table 1)."""

LABEL_DEPTH = 10
"""Top items that name a neuron: the paper's tables show and label the top 10 (official notebooks)."""

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
The paper's figures use the top 200 of 3,706 ML-1M movies (official notebooks); 50 keeps the profile
on a neuron's strongest items also in catalogues of a few hundred items."""

POPULARITY_DEPTHS = (10, 50)
"""Top items whose mean popularity rank the neuron table reports (the official notebooks use 50 and 500)."""


def _codes(codes: ArrayLike) -> NDArray[np.float64]:
    matrix = np.asarray(codes, dtype=np.float64)
    if matrix.ndim != 2 or 0 in matrix.shape:
        raise ValueError(f"Codes must be a non-empty 2-D array [rows, neurons], got shape {matrix.shape}.")
    return matrix


def _require_label(labels: pd.DataFrame, label: str) -> None:
    if label not in labels:
        raise ValueError(f"Unknown label {label!r}; the data has {', '.join(map(str, labels.columns))}.")


def _label_matrix(labels: pd.DataFrame, n_items: int) -> NDArray[np.bool_]:
    if len(labels) != n_items:
        raise ValueError(f"Labels must have one row per item ({n_items}), got {len(labels)}.")
    return labels.to_numpy(dtype=bool)


def top_items(codes: ArrayLike, k: int) -> NDArray[np.int64]:
    """Row j: the k items (row indices) with the highest activation of neuron j, best first
    (as in the official code). Ties go to the lower item index (stable sort), so the result is deterministic
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
    """The deterministic labelling rule standing in for the paper's GPT labels (the official-code appendix).

    Neuron j's label is the label with the highest lift among its top ``depth`` items, where
    lift = (share of the top items carrying it) / (share of all items carrying it), among the
    labels carried by at least ``min_count`` of the top items; ties go to the higher count,
    then to the alphabetically first label. Lift rather than the majority label, because a
    majority rule names every broad neuron after the most common genre (Drama carries 40 % of
    ML-1M's movies). Silent neurons and neurons with no qualifying label are ``UNLABELLED``
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
    """purity@k of every neuron: the share of its top-k items that carry its label (paper Table 1).

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
    """Share of each decade among every neuron's top-k items (as in the official notebooks).

    One row per neuron, one column per decade that occurs in ``decades`` (one entry per item,
    e.g. '1990s'); the columns follow ``recsae.data.datasets.DECADES`` and then any other value in
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
    to the earlier decade. A "1990s action" neuron (official MF neuron 20) shows 1990s with a high share."""
    return pd.DataFrame({"decade": profile.idxmax(axis=1), "decade_share": profile.max(axis=1)})


def mean_popularity_rank(codes: ArrayLike, popularity_rank: pd.Series, k: int) -> NDArray[np.float64]:
    """Mean popularity rank of every neuron's top-k items (official notebooks), on the rank scale
    of ``popularity_rank`` (the item tables use 0 = most popular). A low value marks a
    "blockbuster" neuron, a high one a long-tail neuron."""
    matrix = _codes(codes)
    ranks = np.asarray(popularity_rank, dtype=np.float64)
    if len(ranks) != matrix.shape[0]:
        raise ValueError(
            f"Popularity ranks must have one entry per item ({matrix.shape[0]}), got {len(ranks)}."
        )
    return ranks[top_items(matrix, k)].mean(axis=1)


def neuron_table(codes: ArrayLike, labels: pd.DataFrame, items: pd.DataFrame | None = None) -> pd.DataFrame:
    """Everything this module reads off each neuron, one row per neuron (as in the paper's Table 1).

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


def landmark_neurons(table: pd.DataFrame, eras: int = 3, common_decade: str = "1990s") -> dict[str, int]:
    """The neurons worth a decade profile (as in the official notebooks), named for a figure: the ``eras``
    neurons whose top items are most concentrated in one decade other than ``common_decade``
    (the catalogue's own majority, which marks no era), then the neuron with the most popular
    top 50. ``table`` is a ``neuron_table`` with item decades and popularity ranks."""
    popular = int(table["popularity_rank@50"].idxmin())
    others = table.drop(index=popular)
    temporal = others[others["decade"] != common_decade].sort_values(
        "decade_share", ascending=False, kind="stable"
    )
    named = {
        f"#{neuron} {row['label']}, {row['decade']}": int(neuron)
        for neuron, row in temporal.head(eras).iterrows()
    }
    named[f"#{popular} {table.loc[popular, 'label']}, most popular"] = popular
    return named


NEURON_READINGS = ("label", *(f"purity@{k}" for k in PURITY_DEPTHS), "auc")
"""The readings of a ``neuron_table`` a chapter reports per neuron (purity and AUC only where
the neuron has a label)."""

SUMMARY_FIGURES = ("median_purity@10", "median_auc", "labelled", "pure@10")
"""The figures of ``summarise`` a chapter reports per code source."""


def group_activation(user_codes: ArrayLike, groups: pd.Series) -> pd.DataFrame:
    """Mean activation of each neuron per user group, relative to its mean over all users (official plots).

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


def concept_neuron(codes: ArrayLike, labels: pd.DataFrame, label: str) -> pd.Series:
    """The neuron that stands for ``label``, chosen by the readings of this module (not by hand).

    Every neuron is read as if it were named ``label``: the neuron with the highest purity@10
    for it wins, ties going to the higher ROC-AUC, then the lower index. Returns that neuron's
    ``neuron``, ``purity@10``, ``auc``, its own ``label`` (from ``label_neurons``) and
    ``qualifies``: whether ``label`` fills at least ``MIN_LABEL_COUNT`` of its top 10, the bar
    a label has to clear to name a neuron. A neuron that does not qualify is the best the SAE
    has, not a concept neuron, and steering with it tests that.
    """
    _require_label(labels, label)
    matrix = _codes(codes)
    as_label = [label] * matrix.shape[1]
    purities = purity(matrix, labels, as_label, LABEL_DEPTH)
    aucs = np.nan_to_num(label_auc(matrix, labels, as_label), nan=0.0)
    best = int(np.lexsort((np.arange(matrix.shape[1]), -aucs, -purities))[0])
    return pd.Series(
        {
            "neuron": best,
            "purity@10": float(purities[best]),
            "auc": float(aucs[best]),
            "label": label_neurons(matrix, labels)["label"].iloc[best],
            "qualifies": bool(round(purities[best] * min(LABEL_DEPTH, matrix.shape[0])) >= MIN_LABEL_COUNT),
        },
        name=label,
        dtype=object,
    )


def concept_profiles(codes: ArrayLike, labels: pd.DataFrame, concepts: Sequence[str]) -> pd.DataFrame:
    """Each concept's ``concept_neuron`` with its purity for the concept at every depth of
    ``PURITY_DEPTHS``, one row per concept: what a sentence about "the Horror neuron" may say."""
    rows = {}
    for concept in concepts:
        reading = concept_neuron(codes, labels, concept)
        column = _codes(codes)[:, [int(reading["neuron"])]]
        for k in PURITY_DEPTHS:
            reading[f"purity@{k}"] = float(purity(column, labels, [concept], k)[0])
        rows[concept] = reading
    return pd.DataFrame(rows).T.infer_objects().rename_axis("concept")


def history_share(interactions: sp.csr_matrix, labels: pd.DataFrame, label: str) -> NDArray[np.float64]:
    """Share of each user's items (rows of ``interactions``) that carry ``label``: how much a
    user is a fan of it (the official ``generate_users_test_group`` score). 0 for a user with no items."""
    _require_label(labels, label)
    matrix = sp.csr_matrix(interactions, dtype=np.float64)
    carried = matrix @ labels[label].to_numpy(dtype=np.float64)
    counts = np.asarray(matrix.sum(axis=1)).ravel()
    return np.divide(carried, counts, out=np.zeros_like(carried), where=counts > 0)


def top_fans(
    interactions: sp.csr_matrix, labels: pd.DataFrame, label: str, users: ArrayLike, n: int
) -> NDArray[np.int64]:
    """The ``n`` of ``users`` with the highest ``history_share`` of ``label``, highest first
    (ties: the earlier user in ``users``); the paper's case-study audiences (official ``utils.ipynb``)."""
    candidates = np.asarray(users, dtype=np.int64)
    share = history_share(interactions, labels, label)[candidates]
    return candidates[np.argsort(-share, kind="stable")[:n]]


def fan_neuron(user_codes: ArrayLike, fandom: ArrayLike) -> pd.Series:
    """The neuron whose activation over users follows ``fandom`` (one ``history_share`` per
    user row) most closely: the highest Spearman correlation, ties to the lower index.

    This is the user-side reading of a concept. In MF a user and an item meet in a dot
    product, so a decoder direction means the same on both towers and this agrees with
    ``concept_neuron``; an NCF MLP may read the two towers differently, and an edit of a user's
    code should then follow the neurons the fans themselves use. Returns ``neuron`` and
    ``spearman``; neurons silent on every user cannot correlate and are never chosen.
    """
    matrix = _codes(user_codes)
    target = np.asarray(fandom, dtype=np.float64)
    if len(target) != matrix.shape[0]:
        raise ValueError(f"fandom must have one entry per user row ({matrix.shape[0]}), got {len(target)}.")
    ranked = stats.rankdata(matrix, axis=0)
    ranked_target = stats.rankdata(target)
    centred = ranked - ranked.mean(axis=0)
    centred_target = ranked_target - ranked_target.mean()
    norms = np.linalg.norm(centred, axis=0) * np.linalg.norm(centred_target)
    rho = np.divide(centred.T @ centred_target, norms, out=np.full(matrix.shape[1], np.nan), where=norms > 0)
    if np.isnan(rho).all():
        raise ValueError("No neuron varies over these users (or fandom is constant), so none can follow it.")
    best = int(np.argmax(np.where(np.isnan(rho), -np.inf, rho)))
    return pd.Series({"neuron": best, "spearman": float(rho[best])}, dtype=object)


def concept_readings(
    item_codes: ArrayLike,
    user_codes: ArrayLike,
    interactions: sp.csr_matrix,
    labels: pd.DataFrame,
    concepts: Sequence[str],
    users: ArrayLike,
) -> pd.DataFrame:
    """Both readings of each concept, one row per concept: the item-side ``concept_neuron``
    (``item_…`` columns) and the user-side ``fan_neuron`` over ``users``, rows of
    ``user_codes`` and ``interactions`` (``user_…`` columns)."""
    rows = np.asarray(users, dtype=np.int64)
    user_matrix = np.asarray(user_codes)[rows]
    readings = {
        concept: pd.concat(
            [
                concept_neuron(item_codes, labels, concept).add_prefix("item_"),
                fan_neuron(user_matrix, history_share(interactions, labels, concept)[rows]).add_prefix(
                    "user_"
                ),
            ]
        )
        for concept in concepts
    }
    return pd.DataFrame(readings).T.infer_objects().rename_axis("concept")
