"""The paper's settings: its recommenders and SAEs as the official code trains them.

Every later choice starts from these: the book's profiles (``recsae.book.profiles``) take
them as they are, except where the book says why it changes one, and the sweeps vary one
field of them at a time. Values are those of the official notebooks (``code/ML1M/*``,
``code/lastFM/*``); the book's appendix on the official code lists them with their sources.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Literal

from recsae.sae import SAEConfig
from recsae.training.recommender import RecommenderConfig
from recsae.training.sae_trainer import SAERunConfig


def paper_mf(dataset: str = "ml-1m") -> RecommenderConfig:
    """The official MF: K=20 (100 on Last.FM), SGD lr 0.05, L2 0.01, N(0, 0.05²), offset 1 on ML-1M."""
    if dataset == "lastfm":
        return RecommenderConfig(
            dataset, "mf", dim=100, epochs=30, batch_size=8, optimizer="sgd", lr=0.05, l2=0.01, init_std=0.01
        )
    return RecommenderConfig(
        dataset,
        "mf",
        dim=20,
        epochs=10,
        batch_size=256,
        optimizer="sgd",
        lr=0.05,
        l2=0.01,
        init_std=0.05,
        offset=1.0,
    )


def paper_ncf(dataset: str = "ml-1m") -> RecommenderConfig:
    """The official NCF: MLP 2d→64→32→16→1, Adam lr 0.05 (ML-1M) / 1e-3 (Last.FM), batch 256, 30 epochs."""
    dim, lr = (100, 1e-3) if dataset == "lastfm" else (20, 0.05)
    return RecommenderConfig(
        dataset, "ncf", dim=dim, epochs=30, batch_size=256, optimizer="adam", lr=lr, l2=0.0, init_std=0.1
    )


PAPER_CONFIGS: Mapping[str, SAEConfig] = {
    # The official ML-1M MF SAE, with β = 1 for the main MF results (one official cell uses 2).
    "ml1m-mf": SAEConfig(),
    # The official ML-1M NCF weights; logit MSE on matched pairs; the official BCE form is prediction="bce".
    "ml1m-ncf": SAEConfig(form="ncf", alpha=2.0, beta=10.0, lambda_kl=0.07, prediction="pairs"),
    "lastfm-mf": SAEConfig(
        input_dim=100,
        width=70,
        rho=0.1,
        lambda_kl=0.003,
        lambda_l1=0.3,
        alpha=8.0,
        beta=1.0,
        epochs=30,
        seed=42,
    ),
    "lastfm-ncf": SAEConfig(
        input_dim=100,
        width=70,
        form="ncf",
        lambda_kl=0.7,
        lambda_l1=1.2674255898937214e-5,
        alpha=2.6,
        beta=1.0,
        prediction="pairs",
        epochs=30,
        seed=42,
    ),
    "lastfm-matryoshka": SAEConfig(
        input_dim=100,
        width=80,
        sparsity="matryoshka",
        prefixes=(20, 40, 80),
        rho=0.1,
        lambda_kl=0.003,
        lambda_l1=0.3,
        alpha=8.0,
        beta=5.0,
        epochs=30,
        seed=42,
    ),
}
"""The SAE runs of the paper's official code; adapt d and m with ``dataclasses.replace`` when
the embeddings differ (e.g. the book's public HetRec Last.FM substitute)."""


def paper_sae(
    recommender_config: RecommenderConfig,
    input_scaling: Literal["raw", "batch-minmax"] = "raw",
) -> SAERunConfig:
    """The paper's SAE for this recommender (official ``code/ML1M``, ``code/lastFM`` weights).

    MF gets the OpenAI-style SAE (α 0.1, β 1, λ_KL 0.01, cross-product L_pred); NCF the
    linear SAE (α 2, β 10, λ_KL 0.07, L_pred on matched pairs, the book's choice). Both train 18
    epochs with Adam 1e-3 on batches of 256 interactions. On Last.FM the paper's Last.FM
    weights are used. The SAE's input size follows the recommender's embedding size.
    """
    family = "lastfm" if recommender_config.dataset == "lastfm" else "ml1m"
    base = PAPER_CONFIGS[f"{family}-{recommender_config.model}"]
    return SAERunConfig(recommender_config, replace(base, input_dim=recommender_config.dim), input_scaling)


MOVIELENS_MATRYOSHKA_PREFIXES = (5, 11, 22)
"""Nested prefixes of the Matryoshka SAE on MovieLens, where the official code trains none: a
quarter, a half and all of the 22 latents of the paper's MovieLens SAEs, as the Last.FM
prefixes (20, 40, 80) are of its 80."""


def paper_matryoshka(recommender_config: RecommenderConfig) -> SAERunConfig:
    """The paper's Matryoshka SAE (official ``code/lastFM``) for this MF recommender.

    On Last.FM it is the official one. On MovieLens it keeps the official Last.FM weights with
    the paper's MovieLens width and epochs (``MOVIELENS_MATRYOSHKA_PREFIXES``), so that the only
    change from the MovieLens MF SAE is the nesting and its loss.
    """
    base = PAPER_CONFIGS["lastfm-matryoshka"]
    if recommender_config.dataset != "lastfm":
        movielens = PAPER_CONFIGS["ml1m-mf"]
        base = replace(
            base,
            width=movielens.width,
            prefixes=MOVIELENS_MATRYOSHKA_PREFIXES,
            epochs=movielens.epochs,
            seed=movielens.seed,
        )
    return SAERunConfig(recommender_config, replace(base, input_dim=recommender_config.dim))
