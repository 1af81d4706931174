"""Many SAEs of one shape trained side by side: a β sweep, a seed spread, in one compiled step.

A compiled single-SAE step (``recsae.training.sae_step``) costs about 0.5 ms, much of it per-step
overhead: the arithmetic of a 20 × 22 SAE on a batch of 256 is small. An ensemble stacks the
parameters of E SAEs on a leading member axis and maps the single SAE's loss over it with
``torch.func.vmap``, so E members share one step's overhead and its larger, batched kernels
(``benchmarks/ensemble.py`` measures the cost per member).

Each member keeps everything that makes it the SAE ``train_sae`` would train for its run: its
initialisation (``build_sae`` of its config), its loss weights and learning rate, its own
stream of batches (seeded by its seed), its own Adam moments and its own dead-latent clock.
What changes the computation graph is shared: architecture, shape, sparsity variant with its
k and prefixes, L_pred form, batch size, epochs and input scaling. The recommender's setting is
shared too, but not its seed: each member reads the embeddings and the weights of the
recommender it explains, so the seeds of a sweep (each SAE on its own recommender seed) train
as one ensemble. ``ensemble_groups`` sorts a list of runs into such ensembles.

For an MF recommender the cross-product L_pred is computed through Gram matrices
(``mf_cross_prediction_loss``): the same loss, O(B·d²) instead of O(B²·d) per step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Iterator, Sequence

import torch
from torch import Tensor, nn
from torch.func import stack_module_state, vmap

from recsae.cache.artifacts import load_or_build_many
from recsae.data.datasets import load
from recsae.data.split import Split, split
from recsae.models import MatrixFactorization, TwoTower
from recsae.sae import (
    LossWeights,
    Recommender,
    SAEConfig,
    SparseAutoencoder,
    advance_activity_clock,
    build_sae,
    prediction_loss,
    total_loss,
)
from recsae.training.compiled_step import STEPS_PER_CALL, Adam, compile_by_default
from recsae.training.determinism import deterministic
from recsae.training.recommender_ensemble import trained_recommenders
from recsae.training.sae_step import BlockTrainer, blocks, loss_and_auxiliaries, loss_gradients
from recsae.training.sae_trainer import (
    INPUT_SCALINGS,
    SAERunConfig,
    TrainedSAE,
    embedding_tables,
    fit_epochs,
    require_frozen,
    restore_sae,
    sae_inputs,
    stored_sae_state,
)

PER_MEMBER_FIELDS = frozenset({*LossWeights._fields, "lr", "seed"})
"""The ``SAEConfig`` fields that may differ between the members of one ensemble."""

CLOCK = "autoencoder.steps_since_active"
"""The dead-latent clock's name inside the trainer's objective module."""

RECOMMENDER = "model."
"""The prefix of the recommender's parameters inside the trainer's objective module."""


def mf_cross_prediction_loss(
    model: Recommender,
    users: Tensor,
    items: Tensor,
    user_vectors: Tensor,
    item_vectors: Tensor,
    user_reconstructions: Tensor,
    item_reconstructions: Tensor,
    form: str = "cross",
) -> Tensor:
    """``prediction_loss(..., "cross")`` of an MF recommender, through d × d Gram matrices.

    MF's logits are U·Iᵀ plus per-user and per-item biases and an offset
    (``MatrixFactorization.logit_matrix``). The biases are the same for the original and the
    reconstructed embeddings, so they cancel in the difference, which is ÛÎᵀ − UIᵀ =
    ΔU·Iᵀ + Û·ΔIᵀ with ΔU = Û − U, ΔI = Î − I; and ‖P·Qᵀ‖²_F = ⟨PᵀP, QᵀQ⟩ gives

        ‖ÛÎᵀ − UIᵀ‖²_F = ⟨ΔUᵀΔU, IᵀI⟩ + 2⟨ΔUᵀÛ, IᵀΔI⟩ + ⟨ÛᵀÛ, ΔIᵀΔI⟩,

    O(B·d²) work instead of the O(B²·d) of the logit matrix. Written in the errors, every term
    shrinks with the reconstruction error; the textbook expansion ⟨ÛᵀÛ, ÎᵀÎ⟩ − 2⟨ÛᵀU, ÎᵀI⟩ +
    ⟨UᵀU, IᵀI⟩ instead subtracts large, nearly equal terms, and in float32 its value drifts
    once the reconstruction is good.
    """
    user_error = user_reconstructions - user_vectors
    item_error = item_reconstructions - item_vectors
    squared_error = (
        _inner(user_error.T @ user_error, item_vectors.T @ item_vectors)
        + 2 * _inner(user_error.T @ user_reconstructions, item_vectors.T @ item_error)
        + _inner(user_reconstructions.T @ user_reconstructions, item_error.T @ item_error)
    )
    return squared_error / (len(users) * len(items))


def _inner(a: Tensor, b: Tensor) -> Tensor:
    """Frobenius inner product ⟨a, b⟩."""
    return (a * b).sum()


def prediction_term(model: Recommender, config: SAEConfig) -> Callable[..., Tensor]:
    """The L_pred function an ensemble trains with: the Gram form where it applies, else the direct one."""
    if isinstance(model, MatrixFactorization) and config.prediction == "cross":
        return mf_cross_prediction_loss
    return prediction_loss


class _MemberObjective(nn.Module):
    """One member's training loss, with its loss weights as inputs so ``vmap`` can map over them."""

    def __init__(self, sae: SparseAutoencoder, model: Recommender) -> None:
        super().__init__()
        self.autoencoder = sae
        self.model = model
        self.prediction_term = prediction_term(model, sae.config)

    def forward(
        self, users: Tensor, items: Tensor, user_vectors: Tensor, item_vectors: Tensor, weights: LossWeights
    ) -> tuple[Tensor, tuple[Tensor, Tensor, Tensor]]:
        terms = total_loss(
            self.autoencoder,
            self.model,
            users,
            items,
            user_vectors,
            item_vectors,
            weights,
            self.prediction_term,
        )
        return loss_and_auxiliaries(terms)


class EnsembleTrainer(BlockTrainer):
    """Trains the SAEs of ``configs`` side by side on blocks of batches [n, E, B] of ids.

    Member e explains ``models[e]`` (one recommender setting, any seeds; the same model may
    stand for several members) and row e of every batch [E, B] is its batch. Blocks of exactly
    ``STEPS_PER_CALL`` × E × ``batch_size`` go through the compiled step when ``compiled``,
    others eagerly; calling the trainer returns the summed loss terms [E, 4] of the block's
    steps. ``members()`` gives the SAEs as modules with the trained parameters.
    """

    def __init__(
        self,
        configs: Sequence[SAEConfig],
        models: Sequence[Recommender],
        scale: Callable[[Tensor], Tensor],
        compiled: bool,
    ) -> None:
        if len({shared_fields(config) for config in configs}) != 1:
            raise ValueError(
                "The SAEs of one ensemble may differ only in "
                f"{', '.join(sorted(PER_MEMBER_FIELDS))}; split the runs with ensemble_groups."
            )
        if len(models) != len(configs):
            raise ValueError(
                f"An ensemble of {len(configs)} SAEs needs one recommender per SAE, got {len(models)}."
            )
        self._members = [build_sae(config) for config in configs]
        params, buffers = stack_module_state(self._members)
        self.clock = buffers["steps_since_active"]
        self.adam = Adam(
            {f"autoencoder.{name}": p.detach() for name, p in params.items()},
            torch.tensor([config.lr for config in configs]),
        )
        per_weight = zip(*(config.loss_weights for config in configs))
        self.weights = LossWeights(*(torch.tensor(values) for values in per_weight))
        # The templates only lend their structure: every call swaps in a member's parameters
        # and the weights of the recommender it explains.
        self.objective = _MemberObjective(build_sae(configs[0]), models[0])
        recommender_params, recommender_buffers = stack_module_state(list(models))
        self.recommenders = {
            RECOMMENDER + name: t.detach()
            for name, t in {**recommender_params, **recommender_buffers}.items()
        }
        self.tables = tuple(torch.stack(tables) for tables in zip(*map(embedding_tables, models)))
        self.scale = scale
        self.compiled_shape = (STEPS_PER_CALL, len(configs), configs[0].batch_size)
        self.loss_shape = (len(configs), 4)
        if compiled:
            self._compile()

    def train_step(self, users: Tensor, items: Tensor) -> Tensor:
        def member_step(
            params: dict[str, Tensor],
            clock: Tensor,
            weights: LossWeights,
            tables: tuple[Tensor, Tensor],
            recommender: dict[str, Tensor],
            users: Tensor,
            items: Tensor,
        ) -> tuple[dict[str, Tensor], tuple[Tensor, Tensor, Tensor]]:
            return loss_gradients(
                self.objective,
                params,
                tables,
                self.scale,
                users,
                items,
                weights,
                buffers={CLOCK: clock, **recommender},
            )

        grads, (parts, user_codes, item_codes) = vmap(member_step)(
            self.adam.params, self.clock, self.weights, self.tables, self.recommenders, users, items
        )
        advance_activity_clock(self.clock, user_codes, item_codes)
        self.adam.update(grads)
        return parts

    def members(self) -> list[SparseAutoencoder]:
        """The members as SAE modules, each holding its current parameters and clock."""
        for index, member in enumerate(self._members):
            state = {name.removeprefix("autoencoder."): p[index] for name, p in self.adam.params.items()}
            member.load_state_dict({**state, "steps_since_active": self.clock[index]})
        return self._members


def shared_fields(config: SAEConfig) -> Hashable:
    """What members of one ensemble must have in common: every field that shapes the step.

    Matryoshka prefixes count only where the variant reconstructs from them. k, aux_k and
    dead_steps count even for variants that ignore them, which at worst splits an ensemble.
    """
    shared = {
        field.name: getattr(config, field.name)
        for field in dataclasses.fields(config)
        if field.name not in PER_MEMBER_FIELDS
    }
    shared["prefixes"] = config.reconstruction_prefixes
    return tuple(sorted(shared.items()))


def ensemble_groups(runs: Sequence[SAERunConfig]) -> list[list[int]]:
    """Positions in ``runs`` of the runs that can train as one ensemble, groups in order of first
    appearance: same recommender setting (seeds may differ), same input scaling, same ``shared_fields``."""
    groups: dict[Hashable, list[int]] = {}
    for position, run in enumerate(runs):
        key = (dataclasses.replace(run.recommender, seed=0), run.input_scaling, shared_fields(run.sae_config))
        groups.setdefault(key, []).append(position)
    return list(groups.values())


def ensemble_blocks(
    streams: Sequence[tuple[Tensor, Tensor]], batch_size: int
) -> Iterator[tuple[Tensor, Tensor]]:
    """Every member's ``blocks`` of one epoch, stacked on a member axis: blocks [n, E, B].

    Members' streams have one length (each positive once and one negative each), so their
    blocks line up.
    """
    for member_blocks in zip(*(blocks(users, items, batch_size) for users, items in streams), strict=True):
        users, items = zip(*member_blocks)
        yield torch.stack(users, dim=1), torch.stack(items, dim=1)


def train_sae_ensemble(
    runs: Sequence[SAERunConfig],
    models: Sequence[TwoTower],
    held_out: Split,
    progress: bool | None = None,
    compiled: bool | None = None,
) -> list[TrainedSAE]:
    """Train the SAEs of ``runs``, in ensembles of compatible runs; ``TrainedSAE``s in the order of ``runs``.

    ``models[i]`` is the frozen recommender of ``runs[i]``, and all of them were trained on the
    split ``held_out``. Each result stands in for ``train_sae(runs[i], models[i], held_out)``:
    same initialisation, batch order and history keys, and a trajectory equal up to
    floating-point rounding (the batched step rounds differently, and MF's L_pred takes the Gram
    form). ``progress`` and ``compiled`` are those of ``train_sae``.
    """
    if len(models) != len(runs):
        raise ValueError(f"Give one recommender per run: {len(runs)} runs, {len(models)} recommenders.")
    _require_one_split(runs)
    for model in models:
        require_frozen(model)
    compiled = compile_by_default() if compiled is None else compiled
    results: dict[int, TrainedSAE] = {}
    with deterministic():
        for group in ensemble_groups(runs):
            members = [runs[position] for position in group]
            group_models = [models[position] for position in group]
            results.update(zip(group, _train_group(members, group_models, held_out, progress, compiled)))
    return [results[position] for position in range(len(runs))]


def _require_one_split(runs: Sequence[SAERunConfig]) -> None:
    if len({(run.recommender.dataset, run.recommender.split) for run in runs}) > 1:
        raise ValueError(
            "The runs of one ensemble call must explain recommenders of one dataset and split; "
            "call once per dataset."
        )


def _train_group(
    runs: Sequence[SAERunConfig],
    models: Sequence[TwoTower],
    held_out: Split,
    progress: bool | None,
    compiled: bool,
) -> list[TrainedSAE]:
    configs = [run.sae_config for run in runs]
    batch_size = configs[0].batch_size
    trainer = EnsembleTrainer(configs, models, INPUT_SCALINGS[runs[0].input_scaling], compiled)
    return fit_epochs(
        runs,
        trainer,
        trainer.members,
        lambda streams: ensemble_blocks(streams, batch_size),
        models,
        held_out,
        progress,
    )


def trained_saes(runs: Sequence[SAERunConfig], progress: bool | None = None) -> list[TrainedSAE]:
    """The trained SAEs of ``runs`` (explaining recommenders of one dataset), from the artifact cache.

    The recommenders come first (``trained_recommenders``: the seeds of an NCF train together).
    SAEs not cached yet are trained now, in ensembles of compatible runs, and each is stored
    under its own key, the one ``trained_sae(run)`` looks up: a member is found again by its run alone.
    """
    runs = list(runs)
    _require_one_split(runs)
    configs = list(dict.fromkeys(run.recommender for run in runs))
    models = {
        config: trained.model for config, trained in zip(configs, trained_recommenders(configs, progress))
    }
    data = load(runs[0].recommender.dataset)
    inputs = {config: sae_inputs(data, model) for config, model in models.items()}
    return load_or_build_many(
        "sae",
        runs,
        [inputs[run.recommender] for run in runs],
        lambda missing: train_sae_ensemble(
            missing,
            [models[run.recommender] for run in missing],
            split(data, runs[0].recommender.split),
            progress,
        ),
        stored_sae_state,
        restore_sae,
    )
