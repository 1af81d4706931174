"""Bit-identical training: the same config trains the same model, run after run.

PyTorch's default CPU kernels for some backward passes (the scatter behind embedding-row
gradients) may add in a different order from run to run; with deterministic algorithms on,
a rerun reproduces every bit on the same CPU. That is what lets CI
re-execute a chapter that trains models and compare its numbers with the committed ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def deterministic() -> Iterator[None]:
    """Run the enclosed code with deterministic algorithms, restoring the caller's setting after."""
    previous = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous)
