"""Training a sparse autoencoder against a frozen recommender, and caching it.

The SAE learns from the interactions the recommender was trained on (not a pickled stream):
every epoch regenerates the recommender's stream (each training positive plus one fresh
negative) and keeps only the rows of SAE-train users, so the SAE never sees an SAE test
user, on whom fidelity and steering are measured. Each batch gives the SAE the embeddings of
its users and of its items, and L_pred compares the frozen recommender's scores on those
pairs (as in ``code/ML1M/training.ipynb``). The recommender only scores; its parameters are never optimised.

``trained_sae(run)`` is what chapters call: it returns the trained, frozen SAE for that exact run from
the artifact cache, training it (and the recommender, if needed) first.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor
from tqdm import tqdm

from recsae.cache.artifacts import load_or_build, training_inputs
from recsae.cache.provenance import state_digest
from recsae.data.datasets import load
from recsae.data.interactions import Interactions
from recsae.data.sampling import one_to_one_stream
from recsae.data.split import Split, forbidden_training_negatives, split
from recsae.models import TwoTower, freeze
from recsae.sae import SAEConfig, SparseAutoencoder, build_sae, mean_l0
from recsae.training.compiled_step import compile_by_default
from recsae.training.determinism import deterministic
from recsae.training.recommender import RecommenderConfig, trained_recommender
from recsae.training.sae_step import AdamTrainer, blocks

SCORE_PAIRS = 20_000
"""Size of the fixed (SAE-train user, item) sample on which the history's score MSE is measured."""

MINMAX_EPS = 1e-12
"""Floor of a column's range under batch-minmax, so a constant column maps to 0 instead of NaN."""


def batch_minmax(vectors: Tensor) -> Tensor:
    """Scale each coordinate to [0, 1] over the rows of one batch (the official MF-SAE training).

    The official MF-SAE training feeds every batch through this before the SAE and computes
    L_emb and L_pred on the scaled vectors, while evaluation and steering feed raw embeddings
    (see the official-code appendix). It is kept as an option so that this mismatch can be measured.
    """
    low = vectors.amin(dim=0)
    span = vectors.amax(dim=0) - low
    return (vectors - low) / span.clamp_min(MINMAX_EPS)


def _raw(vectors: Tensor) -> Tensor:
    return vectors


INPUT_SCALINGS: Mapping[str, Callable[[Tensor], Tensor]] = MappingProxyType(
    {"raw": _raw, "batch-minmax": batch_minmax}
)
"""How a training batch's embeddings are transformed before the SAE and the losses see them."""


@dataclass(frozen=True)
class SAERunConfig:
    """Everything that determines a trained SAE (and so its cache key): the recommender it
    explains, the SAE and its objective, and how training inputs are scaled.

    ``input_scaling="raw"`` is the book's choice (see the official-code appendix); ``"batch-minmax"`` is the
    official MF protocol, applied at training time only.
    """

    recommender: RecommenderConfig
    sae_config: SAEConfig
    input_scaling: Literal["raw", "batch-minmax"] = "raw"

    def __post_init__(self) -> None:
        if self.input_scaling not in INPUT_SCALINGS:
            raise ValueError(
                f"Unknown input scaling {self.input_scaling!r}; expected one of "
                f"{', '.join(sorted(INPUT_SCALINGS))}."
            )
        if self.sae_config.input_dim != self.recommender.dim:
            raise ValueError(
                f"The SAE reads {self.sae_config.input_dim}-dimensional inputs but the recommender's "
                f"embeddings have {self.recommender.dim} dimensions."
            )


@dataclass(frozen=True, eq=False)
class TrainedSAE:
    """A trained SAE (eval mode, no parameter requires grad) and its per-epoch history."""

    run: SAERunConfig
    autoencoder: SparseAutoencoder
    history: list[dict[str, float]]


def train_sae(
    run: SAERunConfig,
    model: TwoTower,
    held_out: Split,
    progress: bool | None = None,
    compiled: bool | None = None,
) -> TrainedSAE:
    """Train the SAE of ``run`` on ``model``'s embeddings; ``progress=None`` shows a bar only on a terminal.

    ``model`` must be frozen (no parameter requires grad): the gradient of L_pred flows through
    it into the SAE, and only the SAE's parameters are optimised. ``compiled`` chooses the
    compiled or the eager step (``recsae.training.sae_step``; ``None``: compiled unless
    ``RECSAE_COMPILE=0``). The history's loss means are those of the training batches (on the
    scaled vectors under batch-minmax); its diagnostics feed raw embeddings, as evaluation and
    steering do.
    """
    require_frozen(model)
    with deterministic():
        return _train(run, model, held_out, progress, compile_by_default() if compiled is None else compiled)


def require_frozen(model: TwoTower) -> None:
    """Refuse a recommender that training could change: SAE training only reads it."""
    if any(parameter.requires_grad for parameter in model.parameters()):
        raise ValueError("The recommender must be frozen: no parameter may require grad.")


def embedding_tables(model: TwoTower) -> tuple[Tensor, Tensor]:
    """The recommender's user and item embeddings, the data an SAE trainer looks batches up in."""
    return model.user_vectors.detach(), model.item_vectors.detach()


def _train(
    run: SAERunConfig, model: TwoTower, held_out: Split, progress: bool | None, compiled: bool
) -> TrainedSAE:
    config = run.sae_config
    autoencoder = build_sae(config)
    trainer = AdamTrainer(
        autoencoder,
        model,
        embedding_tables(model),
        INPUT_SCALINGS[run.input_scaling],
        config.lr,
        config.batch_size,
        compiled,
    )
    [trained] = fit_epochs(
        [run],
        trainer,
        lambda: [autoencoder],
        lambda streams: blocks(*streams[0], config.batch_size),
        [model],
        held_out,
        progress,
    )
    return trained


LOSS_KEYS = ("loss", "loss_emb", "loss_pred", "loss_sparsity")
"""History names of the four loss terms a trainer sums per step, in its order."""


def fit_epochs(
    runs: Sequence[SAERunConfig],
    trainer: Callable[[Tensor, Tensor], Tensor],
    members: Callable[[], Sequence[SparseAutoencoder]],
    epoch_blocks: Callable[[list[tuple[Tensor, Tensor]]], Iterable[tuple[Tensor, Tensor]]],
    models: Sequence[TwoTower],
    held_out: Split,
    progress: bool | None,
) -> list[TrainedSAE]:
    """The epoch loop shared by one SAE and an ensemble of SAEs that train in step.

    Every epoch draws each run's own stream (seeded by its seed and the epoch), lets
    ``epoch_blocks`` cut the streams into id blocks, sums what ``trainer`` returns per block
    (loss terms [4], or [E, 4] for E runs) and then records each run's loss means and
    diagnostics on the SAE modules ``members`` returns, in the order of ``runs``, each against
    its recommender in ``models``. The runs share epochs and batch size.
    """
    first = runs[0]
    forbidden = forbidden_training_negatives(held_out)
    diagnoses = [
        _diagnostics(run.sae_config.seed, model, held_out) for run, model in zip(runs, models, strict=True)
    ]
    histories: list[list[dict[str, float]]] = [[] for _ in runs]
    epochs = tqdm(
        range(first.sae_config.epochs),
        desc=f"{'SAE' if len(runs) == 1 else f'{len(runs)} SAEs'} on {first.recommender.model} / "
        f"{first.recommender.dataset}",
        disable=None if progress is None else not progress,
    )
    for epoch in epochs:
        streams = [
            sae_training_stream(held_out, forbidden, np.random.default_rng([run.sae_config.seed, epoch]))
            for run in runs
        ]
        sums = sum(trainer(*block) for block in epoch_blocks(streams))
        batches = math.ceil(len(streams[0][0]) / first.sae_config.batch_size)
        means = (sums / batches).reshape(len(runs), len(LOSS_KEYS))
        for history, row, diagnose, autoencoder in zip(histories, means, diagnoses, members(), strict=True):
            losses = dict(zip(LOSS_KEYS, row.tolist()))
            history.append({"epoch": epoch + 1, **losses, **diagnose(autoencoder)})
        last = [history[-1] for history in histories]
        epochs.set_postfix(
            loss=f"{np.mean([record['loss'] for record in last]):.4f}",
            score_mse=f"{max(record['score_mse'] for record in last):.4f}",
        )
    return [
        TrainedSAE(run, freeze(autoencoder), history)
        for run, autoencoder, history in zip(runs, members(), histories)
    ]


SAE_TRAINING_CODE = "recsae.training.sae_ensemble"
"""The module whose imports reach all the code that trains an SAE, alone (``train_sae``) or in
an ensemble: the code part of every SAE's cache key, the same however it was trained."""


def trained_sae(run: SAERunConfig, progress: bool | None = None) -> TrainedSAE:
    """The trained SAE for ``run``, from the artifact cache or trained (once) now."""
    trained = trained_recommender(run.recommender, progress)
    data = load(run.recommender.dataset)
    return load_or_build(
        "sae",
        run,
        sae_inputs(data, trained.model),
        lambda: train_sae(
            run, trained.model, split(data, run.recommender.split), progress
        ),  # split only to train
        stored_sae_state,
        lambda state: restore_sae(run, state),
    )


def sae_inputs(data: Interactions, model: TwoTower) -> dict[str, str | int]:
    """What an SAE depends on besides its run: the data, the training code, the thread count and
    the weights of the recommender it explains."""
    return training_inputs(SAE_TRAINING_CODE, data.digest(), upstream=state_digest(model.state_dict()))


def stored_sae_state(trained: TrainedSAE) -> dict[str, Any]:
    """What the cache keeps of a trained SAE: its weights and its training history."""
    return {"weights": trained.autoencoder.state_dict(), "history": trained.history}


def restore_sae(run: SAERunConfig, state: dict[str, Any]) -> TrainedSAE:
    autoencoder = build_sae(run.sae_config)
    autoencoder.load_state_dict(state["weights"])
    return TrainedSAE(run, freeze(autoencoder), state["history"])


def sae_training_stream(
    held_out: Split, forbidden: np.ndarray, rng: np.random.Generator
) -> tuple[Tensor, Tensor]:
    """One epoch of (user, item) rows: the SAE-train users' training positives, one fresh
    negative per positive (as in the recommender's stream and the official code), shuffled.

    Filtering before sampling gives these rows negatives from the same distribution as the
    recommender's stream, and never produces a row of an SAE test user (20 % of users, as officially).
    """
    keep = np.isin(held_out.train_users, held_out.sae_train_users)
    users, items, _ = one_to_one_stream(
        held_out.train_users[keep], held_out.train_items[keep], held_out.n_items, forbidden, rng
    )
    return torch.from_numpy(users).long(), torch.from_numpy(items).long()


def explained_variance(vectors: Tensor, reconstructions: Tensor) -> float:
    """1 − Σ‖x − x̂‖² / Σ‖x − x̄‖² over a set of vectors: the share of their spread the SAE keeps."""
    residual = (vectors - reconstructions).pow(2).sum()
    spread = (vectors - vectors.mean(dim=0)).pow(2).sum()
    return float(1.0 - residual / spread)


def _diagnostics(
    seed: int, model: TwoTower, held_out: Split
) -> Callable[[SparseAutoencoder], dict[str, float]]:
    """Per-epoch health of the SAE on all SAE-train users and all items, on raw embeddings.

    L0 per side (as the official notebooks print it), the share of dead latents (silent on every
    user and item), explained variance per side, and the MSE of the recommender's logits between
    original and reconstructed embeddings on a fixed sample of (user, item) pairs.
    """
    users = torch.from_numpy(held_out.sae_train_users).long()
    user_vectors, item_vectors = model.user_vectors[users], model.item_vectors
    rng = np.random.default_rng(seed)
    sample_rows = torch.from_numpy(rng.integers(len(users), size=SCORE_PAIRS)).long()
    sample_items = torch.from_numpy(rng.integers(held_out.n_items, size=SCORE_PAIRS)).long()
    sample_users = users[sample_rows]
    with torch.no_grad():
        original_scores = model.pair_logits(
            user_vectors[sample_rows], item_vectors[sample_items], sample_users, sample_items
        )

    @torch.no_grad()
    def measure(autoencoder: SparseAutoencoder) -> dict[str, float]:
        user_out, item_out = autoencoder(user_vectors), autoencoder(item_vectors)
        alive = (user_out.codes != 0).any(dim=0) | (item_out.codes != 0).any(dim=0)
        scores = model.pair_logits(
            user_out.reconstruction[sample_rows],
            item_out.reconstruction[sample_items],
            sample_users,
            sample_items,
        )
        return {
            "l0_users": mean_l0(user_out.codes),
            "l0_items": mean_l0(item_out.codes),
            "dead_fraction": float((~alive).float().mean()),
            "explained_variance_users": explained_variance(user_vectors, user_out.reconstruction),
            "explained_variance_items": explained_variance(item_vectors, item_out.reconstruction),
            "score_mse": float((scores - original_scores).pow(2).mean()),
        }

    return measure
