"""The monosemanticity score: a hand-computed example and the official per-neuron recipe."""

import math

import numpy as np
import pytest

from recsae.metrics.monosemanticity import monosemanticity

# Four items in the plane. Cosines: s01 = 1/√2, s02 = 0, s03 = −1, s12 = 1/√2, s13 = −1/√2, s23 = 0.
EMBEDDINGS = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0], [-1.0, 0.0]])
CODES = np.array(
    [
        # n0       n1   n2   n3
        [4.0, 0.0, 3.0, 2.0],
        [2.0, 0.0, 3.0, 6.0],
        [0.0, 5.0, 3.0, 4.0],
        [1.0, 0.0, 3.0, 3.0],
    ]
)


def test_hand_computed_example() -> None:
    score = monosemanticity(CODES, EMBEDDINGS, top_k=3)
    root2 = math.sqrt(2.0)
    # n0: scaled (1, .5, 0, .25) → top items 0, 1, 3; pair weights .5, .25, .125 (sum .875);
    #     Σ R·S = .5/√2 − .25 − .125/√2.
    n0 = (0.375 / root2 - 0.25) / 0.875
    # n1 fires on one item only, so every off-diagonal weight is 0; n2 is constant, scaled to 0.
    # n3: raw (2, 6, 4, 3) scales to (0, 1, .5, .25) → top items 1, 2, 3; weights .5, .25, .125;
    #     Σ R·S = .5/√2 − .25/√2 + 0. The raw values would weigh the pairs differently.
    n3 = (0.25 / root2) / 0.875
    np.testing.assert_allclose(score.per_neuron, [n0, 0.0, 0.0, n3], atol=1e-12)
    assert score.mean == pytest.approx((n0 + n3) / 4, abs=1e-12)


def _official_recipe(codes: np.ndarray, embeddings: np.ndarray, top_k: int) -> np.ndarray:
    """The official MS (``utils.ipynb``) written neuron by neuron, with a full item × item cosine matrix."""
    scaled = (codes - codes.min(0)) / np.where(np.ptp(codes, 0) > 0, np.ptp(codes, 0), 1.0)
    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    similarity = unit @ unit.T
    values = []
    for k in range(codes.shape[1]):
        top = np.argsort(-scaled[:, k], kind="stable")[:top_k]
        a = scaled[top, k]
        weights = np.outer(a, a)
        np.fill_diagonal(weights, 0.0)
        block = similarity[np.ix_(top, top)].copy()
        np.fill_diagonal(block, 0.0)
        values.append((weights * block).sum() / weights.sum() if weights.sum() > 0 else 0.0)
    return np.array(values)


def test_matches_the_official_recipe_on_random_sparse_codes() -> None:
    rng = np.random.default_rng(0)
    embeddings = rng.normal(size=(200, 8))
    codes = np.maximum(rng.normal(size=(200, 12)) - 1.0, 0.0) * rng.exponential(size=12)
    score = monosemanticity(codes, embeddings)
    expected = _official_recipe(codes, embeddings, top_k=30)
    np.testing.assert_allclose(score.per_neuron, expected, atol=1e-12)
    assert score.mean == pytest.approx(expected.mean(), abs=1e-12)


def test_invariant_to_code_and_embedding_scales() -> None:
    rng = np.random.default_rng(1)
    embeddings, codes = rng.normal(size=(60, 5)), rng.exponential(size=(60, 7))
    base = monosemanticity(codes, embeddings, top_k=10).per_neuron
    rescaled = monosemanticity(3.0 * codes + 2.0, embeddings * rng.uniform(0.5, 2.0, size=(60, 1)), top_k=10)
    np.testing.assert_allclose(rescaled.per_neuron, base, atol=1e-12)


def test_items_along_one_direction_score_one() -> None:
    embeddings = np.outer(np.arange(1.0, 41.0), [1.0, -2.0, 0.5])
    assert monosemanticity(
        np.random.default_rng(2).exponential(size=(40, 3)), embeddings
    ).mean == pytest.approx(1.0)


def test_mismatched_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="one row per item"):
        monosemanticity(np.ones((5, 3)), np.ones((4, 2)))
