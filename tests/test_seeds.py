"""Seeds: reseeded runs, the spread of a number over seeds, and which models train alone."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsae.book import seeds, sweeps
from recsae.book.profiles import get_profile
from recsae.book.results import RESULTS_DIR_ENV, write_results
from recsae.book.seeds import mean_and_std, reseeded, spread, table_spread, with_spread
from recsae.presets import PAPER_CONFIGS, paper_mf, paper_ncf, paper_sae


def test_a_seed_changes_both_the_recommender_and_the_sae_and_nothing_else() -> None:
    run = paper_sae(paper_mf("ml-1m"))
    assert reseeded(run, 0) == run
    third = reseeded(run, 3)
    assert (third.recommender.seed, third.sae_config.seed) == (3, 3)
    assert third.recommender == run.recommender.__class__(**{**vars(run.recommender), "seed": 3})
    assert third.sae_config == run.sae_config.__class__(**{**vars(run.sae_config), "seed": 3})
    lastfm = paper_sae(paper_mf("lastfm"))  # the paper's Last.FM SAE seed is 42
    assert reseeded(lastfm, 2).sae_config.seed == PAPER_CONFIGS["lastfm-mf"].seed + 2
    ncf = paper_sae(paper_ncf("ml-1m"))  # NCF is trained once: only its SAE is reseeded
    assert reseeded(ncf, 2).recommender == ncf.recommender and reseeded(ncf, 2).sae_config.seed == 2
    with pytest.raises(ValueError, match="trains the NCF recommender once"):
        seeds.trained_seeds(ncf.recommender, (0, 1))


def test_spread_keeps_seed_zero_and_adds_mean_std_and_the_values() -> None:
    per_seed = {0: {"a.rbo": 0.5, "a.l0": 4}, 1: {"a.rbo": 0.7, "a.l0": 6}, 2: {"a.rbo": 0.9, "a.l0": 5}}
    result = spread(per_seed)
    assert result["a.rbo"] == 0.5 and result["a.l0"] == 4  # the narrated run, unchanged
    assert result["a.rbo.mean"] == pytest.approx(0.7)
    assert result["a.rbo.std"] == pytest.approx(0.2)  # sample std of 0.5, 0.7, 0.9
    assert result["a.l0.std"] == pytest.approx(statistics.stdev([4, 6, 5]))
    assert result["a.rbo.seeds"] == [0.5, 0.7, 0.9]
    assert spread({0: {"a.rbo": 0.5}}) == {"a.rbo": 0.5}  # one seed: no spread to report


def test_seeds_must_report_the_same_keys() -> None:
    with pytest.raises(ValueError, match="Seed 1 reports other keys than seed 0: \\['a.tau'\\]"):
        spread({0: {"a.rbo": 0.5}, 1: {"a.rbo": 0.5, "a.tau": 0.1}})


def test_tables_over_seeds_give_cellwise_mean_and_sample_std() -> None:
    index = pd.Index([0.0, 1.0], name="β")
    per_seed = {
        seed: pd.DataFrame({"rbo": [0.1 * seed, 0.5], "tau": [seed, 2.0 * seed]}, index=index)
        for seed in range(3)
    }
    mean, std = mean_and_std(per_seed)
    np.testing.assert_allclose(mean.to_numpy(), [[0.1, 1.0], [0.5, 2.0]])
    np.testing.assert_allclose(std.to_numpy(), [[0.1, 1.0], [0.0, 2.0]])
    assert list(mean.index) == [0.0, 1.0] and list(mean.columns) == ["rbo", "tau"]
    shown = with_spread(mean, std)
    assert shown.loc[0.0, "rbo"] == "0.100 ± 0.100" and shown.loc[1.0, "tau"] == "2.000 ± 2.000"
    keys = table_spread({seed: table.loc[1.0] for seed, table in per_seed.items()}, "ml1m.mf.beta=1")
    assert keys["ml1m.mf.beta=1.tau.seeds"] == [0.0, 2.0, 4.0] and keys["ml1m.mf.beta=1.tau"] == 0.0


def test_per_seed_values_are_written_rounded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(RESULTS_DIR_ENV, str(tmp_path))
    path = write_results("x", {"a.rbo.seeds": [0.1234567, np.float64(0.5)]})
    assert json.loads(path.read_text()) == {"a.rbo.seeds": [0.123457, 0.5]}
    with pytest.raises(ValueError, match="'a.seeds' is inf"):
        write_results("y", {"a.seeds": [1.0, float("inf")]})


def test_the_book_models_of_seed_zero_train_alone_and_every_other_in_ensembles(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    profile = get_profile("quick")
    calls: list[tuple[str, object]] = []
    monkeypatch.setattr(sweeps, "trained_seeds", lambda config, seeds: calls.append(("recommenders", config)))
    monkeypatch.setattr(sweeps, "trained_sae", lambda run: calls.append(("alone", run)))
    monkeypatch.setattr(sweeps, "trained_saes", lambda runs: calls.append(("ensembles", runs)))
    sweeps.trained_sweeps(profile)
    kinds = [kind for kind, _ in calls]
    assert kinds == ["recommenders", "alone", "alone", "alone", "ensembles", "ensembles", "ensembles"]
    assert calls[0][1] == profile.recommenders[f"{profile.scope_name}.mf"]
    alone = [run for kind, run in calls if kind == "alone"]
    assert alone == [profile.sae_run(model, scaling) for model, scaling in sweeps.BETA_SWEEPS.values()]
    groups = [runs for kind, runs in calls if kind == "ensembles"]
    for runs in groups:  # one sweep per call: one recommender setting and one input scaling
        assert len(runs) == len(set(runs))
        assert len({(run.recommender.model, run.input_scaling) for run in runs}) == 1
    ensembled = [run for runs in groups for run in runs]
    for seed in profile.seeds:
        for sweep in sweeps.beta_sweeps(profile, seed).values():
            assert set(sweep.values()) <= set(ensembled)
    assert {run.recommender.seed for run in ensembled if run.recommender.model == "mf"} == set(profile.seeds)
    assert {run.recommender.seed for run in ensembled if run.recommender.model == "ncf"} == {0}
    kl = [
        run for run in ensembled if run.sae_config.beta == sweeps.TRADE_OFF_BETA and run.recommender.seed == 0
    ]
    assert {run.sae_config.lambda_kl for run in kl if run.recommender.model == "mf"} >= set(
        sweeps.KL_WEIGHTS["mf"]
    )
    assert all(run.sae_config.sparsity == "kl" for run in ensembled)


def test_seed_zero_recommender_trains_alone_and_the_others_together(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    monkeypatch.setattr(
        seeds, "trained_recommender", lambda config: calls.append(("alone", config.seed)) or 0
    )
    monkeypatch.setattr(
        seeds,
        "trained_recommenders",
        lambda configs: calls.append(("together", [c.seed for c in configs])) or [1],
    )
    assert seeds.trained_seeds(paper_mf("ml-1m"), (0, 1, 2)) == [0, 1]
    assert calls == [("alone", 0), ("together", [1, 2])]
