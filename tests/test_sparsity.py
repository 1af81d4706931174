"""How a code matrix shares its work among latents, on a hand-counted matrix."""

from __future__ import annotations

import pytest
import torch

from recsae.metrics.sparsity import latent_usage


def test_latent_usage_on_a_hand_counted_code_matrix() -> None:
    codes = torch.tensor([[1.0, 0.0, 0.0], [1.0, 2.0, 0.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    # active latents per vector 1, 2, 3, 0 -> sorted 0, 1, 2, 3; linear quantiles at 0.3 and 2.7
    usage = latent_usage(codes, busy=0.6)
    assert usage["l0.p10"] == pytest.approx(0.3)
    assert usage["l0.p90"] == pytest.approx(2.7)
    assert usage["firing.busiest"] == pytest.approx(0.75)  # latent 0 on three of four vectors
    assert usage["firing.quietest"] == pytest.approx(0.25)
    assert usage["firing.busy_latents"] == 1
