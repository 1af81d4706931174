"""Sweeps over the SAE objective's weights, measured the way the fidelity chapter reports them.

The paper's Fig. 4 varies β, the weight of L_pred, over {0, 1, 2, 5, 10} with every other weight
fixed, and reports fidelity (RBO, Kendall τ) and the monosemanticity score for each SAE.
Fidelity alone rewards dense codes, so the chapter also varies λ_KL at a fixed β, which traces
fidelity against sparsity, and reads fidelity off that curve at the paper's own sparsity
(printed in the official ML-1M visualisation notebooks).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import replace

import pandas as pd
import torch

from recsae.book.paper import reported
from recsae.book.profiles import Profile
from recsae.book.seeds import RESEEDED_RECOMMENDERS, reseeded, trained_seeds
from recsae.evaluation.fidelity import fidelity
from recsae.metrics.monosemanticity import monosemanticity
from recsae.setting import setting
from recsae.training.sae_ensemble import trained_saes
from recsae.training.sae_trainer import SAERunConfig, trained_sae

BETAS = (0.0, 1.0, 2.0, 5.0, 10.0)
"""The β grid of the paper's ablation (its Fig. 4)."""

TRADE_OFF_BETA = 10.0
"""The β at which fidelity is traced against sparsity: the paper's NCF setting and the β of
its strongest reported fidelity for both backbones (paper Fig. 4)."""

KL_WEIGHTS = {"mf": (0.01, 0.1, 0.3, 1.0), "ncf": (0.07, 0.7, 2.0, 7.0)}
"""λ_KL grids of the trade-off, from the official ML-1M weight up by about two decades,
which takes the item L0 from over 10 down to about 4 active latents on ML-1M."""

TOPK_KS = (3, 5, 8)
"""TopK sizes of the trade-off (the official code tried k = 8); 5 and 8 sit just below the paper's L0 for MF
(5.38) and NCF (8.09), as printed by the official notebooks."""

UNMASKED = ("rbo", "kendall_tau")
"""List metrics also reported without masking seen items, to compare with the official NCF numbers."""

HEALTH = ("dead_fraction", "explained_variance_users", "explained_variance_items")
"""Training diagnostics of the last epoch reported beside every measurement."""


def varied(run: SAERunConfig, **changes: object) -> SAERunConfig:
    """``run`` with some SAE fields changed (``beta=…``, ``lambda_kl=…``, ``sparsity=…``)."""
    return replace(run, sae_config=replace(run.sae_config, **changes))


def beta_sweep(run: SAERunConfig, betas: Iterable[float] = BETAS) -> dict[float, SAERunConfig]:
    """One run per β, all else as in ``run`` (paper Fig. 4)."""
    return {beta: varied(run, beta=beta) for beta in betas}


def sparsity_sweep(run: SAERunConfig, kl_weights: Iterable[float]) -> dict[tuple[str, float], SAERunConfig]:
    """Runs at ``TRADE_OFF_BETA`` from dense to sparse: ReLU + KL at each λ_KL, and TopK at
    each k of ``TOPK_KS``; keyed by (``"kl"``, λ_KL) and (``"topk"``, k)."""
    base = varied(run, beta=TRADE_OFF_BETA)
    runs = {("kl", weight): varied(base, lambda_kl=weight) for weight in kl_weights}
    runs.update({("topk", k): varied(base, sparsity="topk", k=k) for k in TOPK_KS})
    return runs


BETA_SWEEPS = {"MF": ("mf", "raw"), "MF, official protocol": ("mf", "batch-minmax"), "NCF": ("ncf", "raw")}
"""The fidelity chapter's three β sweeps: (backbone, input scaling) by name."""

MUSIC_BETA_SWEEPS = {"MF": ("mf", "raw"), "NCF": ("ncf", "raw")}
"""The music chapter's β sweeps on Last.FM: both backbones, raw inputs as the book's own SAEs."""


def _is_main(profile: Profile, dataset: str | None) -> bool:
    return dataset in (None, profile.main_dataset)


def _sweeps_of(profile: Profile, dataset: str | None) -> dict[str, tuple[str, str]]:
    return BETA_SWEEPS if _is_main(profile, dataset) else MUSIC_BETA_SWEEPS


def beta_sweeps(
    profile: Profile, seed: int = 0, dataset: str | None = None
) -> dict[str, dict[float, SAERunConfig]]:
    """The runs of the β sweeps of ``dataset`` (by default the main one: ``BETA_SWEEPS``; else
    ``MUSIC_BETA_SWEEPS``) with seed ``seed``, by sweep name and β."""
    return {
        name: beta_sweep(reseeded(profile.sae_run(model, scaling, dataset), seed))
        for name, (model, scaling) in _sweeps_of(profile, dataset).items()
    }


def trained_sweeps(profile: Profile, dataset: str | None = None) -> None:
    """Train every SAE of the β sweeps of ``dataset`` (all seeds) and, on the main dataset, of
    the KL trade-off, or find them cached.

    The book's own SAEs (``Profile.sae_run`` at seed 0, the ones later chapters read) and
    the recommenders of seed 0 train alone; every other SAE trains in an ensemble with the rest
    of its sweep, and the recommenders of other seeds together (``trained_seeds``; NCF's
    recommender is not reseeded, see ``RESEEDED_RECOMMENDERS``). The set is
    the same whichever chapter asks first, so each model is always trained the same way.
    """
    for model in RESEEDED_RECOMMENDERS:
        trained_seeds(profile.recommender(model, dataset), profile.seeds)
    named = _sweeps_of(profile, dataset)
    for model, scaling in named.values():
        trained_sae(profile.sae_run(model, scaling, dataset))
    sweeps: dict[str, list[SAERunConfig]] = {name: [] for name in named}
    for seed in profile.seeds:
        for name, sweep in beta_sweeps(profile, seed, dataset).items():
            sweeps[name].extend(sweep.values())
    if _is_main(profile, dataset):
        for name, model in (("MF", "mf"), ("NCF", "ncf")):
            trade_off = sparsity_sweep(profile.sae_run(model), KL_WEIGHTS[model])
            sweeps[name].extend(run for (scheme, _), run in trade_off.items() if scheme == "kl")
    for runs in sweeps.values():  # one ensemble per sweep, each stored as soon as it is trained
        trained_saes(list(dict.fromkeys(runs)))


@torch.no_grad()
def measure(run: SAERunConfig) -> dict[str, float]:
    """Everything the chapter reports about one SAE, trained (or loaded from the cache) first.

    Fidelity of ``ML1M/utils.ipynb`` on the SAE test users (``recsae.evaluation.fidelity``), with seen items
    masked (ours) and, as ``*_unmasked``, without (the official NCF protocol), the monosemanticity
    score of ``code/ML1M/utils.ipynb`` on all item codes against the original item embeddings, and the last
    epoch's dead-latent share and explained variance.
    """
    measured = setting(run)
    item_vectors = measured.recommender.item_vectors
    result = fidelity(measured, measured.interaction_matrix)
    unmasked = fidelity(measured, None)
    result.update({f"{name}_unmasked": unmasked[name] for name in UNMASKED})
    result["ms_score"] = monosemanticity(measured.autoencoder.encode(item_vectors)[0], item_vectors).mean
    result.update({name: measured.training_history[-1][name] for name in HEALTH})
    return result


def measure_all(runs: Mapping[Hashable, SAERunConfig]) -> pd.DataFrame:
    """``measure`` for every run, one row per key."""
    return pd.DataFrame([measure(run) for run in runs.values()], index=pd.Index(list(runs)))


def at_sparsity(table: pd.DataFrame, l0_items: float) -> pd.Series:
    """The densest row of ``table`` whose item L0 does not exceed ``l0_items``.

    Reading fidelity at *at most* a given number of active latents per item never credits an
    SAE with a denser code than the one it is compared with.
    """
    eligible = table[table["l0_items"] <= l0_items]
    if eligible.empty:
        raise ValueError(
            f"No SAE in the table is as sparse as {l0_items} active latents per item (the "
            f"sparsest has {table['l0_items'].min():.2f}); add a larger sparsity weight."
        )
    return eligible.loc[eligible["l0_items"].idxmax()]


PAPER_METRICS = ("rbo", "kendall_tau", "ms_score")
"""What the paper's β ablation reports for each β (its Fig. 4)."""


def paper_beta_table(model: str) -> pd.DataFrame:
    """The paper's ML-1M β ablation for ``model`` ("mf" or "ncf"), indexed by β like ours."""
    return pd.DataFrame(
        {
            metric: [reported(f"ml1m.{model}.beta={beta:g}.{metric}") for beta in BETAS]
            for metric in PAPER_METRICS
        },
        index=pd.Index(BETAS, name="β"),
    )


def at_sparsity_per_scheme(table: pd.DataFrame, l0_items: float) -> dict[str, pd.Series]:
    """``at_sparsity`` for each sparsity scheme of a ``sparsity_sweep`` table (indexed by
    (scheme, strength)); a scheme none of whose SAEs is that sparse is left out, which happens
    on small data where the λ_KL grid does not reach the paper's sparsity."""
    readings = {}
    for scheme in dict.fromkeys(table.index.get_level_values(0)):
        rows = table.xs(scheme)
        if (rows["l0_items"] <= l0_items).any():
            readings[scheme] = at_sparsity(rows, l0_items)
    return readings


def beside_paper_at_sparsity(readings: Mapping[tuple[str, str], pd.Series]) -> pd.DataFrame:
    """Readings at the paper's sparsity, one row per (backbone, scheme) with backbones as
    "MF"/"NCF", beside the official item L0 and the β = 10 RBO and τ of the paper's Fig. 4."""
    table = pd.DataFrame(readings).T
    models = [model.lower() for model, _ in table.index]
    paper = {
        "paper l0_items": "sae.l0_item",
        "paper rbo (β = 10)": "beta=10.rbo",
        "paper τ (β = 10)": "beta=10.kendall_tau",
    }
    for column, key in paper.items():
        table[column] = [reported(f"ml1m.{model}.{key}") for model in models]
    return table[
        ["l0_items", "paper l0_items", "rbo", "paper rbo (β = 10)", "kendall_tau", "paper τ (β = 10)"]
    ]


def best_scheme(readings: Mapping[tuple[str, str], pd.Series], model: str) -> str:
    """The sparsity scheme whose reading at the paper's sparsity has the highest RBO for ``model``."""
    schemes = [scheme for name, scheme in readings if name == model]
    if not schemes:
        raise ValueError(
            f"No reading for {model!r}; the readings cover {sorted({name for name, _ in readings})}."
        )
    return max(schemes, key=lambda scheme: readings[(model, scheme)]["rbo"])
