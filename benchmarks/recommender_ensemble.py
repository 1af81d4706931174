"""Speed of NCF training on MovieLens-1M, alone and as an ensemble of seeds: run on purpose,
on an otherwise idle machine.

    python benchmarks/recommender_ensemble.py [--steps N]

Times N Adam steps at the book's batch of 256 (the official NCF batch) for the eager single-model loop of
``train_recommender`` and for ``RecommenderEnsemble`` with E = 1, 5 and 10 members, eager and
compiled; the first compiled block (tracing and compiling) is timed apart. Prints ms per step
and per member-step, and what one 30-epoch training of each member would take at that speed.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
import torch

from recsae.book.profiles import ncf
from recsae.data.datasets import load
from recsae.data.split import forbidden_training_negatives, split
from recsae.training.compiled_step import STEPS_PER_CALL
from recsae.training.determinism import deterministic
from recsae.training.recommender import _optimizer, batch_objective, build_model, epoch_samples
from recsae.training.recommender_ensemble import RecommenderEnsemble


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=2000)
    steps = parser.parse_args().steps // STEPS_PER_CALL * STEPS_PER_CALL
    config = ncf("ml-1m")
    data = load(config.dataset)
    held_out = split(data, config.split)
    forbidden = forbidden_training_negatives(held_out)
    users, items, labels = epoch_samples(held_out, forbidden, np.random.default_rng([0, 0]))
    epoch_steps = -(-len(users) // config.batch_size)
    batch = config.batch_size

    def report(name: str, seconds: float, members: int) -> None:
        per_step = 1000 * seconds / steps
        print(
            f"{name:<28} {per_step:7.3f} ms/step  {per_step / members:7.3f} ms/member-step  "
            f"30 epochs: {per_step / members * epoch_steps * config.epochs / 60_000:5.1f} min per member"
        )

    with deterministic():
        model = build_model(config, data.n_users, data.n_items)
        optimizer = _optimizer(config, model)
        start = time.perf_counter()
        for step in range(steps):
            rows = slice(step * batch, (step + 1) * batch)
            objective, _ = batch_objective(config, model, users[rows], items[rows], labels[rows])
            optimizer.zero_grad(set_to_none=True)
            objective.backward()
            optimizer.step()
        report("alone, eager", time.perf_counter() - start, 1)
        for members in (1, 5, 10):
            configs = [replace(config, seed=seed) for seed in range(members)]
            for compiled in (False, True):
                ensemble = RecommenderEnsemble(configs, data.n_users, data.n_items, compiled)
                block = STEPS_PER_CALL * batch

                def ids(
                    t: torch.Tensor, start: int, block: int = block, members: int = members
                ) -> torch.Tensor:
                    part = t[start : start + block].reshape(STEPS_PER_CALL, 1, batch)
                    return part.expand(STEPS_PER_CALL, members, batch).contiguous()

                first = time.perf_counter()
                ensemble(ids(users, 0), ids(items, 0), ids(labels, 0))
                first = time.perf_counter() - first
                start = time.perf_counter()
                for offset in range(block, (steps + STEPS_PER_CALL) * batch, block):
                    ensemble(ids(users, offset), ids(items, offset), ids(labels, offset))
                name = f"ensemble E={members}, {'compiled' if compiled else 'eager'}"
                report(name, time.perf_counter() - start, members)
                if compiled:
                    print(f"{'':<28} first call (trace + compile): {first:.1f} s")


if __name__ == "__main__":
    main()
