"""What a results file records about the inputs behind its numbers."""

from __future__ import annotations

from dataclasses import replace

import recsae
from recsae.book.profiles import get_profile
from recsae.book.provenance import config_hash, provenance
from recsae.data.sources import locate


def test_a_config_hash_is_stable_and_changes_with_any_field() -> None:
    run = get_profile("full").sae_run("mf")
    assert config_hash(run) == config_hash(replace(run))
    assert len(config_hash(run)) == 16
    assert config_hash(run) != config_hash(replace(run, sae_config=replace(run.sae_config, beta=5.0)))


def test_provenance_names_the_version_seeds_data_and_configs() -> None:
    run = get_profile("quick")
    values = provenance(run, recommenders=("mf",), saes=("ncf",))
    assert values == {
        "provenance.recsae_version": recsae.__version__,
        "provenance.seeds": list(run.seeds),
        "provenance.ml100k.data_fingerprint": locate("ml-100k").fingerprint,
        "provenance.ml100k.mf.recommender_config": config_hash(run.recommenders["ml100k.mf"]),
        "provenance.ml100k.ncf.sae_config": config_hash(run.sae_run("ncf")),
    }
