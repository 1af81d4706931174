"""The two frozen two-tower recommenders of the paper (official ``code/ML1M/models.ipynb``): MF and NCF.

Both score a (user, item) pair from the two embedding vectors, so that later chapters can
feed *other* vectors — SAE reconstructions, edited codes — through the same frozen model.
Ids are passed along only for what is not an embedding (the MF biases).

* ``pair_logits``: matched pairs, shape ``(B,)``.
* ``logit_matrix``: every user × every item, shape ``(U, I)``; differentiable.
* :func:`score_all`: the same for all users in chunks, without gradients, for ranking.

Logits are pre-sigmoid scores; ranking by them equals ranking by the probability.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TypeVar

import torch
from torch import Tensor, nn


class MatrixFactorization(nn.Module):
    """Logistic MF: ŷ = σ(b + b_u + b_i + e_u·e_i) with a constant offset b (as in the official code)."""

    def __init__(
        self, n_users: int, n_items: int, dim: int, init_std: float, offset: float, generator: torch.Generator
    ) -> None:
        super().__init__()
        self.user_vectors = nn.Parameter(torch.randn(n_users, dim, generator=generator) * init_std)
        self.item_vectors = nn.Parameter(torch.randn(n_items, dim, generator=generator) * init_std)
        self.user_bias = nn.Parameter(torch.zeros(n_users))
        self.item_bias = nn.Parameter(torch.zeros(n_items))
        self.register_buffer("offset", torch.tensor(float(offset)))

    def pair_logits(self, user_vectors: Tensor, item_vectors: Tensor, users: Tensor, items: Tensor) -> Tensor:
        dot = (user_vectors * item_vectors).sum(-1)
        return dot + self.user_bias[users] + self.item_bias[items] + self.offset

    def logit_matrix(
        self, user_vectors: Tensor, item_vectors: Tensor, users: Tensor, items: Tensor
    ) -> Tensor:
        dot = user_vectors @ item_vectors.T
        return dot + self.user_bias[users, None] + self.item_bias[None, items] + self.offset

    def regularised_rows(self, users: Tensor, items: Tensor) -> Sequence[Tensor]:
        """The parameters one training pair touches; the paper's L2 acts on exactly these."""
        return (
            self.user_vectors[users],
            self.item_vectors[items],
            self.user_bias[users],
            self.item_bias[items],
        )


class NeuralCF(nn.Module):
    """NCF, MLP tower only: ŷ = σ(MLP([e_u; e_i])), 2d → 64 → 32 → 16 → 1 (as in the official code).

    The first layer acts on the concatenation, so it splits exactly into a user part and an
    item part: W[e_u; e_i] = W_u e_u + W_i e_i. ``logit_matrix`` uses that to score U × I
    pairs with U + I first-layer products instead of U · I, which makes full ranking about five
    times faster.
    """

    def __init__(
        self,
        n_users: int,
        n_items: int,
        dim: int,
        hidden: Sequence[int],
        init_std: float,
        generator: torch.Generator,
    ) -> None:
        super().__init__()
        self.user_vectors = nn.Parameter(torch.randn(n_users, dim, generator=generator) * init_std)
        self.item_vectors = nn.Parameter(torch.randn(n_items, dim, generator=generator) * init_std)
        widths = [2 * dim, *hidden]
        layers: list[nn.Module] = []
        for width_in, width_out in itertools.pairwise(widths):
            layers += [nn.Linear(width_in, width_out), nn.ReLU()]
        layers.append(nn.Linear(widths[-1], 1))
        self.mlp = nn.Sequential(*layers)
        _reinitialise(self.mlp, generator)

    def pair_logits(self, user_vectors: Tensor, item_vectors: Tensor, users: Tensor, items: Tensor) -> Tensor:
        return self.mlp(torch.cat([user_vectors, item_vectors], dim=-1)).squeeze(-1)

    def logit_matrix(
        self, user_vectors: Tensor, item_vectors: Tensor, users: Tensor, items: Tensor
    ) -> Tensor:
        first = self.mlp[0]
        dim = user_vectors.shape[-1]
        user_part = user_vectors @ first.weight[:, :dim].T + first.bias
        item_part = item_vectors @ first.weight[:, dim:].T
        hidden = torch.relu(user_part[:, None, :] + item_part[None, :, :])
        return self.mlp[2:](hidden).squeeze(-1)

    def regularised_rows(self, users: Tensor, items: Tensor) -> Sequence[Tensor]:
        return (self.user_vectors[users], self.item_vectors[items])


TwoTower = MatrixFactorization | NeuralCF
ModuleT = TypeVar("ModuleT", bound=nn.Module)


def freeze(module: ModuleT) -> ModuleT:
    """Eval mode and no parameter requiring grad: how every trained model is handed out, so
    that later stages can back-propagate *through* it without ever changing it."""
    module.eval()
    module.requires_grad_(False)
    return module


def _reinitialise(module: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default Linear init, but drawn from our generator so training is reproducible."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            bound = 1.0 / layer.in_features**0.5
            with torch.no_grad():
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.uniform_(-bound, bound, generator=generator)


@torch.no_grad()
def score_all(
    model: TwoTower,
    user_vectors: Tensor | None = None,
    item_vectors: Tensor | None = None,
    users: Tensor | None = None,
    chunk_size: int = 32,
) -> Tensor:
    """Logits of ``users`` (default: all) × all items, in small user chunks (the NCF hidden
    activations of a chunk then fit in cache, which makes full ranking several times faster).

    ``user_vectors``/``item_vectors`` default to the model's own embeddings; pass SAE
    reconstructions or edited vectors to score those instead.
    """
    if users is None:
        users = torch.arange(model.user_vectors.shape[0])
    if user_vectors is None:
        user_vectors = model.user_vectors[users]
    if item_vectors is None:
        item_vectors = model.item_vectors
    items = torch.arange(item_vectors.shape[0])
    chunks = [
        model.logit_matrix(
            user_vectors[start : start + chunk_size], item_vectors, users[start : start + chunk_size], items
        )
        for start in range(0, len(users), chunk_size)
    ]
    return torch.cat(chunks)
