"""Several seeds of one NCF recommender trained in one compiled step.

NCF at the paper's batch of 256 interactions spends about 1.1 ms per Adam step on two CPU
cores, almost all of it framework overhead: a 40 → 64 → 32 → 16 → 1 MLP on 256 pairs is a
few hundred thousand multiply-adds. E seeds of the same model, with their parameters stacked
along a leading member axis, share that overhead: ``torch.func.vmap`` runs the per-member
loss and its gradient as one batched computation, Adam updates the stacked tensors
elementwise (which is exactly E independent Adams), and ``torch.compile`` turns
``STEPS_PER_CALL`` such steps into one call.

Each member is the model ``train_recommender`` would train for its config: the same
initialisation, its own epoch streams (its own seed), the same batches in the same order, the
same Adam update. It differs from training alone only in floating-point rounding (batched
matrix products add in another order), which a test bounds over the first hundreds of steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

import numpy as np
import torch
from torch import Tensor, nn
from torch.func import functional_call, grad_and_value, vmap
from tqdm import tqdm

from recsae.cache.artifacts import load_or_build_many, training_inputs
from recsae.data.datasets import load
from recsae.data.interactions import Interactions
from recsae.data.split import Split, forbidden_training_negatives, split
from recsae.models import NeuralCF, freeze
from recsae.training.compiled_step import (
    STEPS_PER_CALL,
    Adam,
    call_compiled,
    compile_by_default,
    compile_step,
)
from recsae.training.determinism import deterministic
from recsae.training.recommender import (
    TRAINING_CODE,
    RecommenderConfig,
    TrainedRecommender,
    batch_objective,
    build_model,
    epoch_samples,
    monitor,
    restore_recommender,
    stored_state,
    train_recommender,
)


def trains_as_ensemble(config: RecommenderConfig) -> bool:
    """Whether seeds of ``config`` can share one step: NCF with Adam (MF's manual SGD step is
    already cheap per step, so its seeds train alone)."""
    return config.model == "ncf" and config.optimizer == "adam"


def ensemble_compatible(configs: Sequence[RecommenderConfig]) -> None:
    """Refuse configs that cannot share one step: they may differ in their seed only, and must
    be NCF trained with Adam (MF's manual SGD step is already cheap per step)."""
    if not configs:
        raise ValueError("An ensemble needs at least one recommender config.")
    first = configs[0]
    if not trains_as_ensemble(first):
        raise ValueError(
            f"Only NCF recommenders trained with Adam train as an ensemble, got model={first.model!r} "
            f"with optimizer={first.optimizer!r}; train the others with train_recommender."
        )
    for config in configs[1:]:
        if replace(config, seed=first.seed) != first:
            raise ValueError("Recommenders of one ensemble may differ in their seed only.")
    if len({config.seed for config in configs}) != len(configs):
        raise ValueError("Each member of an ensemble needs its own seed.")


class _MemberLoss(nn.Module):
    """One member's training loss as a module, so ``functional_call`` can swap in its parameters."""

    def __init__(self, config: RecommenderConfig, template: NeuralCF) -> None:
        super().__init__()
        self.config = config
        self.model = template

    def forward(self, users: Tensor, items: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
        objective, summed_bce = batch_objective(self.config, self.model, users, items, labels)
        return objective, summed_bce.detach()


class RecommenderEnsemble:
    """E NCF members with stacked parameters, trained in place on id blocks [n, E, B]."""

    def __init__(
        self, configs: Sequence[RecommenderConfig], n_users: int, n_items: int, compiled: bool
    ) -> None:
        ensemble_compatible(configs)
        self.configs = list(configs)
        self.members = [build_model(config, n_users, n_items) for config in configs]
        template = build_model(configs[0], n_users, n_items)
        self.loss = _MemberLoss(configs[0], template)
        names = [f"model.{name}" for name, _ in template.named_parameters()]
        self.params = {
            name: torch.stack(
                [dict(m.named_parameters())[name[len("model.") :]].detach() for m in self.members]
            )
            for name in names
        }
        for index, member in enumerate(self.members):  # members become views of the stacked tensors
            for name, parameter in member.named_parameters():
                parameter.data = self.params[f"model.{name}"][index]
        self.adam = Adam(self.params, configs[0].lr)
        self.compiled: Callable[[Tensor, Tensor, Tensor], Tensor] | None = None
        if compiled:
            self.compiled = compile_step(self.train_block)

    def __call__(self, users: Tensor, items: Tensor, labels: Tensor) -> Tensor:
        """Train on a block [n, E, B]; the summed BCE of each member [E]."""
        done = self.adam.step_count.clone()
        self.adam.step_count += users.shape[0]
        if self.compiled is not None and users.shape[0] == STEPS_PER_CALL:
            return call_compiled(self.compiled, "recommender", users, items, labels, done)
        return self.train_block(users, items, labels, done)

    def train_block(self, users: Tensor, items: Tensor, labels: Tensor, done: Tensor) -> Tensor:
        """Adam steps ``done + 1``, … of every member on a block [n, E, B] (the count is an input,
        see ``Adam.update``); the members' summed BCE [E]."""
        sums = torch.zeros(len(self.configs))
        for step in range(users.shape[0]):
            sums = sums + self.train_step(users[step], items[step], labels[step], done + step + 1)
        return sums

    def train_step(self, users: Tensor, items: Tensor, labels: Tensor, step: Tensor) -> Tensor:
        """Adam step number ``step`` of every member on its own batch [E, B]; the members' summed BCE [E]."""

        def member(params: dict[str, Tensor], u: Tensor, i: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
            return functional_call(self.loss, params, (u, i, y))

        grads, (_, summed) = vmap(grad_and_value(member, has_aux=True))(self.params, users, items, labels)
        self.adam.update(grads, step)
        return summed


def train_recommender_ensemble(
    configs: Sequence[RecommenderConfig],
    data: Interactions,
    held_out: Split,
    progress: bool | None = None,
    compiled: bool | None = None,
) -> list[TrainedRecommender]:
    """Train the NCF recommenders of ``configs`` (differing in seed only) together; returns what
    ``train_recommender`` returns for each config, in order."""
    with deterministic():
        return _train(
            configs, data, held_out, progress, compile_by_default() if compiled is None else compiled
        )


def _train(
    configs: Sequence[RecommenderConfig],
    data: Interactions,
    held_out: Split,
    progress: bool | None,
    compiled: bool,
) -> list[TrainedRecommender]:
    ensemble = RecommenderEnsemble(configs, data.n_users, data.n_items, compiled)
    first = configs[0]
    forbidden = forbidden_training_negatives(held_out)
    monitors = [monitor(config, held_out) for config in configs]
    histories: list[list[dict[str, float]]] = [[] for _ in configs]
    epochs = tqdm(
        range(first.epochs),
        desc=f"{len(configs)} × {first.model} on {first.dataset}",
        disable=None if progress is None else not progress,
    )
    for epoch in epochs:
        streams = [
            epoch_samples(held_out, forbidden, np.random.default_rng([config.seed, epoch]))
            for config in configs
        ]
        users, items, labels = (torch.stack([stream[part] for stream in streams]) for part in range(3))
        total = torch.zeros(len(configs), dtype=torch.float64)
        for block in _blocks(users, items, labels, first.batch_size):
            total += ensemble(*block).double()
        for index, (member, history, measure) in enumerate(zip(ensemble.members, histories, monitors)):
            history.append(
                {"epoch": epoch + 1, "bce": float(total[index]) / users.shape[1], **measure(member)}
            )
    for member in ensemble.members:  # own storage, so each stored model holds only its own weights
        for parameter in member.parameters():
            parameter.data = parameter.data.clone()
    return [
        TrainedRecommender(config, freeze(member), history)
        for config, member, history in zip(configs, ensemble.members, histories)
    ]


def _blocks(users: Tensor, items: Tensor, labels: Tensor, batch_size: int) -> Iterator[tuple[Tensor, ...]]:
    """An epoch's [E, N] rows as blocks [STEPS_PER_CALL, E, B], then the rest batch by batch as
    [1, E, ≤ B]: the same batches, in the same order, as ``train_recommender``'s loop."""
    n_rows = users.shape[1]
    n_batches = -(-n_rows // batch_size)
    full_blocks = n_rows // batch_size // STEPS_PER_CALL
    block = STEPS_PER_CALL * batch_size
    for start in range(0, full_blocks * block, block):
        yield tuple(
            t[:, start : start + block].reshape(t.shape[0], STEPS_PER_CALL, batch_size).transpose(0, 1)
            for t in (users, items, labels)
        )
    for batch in range(full_blocks * STEPS_PER_CALL, n_batches):
        yield tuple(t[None, :, batch * batch_size : (batch + 1) * batch_size] for t in (users, items, labels))


def trained_recommenders(
    configs: Sequence[RecommenderConfig], progress: bool | None = None
) -> list[TrainedRecommender]:
    """The trained models of ``configs`` (all on one dataset and split), from the artifact cache.

    Those not cached yet are trained now: the seeds of one NCF setting together as an
    ensemble, anything else alone. Each is stored under its own key, the same key
    ``trained_recommender(config)`` looks up, so later calls find every model by its config alone.
    """
    configs = list(configs)
    if len({(config.dataset, config.split) for config in configs}) > 1:
        raise ValueError(
            "trained_recommenders() takes configs of one dataset and split; call it once per dataset."
        )
    data = load(configs[0].dataset)

    def train_missing(missing: list[RecommenderConfig]) -> list[TrainedRecommender]:
        held_out = split(data, configs[0].split)
        groups: dict[RecommenderConfig, list[RecommenderConfig]] = {}
        for config in missing:
            groups.setdefault(replace(config, seed=0), []).append(config)
        trained: dict[RecommenderConfig, TrainedRecommender] = {}
        for members in groups.values():
            if trains_as_ensemble(members[0]) and len(members) > 1:
                trained.update(zip(members, train_recommender_ensemble(members, data, held_out, progress)))
            else:
                trained.update(
                    {config: train_recommender(config, data, held_out, progress) for config in members}
                )
        return [trained[config] for config in missing]

    inputs = training_inputs(TRAINING_CODE, data.digest())
    return load_or_build_many(
        "recommender",
        configs,
        [inputs] * len(configs),
        train_missing,
        stored_state,
        lambda config, state: restore_recommender(config, data, state),
    )
