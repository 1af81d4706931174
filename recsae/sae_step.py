"""The SAE's optimisation step as a pure function of its parameters, so that it can be compiled.

Training an SAE in the paper's setting is about 110k Adam steps (18 epochs of batches of 256
interactions, PAPER §2.4) on a 22 × 20 matrix. The arithmetic of one step is tiny; eager
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

import os
from collections.abc import Callable, Iterator

import torch
import torch._dynamo.exc
import torch._inductor.exc
from torch import Tensor, nn
from torch.func import functional_call, grad_and_value

from recsae.sae import LossWeights, Recommender, SparseAutoencoder, total_loss

COMPILE_ENV = "RECSAE_COMPILE"
"""Environment variable; "0" trains with the eager step instead of the compiled one."""

STEPS_PER_CALL = 4
"""Consecutive batches one compiled call trains on: more amortises the call overhead, but the
compilation grows with the unrolled graph (25–35 s at 4 on a 2-core CPU with a cold cache)."""

COMPILER_ERRORS: tuple[type[BaseException], ...] = (
    torch._dynamo.exc.TorchDynamoException,  # tracing and backend failures, inductor's included
    torch._inductor.exc.CppCompileError,
    OSError,  # no compiler executable, or one that cannot be run
)
"""What a missing or broken C++ toolchain raises from the first compiled call; any other error
is a real failure of the step and propagates unchanged."""

ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
"""``torch.optim.Adam``'s defaults, which the paper's SAEs use (PAPER §2.4)."""


def compile_by_default() -> bool:
    """Whether training compiles its step: yes unless ``RECSAE_COMPILE=0``."""
    return os.environ.get(COMPILE_ENV, "1") != "0"


class _Objective(nn.Module):
    """The SAE's training loss as a module, so ``functional_call`` can swap in its parameters."""

    def __init__(self, sae: SparseAutoencoder, model: Recommender) -> None:
        super().__init__()
        self.sae = sae
        self.model = model
        # Weights as tensors are inputs of the compiled graph rather than constants baked into
        # it, so a β or λ sweep compiles once.
        self.weights = LossWeights(*(torch.tensor(float(w)) for w in sae.config.loss_weights))

    def forward(
        self, users: Tensor, items: Tensor, user_vectors: Tensor, item_vectors: Tensor
    ) -> tuple[Tensor, tuple[Tensor, Tensor, Tensor]]:
        """The total loss, with (loss terms [4], user codes, item codes) detached as auxiliaries."""
        terms = total_loss(self.sae, self.model, users, items, user_vectors, item_vectors, self.weights)
        parts = torch.stack([terms.total, terms.embedding, terms.prediction, terms.sparsity]).detach()
        return terms.total, (parts, terms.user_codes.detach(), terms.item_codes.detach())


class AdamTrainer:
    """Trains ``sae`` in place with Adam on blocks of batches [n, B] of (user, item) ids.

    ``scale`` maps a batch of embeddings to what the SAE sees (PAPER §10.2). Blocks of exactly
    ``STEPS_PER_CALL`` × ``batch_size`` go through the compiled step when ``compiled``; any
    other block (an epoch's last, shorter batches) through the same step run eagerly. Calling
    the trainer returns the summed (total, L_emb, L_pred, sparsity) of the block's steps.
    """

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
        self.sae = sae
        self.objective = _Objective(sae, model)
        self.user_table, self.item_table = tables
        self.scale = scale
        self.lr = lr
        self.batch_size = batch_size
        # Detached views share storage with the SAE's parameters, so updating them in place
        # trains the SAE itself.
        self.params = {f"sae.{name}": p.detach() for name, p in sae.named_parameters()}
        self.exp_avg = {name: torch.zeros_like(p) for name, p in self.params.items()}
        self.exp_avg_sq = {name: torch.zeros_like(p) for name, p in self.params.items()}
        self.step_count = torch.zeros(())
        self.compiled: Callable[[Tensor, Tensor], Tensor] | None = None
        if compiled:
            # Dynamo keeps compiled code per function object with guards on what it read; a
            # fresh cache per SAE keeps a long sweep clear of its recompilation limit.
            torch._dynamo.reset()
            self.compiled = torch.compile(self.train_block, fullgraph=True, dynamic=False, options={"cpp_wrapper": True})

    def __call__(self, users: Tensor, items: Tensor) -> Tensor:
        if self.compiled is not None and users.shape == (STEPS_PER_CALL, self.batch_size):
            try:
                return self.compiled(users, items)
            except COMPILER_ERRORS as error:
                raise RuntimeError(
                    f"Compiling the SAE training step failed ({type(error).__name__}); set "
                    f"{COMPILE_ENV}=0 to train with the eager step instead."
                ) from error
        return self.train_block(users, items)

    def train_block(self, users: Tensor, items: Tensor) -> Tensor:
        """One Adam step per row of ``users``/``items`` [n, B]; the summed loss terms [4]."""
        sums = torch.zeros(4)
        for batch_users, batch_items in zip(users, items):
            sums = sums + self.train_step(batch_users, batch_items)
        return sums

    def train_step(self, users: Tensor, items: Tensor) -> Tensor:
        """One Adam step on one batch; returns (total, L_emb, L_pred, sparsity)."""
        user_vectors = self.scale(self.user_table.index_select(0, users))
        item_vectors = self.scale(self.item_table.index_select(0, items))

        def loss(params: dict[str, Tensor]) -> tuple[Tensor, tuple[Tensor, Tensor, Tensor]]:
            return functional_call(self.objective, params, (users, items, user_vectors, item_vectors))

        grads, (_, (parts, user_codes, item_codes)) = grad_and_value(loss, has_aux=True)(self.params)
        self.sae.record_activity(user_codes, item_codes)
        self.adam_update(grads)
        return parts

    @torch.no_grad()
    def adam_update(self, grads: dict[str, Tensor]) -> None:
        """``torch.optim.Adam``'s default update (no weight decay, no AMSGrad), in place."""
        beta1, beta2 = ADAM_BETAS
        self.step_count.add_(1)
        step_size = self.lr / (1 - beta1**self.step_count)
        bias_correction2_sqrt = (1 - beta2**self.step_count).sqrt()
        for name, param in self.params.items():
            grad = grads[name]
            self.exp_avg[name].lerp_(grad, 1 - beta1)
            self.exp_avg_sq[name].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            denominator = self.exp_avg_sq[name].sqrt() / bias_correction2_sqrt + ADAM_EPS
            param.sub_(step_size * self.exp_avg[name] / denominator)


def blocks(users: Tensor, items: Tensor, batch_size: int) -> Iterator[tuple[Tensor, Tensor]]:
    """An epoch's rows as blocks [STEPS_PER_CALL, batch_size], then the remaining batches one
    by one as [1, ≤ batch_size]: the same batches, in the same order, as plain batching."""
    full = len(users) // (STEPS_PER_CALL * batch_size) * STEPS_PER_CALL * batch_size
    shape = (-1, STEPS_PER_CALL, batch_size)
    yield from zip(users[:full].reshape(shape), items[:full].reshape(shape))
    for batch_users, batch_items in zip(users[full:].split(batch_size), items[full:].split(batch_size)):
        yield batch_users[None], batch_items[None]
