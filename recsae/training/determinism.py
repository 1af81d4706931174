"""Bit-identical training: the same config trains the same model, run after run, machine after machine.

PyTorch's default CPU kernels for some backward passes (the scatter behind embedding-row
gradients) may add in a different order from run to run; with deterministic algorithms on,
a rerun reproduces every bit on the same CPU. Across CPUs the kernels themselves differ: PyTorch
and its compiler pick AVX-512 code where the CPU has it, and MKL picks a matrix product per
processor model, so an Intel and an AMD machine round apart in the last bits, and training
turns that into different models. ``pin_cpu_arithmetic`` fixes both choices, which is what lets
a chapter that trains models be re-executed on another machine and compared with the committed
outputs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch

PINNED_ARITHMETIC = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "COMPATIBLE"}
"""PyTorch's kernels (and the compiler's generated code, which follows the same variable) at
AVX2, which every x86 CPU of the last decade has; MKL on its one branch documented to give the
same results on Intel and non-Intel processors (SSE2 without approximate instructions), which
makes small matrix products about twice as slow and large ones a quarter slower."""


def pin_cpu_arithmetic() -> None:
    """Choose the same CPU kernels on every x86 machine with AVX2, unless the caller chose.

    Both libraries read these variables when they first compute, so this runs on importing
    ``recsae``, before any tensor arithmetic. Values already set in the environment are kept.
    """
    if not torch.cpu._is_avx2_supported():
        return
    for name, value in PINNED_ARITHMETIC.items():
        os.environ.setdefault(name, value)


@contextmanager
def deterministic() -> Iterator[None]:
    """Run the enclosed code with deterministic algorithms, restoring the caller's setting after."""
    previous = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous)
