"""Matching the neurons of two SAEs: against brute force, and on planted concepts."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from recsae.concepts.stability import concept_stability, direction_cosines, match_neurons


def test_a_reseeded_copy_is_matched_back_neuron_for_neuron() -> None:
    rng = np.random.default_rng(0)
    first = rng.normal(size=(7, 5))
    order = rng.permutation(7)
    second = first[order] * rng.uniform(0.5, 3.0, size=(7, 1))  # renumbered and rescaled
    matched = match_neurons(first, second)
    assert matched["match"].to_dict() == {
        int(neuron): int(np.flatnonzero(order == neuron)[0]) for neuron in range(7)
    }
    assert np.allclose(matched["cosine"], 1.0)


def test_the_pairing_is_the_best_one_brute_force_finds() -> None:
    rng = np.random.default_rng(1)
    first, second = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    cosines = direction_cosines(first, second)
    by_hand = np.array([[a @ b / np.linalg.norm(a) / np.linalg.norm(b) for b in second] for a in first])
    assert np.allclose(cosines, by_hand)
    best = max(itertools.permutations(range(5)), key=lambda p: sum(by_hand[i, j] for i, j in enumerate(p)))
    assert tuple(match_neurons(first, second)["match"]) == best


def test_a_narrower_second_sae_leaves_neurons_without_a_partner() -> None:
    first = np.eye(4)
    matched = match_neurons(first, np.eye(4)[[2, 0]])
    assert matched["match"].to_dict() == {0: 1, 2: 0}
    with pytest.raises(ValueError, match="decode to different sizes"):
        match_neurons(np.eye(3), np.eye(4))


def test_a_concept_that_survives_and_one_that_does_not() -> None:
    # 30 items: 0–9 horror, 10–19 comedy, 20–29 neither. Seed A fires neuron 0 on horror, 1 on
    # comedy and 2 on the rest, each decoding along its own axis. Seed B renumbers them: horror
    # on neuron 2, which decodes along seed A's horror axis (the concept survives), comedy on
    # neuron 0, which decodes along the third axis, while seed A's comedy axis now belongs to
    # neuron 1, which fires on the rest (the concept does not survive).
    item = np.arange(30)
    labels = pd.DataFrame({"Horror": item < 10, "Comedy": (item >= 10) & (item < 20)})
    first_codes, second_codes = np.zeros((30, 3)), np.zeros((30, 3))
    first_codes[:10, 0] = first_codes[10:20, 1] = first_codes[20:, 2] = 1.0
    second_codes[:10, 2] = second_codes[10:20, 0] = second_codes[20:, 1] = 1.0
    table = concept_stability(
        np.eye(3), first_codes, np.eye(3)[[2, 1, 0]], second_codes, labels, ["Horror", "Comedy"]
    )
    assert table.loc["Horror"].to_dict() == {
        "first_neuron": 0,
        "second_neuron": 2,
        "partner": 2,
        "cosine": 1.0,
        "same_neuron": True,
        "partner_purity@10": 1.0,
    }
    assert table.loc["Comedy"].to_dict() == {
        "first_neuron": 1,
        "second_neuron": 0,
        "partner": 1,
        "cosine": 1.0,
        "same_neuron": False,
        "partner_purity@10": 0.0,
    }
