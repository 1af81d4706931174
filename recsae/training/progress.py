"""Training progress on the terminal, never in a notebook's outputs.

Inside a notebook kernel ``sys.stderr`` is the cell's output, so a bar written there would end
up in the executed chapter. The book's runner sets ``RECSAE_PROGRESS=terminal`` and starts its
kernels without capturing their file descriptors: a bar written to the process's own stderr
(``sys.__stderr__``) then reaches the terminal that runs the book and nothing else. As with
tqdm's default, a bar shows only where its stream is a terminal, so logs stay clean.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

from tqdm import tqdm

PROGRESS_ENV = "RECSAE_PROGRESS"
"""Set to ``terminal`` to draw bars on the process's own stderr instead of ``sys.stderr``."""


def epoch_bar(epochs: int, description: str, progress: bool | None) -> Iterable[int]:
    """``range(epochs)`` with a bar: shown when ``progress`` is True, hidden when False, and
    with None shown only on a terminal."""
    stream = sys.__stderr__ if os.environ.get(PROGRESS_ENV) == "terminal" else sys.stderr
    return tqdm(
        range(epochs), desc=description, file=stream, disable=None if progress is None else not progress
    )
