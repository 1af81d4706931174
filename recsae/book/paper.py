"""The numbers the paper and its official notebooks report, with where they come from.

Chapters print these beside our own results; nothing here feeds a computation. A key that is
absent is a number the official material does not report (e.g. recommender accuracy, which no
official notebook prints).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

REPORTED: dict[str, tuple[float, str]] = {
    "ml1m.n_users": (6039, "official code/ML1M/data_processing.ipynb, printed output"),
    "ml1m.n_items": (3706, "official code/ML1M/data_processing.ipynb, printed output"),
    "ml1m.sae_test_users": (1207, "official code/ML1M notebooks: 20 % of the 6,039 users"),
    "lastfm.n_users": (22546, "official code/lastFM/data_processing.ipynb output (another Last.FM table)"),
    "lastfm.n_items": (2277, "official code/lastFM/data_processing.ipynb output (another Last.FM table)"),
    "lastfm.sae_test_users": (4509, "official code/lastFM notebooks: 20 % of users (another Last.FM table)"),
    # Active latents of the main ML-1M SAEs (official output); the MF SAE's per-user L0 is not printed.
    "ml1m.mf.sae.l0_item": (5.38, "official code/ML1M/visualizations_SAE_mf.ipynb, printed output"),
    "ml1m.ncf.sae.l0_item": (8.09, "official code/ML1M/visualization_SAE_ncf.ipynb, printed output"),
    "ml1m.ncf.sae.l0_user": (8.20, "official code/ML1M/visualization_SAE_ncf.ipynb, printed output"),
    # The main NCF SAE (BCE form of L_pred, seen items not masked; official printed output).
    "ml1m.ncf.sae.rbo": (0.759165, "official code/ML1M/visualization_SAE_ncf.ipynb, printed output"),
    "ml1m.ncf.sae.kendall_tau": (0.608558, "official code/ML1M/visualization_SAE_ncf.ipynb, printed output"),
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
        f"ml1m.{model}.beta={beta}.{metric}": (value, "paper Fig. 4 (code/ML1M/visualization_SAE_ncf.ipynb)")
        for beta, row in _BETA_ABLATION.items()
        for (model, metric), value in zip(_BETA_COLUMNS, row)
    }
)


_SUPPRESSION_LEVELS = (1, 0.5, 0, -0.5, -1, -1.5)
_NUDGING_LEVELS = (1, 1.5, 2, 2.5, 3, 3.5, 4)
_STEERING = {  # official figures: original (dashed line, ±0.01), reconstruction ("Original" bar), levels
    "ml1m.mf.suppress.horror": (0.86, 0.86, _SUPPRESSION_LEVELS, (0.64, 0.52, 0.34, 0.19, 0.09, 0.02)),
    "ml1m.ncf.suppress.action": (0.935, 0.88, _SUPPRESSION_LEVELS, (0.91, 0.71, 0.61, 0.46, 0.27, 0.17)),
    "ml1m.mf.nudge.childrens": (0.05, 0.04, _NUDGING_LEVELS, (0.09, 0.15, 0.22, 0.32, 0.43, 0.57, 0.66)),
    "ml1m.ncf.nudge.childrens": (0.06, 0.06, _NUDGING_LEVELS, (0.14, 0.28, 0.44, 0.59, 0.70, 0.75, 0.79)),
}
REPORTED.update(
    {
        f"{case}.{condition}.share": (share, source)
        for case, (original, reconstruction, levels, shares) in _STEERING.items()
        for condition, share, source in (
            ("original", original, "official ML-1M figure, dashed line read off (±0.01)"),
            ("reconstruction", reconstruction, "official ML-1M figure, the bar labelled Original"),
            *((f"level={level:g}", value, "official figure's bar") for level, value in zip(levels, shares)),
        )
    }
)
# Alice in Wonderland (1951) promoted to the 20 most romance-loving users by the MF SAE's
# Romance neuron (official MF notebook); the official NCF run promotes another item to another audience.
REPORTED.update(
    {
        f"ml1m.mf.promote.level={level}.success": (share, "code/ML1M/visualizations_SAE_mf.ipynb, bar labels")
        for level, share in enumerate((0.12, 0.12, 0.53, 0.88, 0.94, 0.94))
    }
)


def reported(key: str) -> float | None:
    """The paper's value for a result key, or None when the paper does not report it."""
    return REPORTED.get(key, (None, ""))[0]


def reported_series(prefix: str, conditions: Iterable[str], metric: str) -> pd.Series:
    """The paper's ``<prefix>.<condition>.<metric>`` for each condition (NaN where unreported),
    indexed by condition, to sit beside a table of ours."""
    names = list(conditions)
    return pd.Series([reported(f"{prefix}.{name}.{metric}") for name in names], index=names, dtype="float64")
