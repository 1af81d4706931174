"""Speed of SAE training on MovieLens-1M: run on purpose, on an otherwise idle machine.

    python benchmarks/sae.py [--sweep]

Trains the paper's MF and NCF SAEs (18 epochs, batch 256, as in ``training.ipynb``) against the cached
recommenders and prints the seconds of each, split into the first call (tracing and, on a
cold compiler cache, compiling) and the rest, beside the eager step's time per step. With
``--sweep`` it also times the β sweep {0, 1, 2, 5, 10} of both backbones. Nothing is read
from or written to the SAE cache. Target on a 2-core CPU: one SAE ≤ 60 s; the β sweep of
both backbones well under 10 minutes.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from recsae.book.profiles import get_profile
from recsae.book.sweeps import beta_sweep
from recsae.data.datasets import load
from recsae.data.split import forbidden_training_negatives, split
from recsae.sae import build_sae
from recsae.training.compiled_step import STEPS_PER_CALL
from recsae.training.recommender import trained_recommender
from recsae.training.sae_step import AdamTrainer
from recsae.training.sae_trainer import INPUT_SCALINGS, SAERunConfig, sae_training_stream, train_sae

EAGER_STEPS = 400


def eager_ms_per_step(run: SAERunConfig) -> float:
    """Milliseconds per step of the uncompiled step on the first batches of an epoch."""
    model = trained_recommender(run.recommender).model
    held_out = split(load(run.recommender.dataset), run.recommender.split)
    users, items = sae_training_stream(
        held_out, forbidden_training_negatives(held_out), np.random.default_rng(0)
    )
    tables = (model.user_vectors.detach(), model.item_vectors.detach())
    trainer = AdamTrainer(
        build_sae(run.sae_config),
        model,
        tables,
        INPUT_SCALINGS[run.input_scaling],
        run.sae_config.lr,
        run.sae_config.batch_size,
        compiled=False,
    )
    batch = run.sae_config.batch_size
    start = time.perf_counter()
    for step in range(EAGER_STEPS):
        trainer(
            users[step * batch : (step + 1) * batch][None], items[step * batch : (step + 1) * batch][None]
        )
    return (time.perf_counter() - start) / EAGER_STEPS * 1e3


def train_seconds(run: SAERunConfig) -> float:
    model = trained_recommender(run.recommender).model
    held_out = split(load(run.recommender.dataset), run.recommender.split)
    start = time.perf_counter()
    train_sae(run, model, held_out, progress=False, compiled=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sweep", action="store_true", help="also time the β sweep of both backbones")
    arguments = parser.parse_args()
    torch.set_num_threads(2)
    profile = get_profile("full")
    for model in ("mf", "ncf"):
        run = profile.sae_run(model)
        print(f"{model.upper()} SAE, eager step: {eager_ms_per_step(run):.2f} ms per step")
        print(
            f"{model.upper()} SAE, compiled ({STEPS_PER_CALL} steps per call), 18 epochs: "
            f"{train_seconds(run):.0f} s (first run in this process, including compilation)"
        )
        print(f"{model.upper()} SAE, compiled, again: {train_seconds(run):.0f} s")
    if arguments.sweep:
        start = time.perf_counter()
        for model in ("mf", "ncf"):
            for run in beta_sweep(profile.sae_run(model)).values():
                train_seconds(run)
        print(f"beta sweep, 2 backbones x 5 values: {(time.perf_counter() - start) / 60:.1f} min")


if __name__ == "__main__":
    main()
