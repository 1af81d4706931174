"""Per-member step cost of SAE ensembles on MovieLens-1M: run on purpose, on an otherwise idle machine.

    python benchmarks/ensemble.py [--steps N] [--sizes 1 5 10 30] [--profile full]

For the paper's MF and NCF SAEs (official ``training.ipynb``) against the cached recommenders, times the
compiled step of one SAE trained alone (``AdamTrainer``) and of ensembles of E members
(``EnsembleTrainer``: the same SAE with E seeds), on the real batch stream, and prints the
milliseconds per step of each member. The first call of each trainer (tracing and, on a cold
compiler cache, compiling) is not timed. Nothing is read from or written to the SAE cache.
Target on a 2-core CPU: ≤ 0.1 ms per MF member at E ≥ 10.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
import torch
from torch import Tensor

from recsae.book.profiles import get_profile
from recsae.data.datasets import load
from recsae.data.split import forbidden_training_negatives, split
from recsae.sae import build_sae
from recsae.training.compiled_step import STEPS_PER_CALL
from recsae.training.recommender import trained_recommender
from recsae.training.sae_ensemble import EnsembleTrainer, ensemble_blocks
from recsae.training.sae_step import AdamTrainer, BlockTrainer, blocks
from recsae.training.sae_trainer import INPUT_SCALINGS, SAERunConfig, embedding_tables, sae_training_stream


def ms_per_step(trainer: BlockTrainer, calls: list[tuple[Tensor, Tensor]]) -> float:
    """Milliseconds per step over ``calls`` after the first (untimed) one; full blocks only, as
    an epoch's short tail runs eagerly."""
    calls = [block for block in calls if len(block[0]) == STEPS_PER_CALL]
    trainer(*calls[0])
    start = time.perf_counter()
    for block in calls[1:]:
        trainer(*block)
    return (time.perf_counter() - start) / ((len(calls) - 1) * STEPS_PER_CALL) * 1e3


def member_costs(run: SAERunConfig, sizes: list[int], steps: int) -> dict[str, float]:
    """Per-member milliseconds per step, alone and in each ensemble size."""
    model = trained_recommender(run.recommender).model
    held_out = split(load(run.recommender.dataset), run.recommender.split)
    forbidden = forbidden_training_negatives(held_out)
    tables, scale = embedding_tables(model), INPUT_SCALINGS[run.input_scaling]
    configs = [replace(run.sae_config, seed=seed) for seed in range(max(sizes))]
    rows = (steps // STEPS_PER_CALL + 1) * STEPS_PER_CALL * run.sae_config.batch_size
    streams = [
        tuple(
            ids[:rows] for ids in sae_training_stream(held_out, forbidden, np.random.default_rng([c.seed, 0]))
        )
        for c in configs
    ]
    alone = AdamTrainer(
        build_sae(configs[0]), model, tables, scale, run.sae_config.lr, run.sae_config.batch_size, True
    )
    costs = {"alone": ms_per_step(alone, list(blocks(*streams[0], run.sae_config.batch_size)))}
    for size in sizes:
        trainer = EnsembleTrainer(configs[:size], [model] * size, scale, compiled=True)
        member_blocks = list(ensemble_blocks(streams[:size], run.sae_config.batch_size))
        costs[f"E={size}"] = ms_per_step(trainer, member_blocks) / size
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=2000, help="timed steps per trainer")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 5, 10, 30], help="ensemble sizes E")
    parser.add_argument("--profile", default="full", help="'quick' times MovieLens-100K instead")
    arguments = parser.parse_args()
    if arguments.steps < 2 * STEPS_PER_CALL:
        parser.error(f"--steps must be at least {2 * STEPS_PER_CALL}: one untimed call and one timed.")
    torch.set_num_threads(2)
    profile = get_profile(arguments.profile)
    rows = {
        model: member_costs(profile.sae_run(model), arguments.sizes, arguments.steps)
        for model in ("mf", "ncf")
    }
    columns = list(rows["mf"])
    print(f"ms per member step ({profile.main_dataset}, compiled, {arguments.steps} steps per trainer)")
    print(f"{'SAE':<6}" + "".join(f"{column:>9}" for column in columns))
    for model, costs in rows.items():
        print(f"{model.upper():<6}" + "".join(f"{costs[column]:>9.3f}" for column in columns))


if __name__ == "__main__":
    main()
