"""The model cache: trained once, reloaded identically, rebuilt when a file belongs to another config."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import torch

from recsae.cache.artifacts import artifact_path, load_or_build
from recsae.data.sources import DATA_DIR_ENV
from recsae.presets import paper_mf
from recsae.training.recommender import trained_recommender

DATA_V1 = {"data": "data-v1"}


@dataclass(frozen=True)
class Toy:
    size: int
    name: str = "x"


def _cache(config: Toy, calls: list[int]) -> torch.Tensor:
    def build() -> torch.Tensor:
        calls.append(1)
        return torch.arange(config.size, dtype=torch.float32)

    return load_or_build("toy", config, DATA_V1, build, lambda t: {"values": t}, lambda s: s["values"])


def test_built_once_then_loaded() -> None:
    calls: list[int] = []
    first = _cache(Toy(3), calls)
    second = _cache(Toy(3), calls)
    assert calls == [1] and torch.equal(first, second)
    _cache(Toy(4), calls)
    assert calls == [1, 1]


def test_key_depends_on_config_and_data() -> None:
    a, b = {"data": "a"}, {"data": "b"}
    assert artifact_path("toy", Toy(3), a) != artifact_path("toy", Toy(3), b)
    assert artifact_path("toy", Toy(3), a) != artifact_path("toy", Toy(3, "y"), a)
    assert artifact_path("toy", Toy(3), a) == artifact_path("toy", Toy(3), a)


def test_foreign_artifact_is_rebuilt(isolated_cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []
    _cache(Toy(5), calls)
    stored = artifact_path("toy", Toy(5), DATA_V1)
    artifact_path("toy", Toy(6), DATA_V1).write_bytes(stored.read_bytes())
    assert torch.equal(_cache(Toy(6), calls), torch.arange(6, dtype=torch.float32))
    assert calls == [1, 1]
    assert (
        "cannot be used (it was stored for another config or other inputs); building it again" in caplog.text
    )


def test_failed_build_leaves_no_artifact(isolated_cache: Path) -> None:
    def build() -> torch.Tensor:
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        load_or_build("toy", Toy(1), DATA_V1, build, lambda t: {"values": t}, lambda s: s["values"])
    assert not list(isolated_cache.rglob("*.pt*[!k]"))  # no artifact and no temporary file, only the lock


def test_cached_recommender_is_the_trained_one(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    config = replace(paper_mf("ml-100k"), epochs=1)
    trained = trained_recommender(config, progress=False)
    again = trained_recommender(config, progress=False)
    assert again.history == trained.history
    assert torch.equal(again.model.user_vectors, trained.model.user_vectors)
    assert not again.model.user_vectors.requires_grad
