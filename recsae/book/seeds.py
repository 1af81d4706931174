"""Seeds behind the headline numbers: one setting trained with several seeds, and its spread.

A number from one training run says little about how much of it is the setting and how much the
seed. A seed here varies the SAE's initialisation and batch order and, for the backbones in
``RESEEDED_RECOMMENDERS``, the recommender's initialisation and negatives too. Seed 0 is the
run the chapters narrate; a headline number is reported for it, and as the mean, the sample standard deviation
and the per-seed values over all of the profile's seeds (result keys ``<key>.mean``,
``<key>.std`` and ``<key>.seeds``).

The book's models of seed 0 train alone, the others in ensembles (``trained_seeds``,
``recsae.book.sweeps.trained_sweeps``): whatever runs first, a model is always trained the same
way, so a chapter's numbers do not depend on which chapter ran before it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import replace

import pandas as pd

from recsae.book.results import Value, flat
from recsae.training.recommender import RecommenderConfig, TrainedRecommender, trained_recommender
from recsae.training.recommender_ensemble import trained_recommenders
from recsae.training.sae_trainer import SAERunConfig

RESEEDED_RECOMMENDERS = ("mf",)
"""Backbones whose recommender is retrained for every seed. An NCF at the paper's batch of 256
costs about 4 minutes per seed even when its seeds train together (15 minutes for four on two
cores), more than the book's time budget holds, so NCF's spread is that of its SAEs over one
recommender."""


def reseeded_recommender(config: RecommenderConfig, seed: int) -> RecommenderConfig:
    """``config`` trained with another seed."""
    return replace(config, seed=seed)


def reseeded(run: SAERunConfig, seed: int) -> SAERunConfig:
    """``run`` with its SAE's seed offset by ``seed``, and its recommender's too where the book
    retrains that backbone per seed (``RESEEDED_RECOMMENDERS``).

    Seed 0 is the run itself; a run whose SAE has another base seed, such as the paper's Last.FM
    SAEs (42), is offset from it.
    """
    recommender = run.recommender
    if recommender.model in RESEEDED_RECOMMENDERS:
        recommender = reseeded_recommender(recommender, recommender.seed + seed)
    return replace(
        run, recommender=recommender, sae_config=replace(run.sae_config, seed=run.sae_config.seed + seed)
    )


def trained_seeds(config: RecommenderConfig, seeds: Sequence[int]) -> list[TrainedRecommender]:
    """The recommender of ``config`` for each seed: seed 0 trained alone, the others together.

    A backbone outside ``RESEEDED_RECOMMENDERS`` is refused: the book never retrains it per seed.
    """
    if config.model not in RESEEDED_RECOMMENDERS:
        raise ValueError(
            f"The book trains the {config.model.upper()} recommender once; reseed only "
            f"{', '.join(RESEEDED_RECOMMENDERS)} (recsae.book.seeds.RESEEDED_RECOMMENDERS)."
        )
    first, *others = [reseeded_recommender(config, config.seed + seed) for seed in seeds]
    return [trained_recommender(first), *(trained_recommenders(others) if others else [])]


def spread(per_seed: Mapping[int, Mapping[str, Value]]) -> dict[str, Value]:
    """Result values of every seed → seed 0's values, plus ``.mean``, ``.std`` and ``.seeds`` per key.

    Every seed must report the same keys. With one seed there is no spread and only seed 0's
    values are returned.
    """
    seeds = sorted(per_seed)
    first = per_seed[seeds[0]]
    for seed in seeds[1:]:
        if per_seed[seed].keys() != first.keys():
            missing = sorted(first.keys() ^ per_seed[seed].keys())
            raise ValueError(f"Seed {seed} reports other keys than seed {seeds[0]}: {missing[:5]}.")
    result: dict[str, Value] = dict(first)
    if len(seeds) < 2:
        return result
    for key in first:
        values = [float(per_seed[seed][key]) for seed in seeds]
        result[f"{key}.mean"] = statistics.fmean(values)
        result[f"{key}.std"] = statistics.stdev(values)
        result[f"{key}.seeds"] = values
    return result


def table_spread(per_seed: Mapping[int, pd.DataFrame | pd.Series], prefix: str) -> dict[str, Value]:
    """``spread`` of tables or rows (one per seed, same rows and columns), keyed as ``flat``'s."""
    return spread({seed: flat(prefix, table) for seed, table in per_seed.items()})


def mean_and_std(per_seed: Mapping[int, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cell by cell mean and sample standard deviation of tables with the same rows and columns."""
    stacked = pd.concat(per_seed, names=["seed"])
    grouped = stacked.groupby(level=list(range(1, stacked.index.nlevels)), sort=False)
    return grouped.mean(), grouped.std(ddof=1)


def with_spread(mean: pd.DataFrame, std: pd.DataFrame, decimals: int = 3) -> pd.DataFrame:
    """A table of "mean ± std" strings, rounded to ``decimals``, for showing beside the paper."""

    def cell(value: float, deviation: float) -> str:
        if math.isnan(deviation):
            return f"{value:.{decimals}f}"
        return f"{value:.{decimals}f} ± {deviation:.{decimals}f}"

    return pd.DataFrame(
        [[cell(v, d) for v, d in zip(row, std_row)] for row, std_row in zip(mean.values, std.values)],
        index=mean.index,
        columns=mean.columns,
    )
