"""Machine-readable results: every number a chapter reports goes to ``results/<chapter>.json``.

Keys are flat and self-describing, so a scorecard or a reviewer can read them without running
anything. A key is a dot-separated path from the widest scope to the measurement:

    <dataset>.<backbone>[.<study>…][.<condition>].<measurement>

e.g. ``ml1m.mf.ndcg@10``, ``ml1m.ncf.beta=10.rbo``, ``ml1m.mf.suppress.horror.level=-1.5.share``
or ``ml1m.mf.neuron=3.purity@10``. ``scope`` gives the first two parts of a setting,
``key_part`` a part that carries a value (``beta=10``), ``slug`` a label inside a key
(``Children's`` → ``childrens``), and ``flat`` turns a row or a table of measurements into keys;
``parse_key`` reads a key back into its parts. A chapter executed with the quick profile writes
to ``results/quick/`` and never overwrites the full run's numbers.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from recsae.cache.storage import write_atomically

RESULTS_DIR_ENV = "RECSAE_RESULTS_DIR"
Value = float | int | str | bool | list[float]
"""A result: a number, a label, or the per-seed values of a number (``<key>.seeds``)."""

MEASUREMENT_NAMES = {
    "l0_items": "l0_item",
    "l0_users": "l0_user",
    "median_purity@10": "purity@10.median",
    "median_auc": "auc.median",
}
"""Measurements whose key spells them differently from the tables that hold them."""


def slug(label: str) -> str:
    """A label as it appears in result keys: lower case, letters and digits only (Children's → childrens)."""
    return "".join(character for character in label.lower() if character.isalnum())


def key_part(name: str, value: float | str) -> str:
    """A key part that carries a value: ``beta=10``, ``topk=8``, ``neuron=3``."""
    return f"{name}={value:g}" if isinstance(value, float) else f"{name}={value}"


def short_name(dataset: str) -> str:
    """A dataset's name as the first part of its keys: without dashes (``ml-1m`` → ``ml1m``)."""
    return dataset.replace("-", "")


def scope(dataset: str, backbone: str) -> str:
    """The first two parts of every key of a setting: the dataset's ``short_name`` and the
    backbone (``ml-1m``, ``mf`` → ``ml1m.mf``)."""
    return f"{short_name(dataset)}.{backbone}"


def result_key(*parts: str) -> str:
    """The parts joined into one key; a part may itself hold several (``suppress.horror``)."""
    if not parts or any(not part or part.startswith(".") or part.endswith(".") for part in parts):
        raise ValueError(f"Every part of a result key must be a non-empty name; got {list(parts)}.")
    return ".".join(parts)


def parse_key(key: str) -> list[str]:
    """The parts of a key, a ``name=value`` part kept whole even when its value has a dot
    (``ml1m.mf.beta=0.5.rbo`` → ``["ml1m", "mf", "beta=0.5", "rbo"]``)."""
    parts: list[str] = []
    for piece in key.split("."):
        if parts and "=" in parts[-1] and _continues_a_number(parts[-1], piece):
            parts[-1] += "." + piece
        else:
            parts.append(piece)
    return parts


def _continues_a_number(part: str, piece: str) -> bool:
    value = part.split("=", 1)[1].split(",")[-1]
    return value.lstrip("-").isdigit() and piece[:1].isdigit()


def _measurement(name: str) -> str:
    if name.startswith("share."):  # a label's share of the top items: share.<slug>
        return f"share.{slug(name[len('share.') :])}"
    return MEASUREMENT_NAMES.get(name, name)


def flat(
    prefix: str, values: Mapping[str, object] | pd.Series | pd.DataFrame, skip_missing: bool = False
) -> dict[str, Value]:
    """Result keys of measurements: ``<prefix>.<name>`` for a row (a mapping or a Series), and
    ``<prefix>.<row>.<column>`` for a table, rows being conditions or neurons.

    Names are spelled as in ``MEASUREMENT_NAMES`` and ``share.<label>`` columns use the label's
    ``slug``; values are kept as they are (``write_results`` turns numpy scalars into plain
    numbers, so a count stays a count). With ``skip_missing``, a missing value (a reading that
    is not defined, such as the purity of an unlabelled neuron) gets no key; otherwise it is an
    error.
    """
    result: dict[str, Value] = {}
    if isinstance(values, pd.DataFrame):
        for index, row in values.iterrows():
            result.update(flat(f"{prefix}.{index}", row, skip_missing))
        return result
    for name, value in values.items():
        if pd.isna(value):
            if skip_missing:
                continue
            raise ValueError(f"{prefix}.{name} is missing; only defined measurements can be reported.")
        result[f"{prefix}.{_measurement(str(name))}"] = value
    return result


def book_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: the working directory) with ``_toc.yml``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "_toc.yml").is_file():
            return folder
    raise FileNotFoundError(
        f"No _toc.yml at or above {here}: run this from the folder of the book (a clone of recsae)."
    )


def results_path(chapter: str, profile: str = "full") -> Path:
    """``results/[profile/]<chapter>.json`` of the book, or under ``RECSAE_RESULTS_DIR`` when set."""
    configured = os.environ.get(RESULTS_DIR_ENV)
    if configured:
        folder = Path(configured).expanduser()
    else:
        try:
            folder = book_root() / "results"
        except FileNotFoundError as error:
            raise FileNotFoundError(
                f"{str(error).rstrip('.')}, or set {RESULTS_DIR_ENV} to the folder the results should go to."
            ) from None
    if profile != "full":
        folder = folder / profile
    return folder / f"{chapter}.json"


def write_results(chapter: str, values: Mapping[str, Value], profile: str = "full") -> Path:
    """Write the chapter's numbers (floats rounded to 6 decimals), sorted, atomically."""
    clean = {
        key: [_clean(key, v) for v in value] if isinstance(value, list) else _clean(key, value)
        for key, value in values.items()
    }
    text = json.dumps(clean, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    path = results_path(chapter, profile)
    write_atomically(path, lambda handle: handle.write(text.encode()))
    return path


def _clean(key: str, value: Value) -> Value:
    """A plain, finite number rounded to 6 decimals, or a label as it is."""
    if isinstance(value, np.generic):  # numpy scalars, e.g. read off a DataFrame row
        value = value.item()
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"Result {key!r} is {value}; only finite numbers can be reported.")
        value = round(value, 6)
    return value


def read_results(chapter: str, profile: str = "full") -> dict[str, Value]:
    return json.loads(results_path(chapter, profile).read_text())
