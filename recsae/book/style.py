"""The house style every chapter loads in its first cell: plots, tables, threads, determinism."""

from __future__ import annotations

import matplotlib as mpl
import pandas as pd
import seaborn as sns
import torch
from IPython.display import HTML


def setup(threads: int = 2) -> None:
    """Same look and bit-identical numbers on every run of a chapter.

    A fixed thread count and deterministic kernels make training reproduce exactly on the
    same CPU, which is what lets the executed chapters be re-checked in CI.
    """
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    mpl.rcParams.update(
        {
            "figure.figsize": (8, 3.6),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "axes.titlesize": "medium",
            "axes.titleweight": "bold",
            "svg.hashsalt": "recsae",
        }
    )
    pd.set_option("display.precision", 3)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.width", 120)


def text_table(frame: pd.DataFrame) -> HTML:
    """A table of sentences shown whole (pandas cuts long cells), without its index; cells may
    hold HTML links."""
    return HTML(frame.to_html(index=False, escape=False, na_rep=""))
