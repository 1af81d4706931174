"""The numbers the paper and its official notebooks report, with where they come from.

Chapters print these beside our own results; nothing here feeds a computation. A key that is
absent is a number the official material does not report (e.g. recommender accuracy, PAPER
§3.3, §10.16).
"""

from __future__ import annotations

REPORTED: dict[str, tuple[float, str]] = {
    "ml1m.n_users": (6039, "PAPER §4.1, §8.6"),
    "ml1m.n_items": (3706, "PAPER §4.1, §8.6"),
    "ml1m.sae_test_users": (1207, "PAPER §4.1"),
    "lastfm.n_users": (22546, "PAPER §4.2 (a different, non-public Last.FM table)"),
    "lastfm.n_items": (2277, "PAPER §4.2 (a different, non-public Last.FM table)"),
    "lastfm.sae_test_users": (4509, "PAPER §4.2 (a different, non-public Last.FM table)"),
    # Active latents of the main ML-1M SAEs (PAPER §5.4); the MF SAE's per-user L0 is not printed.
    "ml1m.mf.sae.l0_item": (5.38, "PAPER §5.4"),
    "ml1m.ncf.sae.l0_item": (8.09, "PAPER §5.4"),
    "ml1m.ncf.sae.l0_user": (8.20, "PAPER §5.4"),
    # The main NCF SAE (BCE form of L_pred, seen items not masked; PAPER §8.2).
    "ml1m.ncf.sae.rbo": (0.759165, "PAPER §8.2"),
    "ml1m.ncf.sae.kendall_tau": (0.608558, "PAPER §8.2"),
}

_BETA_COLUMNS = (
    ("ncf", "kendall_tau"), ("mf", "kendall_tau"), ("ncf", "rbo"), ("mf", "rbo"), ("ncf", "ms_score"), ("mf", "ms_score"),
)
_BETA_ABLATION = {  # PAPER §8.3, one row per β in the order of _BETA_COLUMNS
    0: (0.090, -0.190, 0.448, 0.224, 0.658, 0.464),
    1: (0.240, 0.092, 0.550, 0.403, 0.671, 0.580),
    2: (0.320, 0.141, 0.579, 0.436, 0.681, 0.578),
    5: (0.448, 0.226, 0.664, 0.4859, 0.676133, 0.567),
    10: (0.597, 0.315, 0.748, 0.543, 0.6735, 0.553),
}
REPORTED.update({
    f"ml1m.{model}.beta={beta}.{metric}": (value, "PAPER §8.3")
    for beta, row in _BETA_ABLATION.items()
    for (model, metric), value in zip(_BETA_COLUMNS, row)
})


def reported(key: str) -> float | None:
    """The paper's value for a result key, or None when the paper does not report it."""
    return REPORTED.get(key, (None, ""))[0]
