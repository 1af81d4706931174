"""Shared fixtures: an isolated cache folder for every test, small datasets, and each built book."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from recsae.book.runner import PROFILES, build_book
from recsae.data.sources import CACHE_DIR_ENV, DATA_DIR_ENV
from recsae.data.split import Split, split
from recsae.data.synthetic import PlantedDataset, SyntheticConfig, planted_dataset
from recsae.training.recommender import RecommenderConfig, TrainedRecommender, train_recommender

BOOK_ROOT = Path(__file__).resolve().parents[1]
PLANTED_DIM = 8
"""Embedding size of the small recommenders trained on the planted dataset."""

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test writes downloads, parsed arrays and models to its own empty cache."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv(CACHE_DIR_ENV, str(folder))
    return folder


@pytest.fixture
def float64() -> Iterator[None]:
    """Exact arithmetic, nearly: in float32 Adam turns rounding-level gradients (a ReLU that is
    just on in one run and just off in the other) into full-size steps, so two correct trainers
    drift apart after some tens of steps; in float64 the same trajectory holds for hundreds."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The local copy of the datasets that CI and offline machines point RECSAE_DATA_DIR at."""
    configured = os.environ.get(DATA_DIR_ENV)
    if not configured:
        pytest.fail(f"Set {DATA_DIR_ENV} to the folder with the unpacked datasets to run the data tests.")
    return Path(configured)


@pytest.fixture(scope="session")
def planted() -> PlantedDataset:
    return planted_dataset(SyntheticConfig())


@pytest.fixture(scope="session")
def planted_split(planted: PlantedDataset) -> Split:
    return split(planted.interactions)


@pytest.fixture(scope="session", params=["mf", "ncf"])
def planted_recommender(
    request: pytest.FixtureRequest, planted: PlantedDataset, planted_split: Split
) -> TrainedRecommender:
    """A small MF or NCF trained for a few seconds on the planted dataset."""
    mf = request.param == "mf"
    config = RecommenderConfig(
        "synthetic",
        request.param,
        dim=PLANTED_DIM,
        epochs=3,
        batch_size=128,
        optimizer="sgd" if mf else "adam",
        lr=0.05 if mf else 3e-3,
        l2=0.01 if mf else 0.0,
        init_std=0.05,
        offset=1.0,
        monitor_users=50,
    )
    return train_recommender(config, planted.interactions, planted_split, progress=False)


@pytest.fixture(scope="session", params=PROFILES)
def built_book(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HTML of each profile's book, built once per session from the committed notebooks
    (``-W``: a warning fails the build) for the tests that read it as files and in a browser."""
    return build_book(BOOK_ROOT, request.param, tmp_path_factory.mktemp(f"book-{request.param}"))
