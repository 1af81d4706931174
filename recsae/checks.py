"""Checks that config dataclasses run on creation, so that nonsense is never trained or cached.

Each check raises ``ValueError`` with one sentence naming the config, the field, the allowed
range and the value it got, e.g. ``RecommenderConfig.epochs must be an integer ≥ 1, got 0.``
"""

from __future__ import annotations

import math
from collections.abc import Collection
from numbers import Integral, Real


def _field(owner: object, name: str) -> str:
    return f"{type(owner).__name__}.{name}"


def check_int(owner: object, name: str, minimum: int, maximum: int | None = None) -> None:
    """``owner.name`` is an integer (not a bool) in [minimum, maximum]."""
    value = getattr(owner, name)
    upper = "" if maximum is None else f" and ≤ {maximum}"
    if (
        isinstance(value, bool)
        or not isinstance(value, Integral)
        or value < minimum
        or (maximum is not None and value > maximum)
    ):
        raise ValueError(f"{_field(owner, name)} must be an integer ≥ {minimum}{upper}, got {value!r}.")


def check_number(
    owner: object,
    name: str,
    above: float | None = None,
    at_least: float | None = None,
    below: float | None = None,
) -> None:
    """``owner.name`` is a finite real number, > ``above`` / ≥ ``at_least`` / < ``below`` as given."""
    value = getattr(owner, name)
    bounds = [
        f"{sign} {bound:g}"
        for sign, bound in ((">", above), ("≥", at_least), ("<", below))
        if bound is not None
    ]
    wanted = "a finite number" + (" " + " and ".join(bounds) if bounds else "")
    valid = (
        isinstance(value, Real)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and (above is None or value > above)
        and (at_least is None or value >= at_least)
        and (below is None or value < below)
    )
    if not valid:
        raise ValueError(f"{_field(owner, name)} must be {wanted}, got {value!r}.")


def check_choice(owner: object, name: str, choices: Collection[str]) -> None:
    """``owner.name`` is one of ``choices``."""
    value = getattr(owner, name)
    if value not in choices:
        listed = ", ".join(repr(choice) for choice in sorted(choices))
        raise ValueError(f"{_field(owner, name)} must be one of {listed}, got {value!r}.")
