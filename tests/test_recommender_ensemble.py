"""NCF seeds trained together: each member is the model trained alone, and the cache finds it by its config."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from recsae.data.sources import DATA_DIR_ENV
from recsae.data.split import split
from recsae.data.synthetic import SyntheticConfig, planted_dataset
from recsae.presets import paper_mf
from recsae.training import recommender_ensemble
from recsae.training.recommender import RecommenderConfig, train_recommender, trained_recommender
from recsae.training.recommender_ensemble import train_recommender_ensemble, trained_recommenders

NCF = RecommenderConfig(
    "synthetic",
    "ncf",
    dim=8,
    epochs=1,
    batch_size=128,
    optimizer="adam",
    lr=3e-3,
    l2=0.0,
    init_std=0.05,
    monitor_users=50,
)


def _data(n_users: int, per_user: int):
    data = planted_dataset(
        SyntheticConfig(n_users=n_users, n_items=400, interactions_per_user=per_user)
    ).interactions
    return data, split(data)


def _largest_gap(a: torch.nn.Module, b: torch.nn.Module) -> float:
    return max((x - y).abs().max().item() for x, y in zip(a.parameters(), b.parameters(), strict=True))


@pytest.mark.parametrize(("compiled", "per_user"), [(False, 40), (True, 20)])
def test_each_member_follows_its_own_training_alone(float64: None, compiled: bool, per_user: int) -> None:
    data, held_out = _data(600, per_user)  # one epoch: 375 (eager) and 188 (compiled) Adam steps
    configs = [NCF, replace(NCF, seed=1), replace(NCF, seed=7)]
    members = train_recommender_ensemble(configs, data, held_out, progress=False, compiled=compiled)
    for config, member in zip(configs, members, strict=True):
        alone = train_recommender(config, data, held_out, progress=False)
        assert _largest_gap(member.model, alone.model) < 1e-9
        assert member.history[0]["bce"] == pytest.approx(alone.history[0]["bce"], rel=1e-8)
        assert member.history[0]["monitor_ndcg@10"] == alone.history[0]["monitor_ndcg@10"]
    assert _largest_gap(members[0].model, members[1].model) > 1e-2  # seeds differ


def test_float32_members_agree_with_training_alone_over_the_first_steps() -> None:
    data, held_out = _data(200, 10)  # 32 steps
    (member,) = train_recommender_ensemble([NCF], data, held_out, progress=False, compiled=False)
    assert _largest_gap(member.model, train_recommender(NCF, data, held_out, progress=False).model) < 1e-5


def test_members_hold_only_their_own_weights() -> None:
    data, held_out = _data(60, 10)
    members = train_recommender_ensemble(
        [NCF, replace(NCF, seed=1)], data, held_out, progress=False, compiled=False
    )
    vectors = members[0].model.user_vectors
    assert vectors.untyped_storage().nbytes() == vectors.numel() * vectors.element_size()
    assert not any(p.requires_grad for member in members for p in member.model.parameters())


@pytest.mark.parametrize(
    ("configs", "message"),
    [
        ([], "An ensemble needs at least one recommender config."),
        (
            [replace(paper_mf(), dataset="synthetic")],
            "Only NCF recommenders trained with Adam train as an ensemble",
        ),
        ([NCF, replace(NCF, seed=1, lr=1e-2)], "Recommenders of one ensemble may differ in their seed only."),
        ([NCF, NCF], "Each member of an ensemble needs its own seed."),
    ],
)
def test_incompatible_members_are_refused(configs: list[RecommenderConfig], message: str) -> None:
    data, held_out = _data(60, 10)
    with pytest.raises(ValueError, match=message):
        train_recommender_ensemble(configs, data, held_out, progress=False, compiled=False)


def test_cache_trains_only_missing_members_and_finds_each_by_its_config(
    monkeypatch: pytest.MonkeyPatch, data_dir: Path, isolated_cache: Path
) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    monkeypatch.setenv("RECSAE_COMPILE", "0")
    base = replace(NCF, dataset="ml-100k", dim=4, batch_size=4096)
    seeds = [replace(base, seed=seed) for seed in range(3)]
    first = trained_recommender(seeds[0], progress=False)  # trained alone and cached
    calls: list[list[int]] = []
    ensemble = recommender_ensemble.train_recommender_ensemble

    def counted(configs, *args, **kwargs):
        calls.append([config.seed for config in configs])
        return ensemble(configs, *args, **kwargs)

    monkeypatch.setattr(recommender_ensemble, "train_recommender_ensemble", counted)
    trained = trained_recommenders(seeds, progress=False)
    assert calls == [[1, 2]]  # seed 0 came from the cache
    assert torch.equal(trained[0].model.user_vectors, first.model.user_vectors)
    again = trained_recommender(seeds[2], progress=False)  # found by its config alone, not retrained
    assert torch.equal(again.model.user_vectors, trained[2].model.user_vectors)
    assert trained_recommenders(seeds, progress=False)[1].history == trained[1].history and calls == [[1, 2]]
    assert len(list((isolated_cache / "artifacts").glob("recommender-*.pt"))) == 3


def test_recommenders_take_one_dataset() -> None:
    with pytest.raises(ValueError, match="takes configs of one dataset and split"):
        trained_recommenders([paper_mf("ml-1m"), paper_mf("lastfm")])
