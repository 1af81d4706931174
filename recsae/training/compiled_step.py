"""What the compiled trainers (SAEs, SAE ensembles, recommender ensembles) share: the switch
between compiled and eager steps, the errors that mean "no working compiler", and Adam written
as tensor arithmetic so that it compiles into the step.

Training steps here are tiny, so eager PyTorch spends most of a step dispatching operations;
a step written as a pure function compiles into one graph, and ``STEPS_PER_CALL`` consecutive
steps into one call. Set ``RECSAE_COMPILE=0`` where no C++ compiler is available, to train with
the same steps eagerly (slower).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

import torch
import torch._dynamo.exc
import torch._inductor.exc
from torch import Tensor

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
"""``torch.optim.Adam``'s defaults, which the official SAE training uses (``code/ML1M/training.ipynb``)."""


R = TypeVar("R")


def compile_step(step: Callable[..., R]) -> Callable[..., R]:
    """``step`` compiled into one graph for fixed shapes.

    Dynamo keeps compiled code per function object with guards on what it read; a fresh cache
    per trainer keeps a long sweep clear of its recompilation limit.
    """
    torch._dynamo.reset()
    return torch.compile(step, fullgraph=True, dynamic=False, options={"cpp_wrapper": True})


def call_compiled(compiled: Callable[..., R], what: str, *arguments: object) -> R:
    """``compiled(*arguments)``, with a missing or broken C++ toolchain said in one sentence
    that names the way out (``RECSAE_COMPILE=0``)."""
    try:
        return compiled(*arguments)
    except COMPILER_ERRORS as error:
        raise RuntimeError(
            f"Compiling the {what} training step failed ({type(error).__name__}); set "
            f"{COMPILE_ENV}=0 to train with the eager step instead."
        ) from error


def compile_by_default() -> bool:
    """Whether training compiles its step: yes unless ``RECSAE_COMPILE=0``."""
    return os.environ.get(COMPILE_ENV, "1") != "0"


class Adam:
    """``torch.optim.Adam``'s default update (no weight decay, no AMSGrad) as tensor arithmetic,
    in place on ``params``, so it compiles into the step.

    ``lr`` is one rate, or one per ensemble member [E] when every tensor of ``params`` has the
    members on its leading axis; members then share nothing but the step count.
    """

    def __init__(self, params: dict[str, Tensor], lr: float | Tensor) -> None:
        self.params = params
        self.lr = lr
        self.exp_avg = {name: torch.zeros_like(p) for name, p in params.items()}
        self.exp_avg_sq = {name: torch.zeros_like(p) for name, p in params.items()}
        self.step_count = torch.zeros(())

    @torch.no_grad()
    def update(self, grads: dict[str, Tensor], step: Tensor | None = None) -> None:
        """Adam step number ``step`` (default: one more than the last). A graph that vmaps the
        gradient loses the in-place count when compiled, so such a caller counts steps itself."""
        beta1, beta2 = ADAM_BETAS
        if step is None:
            step = self.step_count.add_(1)
        # What ``lr / tensor`` computes for a float lr; written out, a tensor of rates rounds alike.
        step_size = (1 - beta1**step).reciprocal() * self.lr
        bias_correction2_sqrt = (1 - beta2**step).sqrt()
        for name, param in self.params.items():
            grad = grads[name]
            self.exp_avg[name].lerp_(grad, 1 - beta1)
            self.exp_avg_sq[name].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            denominator = self.exp_avg_sq[name].sqrt() / bias_correction2_sqrt + ADAM_EPS
            param.sub_(_per_member(step_size, param) * self.exp_avg[name] / denominator)


def _per_member(value: Tensor, like: Tensor) -> Tensor:
    """A 0-d ``value`` as it is; one of [E] values shaped to broadcast over ``like`` [E, ...]."""
    if value.ndim == 0:
        return value
    return value.reshape(-1, *(1,) * (like.ndim - 1))
