"""Steering a frozen recommender by editing SAE codes, without retraining (paper Fig. 5).

An edit encodes an embedding, changes one or more neurons of its code, decodes it with the
statistics of the *same* vector (the MF form de-normalises with them, like the official code) and hands
the result to the frozen recommender, which re-ranks every item. Three conditions are always scored
(the book's official-code appendix): the original recommender, the unedited SAE reconstruction (the bar the
official figures call "Original") and the edited reconstruction at each level.

Levels may be negative (as in the official code): a ReLU code never goes below zero, so a negative level
subtracts the neuron's decoder direction. Every level of a sweep is decoded in one batch.

For MF the effect of an edit is exact and linear: the score of (u, i) is p_u · q_i plus
biases, and moving neuron j of u's code by δ moves p_u by δ · σ_u · w_j (``decode_delta``), so
item i's score moves by δ · σ_u · (w_j · q_i). ``unit_effect`` computes that matrix.

Which neuron to edit is read off what the neurons mean (``recsae.concepts.neurons``); ``control_neuron``
adds the reading by effect: the neuron whose edit moves a concept furthest on probe users.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from numpy.typing import ArrayLike
from torch import Tensor

from recsae.data.split import Split
from recsae.metrics.ranking import ranking_metrics, top_k
from recsae.models import score_all
from recsae.sae import SparseAutoencoder
from recsae.setting import Setting

ORIGINAL = "original"
"""The frozen recommender on its own embeddings, no SAE involved."""

RECONSTRUCTION = "reconstruction"
"""The unedited SAE reconstruction: what the edits are measured against."""

TOP_N = 30
"""Length of the lists whose composition the case studies read (as in the official notebooks)."""

NDCG_CUTOFF = 10

Levels = Sequence[float] | Sequence[Sequence[float]]
"""The levels of a sweep: one number per level for every edited neuron, or one number per neuron."""


def _within_code_range(codes: Tensor, level: Tensor) -> Tensor:
    """The paper's Last.FM convention (official ``code/lastFM``): a level given in the vector's own min-max
    code range, ``min(z) + level · (max(z) − min(z))``, so that 1 matches the vector's
    strongest neuron whatever the SAE's activation scale."""
    low = codes.amin(dim=-1, keepdim=True)
    return low + level * (codes.amax(dim=-1, keepdim=True) - low)


EDITS: Mapping[str, Callable[[Tensor, Tensor, Tensor], Tensor]] = {
    "set": lambda activation, level, codes: torch.broadcast_tensors(level, activation)[0],
    "add": lambda activation, level, codes: activation + level,
    "scale": lambda activation, level, codes: activation * level,
    "range": lambda activation, level, codes: torch.broadcast_tensors(
        _within_code_range(codes, level), activation
    )[0],
}
"""How a level changes the edited activations (each gets the activations of the edited neurons,
the level and the whole code): replace them (the paper's ML-1M edit), shift them, scale them,
or replace them by a point of the vector's own code range (the paper's Last.FM edit)."""


def level_name(level: float | Sequence[float]) -> str:
    """Condition name of one level, as used in result keys: ``level=-1.5``, or ``level=2,-1``
    for a level with one number per edited neuron."""
    values = [level] if np.ndim(level) == 0 else list(level)
    return "level=" + ",".join(f"{float(value):g}" for value in values)


def levels_of(conditions: pd.Index) -> pd.Series:
    """The level of every ``level=…`` condition, indexed by condition (baselines left out);
    for sweeps with one number per level."""
    names = [name for name in conditions if str(name).startswith("level=")]
    return pd.Series([float(name.split("=", 1)[1]) for name in names], index=names, dtype=np.float64)


def edit_codes(codes: Tensor, neurons: int | Sequence[int], levels: Levels, mode: str = "set") -> Tensor:
    """Copies of ``codes`` [..., m], one per level, with ``neurons`` edited: [len(levels), ..., m].

    ``neurons`` is one neuron or several; each level is one number for all of them or one
    number per neuron. The other neurons keep their activations.
    """
    if mode not in EDITS:
        raise ValueError(f"Unknown edit mode {mode!r}; choose one of {sorted(EDITS)}.")
    chosen = [int(neurons)] if np.ndim(neurons) == 0 else [int(neuron) for neuron in neurons]
    width = codes.shape[-1]
    outside = [neuron for neuron in chosen if not 0 <= neuron < width]
    if outside or not chosen or len(set(chosen)) != len(chosen):
        raise ValueError(
            f"Edit distinct existing neurons; got {chosen}, and the SAE has neurons 0 to {width - 1}."
        )
    level_tensor = torch.as_tensor(np.asarray(levels, dtype=np.float64), dtype=codes.dtype)
    if level_tensor.dim() == 1:
        level_tensor = level_tensor[:, None]
    if level_tensor.dim() != 2 or level_tensor.shape[1] not in (1, len(chosen)):
        raise ValueError(
            f"Give each level as one number or as one number per edited neuron ({len(chosen)}); "
            f"got levels of shape {tuple(level_tensor.shape)}."
        )
    level_tensor = level_tensor.reshape(len(level_tensor), *([1] * (codes.dim() - 1)), -1)
    index = torch.tensor(chosen)
    edited = codes.expand(len(level_tensor), *codes.shape).clone()
    edited[..., index] = EDITS[mode](codes[..., index], level_tensor, codes)
    return edited


@torch.no_grad()
def steered_vectors(
    sae: SparseAutoencoder, vectors: Tensor, neurons: int | Sequence[int], levels: Levels, mode: str = "set"
) -> Tensor:
    """Decoded embeddings [len(levels), ..., d] of ``vectors`` [..., d] with ``neurons`` edited
    (``edit_codes``).

    Each vector is decoded with its own normalisation statistics (MF form), so an edit that
    changes nothing returns exactly the SAE's reconstruction.
    """
    codes, stats = sae.encode(vectors)
    # One decode per level, each the same product as the reconstruction's: a single batched
    # product over all levels may round differently.
    return torch.stack([sae.decode(level, stats) for level in edit_codes(codes, neurons, levels, mode)])


@torch.no_grad()
def unit_effect(sae: SparseAutoencoder, vectors: Tensor, neuron: int, other_vectors: Tensor) -> Tensor:
    """Exact change of an MF score per unit of ``neuron`` in the codes of ``vectors``.

    Entry (r, i) is σ_r · (w_j · q_i) for the MF form (w_j · q_i for the NCF form), with q_i
    the rows of ``other_vectors`` (the other tower). Exact for a dot-product recommender only:
    NCF passes the embeddings through an MLP, which has no such closed form.
    """
    codes, stats = sae.encode(vectors)
    direction = torch.zeros_like(codes)
    direction[..., neuron] = 1.0
    return sae.decode_delta(direction, stats) @ other_vectors.T


def closed_form_gap(setting: Setting, users: np.ndarray) -> np.ndarray:
    """For every neuron, the largest gap between the measured score change of a unit edit
    (level 1 minus level 0, ``steer_users``, against the recommender's own items) and
    ``unit_effect``. Near zero for MF, where the closed form is exact; NCF has no closed form,
    so its gaps are large."""
    model, sae = setting.recommender, setting.autoencoder
    items = model.item_vectors.detach()
    user_vectors = model.user_vectors[torch.from_numpy(np.asarray(users)).long()].detach()
    gaps = []
    for neuron in range(sae.config.width):
        scores = steer_users(setting, users, neuron, [1.0, 0.0], items)
        measured = scores[level_name(1)] - scores[level_name(0)]
        gaps.append(float((measured - unit_effect(sae, user_vectors, neuron, items)).abs().max()))
    return np.array(gaps)


@torch.no_grad()
def steer_users(
    setting: Setting,
    users: np.ndarray,
    neurons: int | Sequence[int],
    levels: Levels,
    item_vectors: Tensor | None = None,
    mode: str = "set",
) -> dict[str, Tensor]:
    """Scores [users, items] of every condition when ``neurons`` of each user's code are edited.

    ``original`` scores the recommender's own user and item embeddings; ``reconstruction`` and
    the levels score the reconstructed or edited users against ``item_vectors`` (by default the
    setting's ``item_vectors``). The levels are decoded and scored as one batch.
    """
    model, sae = setting.recommender, setting.autoencoder
    item_vectors = setting.item_vectors if item_vectors is None else item_vectors
    ids = torch.from_numpy(np.asarray(users)).long()
    user_vectors = model.user_vectors[ids].detach()
    codes, stats = sae.encode(user_vectors)
    decoded = sae.decode(edit_codes(codes, neurons, levels, mode), stats)
    stacked = torch.cat([sae.decode(codes, stats), decoded.reshape(-1, decoded.shape[-1])])
    scores = score_all(model, stacked, item_vectors, users=ids.repeat(len(levels) + 1))
    per_condition = scores.reshape(len(levels) + 1, len(ids), -1)
    names = [RECONSTRUCTION, *(level_name(level) for level in levels)]
    return {ORIGINAL: score_all(model, users=ids), **dict(zip(names, per_condition))}


def label_shares(scores: Mapping[str, Tensor], labels: pd.DataFrame, top_n: int = TOP_N) -> pd.DataFrame:
    """Mean share of each label among the top-``top_n`` items, per condition.

    Rows are conditions, columns labels. Seen items stay in the lists, as in the paper's
    case studies (official ML-1M code): the question is what the model now favours, not what is new.
    """
    rows = {name: per_user_shares(score, labels, top_n).mean(axis=0) for name, score in scores.items()}
    return pd.DataFrame(rows, index=labels.columns).T.rename_axis("condition")


def per_user_shares(scores: Tensor, labels: pd.DataFrame, top_n: int = TOP_N) -> np.ndarray:
    """Share of each label in each user's top-``top_n`` items: [users, labels]."""
    return labels.to_numpy(dtype=np.float64)[top_k(scores, top_n)].mean(axis=1)


def group_ndcg(scores: Mapping[str, Tensor], held_out: Split, users: np.ndarray) -> pd.Series:
    """NDCG@10 of the group's held-out positives per condition (training items masked): what
    an edit costs in recommendation quality."""
    positives = held_out.test_positives[users]
    trained_on = held_out.train_matrix()[users]
    key = f"ndcg@{NDCG_CUTOFF}"
    return pd.Series(
        {
            name: ranking_metrics(score, positives, trained_on, (NDCG_CUTOFF,))[key]
            for name, score in scores.items()
        },
        name=key,
    )


def dose_response(
    scores: Mapping[str, Tensor], labels: pd.DataFrame, target: str, held_out: Split, users: np.ndarray
) -> pd.DataFrame:
    """One row per condition: the ``target`` label's share of the top 30 (``share``), NDCG@10,
    and every label's share (``share.<label>``), the side effect on the other genres."""
    shares = label_shares(scores, labels)
    table = pd.DataFrame({"share": shares[target], "ndcg@10": group_ndcg(scores, held_out, users)})
    return table.join(shares.add_prefix("share."))


@torch.no_grad()
def promoted_scores(
    setting: Setting,
    item: int,
    neurons: int | Sequence[int],
    levels: Levels,
    users: np.ndarray,
    item_vectors: Tensor | None = None,
    mode: str = "set",
) -> dict[str, Tensor]:
    """Scores [users, items] of every condition when ``neurons`` of ``item``'s code are edited
    (official item promotion, ``code/ML1M/visualizations_SAE_mf.ipynb``).

    Only the promoted item's embedding changes: ``reconstruction`` replaces it by its SAE
    reconstruction and each level by its edited reconstruction, while the other items keep
    ``item_vectors`` (by default the setting's) and the users their own embeddings.
    ``original`` is the recommender on its own embeddings.
    """
    model, sae = setting.recommender, setting.autoencoder
    item_vectors = setting.item_vectors if item_vectors is None else item_vectors
    ids = torch.from_numpy(np.asarray(users)).long()
    user_vectors = model.user_vectors[ids].detach()
    target = model.item_vectors[item : item + 1].detach()
    replacements = torch.cat(
        [sae(target).reconstruction, steered_vectors(sae, target, neurons, levels, mode)[:, 0]]
    )
    others = score_all(model, user_vectors, item_vectors, users=ids)
    target_scores = model.logit_matrix(
        user_vectors, replacements, ids, torch.full((len(replacements),), item)
    )
    scores = {ORIGINAL: score_all(model, users=ids)}
    for column, name in enumerate([RECONSTRUCTION, *(level_name(level) for level in levels)]):
        scores[name] = others.clone()
        scores[name][:, item] = target_scores[:, column]
    return scores


def item_ranks(scores: Mapping[str, Tensor], item: int, users: np.ndarray) -> pd.DataFrame:
    """1-based rank of ``item`` in each user's ranking of all items (rows: ``users``, columns:
    the conditions of ``scores``), ties ranking below lower item ids as in ``top_k``."""
    return pd.DataFrame(
        {name: _rank_of(score, item) for name, score in scores.items()},
        index=pd.Index(np.asarray(users), name="user"),
    )


def _rank_of(scores: Tensor, item: int) -> np.ndarray:
    """1-based rank of ``item`` in every row, ties going to the lower item id."""
    target = scores[:, item : item + 1]
    ahead = (scores > target).sum(dim=1) + (scores[:, :item] == target).sum(dim=1)
    return (ahead + 1).numpy()


def promotion_success(
    ranks: pd.DataFrame, outside: int = 20, inside: int = 30, start: str = ORIGINAL
) -> pd.Series:
    """Per condition, the fraction of users with the item outside their top ``outside`` under
    the ``start`` condition who have it inside their top ``inside`` (official ML-1M promotion: 20 → 30).

    We start from the original recommender and count ranks from 1. The official code starts
    from the level-0 edit and counts from 0, which makes its thresholds the top 21 and top 31:
    ``official_promotion_success``.
    """
    if inside < outside:
        raise ValueError(f"inside ({inside}) must be at least outside ({outside}).")
    if start not in ranks:
        raise ValueError(f"No {start!r} condition to start from; the ranks have {list(ranks.columns)}.")
    out = ranks[start] > outside
    if not out.any():
        raise ValueError(
            f"Every user already ranks the item within the top {outside}; choose another item or audience."
        )
    return (ranks[out] <= inside).mean().rename("success")


PROMOTION_THRESHOLD = 20
"""The official ML-1M promotion threshold ``th``: an audience user starts outside the item's top
th and succeeds inside its top th + 10 (Last.FM: 50 for MF, 200 for NCF)."""


def official_promotion_success(ranks: pd.DataFrame, threshold: int = PROMOTION_THRESHOLD) -> pd.Series:
    """The official promotion measure (``code/ML1M``, ``code/lastFM``): users outside the 0-based
    top ``threshold`` at level 0 (neuron set to 0), and inside the 0-based top ``threshold`` + 10
    after; needs a level-0 condition."""
    return promotion_success(ranks, threshold + 1, threshold + 11, start=level_name(0)).rename(
        "official_success"
    )


def user_dose_response(
    setting: Setting,
    users: np.ndarray,
    neurons: int | Sequence[int],
    levels: Levels,
    target: str,
    item_vectors: Tensor | None = None,
    mode: str = "set",
) -> tuple[pd.DataFrame, dict[str, Tensor]]:
    """A user-side case study in one call: ``steer_users`` and its ``dose_response`` table for
    the ``target`` label, returned with the scores for a closer look at single users."""
    scores = steer_users(setting, users, neurons, levels, item_vectors, mode)
    return dose_response(scores, setting.item_labels, target, setting.held_out, users), scores


def neuron_scale(codes: ArrayLike, neuron: int, audience: ArrayLike) -> pd.Series:
    """Where a level stands on ``neuron``'s own scale: its median activation over the
    ``audience`` rows of ``codes`` (the vectors to be edited), and its 99th percentile and
    maximum over all rows. Levels are raw activations (official ML-1M notebooks), and each SAE has its own
    scale, so "set to 1" is a mild cut for one SAE and a deep one for another."""
    column = np.asarray(codes)[:, neuron]
    return pd.Series(
        {
            "audience median": float(np.median(column[np.asarray(audience)])),
            "99th percentile": float(np.percentile(column, 99)),
            "max": float(column.max()),
        },
        name=neuron,
    )


def promotion_dose_response(
    setting: Setting,
    item: int,
    neurons: int | Sequence[int],
    levels: Levels,
    users: np.ndarray,
    item_vectors: Tensor | None = None,
    mode: str = "set",
    threshold: int = PROMOTION_THRESHOLD,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An item-side case study in one call: the ``promotion_table`` of ``promoted_scores`` at
    ``threshold`` with the audience's NDCG@10 per condition (what the promotion costs them), and
    the item's ``item_ranks`` for a closer look."""
    scores = promoted_scores(setting, item, neurons, levels, users, item_vectors, mode)
    ranks = item_ranks(scores, item, users)
    table = promotion_table(ranks, threshold)
    return table.join(group_ndcg(scores, setting.held_out, users)), ranks


def control_neuron(
    setting: Setting, probe_users: np.ndarray, label: str, level: float, mode: str = "set"
) -> pd.Series:
    """The control reading of a concept: the neuron whose user-side edit to ``level`` moves
    ``label``'s share of the probe users' top 30 furthest from their unedited reconstruction,
    up for a positive level and down for a negative one (ties to the lower index); the users
    are scored against the setting's ``item_vectors``.

    The other two readings (``recsae.concepts.neurons.concept_readings``) say which neuron *describes*
    a concept; this one asks which neuron *controls* it, measured on probe users who must be
    disjoint from the audience the edit is then reported on (the SAE training users, say).
    Returns ``neuron``, its ``effect`` (change in share) and ``effects``, one per neuron.
    """
    if level == 0:
        raise ValueError(
            "A control reading needs a non-zero level: positive to raise the concept, negative to lower it."
        )
    labels = setting.item_labels
    if label not in labels:
        raise ValueError(f"Unknown label {label!r}; the labels are {list(labels.columns)}.")
    edited = level_name(level)
    width = setting.autoencoder.config.width
    effects = np.empty(width)
    for neuron in range(width):
        scores = steer_users(setting, probe_users, neuron, [level], mode=mode)
        shares = label_shares({name: scores[name] for name in (RECONSTRUCTION, edited)}, labels[[label]])[
            label
        ]
        effects[neuron] = shares[edited] - shares[RECONSTRUCTION]
    best = int(np.argmax(np.sign(level) * effects))
    return pd.Series(
        {"neuron": best, "effect": float(effects[best]), "effects": effects}, name=label, dtype=object
    )


def promotion_table(ranks: pd.DataFrame, threshold: int = PROMOTION_THRESHOLD) -> pd.DataFrame:
    """Per condition: ``promotion_success`` from outside the top ``threshold`` to inside the top
    ``threshold`` + 10, the official measure where the sweep has level 0
    (``official_promotion_success``) and the audience's median rank of the item."""
    columns = [promotion_success(ranks, threshold, threshold + 10)]
    if level_name(0) in ranks:
        columns.append(official_promotion_success(ranks, threshold))
    return pd.concat([*columns, ranks.median().rename("median_rank")], axis=1).rename_axis("condition")


def against_paper(table: pd.DataFrame, column: str, paper: pd.Series, level: float) -> pd.Series:
    """A case study at the paper's strongest ``level`` (official figures): ``column`` (a genre share
    or the promotion success) under the original recommender, the unedited reconstruction and
    the edit, the paper's value at that level, whether ``column`` never falls as the level
    rises over the whole sweep, and the group's NDCG@10 before and after."""
    levels = levels_of(table.index).sort_values()
    curve = table.loc[levels.index, column]
    edited = level_name(level)
    return pd.Series(
        {
            "original": float(table.loc[ORIGINAL, column]),
            "reconstruction": float(table.loc[RECONSTRUCTION, column]),
            "edited": float(curve[edited]),
            "paper": float(paper.get(edited, np.nan)),
            "monotone": bool(curve.is_monotonic_increasing),
            "ndcg@10 original": float(table.loc[ORIGINAL, "ndcg@10"]),
            "ndcg@10 edited": float(table.loc[edited, "ndcg@10"]),
        },
        name=edited,
        dtype=object,
    )


def top_titles(
    scores: Mapping[str, Tensor], row: int, titles: pd.Series, marked: pd.Series | None = None, n: int = 10
) -> pd.DataFrame:
    """One user's top-``n`` titles (row ``row`` of every score matrix), one column per condition;
    items flagged in ``marked`` (one boolean per item) get a leading "● "."""
    names = titles.to_numpy().astype(object)
    if marked is not None:
        names = np.where(marked.to_numpy(dtype=bool), "● " + names, names)
    return pd.DataFrame(
        {name: names[top_k(score[row : row + 1], n)[0]] for name, score in scores.items()},
        index=pd.RangeIndex(1, n + 1, name="rank"),
    )


def typical_user(before: Tensor, after: Tensor, labels: pd.DataFrame, label: str, top_n: int = TOP_N) -> int:
    """Row of the user whose change in ``label``'s share of the top ``top_n``, from ``before`` to
    ``after``, is the group's median (the lower median for an even group): an example that
    is neither the edit's best case nor its worst."""
    column = labels[[label]]
    change = per_user_shares(after, column, top_n)[:, 0] - per_user_shares(before, column, top_n)[:, 0]
    return int(np.argsort(change, kind="stable")[(len(change) - 1) // 2])
