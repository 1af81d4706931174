"""The CPU kernels are pinned on import, so that training gives the same bits on any x86 machine."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from recsae.training.determinism import PINNED_ARITHMETIC

REPORT = "import os, torch, recsae; print(os.environ['MKL_CBWR'], torch.backends.cpu.get_cpu_capability())"


def _report(**environment: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in PINNED_ARITHMETIC}
    result = subprocess.run(
        [sys.executable, "-c", REPORT],
        env={**clean, **environment},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


@pytest.mark.skipif(not torch.cpu._is_avx2_supported(), reason="the pinning applies to CPUs with AVX2")
def test_importing_recsae_pins_the_kernels_and_keeps_a_choice_already_made() -> None:
    assert _report() == "COMPATIBLE AVX2"
    assert _report(MKL_CBWR="AUTO", ATEN_CPU_CAPABILITY="default") == "AUTO DEFAULT"
