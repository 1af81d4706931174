"""Recommendation-fidelity metrics against reference implementations and hand-computed values.

The `rbo` package (Webber et al.'s reference formulas) is a test oracle only. Its `rbo(p)` is
the truncated sum the paper uses; its `rbo_ext(p)` implements eq. 32 of Webber et al. (2010),
which for two lists of equal length reduces to the equal-length extrapolation (eq. 30) that
`rank_biased_overlap_ext` computes: its tie-aware agreement 2·X_d/(|S_{1:d}| + |L_{1:d}|) is
X_d/d and its "uneven" terms vanish. Fidelity lists always have equal length, so only
equal-length lists are compared.
"""

import math
import warnings

import numpy as np
import pytest
import scipy.stats
from rbo import RankingSimilarity

from recsae.metrics.fidelity import (
    fraction_ndcg_recovered,
    kendall_tau_b,
    rank_biased_overlap,
    rank_biased_overlap_ext,
    union_ranks,
    weighted_tau,
)


def random_list_pairs(seed: int, users: int, n: int, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of top-n lists from a small catalogue, so that overlaps are partial and varied."""
    rng = np.random.default_rng(seed)
    a = np.stack([rng.choice(n_items, size=n, replace=False) for _ in range(users)])
    b = np.stack([rng.choice(n_items, size=n, replace=False) for _ in range(users)])
    # Make some reconstructed lists near-copies of the originals (a swap of two positions).
    near = b[: users // 3]
    near[:] = a[: users // 3]
    rows = np.arange(len(near))
    i, j = rng.integers(0, n, size=(2, len(near)))
    near[rows, i], near[rows, j] = a[: users // 3][rows, j], a[: users // 3][rows, i]
    return a, b


def reference_union_ranks(a: list[int], b: list[int]) -> tuple[list[int], list[int]]:
    """The paper's construction, item by item: position in each list, or len + 1 if absent."""
    union = list(dict.fromkeys([*a, *b]))
    rank_a = {item: r for r, item in enumerate(a, start=1)}
    rank_b = {item: r for r, item in enumerate(b, start=1)}
    return ([rank_a.get(i, len(a) + 1) for i in union], [rank_b.get(i, len(b) + 1) for i in union])


@pytest.mark.parametrize("n, n_items", [(30, 45), (29, 200), (5, 8)])
def test_rbo_matches_reference_package(n: int, n_items: int) -> None:
    a, b = random_list_pairs(seed=n, users=120, n=n, n_items=n_items)
    truncated = rank_biased_overlap(a, b, p=0.9)
    extrapolated = rank_biased_overlap_ext(a, b, p=0.9)
    for u in range(len(a)):
        reference = RankingSimilarity(a[u].tolist(), b[u].tolist())
        assert truncated[u] == pytest.approx(reference.rbo(p=0.9), abs=1e-12)
        assert extrapolated[u] == pytest.approx(reference.rbo_ext(p=0.9), abs=1e-12)


def test_rbo_hand_computed() -> None:
    # a = [1, 2, 3], b = [2, 1, 4]: overlaps X_1 = 0, X_2 = 2, X_3 = 2.
    # truncated = 0.1 · (0.9^0·0/1 + 0.9^1·2/2 + 0.9^2·2/3) = 0.1 · (0.9 + 0.54) = 0.144
    # ext = 0.144 + (2/3) · 0.9^3 = 0.144 + 0.486 = 0.63
    a, b = np.array([[1, 2, 3]]), np.array([[2, 1, 4]])
    assert rank_biased_overlap(a, b)[0] == pytest.approx(0.144)
    assert rank_biased_overlap_ext(a, b)[0] == pytest.approx(0.63)


def test_rbo_bounds_of_identical_and_disjoint_lists() -> None:
    top30 = np.arange(30)[None, :]
    top29 = np.arange(29)[None, :]
    assert rank_biased_overlap(top30, top30)[0] == pytest.approx(1 - 0.9**30)  # 0.958, the official maximum
    assert rank_biased_overlap(top29, top29)[0] == pytest.approx(1 - 0.9**29)  # 0.953
    assert rank_biased_overlap(top30, top30)[0] == pytest.approx(0.9576, abs=5e-5)
    assert rank_biased_overlap_ext(top30, top30)[0] == pytest.approx(1.0)
    assert rank_biased_overlap(top30, top30 + 30)[0] == 0.0
    assert rank_biased_overlap_ext(top30, top30 + 30)[0] == 0.0


def test_kendall_tau_matches_scipy_on_random_lists() -> None:
    a, b = random_list_pairs(seed=1, users=150, n=30, n_items=50)
    tau = kendall_tau_b(a, b)
    for u in range(len(a)):
        x, y = reference_union_ranks(a[u].tolist(), b[u].tolist())
        assert tau[u] == pytest.approx(scipy.stats.kendalltau(x, y).statistic, abs=1e-12)


def test_kendall_tau_hand_computed() -> None:
    # Disjoint a = [1, 2], b = [3, 4]: union ranks x = [1, 2, 3, 3], y = [3, 3, 1, 2].
    # Of the 6 pairs, 4 are discordant, (1, 2) is tied in y and (3, 4) is tied in x:
    # τ-b = (0 − 4) / sqrt((6 − 1)(6 − 1)) = −0.8.
    assert kendall_tau_b([[1, 2]], [[3, 4]])[0] == pytest.approx(-0.8)
    assert kendall_tau_b([[1, 2, 3]], [[3, 2, 1]])[0] == pytest.approx(-1.0)
    assert kendall_tau_b([[1, 2, 3]], [[1, 2, 3]])[0] == pytest.approx(1.0)


def test_kendall_tau_is_nan_where_scipy_is() -> None:
    # A single shared item leaves one union item and no pair to compare.
    assert math.isnan(kendall_tau_b([[7]], [[7]])[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns that one element is too small a sample
        assert math.isnan(scipy.stats.kendalltau([1], [1]).statistic)


def test_union_ranks_follow_the_paper_construction() -> None:
    ranks_a, ranks_b, in_union = union_ranks([[5, 6, 7]], [[6, 8, 5]])
    assert ranks_a[0][in_union[0]].tolist() == [1, 2, 3, 4]  # items 5, 6, 7, 8
    assert ranks_b[0][in_union[0]].tolist() == [3, 1, 4, 2]


def test_weighted_tau_uses_scipy_on_negated_union_ranks() -> None:
    a, b = random_list_pairs(seed=2, users=20, n=10, n_items=15)
    tau = weighted_tau(a, b)
    for u in range(len(a)):
        x, y = reference_union_ranks(a[u].tolist(), b[u].tolist())
        expected = scipy.stats.weightedtau(-np.array(x), -np.array(y)).statistic
        assert tau[u] == pytest.approx(expected, abs=1e-12)


def test_weighted_tau_weighs_the_top_of_the_lists_most() -> None:
    original = [[0, 1, 2, 3, 4, 5, 6, 7]]
    top_swapped = [[1, 0, 2, 3, 4, 5, 6, 7]]
    bottom_swapped = [[0, 1, 2, 3, 4, 5, 7, 6]]
    assert weighted_tau(original, original)[0] == pytest.approx(1.0)
    assert weighted_tau(original, top_swapped)[0] < weighted_tau(original, bottom_swapped)[0]
    # The unweighted τ-b cannot tell the two swaps apart.
    assert kendall_tau_b(original, top_swapped)[0] == pytest.approx(
        kendall_tau_b(original, bottom_swapped)[0]
    )


def test_fraction_ndcg_recovered() -> None:
    assert fraction_ndcg_recovered(0.4, 0.3, 0.1) == pytest.approx(2 / 3)
    assert fraction_ndcg_recovered(0.4, 0.4, 0.1) == pytest.approx(1.0)
    assert fraction_ndcg_recovered(0.4, 0.1, 0.1) == pytest.approx(0.0)
    assert math.isnan(fraction_ndcg_recovered(0.2, 0.3, 0.2))


@pytest.mark.parametrize(
    "a, b, message",
    [
        ([[1, 2, 2]], [[1, 2, 3]], "distinct"),
        ([[1, 2, 3]], [[1, 2]], "same shape"),
        ([1, 2, 3], [1, 2, 3], "2-D"),
        ([[1.0, 2.0]], [[1.0, 2.0]], "integer"),
    ],
)
def test_invalid_lists_are_rejected(a: list, b: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rank_biased_overlap(a, b)


def test_rbo_rejects_p_outside_the_unit_interval() -> None:
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        rank_biased_overlap([[1, 2]], [[1, 2]], p=1.0)
