"""The fidelity–interpretability frontier: one grid of SAEs over sparsity schemes and strengths,
every SAE measured on one panel.

The fidelity chapter traces fidelity against sparsity; the concept chapter reads the neurons of
the main SAEs only. Whether an SAE is worth training depends on both at once: a point of the
grid is worth something only if it keeps the recommender's lists *and* has neurons purer than
directions that need no training. The grid, per backbone on the main dataset:

* ReLU + KL at several λ_KL (the paper's scheme), β = ``TRADE_OFF_BETA``;
* ReLU + L1 at several λ_L1 (the KL term's weight set to 0, so that these SAEs train in the
  KL sweep's ensemble: the objective is the L1 scheme's exactly);
* TopK at several k;
* Matryoshka (nested prefixes);
* a wider dictionary, m = 4d;
* and the paper's operating points: the book's main SAE of each backbone and, for MF, the
  official min-max protocol.

Every point is named as in result keys (``kl=0.07``, ``topk=8``, ``l1=0.1``, ``kl=0.01,m=80``,
``matryoshka``, ``paper``, ``official``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from recsae.book.music import trained_matryoshkas
from recsae.book.paper import reported
from recsae.book.profiles import Profile
from recsae.book.seeds import reseeded
from recsae.book.sweeps import (
    KL_WEIGHTS,
    TRADE_OFF_BETA,
    measure,
    sparsity_sweep,
    trained_sweeps,
    varied,
)
from recsae.concepts.baselines import SOURCE_KEYS, baseline_summary, embedding_codes
from recsae.concepts.neurons import PURITY_DEPTHS, UNLABELLED, neuron_table, summarise
from recsae.concepts.probes import first_layer_items, probe_auc
from recsae.models import NeuralCF
from recsae.presets import MOVIELENS_MATRYOSHKA_PREFIXES
from recsae.setting import Setting, setting
from recsae.training.sae_ensemble import trained_saes
from recsae.training.sae_trainer import SAERunConfig, trained_sae

FRONTIER_KL = {"mf": (0.003, 0.01, 0.03, 0.1, 0.3, 1.0), "ncf": (0.02, 0.07, 0.2, 0.7, 2.0, 7.0)}
"""λ_KL of the frontier: the fidelity chapter's grid (``KL_WEIGHTS``) and one more step at each
end, about three decades in all."""

FRONTIER_L1 = (0.01, 0.03, 0.1, 0.3, 1.0, 10.0)
"""λ_L1 of the L1 points: three decades, from a penalty below the reconstruction terms (the main
MF SAE's codes sum to about 9 per vector) to one that dominates them."""

WIDE_FACTOR = 4
"""The wider dictionary: m = 4d latents instead of the paper's 22 for d = 20."""

MF_TARGET = {
    "rbo": "ml1m.mf.beta=10.rbo",
    "kendall_tau": "ml1m.mf.beta=10.kendall_tau",
    "l0": "ml1m.mf.sae.l0_item",
}
NCF_TARGET = {
    "rbo": "ml1m.ncf.beta=10.rbo",
    "kendall_tau": "ml1m.ncf.beta=10.kendall_tau",
    "l0": "ml1m.ncf.sae.l0_item",
}
PAPER_POINTS = {"mf": MF_TARGET, "ncf": NCF_TARGET}
"""The paper's operating points (its Fig. 4 at β = 10 and the L0 printed by the official
notebooks), the points a frontier SAE must beat: more fidelity at no more active latents."""

FULLY_PURE_MIN = 5
"""How many neurons 100 % pure at K = 10, 20 and 50 the MF target asks a frontier point to keep."""


def point_name(scheme: str, strength: float, width: int | None = None) -> str:
    """A point's name in result keys: ``kl=0.07``, ``topk=8``, ``kl=0.01,m=80``."""
    name = f"{scheme}={strength:g}"
    return name if width is None else f"{name},m={width}"


def frontier_runs(profile: Profile, model: str) -> dict[str, SAERunConfig]:
    """Every SAE of the frontier of ``model`` ("mf" or "ncf") on the main dataset, by point name,
    each once (NCF's main SAE is also its KL point at the official weight, and is named ``paper``).

    ``profile.frontier_ks`` says which TopK sizes the profile trains and ``profile.wide``
    whether it trains the wider dictionary (the quick profile keeps the fidelity chapter's TopK
    sizes, which it has trained already, and no wider dictionary: each compiles its own step).
    """
    main = profile.sae_run(model)
    base = varied(main, beta=TRADE_OFF_BETA)
    wide = main.sae_config.input_dim * WIDE_FACTOR
    runs = {"paper": main}
    if model == "mf":
        runs["official"] = profile.sae_run(model, "batch-minmax")
        runs["matryoshka"] = profile.matryoshka_run()
    else:
        runs["matryoshka"] = varied(base, sparsity="matryoshka", prefixes=MOVIELENS_MATRYOSHKA_PREFIXES)
    runs.update({point_name("kl", weight): varied(base, lambda_kl=weight) for weight in FRONTIER_KL[model]})
    runs.update(
        {point_name("l1", weight): varied(base, lambda_kl=0.0, lambda_l1=weight) for weight in FRONTIER_L1}
    )
    runs.update({point_name("topk", k): varied(base, sparsity="topk", k=k) for k in profile.frontier_ks})
    if profile.wide:
        runs[point_name("kl", base.sae_config.lambda_kl, wide)] = varied(base, width=wide)
    runs.update(
        {point_name("topk", k, wide): varied(base, sparsity="topk", k=k, width=wide) for k in profile.wide_ks}
    )
    named: dict[SAERunConfig, str] = {}
    for name, run in runs.items():  # an SAE in two roles keeps its first name (NCF's paper point)
        named.setdefault(run, name)
    return {name: run for run, name in named.items()}


def trained_frontier(profile: Profile) -> None:
    """Train every SAE of both frontiers, or find them cached, always in the same way.

    An SAE another chapter trains is trained the way that chapter trains it (the β and KL sweeps
    with ``trained_sweeps``, the fidelity chapter's TopK SAEs alone, the Matryoshka SAEs with
    ``trained_matryoshkas``), so the frontier's numbers never depend on which chapter ran first;
    the rest train in ensembles, one per group of compatible runs.
    """
    trained_sweeps(profile)
    trained_matryoshkas(profile)
    for model in ("mf", "ncf"):
        for (scheme, _), run in sparsity_sweep(profile.sae_run(model), KL_WEIGHTS[model]).items():
            if scheme == "topk":
                trained_sae(run)
    trained_saes([run for model in ("mf", "ncf") for run in frontier_runs(profile, model).values()])


def fully_pure(table: pd.DataFrame, depths: Iterable[int] = PURITY_DEPTHS) -> int:
    """How many labelled neurons of a ``neuron_table`` carry their label on every one of their top
    K items at every depth K (100 % pure at K = 10, 20 and 50)."""
    labelled = table[table["label"] != UNLABELLED]
    return int((labelled[[f"purity@{k}" for k in depths]] == 1.0).all(axis=1).sum())


PANEL = (
    "l0_items",
    "l0_users",
    "dead_fraction",
    "rbo",
    "kendall_tau",
    "ndcg@10_recovered",
    "median_purity@10",
    "median_auc",
    "labelled",
    "pure@10",
    "pure@20",
    "pure@50",
    "fully_pure",
    "purity_margin",
    "pure_margin",
)
"""What the frontier reports per SAE: sparsity, fidelity, and concept quality against the baselines
(``purity_margin``: the SAE's median purity@10 minus the best baseline's; ``pure_margin``: its
pure@10 count minus the best baseline's)."""


def concept_panel(run: SAERunConfig) -> dict[str, float]:
    """Concept quality of one SAE: its neurons' median purity@10 and AUC, how many are pure
    (purity ≥ 0.9) at K = 10, 20, 50 and fully pure, and the margins over the best of the three
    baselines (``recsae.concepts.baselines``), each read the same way."""
    measured = setting(run)
    table = neuron_table(measured.codes["item"], measured.item_labels)
    labelled = table[table["label"] != UNLABELLED]
    sources = baseline_summary(measured)
    sae, baselines = sources.loc["SAE"], sources.drop(index="SAE")
    panel = {
        "median_purity@10": float(sae["median_purity@10"]),
        "median_auc": float(sae["median_auc"]),
        "labelled": float(sae["labelled"]),
        **{f"pure@{k}": float((labelled[f"purity@{k}"] >= 0.9).sum()) for k in PURITY_DEPTHS},
        "fully_pure": float(fully_pure(table)),
        "purity_margin": float(sae["median_purity@10"] - baselines["median_purity@10"].max()),
        "pure_margin": float(sae["pure@10"] - baselines["pure@10"].max()),
    }
    panel.update(
        {
            f"{SOURCE_KEYS[name]}.median_purity@10": float(row["median_purity@10"])
            for name, row in baselines.iterrows()
        }
    )
    return panel


def panel(run: SAERunConfig) -> dict[str, float]:
    """Everything the frontier reads off one SAE: fidelity and sparsity
    (``recsae.book.sweeps.measure``) and its ``concept_panel``."""
    return {**measure(run), **concept_panel(run)}


def frontier_table(runs: Mapping[str, SAERunConfig]) -> pd.DataFrame:
    """One row per point: its ``panel`` and its scheme, for colouring the plots."""
    rows = {name: panel(run) for name, run in runs.items()}
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("point")
    table.insert(0, "scheme", [scheme_of(name) for name in table.index])
    return table


def scheme_of(point: str) -> str:
    """The family a point belongs to in the plots: KL, L1, TopK, Matryoshka, wide, or paper."""
    if point in ("paper", "official"):
        return "paper"
    if ",m=" in point:
        return "wide"
    return point.split("=", 1)[0]


def beats_paper(table: pd.DataFrame, model: str) -> pd.Series:
    """Per point: at most the paper's L0 per item, and more RBO *and* τ than the paper's β = 10
    fidelity (``PAPER_POINTS``)."""
    paper = {name: reported(key) for name, key in PAPER_POINTS[model].items()}
    return (
        (table["l0_items"] <= paper["l0"])
        & (table["rbo"] > paper["rbo"])
        & (table["kendall_tau"] > paper["kendall_tau"])
    )


def best_point(table: pd.DataFrame, model: str) -> str:
    """The frontier point the chapter carries forward for ``model``: the highest RBO among the
    points at most as dense as the paper's SAE, counting for MF only those that keep at least
    ``FULLY_PURE_MIN`` fully pure neurons where any does; every point when none is that sparse."""
    paper_l0 = reported(PAPER_POINTS[model]["l0"])
    eligible = table[table["l0_items"] <= paper_l0]
    if model == "mf" and (eligible["fully_pure"] >= FULLY_PURE_MIN).any():
        eligible = eligible[eligible["fully_pure"] >= FULLY_PURE_MIN]
    if eligible.empty:
        eligible = table
    return str(eligible["rbo"].idxmax())


def pareto(table: pd.DataFrame, x: str, y: str) -> pd.Series:
    """Per point, whether no other point is at least as good on both ``x`` and ``y`` (higher is
    better on both) and strictly better on one: the points on the frontier."""
    values = table[[x, y]].to_numpy(dtype=np.float64)
    dominated = [bool(((values >= row).all(axis=1) & (values > row).any(axis=1)).any()) for row in values]
    return pd.Series(np.logical_not(dominated), index=table.index, name="pareto")


def reseeded_points(
    profile: Profile, runs: Mapping[str, SAERunConfig], points: Iterable[str]
) -> dict[str, list[SAERunConfig]]:
    """The runs of ``points`` for every seed of the profile (seed 0: the frontier's own), the
    other seeds trained together in one ensemble per group of compatible runs."""
    seeded = {
        point: [reseeded(runs[point], seed) for seed in profile.seeds] for point in dict.fromkeys(points)
    }
    trained_saes([run for point_runs in seeded.values() for run in point_runs[1:]])
    return seeded


def seeded_panels(
    profile: Profile, runs: Mapping[str, SAERunConfig], roles: Mapping[str, str]
) -> dict[int, pd.DataFrame]:
    """The ``panel`` of the points behind ``roles`` (role → point name, e.g. ``{"paper": "paper",
    "best": "topk=5"}``) for every seed of the profile: seed → one row per role."""
    seeded = reseeded_points(profile, runs, roles.values())
    return {
        seed: pd.DataFrame.from_dict(
            {role: panel(seeded[point][index]) for role, point in roles.items()}, orient="index"
        )
        for index, seed in enumerate(profile.seeds)
    }


def seeds_beating_paper(per_seed: Mapping[int, pd.DataFrame], model: str) -> pd.Series:
    """Per role of ``seeded_panels``, in how many seeds it beats the paper's point
    (``beats_paper``): a claim holds across seeds only when this is every seed."""
    return sum(beats_paper(table, model).astype(int) for table in per_seed.values())


def representations(settings: Mapping[str, Setting]) -> dict[str, np.ndarray]:
    """The item representations an SAE could find genre in, by name: each backbone's item
    embeddings, and for NCF also its MLP's first-layer view of them (``first_layer_items``)."""
    found: dict[str, np.ndarray] = {}
    for name, measured in settings.items():
        found[f"{name} item embeddings"] = measured.recommender.item_vectors.detach().double().numpy()
        if isinstance(measured.recommender, NeuralCF):
            found[f"{name} first layer, item half"] = first_layer_items(measured.recommender)
    return found


def representation_table(settings: Mapping[str, Setting], probes: pd.DataFrame) -> pd.DataFrame:
    """How much genre each item representation holds: per representation, the median and the
    lowest cross-validated probe AUC over the genres (from ``probes``, the ``probe_table`` of the
    same settings: any linear read-out), and the median purity@10 and pure@10 count of its own
    coordinates read as neurons, both ends (``embedding_codes``, one direction at a time)."""
    labels = next(iter(settings.values())).item_labels
    rows = {}
    for name, vectors in representations(settings).items():
        read = summarise(neuron_table(embedding_codes(vectors), labels))
        rows[name] = {
            "features": vectors.shape[1],
            "median_probe_auc": float(probes[name].median()),
            "lowest_probe_auc": float(probes[name].min()),
            "median_purity@10": read["median_purity@10"],
            "pure@10": read["pure@10"],
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("representation")


def probe_table(settings: Mapping[str, Setting]) -> pd.DataFrame:
    """Every genre's probe AUC (``probe_auc``) in every representation: genres × representations."""
    labels = next(iter(settings.values())).item_labels
    return pd.DataFrame(
        {
            name: probe_auc(vectors, labels, list(labels.columns))
            for name, vectors in representations(settings).items()
        }
    )
