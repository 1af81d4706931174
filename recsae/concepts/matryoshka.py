"""Reading a Matryoshka SAE by its nested prefixes: are early latents broad and later ones niche?

A Matryoshka SAE reconstructs from every prefix of its latents (``SAEConfig.prefixes``), so the
first prefix must explain the embeddings alone and the later latents only refine it. The paper
says that on Last.FM this puts broad audiences (mainstream electronic) first and niche ones
(Nordic death metal) last, and that on MovieLens the effect is limited. Two readings of each
neuron's top items measure "broad": how popular they are, and how many tags they spread over.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from recsae.concepts.neurons import mean_popularity_rank, silent_neurons, top_items

BREADTH_DEPTH = 50
"""Top items per neuron that its breadth is read from (the paper's popularity depth on Last.FM)."""


def popularity_percentile(codes: ArrayLike, popularity_rank: ArrayLike, k: int = BREADTH_DEPTH) -> np.ndarray:
    """Mean popularity percentile of every neuron's top-k items: 0 for a neuron whose top items
    are the most popular of the catalogue, 100 for the least (official ``code/lastFM``)."""
    ranks = np.asarray(popularity_rank, dtype=np.float64)
    return 100.0 * mean_popularity_rank(codes, pd.Series(ranks), k) / len(ranks)


def label_entropy(codes: ArrayLike, labels: pd.DataFrame, k: int = BREADTH_DEPTH) -> np.ndarray:
    """Shannon entropy (bits) of the labels of every neuron's top-k items, counted over all
    their labels: low for a neuron whose top items share one or two tags, high for one spread
    over many."""
    matrix = labels.to_numpy(dtype=np.float64)
    counts = matrix[top_items(codes, k)].sum(axis=1)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(shares > 0, -shares * np.log2(shares), 0.0)
    return terms.sum(axis=1)


def prefix_groups(prefixes: Sequence[int]) -> list[tuple[int, int]]:
    """The latents each prefix adds, as half-open ranges: (20, 40, 80) → [(0, 20), (20, 40), (40, 80)]."""
    return list(zip((0, *prefixes[:-1]), prefixes))


def prefix_breadth(
    codes: ArrayLike, labels: pd.DataFrame, popularity_rank: ArrayLike, prefixes: Sequence[int]
) -> pd.DataFrame:
    """One row per group of latents a prefix adds (``prefix=40``: latents 21 to 40 of prefixes
    (20, 40, 80)): how many are live, and the median over its live neurons of
    ``popularity_percentile`` and ``label_entropy``. Silent neurons have no top items and are
    left out."""
    matrix = np.asarray(codes, dtype=np.float64)
    popularity = popularity_percentile(matrix, popularity_rank)
    entropy = label_entropy(matrix, labels)
    live = ~silent_neurons(matrix)
    rows = {}
    for start, stop in prefix_groups(prefixes):
        group = np.arange(start, stop)[live[start:stop]]
        rows[f"prefix={stop}"] = {
            "live": len(group),
            "popularity_percentile": float(np.median(popularity[group])) if len(group) else np.nan,
            "label_entropy": float(np.median(entropy[group])) if len(group) else np.nan,
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("latents added by")


def breadth_gap(breadth: pd.DataFrame) -> float:
    """How much more niche the last prefix's latents are than the first's: the difference of their
    median popularity percentiles (positive when the later latents have less popular top items)."""
    return float(breadth["popularity_percentile"].iloc[-1] - breadth["popularity_percentile"].iloc[0])
