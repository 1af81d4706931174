"""SAE ensembles: each member trains as it would alone, runs group by what shapes the step,
and the Gram form of the MF cross-product L_pred equals the direct one."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import Tensor

from recsae.data.sources import DATA_DIR_ENV
from recsae.data.split import Split, SplitConfig, forbidden_training_negatives
from recsae.data.synthetic import PlantedDataset
from recsae.models import MatrixFactorization, freeze
from recsae.presets import paper_mf, paper_sae
from recsae.sae import SAEConfig, advance_activity_clock, build_sae, prediction_loss
from recsae.training import sae_ensemble, sae_step
from recsae.training.recommender import TrainedRecommender, train_recommender
from recsae.training.sae_ensemble import (
    EnsembleTrainer,
    ensemble_blocks,
    ensemble_groups,
    mf_cross_prediction_loss,
    train_sae_ensemble,
    trained_saes,
)
from recsae.training.sae_step import AdamTrainer, blocks
from recsae.training.sae_trainer import (
    SAERunConfig,
    embedding_tables,
    sae_training_stream,
    train_sae,
    trained_sae,
)

BATCH = 32
ROWS = BATCH * 4 * 50 + 40
"""About 200 steps per member: 50 blocks of 4 batches, then a batch of 32 and one of 8, so the
eager tail follows the compiled blocks."""

RTOL, ATOL = 1e-5, 1e-5
"""For the compiled runs, in float32: after 200 steps members differ from their solo runs by
a few 1e-6 in loss terms and parameters (the batched kernels, with an NCF's weights batched per
member, and the Gram form round differently), and by how much depends on the CPU's kernels."""

EXACT = 1e-10
"""For the eager runs, in float64, where the gap after 200 steps is ~1e-15 on any CPU."""

VARIANTS = {
    "kl": {},
    "l1": {"sparsity": "l1"},
    # k = 2 of 22 with a 3-step clock: latents die early, so AuxK takes part.
    "topk": {"sparsity": "topk", "k": 2, "aux_k": 4, "dead_steps": 3},
    "matryoshka": {"sparsity": "matryoshka", "width": 12, "prefixes": (4, 8, 12)},
}


def _member_configs(recommender: TrainedRecommender, **changes: object) -> list[SAEConfig]:
    """Three members that differ in everything an ensemble lets them differ in."""
    base = replace(paper_sae(recommender.config).sae_config, batch_size=BATCH, **changes)
    return [
        replace(base, seed=0),
        replace(base, seed=1, alpha=2 * base.alpha, lambda_l1=0.05, lr=3e-3),
        replace(base, seed=2, beta=base.beta / 2, lambda_kl=3 * base.lambda_kl, rho=0.1, lambda_aux=0.1),
    ]


def _streams(held_out: Split, configs: list[SAEConfig]) -> list[tuple[Tensor, Tensor]]:
    forbidden = forbidden_training_negatives(held_out)
    streams = [sae_training_stream(held_out, forbidden, np.random.default_rng([c.seed, 0])) for c in configs]
    return [(users[:ROWS], items[:ROWS]) for users, items in streams]


def assert_member_follows_its_solo_run(
    recommenders: list[TrainedRecommender],
    held_out: Split,
    configs: list[SAEConfig],
    compiled: bool,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> None:
    """Train the configs as one ensemble (config i explaining ``recommenders[i]``) and each alone
    on the same batches; compare every step's loss terms, and the final parameters, Adam
    moments and dead-latent clocks."""
    models = [recommender.model for recommender in recommenders]
    streams = _streams(held_out, configs)
    ensemble = EnsembleTrainer(configs, models, lambda x: x, compiled)
    ensemble_sums = torch.stack([ensemble(*block) for block in ensemble_blocks(streams, BATCH)])
    members = ensemble.members()
    for index, (config, model, (users, items)) in enumerate(zip(configs, models, streams)):
        tables = embedding_tables(model)
        alone = AdamTrainer(build_sae(config), model, tables, lambda x: x, config.lr, BATCH, compiled)
        sums = torch.stack([alone(*block) for block in blocks(users, items, BATCH)])
        torch.testing.assert_close(ensemble_sums[:, index], sums, rtol=rtol, atol=atol)
        for name, value in alone.autoencoder.state_dict().items():
            expected = members[index].state_dict()[name]
            if value.is_floating_point():
                torch.testing.assert_close(expected, value, rtol=rtol, atol=atol, msg=name)
            else:
                assert torch.equal(expected, value), name
        for moments, alone_moments in (
            (ensemble.adam.exp_avg, alone.adam.exp_avg),
            (ensemble.adam.exp_avg_sq, alone.adam.exp_avg_sq),
        ):
            for name, value in alone_moments.items():
                # Moments of dead or barely used latents are near zero: tolerance from the tensor's scale.
                scale = value.abs().max().item()
                torch.testing.assert_close(
                    moments[name][index], value, rtol=1e-4, atol=1e-4 * scale, msg=name
                )
    if configs[0].sparsity == "topk":
        assert (ensemble.clock >= configs[0].dead_steps).any()  # so AuxK trained dead latents


def _in_float64(recommender: TrainedRecommender) -> TrainedRecommender:
    """A float64 copy of a recommender, for the eager comparisons (run under ``float64``)."""
    return replace(recommender, model=copy.deepcopy(recommender.model).double())


@pytest.mark.parametrize("variant", VARIANTS)
def test_member_follows_its_solo_run_eagerly(
    planted_recommender: TrainedRecommender, planted_split: Split, variant: str, float64: None
) -> None:
    # MF pairs with the MF-form SAE and the cross-product L_pred (Gram form), NCF with the
    # NCF form and L_pred on matched pairs: paper_sae's choice.
    recommender = _in_float64(planted_recommender)
    configs = _member_configs(recommender, **VARIANTS[variant])
    assert_member_follows_its_solo_run([recommender] * 3, planted_split, configs, False, EXACT, EXACT)


def test_members_explaining_other_seeds_of_the_recommender_follow_their_solo_runs(
    planted_recommender: TrainedRecommender, planted: PlantedDataset, planted_split: Split, float64: None
) -> None:
    # In float64 a member that read another member's recommender would be off by far more than EXACT.
    recommenders = [
        train_recommender(replace(planted_recommender.config, seed=seed), planted.interactions, planted_split)
        for seed in (0, 1, 2)
    ]
    assert not torch.equal(recommenders[0].model.item_vectors, recommenders[1].model.item_vectors)
    configs = _member_configs(planted_recommender)
    assert_member_follows_its_solo_run(recommenders, planted_split, configs, False, EXACT, EXACT)


@pytest.mark.parametrize("planted_recommender", ["ncf"], indirect=True)  # the official ML-1M NCF form
def test_member_follows_its_solo_run_with_the_soft_bce_prediction(
    planted_recommender: TrainedRecommender, planted_split: Split, float64: None
) -> None:
    recommender = _in_float64(planted_recommender)
    configs = _member_configs(recommender, prediction="bce")
    assert_member_follows_its_solo_run([recommender] * 3, planted_split, configs, False, EXACT, EXACT)


COMPILED_VARIANTS = {"mf": "topk", "ncf": "matryoshka"}
"""Compiled case per recommender: each compile costs tens of seconds, so two cases cover both
forms, TopK's clock and AuxK (with MF's Gram form), the nested prefixes and KL + L1."""


def test_member_follows_its_solo_run_compiled(
    planted_recommender: TrainedRecommender, planted_split: Split, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 2 steps per compiled call instead of 4: still several steps in one graph, compiled faster.
    for module in (sae_step, sae_ensemble):
        monkeypatch.setattr(module, "STEPS_PER_CALL", 2)
    variant = COMPILED_VARIANTS[planted_recommender.config.model]
    configs = _member_configs(planted_recommender, **VARIANTS[variant])
    assert_member_follows_its_solo_run([planted_recommender] * 3, planted_split, configs, compiled=True)


def test_clock_of_an_ensemble_is_kept_per_member() -> None:
    clocks = torch.tensor([[5, 5, 5], [0, 7, 2]])
    user_codes = torch.tensor([[[1.0, 0, 0]], [[0, 0, 0]]])  # member 0's latent 0 fires on a user
    item_codes = torch.tensor([[[0, 0, 0]], [[0, 0, 3.0]]])  # member 1's latent 2 on an item
    advance_activity_clock(clocks, user_codes, item_codes)
    assert clocks.tolist() == [[0, 6, 6], [1, 8, 0]]


def _random_mf(seed: int = 0) -> MatrixFactorization:
    generator = torch.Generator().manual_seed(seed)
    model = MatrixFactorization(30, 25, 6, 0.5, 1.5, generator)
    with torch.no_grad():  # non-zero biases: they must cancel between original and reconstruction
        model.user_bias.normal_(generator=generator)
        model.item_bias.normal_(generator=generator)
    return freeze(model)


@pytest.mark.parametrize("error", [0.3, 1e-4])
def test_gram_form_equals_the_direct_cross_product_loss(error: float) -> None:
    model, generator = _random_mf(), torch.Generator().manual_seed(1)
    users, items = torch.randint(30, (12,), generator=generator), torch.randint(25, (9,), generator=generator)
    user_vectors, item_vectors = model.user_vectors[users], model.item_vectors[items]
    user_hat = (user_vectors + error * torch.randn(user_vectors.shape, generator=generator)).requires_grad_()
    item_hat = (item_vectors + error * torch.randn(item_vectors.shape, generator=generator)).requires_grad_()
    arguments = (model, users, items, user_vectors, item_vectors)

    gram = mf_cross_prediction_loss(*arguments, user_hat, item_hat)
    gram_grads = torch.autograd.grad(gram, (user_hat, item_hat))
    direct = prediction_loss(*arguments, user_hat, item_hat, "cross")
    direct_grads = torch.autograd.grad(direct, (user_hat, item_hat))
    # The exact value: the direct form in float64, where the biases add no rounding that matters.
    exact = prediction_loss(
        model.double(),
        users,
        items,
        user_vectors.double(),
        item_vectors.double(),
        user_hat.double(),
        item_hat.double(),
        "cross",
    )
    model.float()
    torch.testing.assert_close(gram.double(), exact, rtol=1e-5, atol=0)
    torch.testing.assert_close(direct, gram, rtol=1e-3 if error < 1e-3 else 1e-5, atol=0)
    for gram_grad, direct_grad in zip(gram_grads, direct_grads):
        scale = direct_grad.abs().max().item()
        torch.testing.assert_close(gram_grad, direct_grad, rtol=1e-3, atol=1e-3 * scale)


def test_ensemble_trains_with_the_gram_form_only_on_mf_cross_products(
    planted_recommender: TrainedRecommender,
) -> None:
    config = paper_sae(planted_recommender.config).sae_config
    expected = mf_cross_prediction_loss if planted_recommender.config.model == "mf" else prediction_loss
    assert sae_ensemble.prediction_term(planted_recommender.model, config) is expected
    bce = replace(config, prediction="bce")
    assert sae_ensemble.prediction_term(planted_recommender.model, bce) is prediction_loss


def test_runs_group_by_what_shapes_the_step(planted_recommender: TrainedRecommender) -> None:
    run = paper_sae(planted_recommender.config)

    def changed(**changes: object) -> SAERunConfig:
        return replace(run, sae_config=replace(run.sae_config, **changes))

    runs = [
        run,
        changed(seed=3, alpha=1.0, beta=5.0, lambda_kl=0.2, lambda_l1=0.1, rho=0.2, lr=1e-2),
        changed(width=30),
        changed(prefixes=(4, 8, 22)),  # KL reconstructs from all latents only: prefixes are moot
        changed(sparsity="topk"),
        changed(sparsity="topk", k=4),
        replace(run, input_scaling="batch-minmax"),
        changed(batch_size=128),
        replace(run, recommender=replace(run.recommender, seed=7)),  # another seed: same step
        replace(run, recommender=replace(run.recommender, epochs=1)),
    ]
    assert ensemble_groups(runs) == [[0, 1, 3, 8], [2], [4], [5], [6], [7], [9]]
    model = planted_recommender.model
    with pytest.raises(ValueError, match="split the runs with ensemble_groups"):
        EnsembleTrainer([run.sae_config, runs[2].sae_config], [model, model], lambda x: x, compiled=False)
    with pytest.raises(ValueError, match="needs one recommender per SAE"):
        EnsembleTrainer([run.sae_config, runs[1].sae_config], [model], lambda x: x, compiled=False)


# The epoch loop is the same for both recommenders; MF also takes the Gram form.
@pytest.mark.parametrize("planted_recommender", ["mf"], indirect=True)
def test_ensemble_stands_in_for_train_sae(
    planted_recommender: TrainedRecommender, planted_split: Split
) -> None:
    run = paper_sae(planted_recommender.config)
    run = replace(run, sae_config=replace(run.sae_config, epochs=2, batch_size=256))
    runs = [
        replace(run, sae_config=replace(run.sae_config, beta=2 * run.sae_config.beta, seed=4)),
        replace(run, sae_config=replace(run.sae_config, width=10)),  # its own ensemble
        run,
    ]
    model = planted_recommender.model
    results = train_sae_ensemble(runs, [model] * 3, planted_split, progress=False, compiled=False)
    assert [result.run for result in results] == runs
    for result, alone_run in zip(results, runs):
        alone = train_sae(alone_run, model, planted_split, progress=False, compiled=False)
        assert not result.autoencoder.training and not result.autoencoder.weight.requires_grad
        assert [row.keys() for row in result.history] == [row.keys() for row in alone.history]
        for row, alone_row in zip(result.history, alone.history):
            assert row == pytest.approx(alone_row, rel=1e-4, abs=1e-6)
        for value, expected in zip(
            result.autoencoder.state_dict().values(), alone.autoencoder.state_dict().values()
        ):
            torch.testing.assert_close(value.float(), expected.float(), rtol=1e-4, atol=1e-6)


def test_ensemble_refuses_runs_of_several_splits_and_an_unfrozen_recommender(
    planted_recommender: TrainedRecommender, planted_split: Split
) -> None:
    run = paper_sae(planted_recommender.config)
    other = replace(run, recommender=replace(run.recommender, split=SplitConfig(seed=1)))
    model = planted_recommender.model
    with pytest.raises(ValueError, match="one dataset and split"):
        train_sae_ensemble([run, other], [model, model], planted_split, progress=False, compiled=False)
    with pytest.raises(ValueError, match="one recommender per run"):
        train_sae_ensemble([run, run], [model], planted_split, progress=False, compiled=False)
    model.requires_grad_(True)
    try:
        with pytest.raises(ValueError, match="must be frozen"):
            train_sae_ensemble([run], [model], planted_split, progress=False, compiled=False)
    finally:
        model.requires_grad_(False)


def test_cache_trains_only_missing_members_and_finds_each_by_its_run(
    monkeypatch: pytest.MonkeyPatch, data_dir: Path, isolated_cache: Path
) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    monkeypatch.setenv("RECSAE_COMPILE", "0")
    config = replace(paper_mf("ml-100k"), dim=4, epochs=1, batch_size=4096, monitor_users=50)
    base = SAERunConfig(config, SAEConfig(input_dim=4, width=5, epochs=1, batch_size=1024))
    runs = [replace(base, sae_config=replace(base.sae_config, beta=beta)) for beta in (0.0, 1.0, 5.0)]
    first = trained_sae(runs[0], progress=False)  # trained alone and cached
    calls: list[list[float]] = []
    train = sae_ensemble.train_sae_ensemble

    def counted(members, *args, **kwargs):
        calls.append([run.sae_config.beta for run in members])
        return train(members, *args, **kwargs)

    monkeypatch.setattr(sae_ensemble, "train_sae_ensemble", counted)
    trained = trained_saes(runs, progress=False)
    assert calls == [[1.0, 5.0]]  # β = 0 came from the cache
    assert torch.equal(trained[0].autoencoder.weight, first.autoencoder.weight)
    assert torch.equal(
        trained_sae(runs[2], progress=False).autoencoder.weight, trained[2].autoencoder.weight
    )  # found by its run alone
    assert trained_saes(runs, progress=False)[1].history == trained[1].history and calls == [[1.0, 5.0]]
    with pytest.raises(ValueError, match="one dataset and split"):
        trained_saes([base, replace(base, recommender=replace(config, dataset="ml-1m"))])
