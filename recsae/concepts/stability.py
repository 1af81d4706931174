"""Does a concept survive a reseed? Matching the neurons of two SAEs trained with other seeds.

"Horror is a neuron" is a claim about one SAE. Two SAEs trained on the same embeddings with
different seeds number their neurons differently, so neurons are compared by what they decode
to: neuron j of a tied SAE adds the direction ``W[j]`` to the embedding. ``match_neurons``
pairs the neurons of two SAEs one to one so that the summed cosine similarity of the paired
directions is as large as possible (the assignment problem, solved exactly), and
``concept_stability`` asks, for each concept, whether the neuron the first SAE names for it
is paired with the neuron the second SAE names, how alike their directions are, and how
pure the paired neuron is.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment

from recsae.concepts.neurons import LABEL_DEPTH, concept_neuron, purity


def _unit_rows(directions: ArrayLike) -> NDArray[np.float64]:
    matrix = np.asarray(directions, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(f"Decoder directions must be a matrix (neurons × d); got shape {matrix.shape}.")
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def direction_cosines(first: ArrayLike, second: ArrayLike) -> NDArray[np.float64]:
    """Cosine similarity of every decoder direction of ``first`` [m, d] with every one of
    ``second`` [m', d]: an [m, m'] matrix (a direction of length zero has cosine 0 with all)."""
    a, b = _unit_rows(first), _unit_rows(second)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"The two SAEs decode to different sizes ({a.shape[1]} and {b.shape[1]}).")
    return a @ b.T


def match_neurons(first: ArrayLike, second: ArrayLike) -> pd.DataFrame:
    """The one-to-one pairing of the neurons of ``first`` with those of ``second`` (decoder
    directions, one row per neuron) that maximises the summed cosine similarity.

    One row per neuron of ``first`` that gets a partner (all of them when ``second`` is at
    least as wide): its ``match`` in ``second`` and the ``cosine`` of the two directions.
    """
    cosines = direction_cosines(first, second)
    rows, columns = linear_sum_assignment(cosines, maximize=True)
    return pd.DataFrame(
        {"match": columns.astype(np.int64), "cosine": cosines[rows, columns]},
        index=pd.Index(rows.astype(np.int64), name="neuron"),
    )


def concept_stability(
    first_directions: ArrayLike,
    first_codes: ArrayLike,
    second_directions: ArrayLike,
    second_codes: ArrayLike,
    labels: pd.DataFrame,
    concepts: Sequence[str],
) -> pd.DataFrame:
    """For each concept, one row: the neuron each SAE names for it (``concept_neuron`` on its
    item codes), the first neuron's partner in the second SAE (``match_neurons``) and their
    ``cosine``, whether the partner is the second SAE's own neuron for the concept
    (``same_neuron``), and the concept's purity@10 among the partner's top items.
    """
    pairing = match_neurons(first_directions, second_directions)
    rows = {}
    for concept in concepts:
        first = int(concept_neuron(first_codes, labels, concept)["neuron"])
        second = int(concept_neuron(second_codes, labels, concept)["neuron"])
        partner = int(pairing.loc[first, "match"]) if first in pairing.index else -1
        partner_codes = np.asarray(second_codes)[:, [partner]] if partner >= 0 else None
        partner_purity = (
            np.nan
            if partner_codes is None
            else float(purity(partner_codes, labels, [concept], LABEL_DEPTH)[0])
        )
        rows[concept] = {
            "first_neuron": first,
            "second_neuron": second,
            "partner": partner,
            "cosine": float(pairing.loc[first, "cosine"]) if partner >= 0 else np.nan,
            "same_neuron": partner == second,
            "partner_purity@10": partner_purity,
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("concept")
