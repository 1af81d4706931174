"""How closely recommendations made from SAE reconstructions follow the original ones.

As in the official code: for every held-out user, the recommender produces a top-N list from the original
embeddings and another from the SAE reconstructions, and the two lists are compared. The list
metrics here take two integer arrays of shape [users, N] (row u holds user u's item ids, best
first, no repeats within a row) and return one value per user, so that callers can average,
group or bootstrap them. All but ``weighted_tau`` (one scipy call per user) are vectorised
over users.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats


def _top_lists(original: ArrayLike, reconstructed: ArrayLike) -> tuple[NDArray, NDArray]:
    """Validate and return both lists as 2-D integer arrays of equal shape."""
    a, b = np.asarray(original), np.asarray(reconstructed)
    if a.ndim != 2 or a.shape != b.shape or a.shape[1] == 0:
        raise ValueError(
            f"Top-N lists must be two non-empty 2-D arrays of the same shape, got {a.shape} and {b.shape}."
        )
    if not (np.issubdtype(a.dtype, np.integer) and np.issubdtype(b.dtype, np.integer)):
        raise ValueError(f"Top-N lists must hold integer item ids, got {a.dtype} and {b.dtype}.")
    for lists in (a, b):
        ordered = np.sort(lists, axis=1)
        if (ordered[:, 1:] == ordered[:, :-1]).any():
            raise ValueError("Each row of a top-N list must hold distinct item ids.")
    return a, b


def _positions(a: NDArray, b: NDArray) -> NDArray[np.int64]:
    """0-based position in b's row of each item of a's row, or N where b lacks the item."""
    match = a[:, :, None] == b[:, None, :]
    return np.where(match.any(axis=2), match.argmax(axis=2), a.shape[1])


def _agreement(a: NDArray, b: NDArray) -> NDArray[np.float64]:
    """A_d = |a_{1:d} ∩ b_{1:d}| / d for d = 1..N, one row per user.

    Item a_i (0-based position i) is in both prefixes from depth max(i, position in b) + 1 on,
    so the overlap at depth d counts the items whose joining depth is at most d.
    """
    n = a.shape[1]
    joins = np.maximum(np.arange(n), _positions(a, b))
    depths = np.arange(1, n + 1)
    overlap = (joins[:, :, None] < depths).sum(axis=1)
    return overlap / depths


def _rbo_parts(
    original: ArrayLike, reconstructed: ArrayLike, p: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], int]:
    """Truncated RBO sum, the agreement at the last depth, and that depth N."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"The RBO persistence p must lie strictly between 0 and 1, got {p}.")
    agreement = _agreement(*_top_lists(original, reconstructed))
    n = agreement.shape[1]
    truncated = (1.0 - p) * (agreement * p ** np.arange(n)).sum(axis=1)
    return truncated, agreement[:, -1], n


def rank_biased_overlap(original: ArrayLike, reconstructed: ArrayLike, p: float = 0.9) -> NDArray[np.float64]:
    """Truncated RBO (Webber et al. 2010), as official ``code/ML1M/utils.ipynb`` computes it.

    RBO = (1 − p) Σ_{d=1}^{N} p^{d−1} |A_{1:d} ∩ B_{1:d}| / d. Nothing is extrapolated beyond
    depth N, so identical lists score 1 − p^N (0.958 for N = 30 and p = 0.9), not 1.
    """
    truncated, _, _ = _rbo_parts(original, reconstructed, p)
    return truncated


def rank_biased_overlap_ext(
    original: ArrayLike, reconstructed: ArrayLike, p: float = 0.9
) -> NDArray[np.float64]:
    """Extrapolated RBO_ext (Webber et al. 2010, eq. 32 with equal list lengths; the book's addition).

    Adds the assumption that the agreement seen at depth N continues forever:
    RBO_ext = truncated RBO + (|A_{1:N} ∩ B_{1:N}| / N) · p^N, so identical lists score 1.
    """
    truncated, last_agreement, n = _rbo_parts(original, reconstructed, p)
    return truncated + last_agreement * p**n


def union_ranks(
    original: ArrayLike, reconstructed: ArrayLike
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
    """Rank vectors of both lists over the union of their items (official Kendall τ, ``utils.ipynb``).

    Each item of the union gets its 1-based position in each list, or N + 1 where the list lacks
    it, so all missing items tie. Rows have 2N columns: column j < N is the original list's
    j-th item; column N + j is the reconstructed list's j-th item when the original list lacks
    it. The returned mask is False on the columns that hold no union item.
    """
    a, b = _top_lists(original, reconstructed)
    users, n = a.shape
    positions = np.broadcast_to(np.arange(1, n + 1), (users, n))
    missing = np.full((users, n), n + 1)
    ranks_original = np.concatenate([positions, missing], axis=1)
    ranks_reconstructed = np.concatenate([_positions(a, b) + 1, positions], axis=1)
    in_union = np.concatenate([np.ones((users, n), dtype=bool), _positions(b, a) == n], axis=1)
    return ranks_original, ranks_reconstructed, in_union


def kendall_tau_b(original: ArrayLike, reconstructed: ArrayLike) -> NDArray[np.float64]:
    """Kendall τ-b of the union rank vectors, equal to ``scipy.stats.kendalltau`` per user.

    τ-b = (concordant − discordant) / sqrt((n0 − ties_x)(n0 − ties_y)) over the n0 pairs of
    union items, where a pair tied in a list counts in that list's ties (pairs tied in both
    count in both). NaN where a rank vector is constant, as scipy returns.
    """
    ranks_x, ranks_y, in_union = union_ranks(original, reconstructed)
    width = ranks_x.shape[1]
    sign_x = np.sign(ranks_x[:, :, None] - ranks_x[:, None, :]).astype(np.int8)
    sign_y = np.sign(ranks_y[:, :, None] - ranks_y[:, None, :]).astype(np.int8)
    pairs = in_union[:, :, None] & in_union[:, None, :] & np.triu(np.ones((width, width), bool), 1)
    score = (sign_x * sign_y * pairs).sum(axis=(1, 2))
    n_pairs = pairs.sum(axis=(1, 2))
    untied_x = n_pairs - ((sign_x == 0) & pairs).sum(axis=(1, 2))
    untied_y = n_pairs - ((sign_y == 0) & pairs).sum(axis=(1, 2))
    denominator = np.sqrt(untied_x * untied_y.astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, score / denominator, np.nan)


def weighted_tau(original: ArrayLike, reconstructed: ArrayLike) -> NDArray[np.float64]:
    """``scipy.stats.weightedtau`` on the union rank vectors, one value per user.

    scipy weighs elements with *larger* values more, so it receives the negated ranks: the
    top of the lists then carries the most weight (hyperbolic weigher, 1/(r + 1)), which is
    the point of a weighted τ for top-N lists.
    """
    ranks_x, ranks_y, in_union = union_ranks(original, reconstructed)
    return np.array(
        [stats.weightedtau(-x[keep], -y[keep]).statistic for x, y, keep in zip(ranks_x, ranks_y, in_union)],
        dtype=np.float64,
    )


def fraction_ndcg_recovered(ndcg_original: float, ndcg_reconstructed: float, ndcg_mean: float) -> float:
    """Share of the recommender's NDCG that survives the SAE, relative to a mean-ablation floor.

    (ndcg_reconstructed − ndcg_mean) / (ndcg_original − ndcg_mean), where ``ndcg_mean`` is the
    NDCG obtained when the SAE output is replaced by the mean embedding of its side (mean
    ablation, the usual floor of "fraction of loss recovered" for SAEs). 1 means the
    reconstructions rank as well as the originals, 0 means no better than the mean; values can
    leave [0, 1]. NaN when the original NDCG equals the floor, where the ratio is undefined.
    """
    gap = ndcg_original - ndcg_mean
    if gap == 0:
        return math.nan
    return (ndcg_reconstructed - ndcg_mean) / gap
