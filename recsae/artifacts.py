"""A cache of trained models keyed by a hash of their config.

Any chapter can ask for "MF on ML-1M with config X" and gets the same model, trained once:
the key is a SHA-256 of the config (a frozen dataclass, serialised to sorted JSON), the
artifact format version and the fingerprint of the dataset files it was trained on. Files
are written atomically, and a stored artifact whose config differs from the request (a hash
collision or a hand-copied file) is refused rather than silently used.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import torch

from recsae.interactions import write_atomically
from recsae.sources import cache_dir

ARTIFACT_VERSION = 1

T = TypeVar("T")


class ArtifactError(RuntimeError):
    """A cached artifact does not belong to the config it was looked up with."""


def describe(config: Any) -> dict[str, Any]:
    """The config as plain JSON-able data (nested dataclasses included)."""
    return json.loads(json.dumps(dataclasses.asdict(config), sort_keys=True, default=str))


def config_hash(kind: str, config: Any, data_fingerprint: str) -> str:
    payload = json.dumps(
        {"kind": kind, "version": ARTIFACT_VERSION, "data": data_fingerprint, "config": describe(config)},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def artifact_path(kind: str, config: Any, data_fingerprint: str) -> Path:
    return cache_dir() / "artifacts" / f"{kind}-{config_hash(kind, config, data_fingerprint)}.pt"


def load_or_build(
    kind: str,
    config: Any,
    data_fingerprint: str,
    build: Callable[[], T],
    to_state: Callable[[T], dict[str, Any]],
    from_state: Callable[[dict[str, Any]], T],
) -> T:
    """Return the stored artifact for ``config``, or build, store and return it."""
    path = artifact_path(kind, config, data_fingerprint)
    if path.is_file():
        stored = torch.load(path, map_location="cpu", weights_only=True)
        if stored.get("config") != describe(config) or stored.get("data") != data_fingerprint:
            raise ArtifactError(
                f"{path.name} was stored for another config or dataset; delete it to retrain."
            )
        return from_state(stored["state"])
    built = build()
    record = {"config": describe(config), "data": data_fingerprint, "state": to_state(built)}
    write_atomically(path, lambda handle: torch.save(record, handle))
    return built
