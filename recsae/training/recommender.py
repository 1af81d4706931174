"""Training the recommenders with 1:1 negatives re-sampled every epoch, and caching them.

``trained_recommender(config)`` is what chapters call: it returns the trained, frozen model for that
exact config from the artifact cache, training it first if needed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from recsae.cache.artifacts import load_or_build, training_inputs
from recsae.checks import check_int, check_number
from recsae.data.datasets import load
from recsae.data.interactions import Interactions
from recsae.data.sampling import one_to_one_stream
from recsae.data.split import Split, SplitConfig, forbidden_training_negatives, split
from recsae.metrics.ranking import ranking_metrics
from recsae.models import MatrixFactorization, NeuralCF, TwoTower, freeze, score_all
from recsae.training.determinism import deterministic


@dataclass(frozen=True)
class RecommenderConfig:
    """Everything that determines a trained recommender (and so its cache key).

    ``optimizer="sgd"`` is plain SGD on the *summed* batch loss plus ``l2/2·‖θ_batch‖²`` on
    the rows the batch touches: exactly the official manual update
    ``P_u += lr·(e·Q_i − l2·P_u)`` accumulated over the batch (official ``MatrixFactorization``).
    ``optimizer="adam"`` is Adam on the *mean* batch loss (as the official NCF training).
    """

    dataset: str
    model: Literal["mf", "ncf"]
    dim: int
    epochs: int
    batch_size: int
    optimizer: Literal["sgd", "adam"]
    lr: float
    l2: float
    init_std: float
    offset: float = 0.0
    hidden: tuple[int, ...] = (64, 32, 16)
    seed: int = 0
    monitor_users: int = 1000
    split: SplitConfig = field(default_factory=SplitConfig)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(self.hidden))
        if not isinstance(self.dataset, str) or not self.dataset:
            raise ValueError(f"RecommenderConfig.dataset must be a dataset name, got {self.dataset!r}.")
        if self.model not in ("mf", "ncf"):
            raise ValueError(f"Unknown recommender {self.model!r}; choose 'mf' or 'ncf'.")
        if self.optimizer not in ("sgd", "adam"):
            raise ValueError(f"Unknown optimizer {self.optimizer!r}; choose 'sgd' or 'adam'.")
        for name in ("dim", "epochs", "batch_size", "monitor_users"):
            check_int(self, name, 1)
        check_int(self, "seed", 0)
        check_number(self, "lr", above=0)
        check_number(self, "l2", at_least=0)
        check_number(self, "init_std", above=0)
        check_number(self, "offset")
        if not self.hidden or any(
            isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in self.hidden
        ):
            raise ValueError(
                f"RecommenderConfig.hidden must be a non-empty tuple of layer sizes ≥ 1, got {self.hidden!r}."
            )
        if not isinstance(self.split, SplitConfig):
            raise ValueError(f"RecommenderConfig.split must be a SplitConfig, got {self.split!r}.")


@dataclass(frozen=True, eq=False)
class TrainedRecommender:
    """A trained model (frozen: no parameter requires grad) and its per-epoch history."""

    config: RecommenderConfig
    model: TwoTower
    history: list[dict[str, float]]


def build_model(config: RecommenderConfig, n_users: int, n_items: int) -> TwoTower:
    generator = torch.Generator().manual_seed(config.seed)
    if config.model == "mf":
        return MatrixFactorization(n_users, n_items, config.dim, config.init_std, config.offset, generator)
    return NeuralCF(n_users, n_items, config.dim, config.hidden, config.init_std, generator)


def train_recommender(
    config: RecommenderConfig, data: Interactions, held_out: Split, progress: bool | None = None
) -> TrainedRecommender:
    """Train from scratch, reproducibly; ``progress=None`` shows a bar only on a terminal."""
    with deterministic():
        return _train(config, data, held_out, progress)


def _train(
    config: RecommenderConfig, data: Interactions, held_out: Split, progress: bool | None
) -> TrainedRecommender:
    model = build_model(config, data.n_users, data.n_items)
    optimizer = _optimizer(config, model)
    forbidden = forbidden_training_negatives(held_out)
    measure = monitor(config, held_out)
    history = []
    epochs = tqdm(
        range(config.epochs),
        desc=f"{config.model} on {config.dataset}",
        disable=None if progress is None else not progress,
    )
    for epoch in epochs:
        rng = np.random.default_rng([config.seed, epoch])
        users, items, labels = epoch_samples(held_out, forbidden, rng)
        model.train()
        total = 0.0
        for start in range(0, len(users), config.batch_size):
            batch = slice(start, start + config.batch_size)
            if isinstance(model, MatrixFactorization) and config.optimizer == "sgd":
                total += mf_sgd_step(model, users[batch], items[batch], labels[batch], config.lr, config.l2)
                continue
            objective, summed_bce = _batch_loss(config, model, users[batch], items[batch], labels[batch])
            optimizer.zero_grad(set_to_none=True)
            objective.backward()
            optimizer.step()
            total += summed_bce
        record = {"epoch": epoch + 1, "bce": total / len(users), **measure(model)}
        history.append(record)
        epochs.set_postfix(bce=f"{record['bce']:.4f}", ndcg10=f"{record['monitor_ndcg@10']:.4f}")
    return TrainedRecommender(config, freeze(model), history)


TRAINING_CODE = "recsae.training.recommender_ensemble"
"""The module whose imports reach all the code that trains a recommender, alone
(``train_recommender``) or with its seeds (``recsae.training.recommender_ensemble``): the code part of
every recommender's cache key, the same however it was trained."""


def trained_recommender(config: RecommenderConfig, progress: bool | None = None) -> TrainedRecommender:
    """The trained model for ``config``, from the artifact cache or trained (once) now."""
    data = load(config.dataset)
    return load_or_build(
        "recommender",
        config,
        training_inputs(TRAINING_CODE, data.digest()),
        lambda: train_recommender(config, data, split(data, config.split), progress),  # split only to train
        stored_state,
        lambda state: restore_recommender(config, data, state),
    )


def stored_state(trained: TrainedRecommender) -> dict[str, Any]:
    """What the cache keeps of a trained recommender: its weights and its training curve."""
    return {"weights": trained.model.state_dict(), "history": trained.history}


def restore_recommender(
    config: RecommenderConfig, data: Interactions, state: dict[str, Any]
) -> TrainedRecommender:
    """A stored state of ``config``'s model, back as the frozen trained recommender."""
    model = build_model(config, data.n_users, data.n_items)
    model.load_state_dict(state["weights"])
    return TrainedRecommender(config, freeze(model), state["history"])


@torch.no_grad()
def mf_sgd_step(
    model: MatrixFactorization,
    users: torch.Tensor,
    items: torch.Tensor,
    labels: torch.Tensor,
    lr: float,
    l2: float,
) -> float:
    """The official manual MF update (``MatrixFactorization``), written out; returns the batch's summed BCE.

    With e = r − σ(logit): b_u += lr(e − l2·b_u), b_i += lr(e − l2·b_i), P_u += lr(e·Q_i − l2·P_u),
    Q_i += lr(e·P_u − l2·Q_i), repeated indices accumulated. It is the same step as autograd
    SGD on the summed loss of ``_batch_loss`` (a test checks it), about 5× faster on a CPU.
    """
    user_rows, item_rows = model.user_vectors[users], model.item_vectors[items]
    user_bias, item_bias = model.user_bias[users], model.item_bias[items]
    logits = (user_rows * item_rows).sum(-1) + user_bias + item_bias + model.offset
    error = labels - torch.sigmoid(logits)
    model.user_vectors.index_add_(0, users, lr * (error[:, None] * item_rows - l2 * user_rows))
    model.item_vectors.index_add_(0, items, lr * (error[:, None] * user_rows - l2 * item_rows))
    model.user_bias.index_add_(0, users, lr * (error - l2 * user_bias))
    model.item_bias.index_add_(0, items, lr * (error - l2 * item_bias))
    return F.binary_cross_entropy_with_logits(logits, labels, reduction="sum").item()


def _optimizer(config: RecommenderConfig, model: TwoTower) -> torch.optim.Optimizer:
    if config.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=config.lr)
    return torch.optim.Adam(model.parameters(), lr=config.lr, fused=True)


def _batch_loss(
    config: RecommenderConfig, model: TwoTower, users: torch.Tensor, items: torch.Tensor, labels: torch.Tensor
) -> tuple[torch.Tensor, float]:
    """The objective to differentiate, and the batch's summed BCE for the training curve."""
    objective, summed = batch_objective(config, model, users, items, labels)
    return objective, summed.item()


def batch_objective(
    config: RecommenderConfig, model: TwoTower, users: torch.Tensor, items: torch.Tensor, labels: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The objective to differentiate and the batch's summed BCE, both as tensors (so that the
    ensemble trainer can vmap and compile them): BCE summed for SGD, averaged for Adam
    (as in the official code), plus ``l2/2`` times the squares of the rows the batch touches."""
    logits = model.pair_logits(model.user_vectors[users], model.item_vectors[items], users, items)
    summed = F.binary_cross_entropy_with_logits(logits, labels, reduction="sum")
    objective = summed if config.optimizer == "sgd" else summed / len(labels)
    if config.l2:
        penalty = sum(rows.pow(2).sum() for rows in model.regularised_rows(users, items))
        objective = objective + 0.5 * config.l2 * penalty
    return objective, summed


def epoch_samples(
    held_out: Split, forbidden: np.ndarray, rng: np.random.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Every training positive plus one fresh negative per positive, shuffled."""
    users, items, labels = one_to_one_stream(
        held_out.train_users, held_out.train_items, held_out.n_items, forbidden, rng
    )
    return torch.from_numpy(users).long(), torch.from_numpy(items).long(), torch.from_numpy(labels).float()


def monitor(config: RecommenderConfig, held_out: Split) -> Callable[[TwoTower], dict[str, float]]:
    """NDCG@10 on a fixed subset of users after each epoch: a training curve, not a selection rule."""
    users = np.sort(np.random.default_rng(config.seed).permutation(held_out.n_users)[: config.monitor_users])
    exclude = held_out.train_matrix()[users]
    positives = held_out.test_positives[users]
    user_tensor = torch.from_numpy(users).long()

    def measure(model: TwoTower) -> dict[str, float]:
        model.eval()
        scores = score_all(model, users=user_tensor)
        return {"monitor_ndcg@10": ranking_metrics(scores, positives, exclude, (10,))["ndcg@10"]}

    return measure
