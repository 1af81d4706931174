"""Run profiles: the full profile is the paper's setting, the quick one a small stand-in."""

from __future__ import annotations

import pytest

from recsae.book.profiles import NCF_LEARNING_RATE, get_profile
from recsae.presets import paper_mf, paper_ncf, paper_sae


def test_full_profile_uses_the_paper_settings_except_the_ncf_learning_rate() -> None:
    full = get_profile("full")
    assert full.datasets == ("ml-1m", "lastfm")
    assert full.recommenders["ml1m.mf"] == paper_mf("ml-1m")
    assert full.recommenders["lastfm.mf"].dim == 100
    ncf = full.recommenders["ml1m.ncf"]
    assert ncf.lr == NCF_LEARNING_RATE != paper_ncf("ml-1m").lr
    assert (ncf.epochs, ncf.batch_size, ncf.hidden, ncf.dim) == (30, 256, (64, 32, 16), 20)
    assert full.sae_run("mf") == paper_sae(paper_mf("ml-1m"))
    assert full.sae_run("ncf", "batch-minmax") == paper_sae(ncf, "batch-minmax")


def test_quick_profile_is_small() -> None:
    quick = get_profile("quick")
    assert quick.datasets == ("ml-100k", "lastfm")
    assert set(quick.recommenders) == {"ml100k.mf", "ml100k.ncf", "lastfm.mf", "lastfm.ncf"}
    assert quick.sae_run("mf").recommender == quick.recommenders["ml100k.mf"]
    assert quick.sae_run("ncf").sae_config.epochs < paper_sae(paper_ncf("ml-1m")).sae_config.epochs
    music = quick.sae_run("mf", dataset=quick.music_dataset)
    assert music.recommender.epochs < paper_mf("lastfm").epochs
    assert music.sae_config.width == 70


def test_music_runs_are_the_papers_lastfm_saes() -> None:
    full = get_profile("full")
    assert full.sae_run("mf", dataset=full.music_dataset) == paper_sae(paper_mf("lastfm"))
    assert full.sae_run("ncf", dataset="lastfm").recommender == full.recommenders["lastfm.ncf"]


def test_unknown_profile() -> None:
    with pytest.raises(ValueError, match="Unknown profile 'huge'; choose 'full' or 'quick'"):
        get_profile("huge")
