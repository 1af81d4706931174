"""How an SAE's code matrix shares its work among latents, the figures behind the mean L0.

The mean number of active latents per vector (``recsae.sae.mean_l0``) hides how that work is
spread: a code can be sparse on average while a few latents fire on nearly every vector, and
a latent that fires almost everywhere can hardly single out a concept.
"""

from __future__ import annotations

import torch
from numpy.typing import ArrayLike
from torch import Tensor


def latent_usage(codes: Tensor | ArrayLike, busy: float = 0.8) -> dict[str, float]:
    """The 10th and 90th percentile of the active latents per vector (rows of ``codes``), the
    share of vectors on which the busiest and the quietest latent fire, and how many latents
    fire on more than ``busy`` of the vectors."""
    active = torch.as_tensor(codes) != 0
    per_vector = active.sum(dim=-1).double()
    firing = active.double().mean(dim=0)
    return {
        "l0.p10": float(per_vector.quantile(0.1)),
        "l0.p90": float(per_vector.quantile(0.9)),
        "firing.busiest": float(firing.max()),
        "firing.quietest": float(firing.min()),
        "firing.busy_latents": int((firing > busy).sum()),
    }
