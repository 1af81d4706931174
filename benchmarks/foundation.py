"""Speed of the foundation on MovieLens-1M: run on purpose, on an otherwise idle machine.

    python benchmarks/foundation.py [--epochs 2]

Prints the cached dataset load time, seconds per training epoch of MF and NCF in the
book's settings, and the time to score every user against every item. Targets on a 2-core
CPU: cached load ≤ 1 s, MF training (10 epochs) ≤ 60 s, NCF training (30 epochs) ≤ 5 min.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import torch

from recsae.book.profiles import ncf
from recsae.data.datasets import load
from recsae.data.split import split
from recsae.models import score_all
from recsae.presets import paper_mf
from recsae.training.recommender import train_recommender


def seconds(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=2, help="epochs timed per model")
    arguments = parser.parse_args()
    torch.set_num_threads(2)
    load("ml-1m")  # parse once so that the next load is the cached one
    load_time, data = seconds(lambda: load("ml-1m"))
    held_out = split(data)
    print(f"cached load of ml-1m ({data.n_users} x {data.n_items}): {load_time:.3f} s")
    for name, config in (("MF", paper_mf("ml-1m")), ("NCF", ncf("ml-1m"))):
        timed = replace(config, epochs=arguments.epochs)
        elapsed, trained = seconds(
            lambda timed=timed: train_recommender(timed, data, held_out, progress=False)
        )
        per_epoch = elapsed / arguments.epochs
        print(
            f"{name}: {per_epoch:.2f} s per epoch -> {per_epoch * config.epochs:.0f} s for the "
            f"book's {config.epochs} epochs"
        )
        score_all(trained.model)
        score_time, _ = seconds(lambda model=trained.model: score_all(model))
        print(f"{name}: full score matrix {data.n_users} x {data.n_items}: {score_time:.2f} s")


if __name__ == "__main__":
    main()
