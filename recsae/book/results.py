"""Machine-readable results: every number a chapter reports goes to ``results/<chapter>.json``.

Keys are flat and self-describing (``ml1m.mf.ndcg@10``), so a scorecard or a reviewer can
read them without running anything. A chapter executed with the quick profile writes to
``results/quick/`` and never overwrites the full run's numbers.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from recsae.cache.storage import write_atomically

RESULTS_DIR_ENV = "RECSAE_RESULTS_DIR"
Value = float | int | str | bool


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
    clean: dict[str, Value] = {}
    for key, value in values.items():
        if isinstance(value, np.generic):  # numpy scalars, e.g. read off a DataFrame row
            value = value.item()
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError(f"Result {key!r} is {value}; only finite numbers can be reported.")
            value = round(value, 6)
        clean[key] = value
    text = json.dumps(clean, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    path = results_path(chapter, profile)
    write_atomically(path, lambda handle: handle.write(text.encode()))
    return path


def read_results(chapter: str, profile: str = "full") -> dict[str, Value]:
    return json.loads(results_path(chapter, profile).read_text())
