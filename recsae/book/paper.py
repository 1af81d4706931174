"""Every number and claim the paper and its official notebooks report, with where it comes from.

Chapters print these beside our own results and the scorecard (``recsae.book.ledger``) sets
each one against ours; nothing here feeds a computation. A key that is absent is a number the
official material does not report (e.g. recommender accuracy, which no official notebook prints).

Keys follow ``recsae.book.results``. A number about one neuron of an official SAE carries the
official index (``official_neuron=13``): SAE neurons have no fixed order, so our neuron of the
same index is another neuron. ``lastfm_songs`` is the official code's older, song-level Last.FM
pipeline, and the ``lastfm`` counts describe the official artist-level table, not HetRec's.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

_ML1M_MF_NB = "official code/ML1M/visualizations_SAE_mf.ipynb"
_ML1M_NCF_NB = "official code/ML1M/visualization_SAE_ncf.ipynb"
_LASTFM_MF_NB = "official code/lastFM, MF SAE notebook"
_LASTFM_NCF_NB = "official code/lastFM, NCF SAE notebook"
_LASTFM_DATA_NB = "official code/lastFM/data_processing.ipynb, printed output"
_SONGS_NB = "official code/lastFM_notebook.ipynb (older song-level pipeline), printed output"
_FIGURE = "bar labels of the official figure"

REPORTED: dict[str, tuple[float, str]] = {
    "ml1m.n_users": (6039, "official code/ML1M/data_processing.ipynb, printed output"),
    "ml1m.n_items": (3706, "official code/ML1M/data_processing.ipynb, printed output"),
    "ml1m.sae_test_users": (1207, "official code/ML1M notebooks: 20 % of the 6,039 users"),
    "lastfm.n_users": (22546, _LASTFM_DATA_NB),
    "lastfm.n_items": (2277, _LASTFM_DATA_NB),
    "lastfm.sae_test_users": (4509, "official code/lastFM notebooks: 20 % of the 22,546 users"),
    "lastfm.listening_rows": (9711301, _LASTFM_DATA_NB),
    "lastfm.listening_rows_deduplicated": (9672054, _LASTFM_DATA_NB),
    "lastfm.n_interactions": (1700422, _LASTFM_DATA_NB),
    # Active latents of the main ML-1M SAEs (official output); the MF SAE's per-user L0 is not printed.
    "ml1m.mf.sae.l0_item": (5.38, f"{_ML1M_MF_NB}, printed output"),
    "ml1m.ncf.sae.l0_item": (8.09, f"{_ML1M_NCF_NB}, printed output"),
    "ml1m.ncf.sae.l0_user": (8.20, f"{_ML1M_NCF_NB}, printed output"),
    # The main NCF SAE (BCE form of L_pred, seen items not masked; official printed output).
    "ml1m.ncf.sae.rbo": (0.759165, f"{_ML1M_NCF_NB}, printed output"),
    "ml1m.ncf.sae.kendall_tau": (0.608558, f"{_ML1M_NCF_NB}, printed output"),
}

_BETA_COLUMNS = (
    ("ncf", "kendall_tau"),
    ("mf", "kendall_tau"),
    ("ncf", "rbo"),
    ("mf", "rbo"),
    ("ncf", "ms_score"),
    ("mf", "ms_score"),
)
_BETA_ABLATION = {  # paper Fig. 4, one row per β in the order of _BETA_COLUMNS
    0: (0.090, -0.190, 0.448, 0.224, 0.658, 0.464),
    1: (0.240, 0.092, 0.550, 0.403, 0.671, 0.580),
    2: (0.320, 0.141, 0.579, 0.436, 0.681, 0.578),
    5: (0.448, 0.226, 0.664, 0.4859, 0.676133, 0.567),
    10: (0.597, 0.315, 0.748, 0.543, 0.6735, 0.553),
}
REPORTED.update(
    {
        f"ml1m.{model}.beta={beta}.{metric}": (value, f"paper Fig. 4 ({_ML1M_NCF_NB}, hard-coded)")
        for beta, row in _BETA_ABLATION.items()
        for (model, metric), value in zip(_BETA_COLUMNS, row)
    }
)
_BETA_DRAFT = {  # a commented-out earlier version of the NCF curves: β → (τ, RBO)
    1: (0.24, 0.54),
    2: (0.30, 0.579),
    5: (0.448, 0.668),
    10: (0.60, 0.759),
}
REPORTED.update(
    {
        f"ml1m.ncf.draft.beta={beta}.{metric}": (value, f"{_LASTFM_NCF_NB}, a commented-out earlier Fig. 4")
        for beta, pair in _BETA_DRAFT.items()
        for metric, value in zip(("kendall_tau", "rbo"), pair)
    }
)

# Neuron inventories of the official SAEs (PAPER §8.4).
_ML1M_MF_POPULARITY = {  # mean popularity rank (0 = most popular) of each neuron's top 500 films
    0: 1059.67, 1: 1151.27, 2: 595.01, 3: 1632.27, 4: 1613.79,
    17: 2269.10, 18: 1336.08, 19: 1939.60, 20: 1354.54, 21: 2282.08,
}  # fmt: skip
_ML1M_NCF_POPULARITY = (
    1146.9, 2826.1, 1507.3, 733.0, 1540.0, 864.9, 2229.4, 2096.2, 2542.2, 1377.6, 1902.1,
    1795.9, 2805.3, 2251.7, 3036.0, 1129.2, 2329.5, 643.6, 935.9, 1347.6, 2525.6, 1937.1,
)  # fmt: skip
REPORTED.update(
    {
        f"ml1m.mf.official_neuron={n}.popularity_rank@500": (v, f"{_ML1M_MF_NB}, printed output")
        for n, v in _ML1M_MF_POPULARITY.items()
    }
)
REPORTED.update(
    {
        f"ml1m.ncf.official_neuron={n}.popularity_rank@500": (v, f"{_ML1M_NCF_NB}, printed output")
        for n, v in enumerate(_ML1M_NCF_POPULARITY)
    }
)
_DECADES = ("1960s_and_before", "1970s", "1980s", "1990s", "2000s")
_ML1M_MF_DECADES = {  # share of each decade among the top 200 films, read off the figure
    3: {"1990s": 0.97},
    4: {"1960s_and_before": 0.72, "1970s": 0.12, "1980s": 0.04, "1990s": 0.12},
    20: {"1990s": 0.98},
}
REPORTED.update(
    {
        f"ml1m.mf.official_neuron={n}.decade_share@200.{decade}": (v, f"{_ML1M_MF_NB}, figure read off")
        for n, shares in _ML1M_MF_DECADES.items()
        for decade, v in shares.items()
    }
)
_ML1M_NCF_DECADES = (  # per neuron: shares of ≤1960s, 1970s, 1980s, 1990s, 2000s among its top 200
    (0.160, 0.035, 0.025, 0.490, 0.290), (0.265, 0.020, 0.085, 0.630, 0.000),
    (0.000, 0.035, 0.025, 0.940, 0.000), (0.370, 0.065, 0.125, 0.425, 0.015),
    (0.000, 0.000, 0.020, 0.975, 0.005), (0.010, 0.000, 0.030, 0.795, 0.165),
    (0.035, 0.075, 0.535, 0.355, 0.000), (0.345, 0.015, 0.265, 0.375, 0.000),
    (0.045, 0.025, 0.250, 0.660, 0.020), (0.040, 0.075, 0.230, 0.590, 0.065),
    (0.200, 0.100, 0.325, 0.375, 0.000), (0.060, 0.060, 0.370, 0.500, 0.010),
    (0.010, 0.030, 0.245, 0.715, 0.000), (0.000, 0.085, 0.895, 0.010, 0.010),
    (0.035, 0.000, 0.065, 0.895, 0.005), (0.165, 0.040, 0.045, 0.705, 0.045),
    (0.050, 0.060, 0.140, 0.735, 0.015), (0.045, 0.050, 0.140, 0.715, 0.050),
    (0.220, 0.155, 0.260, 0.365, 0.000), (0.185, 0.070, 0.275, 0.470, 0.000),
    (0.740, 0.180, 0.080, 0.000, 0.000), (0.260, 0.105, 0.140, 0.470, 0.025),
)  # fmt: skip
REPORTED.update(
    {
        f"ml1m.ncf.official_neuron={n}.decade_share@200.{decade}": (v, f"{_ML1M_NCF_NB}, printed output")
        for n, row in enumerate(_ML1M_NCF_DECADES)
        for decade, v in zip(_DECADES, row)
    }
)
REPORTED.update(
    {
        f"ml1m.ncf.official_neuron=5.genre_count@200.{genre}": (v, f"{_ML1M_NCF_NB}, printed output")
        for genre, v in (("drama", 154), ("romance", 36), ("thriller", 31), ("comedy", 19), ("action", 18))
    }
)
_ML1M_GENRE_COUNTS = {  # films of each genre among the rated ones (a printed "top-K" taken over every film)
    "drama": 1493, "comedy": 1163, "action": 495, "thriller": 485, "romance": 459, "horror": 339,
    "adventure": 281, "scifi": 274, "childrens": 250, "crime": 201, "war": 141, "musical": 113,
    "documentary": 110, "animation": 105, "mystery": 104, "fantasy": 68, "western": 67, "filmnoir": 44,
}  # fmt: skip
REPORTED.update(
    {
        f"ml1m.genre_count.{genre}": (v, f"{_ML1M_MF_NB}, printed genre counts of neuron 1's top K (K = all)")
        for genre, v in _ML1M_GENRE_COUNTS.items()
    }
)
REPORTED.update(
    {
        f"ml1m.decade_count.{decade}": (v, f"{_ML1M_NCF_NB}, printed decade counts of movies.dat")
        for decade, v in zip(_DECADES, (570, 240, 592, 2152, 152))
    }
)
REPORTED.update(
    {
        f"ml1m.decade_count.comedy.{decade}": (v, f"{_ML1M_NCF_NB}, printed Comedy counts per decade")
        for decade, v in (("1960s", 41), ("1970s", 62), ("1980s", 199), ("1990s_and_2000", 782))
    }
)
REPORTED.update(
    {
        f"lastfm.ncf.official_neuron=57.tag_count@50.{tag}": (v, f"{_LASTFM_NCF_NB}, printed output")
        for tag, v in (("folk", 38), ("acoustic", 27), ("country", 15), ("mellow", 14), ("rock", 10))
    }
)
_LASTFM_NCF_POPULARITY = (  # mean popularity percentile (0 = most popular) of each neuron's top 50 artists
    27.66, 42.45, 33.50, 3.83, 49.41, 1.15, 12.33, 53.77, 6.07, 33.79, 21.89, 38.05, 4.74, 3.95,
    30.83, 19.15, 19.22, 34.90, 21.29, 39.69, 18.41, 15.92, 26.46, 22.32, 3.74, 36.25, 52.98, 16.28,
    25.27, 1.21, 26.31, 33.18, 1.73, 30.59, 12.40, 0.46, 46.79, 24.01, 15.10, 4.85, 46.86, 33.83,
    57.81, 1.03, 37.90, 12.52, 17.40, 68.04, 32.69, 15.96, 34.44, 7.92, 22.24, 24.44, 14.70, 77.14,
    11.26, 26.34, 25.70, 30.77, 11.37, 3.68, 38.24, 60.49, 22.76, 25.80, 56.57, 63.25, 41.88, 49.81,
)  # fmt: skip
REPORTED.update(
    {
        f"lastfm.ncf.official_neuron={n}.popularity_percentile@50": (v, f"{_LASTFM_NCF_NB}, printed output")
        for n, v in enumerate(_LASTFM_NCF_POPULARITY)
    }
)
REPORTED.update(
    {
        "lastfm_songs.official_neuron=3.mean_activation.metal": (0.61, _SONGS_NB),
        "lastfm_songs.official_neuron=3.mean_activation.hard_rock": (0.44, _SONGS_NB),
        "lastfm_songs.official_neuron=3.mean_activation": (0.17, _SONGS_NB),
        "lastfm_songs.official_neuron=20.popularity_percentile.min": (0.0, _SONGS_NB),
        "lastfm_songs.official_neuron=20.popularity_percentile.max": (11.4, _SONGS_NB),
        "lastfm_songs.n_songs": (50683, _SONGS_NB),
        "lastfm_songs.joined_users": (962037, _SONGS_NB),
        "lastfm_songs.joined_tracks": (30459, _SONGS_NB),
        "lastfm_songs.n_interactions": (862288, _SONGS_NB),
        "lastfm_songs.n_users": (11666, _SONGS_NB),
        "lastfm_songs.n_items": (4318, _SONGS_NB),
    }
)
REPORTED.update(
    {
        f"lastfm_songs.tag_count.{tag}": (v, _SONGS_NB)
        for tag, v in (
            ("rock", 1248),
            ("alternative", 1035),
            ("indie_rock", 878),
            ("alternative_rock", 688),
            ("folk", 592),
            ("female_vocalists", 529),
            ("indie_pop", 500),
            ("chillout", 473),
        )
    }
)

# Steering (PAPER §8.5): original (the figure's dashed line, ±0.01), reconstruction (the bar
# labelled "Original"), then one bar per level; shares of the target genre or tag in the top 30.
_SUPPRESSION_LEVELS = (1, 0.5, 0, -0.5, -1, -1.5)
_NUDGING_LEVELS = (1, 1.5, 2, 2.5, 3, 3.5, 4)
_STEERING = {
    "ml1m.mf.suppress.horror": (0.86, 0.86, _SUPPRESSION_LEVELS, (0.64, 0.52, 0.34, 0.19, 0.09, 0.02)),
    "ml1m.ncf.suppress.action": (0.935, 0.88, _SUPPRESSION_LEVELS, (0.91, 0.71, 0.61, 0.46, 0.27, 0.17)),
    "ml1m.mf.nudge.childrens": (0.05, 0.04, _NUDGING_LEVELS, (0.09, 0.15, 0.22, 0.32, 0.43, 0.57, 0.66)),
    "ml1m.ncf.nudge.childrens": (0.06, 0.06, _NUDGING_LEVELS, (0.14, 0.28, 0.44, 0.59, 0.70, 0.75, 0.79)),
    "lastfm.mf.nudge.country": (0.00, 0.00, (1, 1.5, 2, 2.5, 3), (0.00, 0.12, 0.38, 0.55, 0.63)),
    "lastfm.ncf.nudge.rock": (0.14, 0.17, _NUDGING_LEVELS, (0.24, 0.29, 0.35, 0.40, 0.44, 0.46, 0.48)),
    "lastfm.mf.suppress.hiphop": (0.42, 0.45, (0, -0.5, -1, -1.5, -2), (0.25, 0.15, 0.09, 0.06, 0.05)),
    "lastfm.ncf.suppress.electronic": (
        0.845, 0.84, (0, -0.5, -1, -1.5, -2, -2.5, -3), (0.84, 0.81, 0.76, 0.67, 0.52, 0.32, 0.18)),
}  # fmt: skip
REPORTED.update(
    {
        f"{case}.{condition}.share": (share, source)
        for case, (original, reconstruction, levels, shares) in _STEERING.items()
        for condition, share, source in (
            ("original", original, "official figure, dashed line read off (±0.01)"),
            ("reconstruction", reconstruction, f"{_FIGURE}, the bar labelled Original"),
            *((f"level={level:g}", value, _FIGURE) for level, value in zip(levels, shares)),
        )
    }
)
# Promotion: the share of the audience, all outside the item's top th at first, that gets it into
# the top th + 10. ML-1M MF: Alice in Wonderland (1951) to the 20 heaviest Romance fans through the
# Romance neuron. The official NCF runs promote items whose ids are not preserved, each to
# another audience; the Romance audience's is the counterpart of our NCF case study.
_PROMOTION = {
    "ml1m.mf.promote": (None, (0.12, 0.12, 0.53, 0.88, 0.94, 0.94), _ML1M_MF_NB),
    "ml1m.ncf.promote.romance_audience": (0.10, (0.35, 0.60, 0.80, 0.85), f"{_ML1M_NCF_NB}, Romance"),
    "ml1m.ncf.promote.childrens_audience": (0.05, (0.30, 0.90, 1.00, 1.00), f"{_ML1M_NCF_NB}, Children"),
    "ml1m.ncf.promote.drama_audience": (0.00, (0.10, 0.30, 0.70, 0.95), f"{_ML1M_NCF_NB}, Drama audience"),
    "lastfm.mf.promote": (
        None, (0, 0.05, 0.20, 0.78, 0.85, 0.90, 1, 1, 1), f"{_LASTFM_MF_NB}, Pop audience"),
    "lastfm.mf.promote.metal_audience": (
        None, (0, 0.05, 0.08, 0.23, 0.38, 0.53, 0.63, 0.75, 0.80), f"{_LASTFM_MF_NB}, Metal audience"),
    "lastfm.mf.promote.electronic_audience": (
        None, (0, 0, 0, 0, 0.13, 0.38, 0.63, 0.75, 0.85), f"{_LASTFM_MF_NB}, Electronic audience"),
}  # fmt: skip


def _promotion_keys(case: str, original: float | None, shares: tuple[float, ...], source: str) -> dict:
    """A promotion curve's keys: levels from 0, or from 1 after the curve's "Orig" bar."""
    first = 0 if original is None else 1
    keys = {f"{case}.level={first + i}.success": (v, f"{source}, {_FIGURE}") for i, v in enumerate(shares)}
    if original is not None:
        keys[f"{case}.original.success"] = (original, f"{source}, {_FIGURE}")
    return keys


REPORTED.update(
    {key: value for case, curve in _PROMOTION.items() for key, value in _promotion_keys(case, *curve).items()}
)
REPORTED.update(
    {
        f"lastfm.mf.promote.stale.level={level}.count": (count, f"{_LASTFM_MF_NB}, a stale 40-user figure")
        for level, count in enumerate((0, 0, 2, 3, 9, 15, 21, 25, 30, 32))
    }
)
REPORTED.update(
    {  # the genre's share in the history of the first and last user of an audience (test split)
        "ml1m.mf.audience.childrens.share.first": (0.963, f"{_ML1M_MF_NB}, printed output"),
        "ml1m.mf.audience.childrens.share.last": (0.371, f"{_ML1M_MF_NB}, printed output (20th user)"),
        "ml1m.mf.audience.horror.share.first": (0.979, f"{_ML1M_MF_NB}, printed output"),
        "ml1m.mf.audience.horror.share.last": (0.524, f"{_ML1M_MF_NB}, printed output (20th user)"),
        "lastfm.ncf.audience.electronic.share.first": (0.962, f"{_LASTFM_NCF_NB}, printed output"),
        "lastfm.ncf.audience.electronic.share.last": (0.821, f"{_LASTFM_NCF_NB}, printed output (40th user)"),
        "lastfm.ncf.audience.folk.share.first": (0.913, f"{_LASTFM_NCF_NB}, printed output"),
        "lastfm.ncf.audience.folk.share.last": (0.694, f"{_LASTFM_NCF_NB}, printed output (10th user shown)"),
    }
)

CLAIMS: dict[str, tuple[str, str]] = {
    "concepts": (
        "Neurons capture genre, popularity and temporal trends, on MF and NCF, ML-1M and Last.FM",
        "paper abstract",
    ),
    "ml1m.mf.pure_comedy_horror": (
        'The MF "Comedy" and "Horror" neurons are 100 % pure at K = 10, 20 and 50',
        "paper Table 1, as summarised",
    ),
    "ml1m.temporal_neurons": (
        'Some neurons are eras, e.g. "1990s thrillers", "1980s comedies"',
        "paper Fig. 2–3",
    ),
    "ml1m.popularity_neuron": (
        "Some neurons are popularity (their top films are the most popular)",
        "paper Fig. 2–3",
    ),
    "lastfm.pure_metal_electronic": (
        'Last.FM "Metal" and "Electronic" neurons are close to 100 % pure',
        "paper Table 1",
    ),
    "lastfm.folk_neuron": (
        "A Last.FM NCF neuron is folk: 38 of its top 50 artists carry the tag",
        _LASTFM_NCF_NB,
    ),
    "lastfm.head_tail_neurons": ("Last.FM has head and tail popularity neurons", _LASTFM_NCF_NB),
    "lpred_improves_fidelity": (
        "L_pred significantly improves RBO and Kendall τ over β = 0, for MF and NCF",
        "paper Fig. 4 and its discussion",
    ),
    "ms_lowest_at_beta0": ("The MF SAE's monosemanticity score is lowest at β = 0", "paper Fig. 4"),
    "moderate_beta": ("A moderate β balances fidelity and interpretability", "paper Fig. 4 discussion"),
    "matryoshka_broad_to_niche": (
        "Matryoshka SAE on Last.FM: early neurons are broad audiences, later ones niche",
        "paper, Matryoshka discussion",
    ),
    "matryoshka_movielens": (
        "The Matryoshka SAE has limited effect on MovieLens",
        "paper, Matryoshka discussion",
    ),
    "steering_without_retraining": (
        "Editing one neuron suppresses, nudges and promotes without modifying the recommender",
        "paper abstract and Fig. 5",
    ),
}
"""The paper's qualitative claims (PAPER §8.1, §8.4): statement and source."""


def reported(key: str) -> float | None:
    """The paper's value for a result key, or None when the paper does not report it."""
    return REPORTED.get(key, (None, ""))[0]


def reported_series(prefix: str, conditions: Iterable[str], metric: str) -> pd.Series:
    """The paper's ``<prefix>.<condition>.<metric>`` for each condition (NaN where unreported),
    indexed by condition, to sit beside a table of ours."""
    names = list(conditions)
    return pd.Series([reported(f"{prefix}.{name}.{metric}") for name in names], index=names, dtype="float64")
