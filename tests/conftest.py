"""Shared fixtures: an isolated cache folder for every test, and small datasets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from recsae.sources import CACHE_DIR_ENV, DATA_DIR_ENV
from recsae.synthetic import PlantedDataset, SyntheticConfig, planted_dataset

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test writes downloads, parsed arrays and models to its own empty cache."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv(CACHE_DIR_ENV, str(folder))
    return folder


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
