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
}


def reported(key: str) -> float | None:
    """The paper's value for a result key, or None when the paper does not report it."""
    return REPORTED.get(key, (None, ""))[0]
