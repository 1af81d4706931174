"""Reading a Matryoshka SAE's prefixes: popularity and tag breadth of each neuron's top items, by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from recsae.concepts.matryoshka import (
    breadth_gap,
    label_entropy,
    popularity_percentile,
    prefix_breadth,
    prefix_groups,
)
from recsae.concepts.neurons import purity
from recsae.data.datasets import with_tag_families


def test_popularity_percentile_of_the_top_items() -> None:
    codes = np.array([[3.0, 0.0], [2.0, 1.0], [1.0, 2.0], [0.0, 3.0]])
    ranks = np.array([0, 1, 2, 3])  # item 0 is the most popular of four
    # top 2 of neuron 0: items 0 and 1 (ranks 0, 1) → mean 0.5 of 4 = 12.5 %; neuron 1: items 3, 2 → 2.5 → 62.5 %
    assert popularity_percentile(codes, ranks, k=2).tolist() == pytest.approx([12.5, 62.5])


def test_label_entropy_counts_every_label_of_the_top_items() -> None:
    labels = pd.DataFrame({"a": [True, True, True, False], "b": [False, True, False, True]})
    codes = np.array([[3.0, 0.0], [2.0, 1.0], [0.0, 2.0], [0.0, 3.0]])
    # neuron 0, top 2 = items 0, 1: a twice, b once → entropy of (2/3, 1/3);
    # neuron 1, top 2 = items 3, 2: a once, b once → 1 bit.
    expected = -(2 / 3) * math.log2(2 / 3) - (1 / 3) * math.log2(1 / 3)
    assert label_entropy(codes, labels, k=2).tolist() == pytest.approx([expected, 1.0])


def test_prefix_groups_and_breadth() -> None:
    assert prefix_groups((20, 40, 80)) == [(0, 20), (20, 40), (40, 80)]
    labels = pd.DataFrame({"a": [True] * 4})
    ranks = np.arange(4)
    # three latents, prefixes (1, 3): latent 0 likes the popular items, latent 1 the unpopular,
    # latent 2 never fires and is left out.
    codes = np.array([[3.0, 0.0, 0.0], [2.0, 1.0, 0.0], [1.0, 2.0, 0.0], [0.5, 3.0, 0.0]])
    table = prefix_breadth(codes, labels, ranks, (1, 3))
    assert table["live"].tolist() == [1, 1]
    assert table.index.tolist() == ["prefix=1", "prefix=3"]
    expected_early = 100 * np.mean([0, 1, 2, 3]) / 4  # every item is in a top 50 of four items
    assert table["popularity_percentile"].tolist() == pytest.approx([expected_early, expected_early])
    assert breadth_gap(table) == pytest.approx(0.0)
    shifted = table.assign(popularity_percentile=[10.0, 35.0])
    assert breadth_gap(shifted) == pytest.approx(25.0)


def test_purity_against_a_tag_family_by_hand() -> None:
    # Five artists; the neuron's top 4 are artists 0-3. Two carry "metal", one only "death metal":
    # against the tag "metal" alone the purity@4 is 2/4, against the metal family 3/4.
    tags = pd.DataFrame(
        {
            "metal": [True, True, False, False, False],
            "death metal": [False, False, True, False, False],
            "pop": [False, False, False, True, True],
        }
    )
    codes = np.array([[5.0], [4.0], [3.0], [2.0], [1.0]])
    assert purity(codes, tags, ["metal"], 4).tolist() == [0.5]
    family = with_tag_families(tags, {"metal": frozenset({"metal", "death metal"})})
    assert purity(codes, family, ["metal"], 4).tolist() == [0.75]
