"""Sweeps of the SAE objective: which runs they make, how fidelity is read at a sparsity,
and one real measurement end to end."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from recsae.book.sweeps import (
    BETAS,
    TOPK_KS,
    TRADE_OFF_BETA,
    at_sparsity,
    at_sparsity_per_scheme,
    beside_paper_at_sparsity,
    best_scheme,
    beta_sweep,
    measure,
    paper_beta_table,
    sparsity_sweep,
    varied,
)
from recsae.data.datasets import load
from recsae.data.sources import DATA_DIR_ENV
from recsae.data.split import split
from recsae.evaluation.fidelity import fidelity
from recsae.presets import paper_mf, paper_sae
from recsae.setting import Setting
from recsae.training.compiled_step import COMPILE_ENV
from recsae.training.recommender import trained_recommender
from recsae.training.sae_trainer import trained_sae


def test_beta_sweep_changes_beta_only() -> None:
    run = paper_sae(paper_mf("ml-1m"))
    runs = beta_sweep(run)
    assert tuple(runs) == BETAS == (0.0, 1.0, 2.0, 5.0, 10.0)
    for beta, varied_run in runs.items():
        assert varied_run == replace(run, sae_config=replace(run.sae_config, beta=beta))


def test_sparsity_sweep_covers_kl_weights_and_topk_sizes_at_one_beta() -> None:
    run = paper_sae(paper_mf("ml-1m"), "batch-minmax")
    runs = sparsity_sweep(run, (0.01, 1.0))
    assert list(runs) == [("kl", 0.01), ("kl", 1.0), *(("topk", k) for k in TOPK_KS)]
    assert all(
        r.sae_config.beta == TRADE_OFF_BETA and r.input_scaling == "batch-minmax" for r in runs.values()
    )
    assert runs[("kl", 1.0)].sae_config.lambda_kl == 1.0 and runs[("kl", 1.0)].sae_config.sparsity == "kl"
    assert runs[("topk", 5)].sae_config.sparsity == "topk" and runs[("topk", 5)].sae_config.k == 5
    assert varied(run, alpha=3.0).sae_config == replace(run.sae_config, alpha=3.0)


def test_at_sparsity_takes_the_densest_row_not_above_the_target() -> None:
    table = pd.DataFrame({"l0_items": [9.0, 5.5, 5.38, 4.0], "rbo": [0.9, 0.8, 0.7, 0.6]}, index=list("abcd"))
    assert at_sparsity(table, 5.38).name == "c"
    assert at_sparsity(table, 5.0).name == "d"
    assert at_sparsity(table.iloc[::-1], 100.0).name == "a"
    with pytest.raises(
        ValueError, match=r"as sparse as 3.0 active latents per item \(the sparsest has 4.00\)"
    ):
        at_sparsity(table, 3.0)


def test_schemes_that_never_get_sparse_enough_are_left_out() -> None:
    table = pd.DataFrame(
        {"l0_items": [9.0, 6.1, 8.0, 5.0, 3.0]},
        index=pd.MultiIndex.from_tuples([("kl", 0.01), ("kl", 1.0), ("topk", 8), ("topk", 5), ("topk", 3)]),
    )
    readings = at_sparsity_per_scheme(table, 5.38)
    assert list(readings) == ["topk"] and readings["topk"].name == 5
    assert list(at_sparsity_per_scheme(table, 6.5)) == ["kl", "topk"]


def test_the_paper_beta_table() -> None:
    table = paper_beta_table("ncf")
    assert list(table.index) == list(BETAS) and list(table.columns) == ["rbo", "kendall_tau", "ms_score"]
    assert table.loc[10.0, "rbo"] == 0.748 and table.loc[0.0, "kendall_tau"] == 0.090  # paper Fig. 4


def test_readings_at_the_paper_sparsity_beside_the_paper() -> None:
    readings = {
        ("MF", "kl"): pd.Series({"l0_items": 3.8, "rbo": 0.40, "kendall_tau": 0.07}),
        ("MF", "topk"): pd.Series({"l0_items": 5.0, "rbo": 0.58, "kendall_tau": 0.33}),
        ("NCF", "topk"): pd.Series({"l0_items": 8.0, "rbo": 0.44, "kendall_tau": 0.09}),
    }
    table = beside_paper_at_sparsity(readings)
    assert table.loc[("MF", "kl"), "paper l0_items"] == 5.38  # official MF output
    assert table.loc[("NCF", "topk"), "paper rbo (β = 10)"] == 0.748  # paper Fig. 4
    assert table.loc[("MF", "topk"), "paper τ (β = 10)"] == 0.315
    assert table.loc[("MF", "topk"), "rbo"] == 0.58
    assert best_scheme(readings, "MF") == "topk" and best_scheme(readings, "NCF") == "topk"
    with pytest.raises(ValueError, match="No reading for 'LightGCN'"):
        best_scheme(readings, "LightGCN")


def test_measure_reports_fidelity_both_ways_and_training_health(
    monkeypatch: pytest.MonkeyPatch, data_dir: Path
) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    monkeypatch.setenv(COMPILE_ENV, "0")
    run = paper_sae(replace(paper_mf("ml-100k"), epochs=1))
    run = replace(run, sae_config=replace(run.sae_config, epochs=1))
    result = measure(run)
    data = load("ml-100k")
    measured = Setting(
        data,
        split(data, run.recommender.split),
        trained_recommender(run.recommender).model,
        trained_sae(run).autoencoder,
    )
    direct = fidelity(measured, data.matrix())
    for name, value in direct.items():
        assert result[name] == pytest.approx(value), name
    assert 0.0 <= result["rbo_unmasked"] <= 1 - 0.9**30 + 1e-9
    assert -1.0 <= result["kendall_tau_unmasked"] <= 1.0
    assert -1.0 <= result["ms_score"] <= 1.0
    assert result["dead_fraction"] == trained_sae(run).history[-1]["dead_fraction"]
