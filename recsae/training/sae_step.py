"""The SAE's optimisation step as a pure function of its parameters, so that it can be compiled.

Training an SAE in the paper's setting is about 110k Adam steps (18 epochs of batches of 256
interactions, ``code/ML1M/training.ipynb``) on a 22 × 20 matrix. The arithmetic of one step is tiny; eager
PyTorch spends its time dispatching some 200 small operations and their autograd records,
about 2.5 ms per step on two laptop cores, or 4–5 minutes per SAE. Written functionally
(``torch.func.grad_and_value`` over the parameters, Adam as tensor arithmetic) the step
compiles into one graph, and ``STEPS_PER_CALL`` consecutive steps compile into one call, which
brings a step under 0.5 ms.

The compiled and the eager step compute the same update, and each is bit-reproducible from
run to run on the same machine; they differ from each other only in floating-point rounding.
Set ``RECSAE_COMPILE=0`` where no C++ compiler is available, to train eagerly (slower).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping

import torch
from torch import Tensor, nn
from torch.func import functional_call, grad_and_value

from recsae.sae import LossTerms, LossWeights, Recommender, SparseAutoencoder, total_loss
from recsae.training.compiled_step import STEPS_PER_CALL, Adam, call_compiled, compile_step


def loss_and_auxiliaries(terms: LossTerms) -> tuple[Tensor, tuple[Tensor, Tensor, Tensor]]:
    """The total loss, with (loss terms [4], user codes, item codes) detached as auxiliaries: the
    output ``grad_and_value(..., has_aux=True)`` differentiates."""
    parts = torch.stack([terms.total, terms.embedding, terms.prediction, terms.sparsity]).detach()
    return terms.total, (parts, terms.user_codes.detach(), terms.item_codes.detach())


class _Objective(nn.Module):
    """The SAE's training loss as a module, so ``functional_call`` can swap in its parameters."""

    def __init__(self, sae: SparseAutoencoder, model: Recommender) -> None:
        super().__init__()
        self.autoencoder = sae
        self.model = model
        # Weights as tensors are inputs of the compiled graph rather than constants baked into
        # it, so a β or λ sweep compiles once.
        self.weights = LossWeights(*(torch.tensor(float(w)) for w in sae.config.loss_weights))

    def forward(
        self, users: Tensor, items: Tensor, user_vectors: Tensor, item_vectors: Tensor
    ) -> tuple[Tensor, tuple[Tensor, Tensor, Tensor]]:
        terms = total_loss(
            self.autoencoder, self.model, users, items, user_vectors, item_vectors, self.weights
        )
        return loss_and_auxiliaries(terms)


def loss_gradients(
    objective: nn.Module,
    params: dict[str, Tensor],
    tables: tuple[Tensor, Tensor],
    scale: Callable[[Tensor], Tensor],
    users: Tensor,
    items: Tensor,
    *inputs: object,
    buffers: Mapping[str, Tensor] | None = None,
) -> tuple[dict[str, Tensor], tuple[Tensor, Tensor, Tensor]]:
    """Gradients of ``objective`` in ``params`` on one batch, and its auxiliaries.

    The batch's embeddings are looked up in ``tables`` (user, item) and scaled outside the
    differentiated function: they are data, not parameters. ``inputs`` follow the four batch
    arguments of ``objective``; ``buffers`` replace the objective's own (an ensemble member's
    dead-latent clock).
    """
    user_vectors = scale(tables[0].index_select(0, users))
    item_vectors = scale(tables[1].index_select(0, items))

    def loss(params: dict[str, Tensor]) -> tuple[Tensor, tuple[Tensor, Tensor, Tensor]]:
        arguments = (users, items, user_vectors, item_vectors, *inputs)
        return functional_call(objective, {**params, **(buffers or {})}, arguments)

    grads, (_, auxiliaries) = grad_and_value(loss, has_aux=True)(params)
    return grads, auxiliaries


class BlockTrainer(ABC):
    """Runs blocks of steps, through the compiled step when a block has ``compiled_shape``.

    Subclasses set ``compiled_shape`` (the id block one compiled call takes) and
    ``loss_shape`` (of one step's loss terms), then call ``_compile`` if asked to compile, and
    define ``train_step``. Calling the trainer returns the summed loss terms of the block's steps.
    """

    compiled_shape: tuple[int, ...]
    loss_shape: tuple[int, ...]
    compiled: Callable[[Tensor, Tensor], Tensor] | None = None

    def _compile(self) -> None:
        self.compiled = compile_step(self.train_block)

    def __call__(self, users: Tensor, items: Tensor) -> Tensor:
        if self.compiled is not None and users.shape == self.compiled_shape:
            return call_compiled(self.compiled, "SAE", users, items)
        return self.train_block(users, items)

    def train_block(self, users: Tensor, items: Tensor) -> Tensor:
        """One step per row of ``users``/``items``; the summed loss terms."""
        sums = torch.zeros(self.loss_shape)
        for batch_users, batch_items in zip(users, items):
            sums = sums + self.train_step(batch_users, batch_items)
        return sums

    @abstractmethod
    def train_step(self, users: Tensor, items: Tensor) -> Tensor:
        """One Adam step on one batch; returns its (total, L_emb, L_pred, sparsity)."""


class AdamTrainer(BlockTrainer):
    """Trains ``sae`` in place with Adam on blocks of batches [n, B] of (user, item) ids.

    ``scale`` maps a batch of embeddings to what the SAE sees (raw, or batch min-max). Blocks of exactly
    ``STEPS_PER_CALL`` × ``batch_size`` go through the compiled step when ``compiled``; any
    other block (an epoch's last, shorter batches) through the same step run eagerly. Calling
    the trainer returns the summed (total, L_emb, L_pred, sparsity) of the block's steps.
    """

    loss_shape = (4,)

    def __init__(
        self,
        sae: SparseAutoencoder,
        model: Recommender,
        tables: tuple[Tensor, Tensor],
        scale: Callable[[Tensor], Tensor],
        lr: float,
        batch_size: int,
        compiled: bool,
    ) -> None:
        self.autoencoder = sae
        self.objective = _Objective(sae, model)
        self.tables = tables
        self.scale = scale
        self.compiled_shape = (STEPS_PER_CALL, batch_size)
        # Detached views share storage with the SAE's parameters, so updating them in place
        # trains the SAE itself.
        self.adam = Adam({f"autoencoder.{name}": p.detach() for name, p in sae.named_parameters()}, lr)
        if compiled:
            self._compile()

    def train_step(self, users: Tensor, items: Tensor) -> Tensor:
        grads, (parts, user_codes, item_codes) = loss_gradients(
            self.objective, self.adam.params, self.tables, self.scale, users, items
        )
        self.autoencoder.record_activity(user_codes, item_codes)
        self.adam.update(grads)
        return parts


def blocks(users: Tensor, items: Tensor, batch_size: int) -> Iterator[tuple[Tensor, Tensor]]:
    """An epoch's rows as blocks [STEPS_PER_CALL, batch_size], then the remaining batches one
    by one as [1, ≤ batch_size]: the same batches, in the same order, as plain batching."""
    full = len(users) // (STEPS_PER_CALL * batch_size) * STEPS_PER_CALL * batch_size
    shape = (-1, STEPS_PER_CALL, batch_size)
    yield from zip(users[:full].reshape(shape), items[:full].reshape(shape))
    # ``split`` of an empty tail would still give one (empty) batch, whose loss is NaN.
    if full < len(users):
        for batch_users, batch_items in zip(users[full:].split(batch_size), items[full:].split(batch_size)):
            yield batch_users[None], batch_items[None]
