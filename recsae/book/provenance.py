"""What a chapter's numbers were computed from, written into its results file beside them.

A results file is read without the code or the cache that made it, so it records, under
``provenance.``: the package version, the seeds, the fingerprint of each dataset's verified
files (``DatasetFiles.fingerprint``) and, per backbone, a hash of the recommender's and the main
SAE's configuration (the chapters' other SAEs vary that configuration in the ways their keys
name, e.g. ``beta=5``). Notebook outputs never show these keys.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import recsae
from recsae.book.profiles import Profile
from recsae.book.results import Value, short_name
from recsae.cache.artifacts import describe
from recsae.data.sources import locate

PREFIX = "provenance"


def config_hash(config: Any) -> str:
    """A short SHA-256 of a configuration (a frozen dataclass), stable across runs and machines."""
    text = json.dumps(describe(config), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def provenance(
    run: Profile,
    recommenders: Sequence[str] = (),
    saes: Sequence[str] = (),
    datasets: Sequence[str] | None = None,
) -> dict[str, Value]:
    """The ``provenance.*`` keys of a chapter that ran ``run`` on ``datasets`` (default: the
    main dataset): the recommenders of the named backbones ("mf", "ncf") on each dataset, and
    the main SAEs of ``saes`` on the main dataset."""
    values: dict[str, Value] = {
        f"{PREFIX}.recsae_version": recsae.__version__,
        f"{PREFIX}.seeds": list(run.seeds),
    }
    for dataset in datasets or (run.main_dataset,):
        name = short_name(dataset)
        values[f"{PREFIX}.{name}.data_fingerprint"] = locate(dataset).fingerprint
        for backbone in recommenders:
            values[f"{PREFIX}.{name}.{backbone}.recommender_config"] = config_hash(
                run.recommenders[f"{name}.{backbone}"]
            )
    for backbone in saes:
        values[f"{PREFIX}.{run.scope_name}.{backbone}.sae_config"] = config_hash(run.sae_run(backbone))
    return values
