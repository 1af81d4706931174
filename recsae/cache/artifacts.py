"""A cache of trained models that never serves a model for inputs it was not built from.

Any chapter can ask for "MF on ML-1M with config X" and gets the same model, trained once.
The key is a SHA-256 of everything the model depends on:

* its config (a frozen dataclass, serialised to sorted JSON);
* the digest of the parsed data it was trained on (so a parser fix retrains);
* the digest of the upstream model's weights, for a model that explains another one (an SAE
  depends on *that* trained recommender, not on the recommender's settings);
* the code that trains it (``recsae.cache.provenance.code_digest``), so an edit to the training
  code retrains without anyone bumping a constant;
* the number of CPU threads, which changes NCF's floating-point sums in the 7th digit.

The stored file is sealed with its own digest (``recsae.cache.storage``) and records the config and
inputs it was built from. A file that fails either check, or cannot be turned back into a
model, is rebuilt with one line on the ``recsae`` logger saying which file and why.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import torch

from recsae.cache.provenance import CACHE_CODE, DATA_CODE, code_digest
from recsae.cache.storage import DamagedFile, load_or_make_many
from recsae.data.sources import cache_dir

T = TypeVar("T")

Inputs = Mapping[str, str | int]
"""What a model was built from besides its config: ``data``, ``code``, ``upstream``, ``threads``."""


TRAINING_LEAVE_OUT = DATA_CODE | CACHE_CODE
"""Modules that do not change what a training run computes: the data side (covered by the
data digest) and the cache."""


def training_inputs(code_root: str, data_digest: str, **more: str) -> dict[str, str | int]:
    """The inputs every trained model depends on: its data, its training code (the module
    ``code_root`` and what it imports) and the thread count."""
    code = code_digest(code_root, leave_out=TRAINING_LEAVE_OUT)
    return {"data": data_digest, "code": code, "threads": torch.get_num_threads(), **more}


def describe(config: Any) -> dict[str, Any]:
    """The config as plain JSON-able data (nested dataclasses included)."""
    return json.loads(json.dumps(dataclasses.asdict(config), sort_keys=True, default=str))


def cache_key(kind: str, config: Any, inputs: Inputs) -> str:
    payload = json.dumps({"kind": kind, "inputs": dict(inputs), "config": describe(config)}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def artifact_path(kind: str, config: Any, inputs: Inputs) -> Path:
    return cache_dir() / "artifacts" / f"{kind}-{cache_key(kind, config, inputs)}.pt"


def load_or_build(
    kind: str,
    config: Any,
    inputs: Inputs,
    build: Callable[[], T],
    to_state: Callable[[T], dict[str, Any]],
    from_state: Callable[[dict[str, Any]], T],
) -> T:
    """Return the stored artifact for ``config`` built from ``inputs``, or build, store and return it."""
    return load_or_build_many(
        kind, [config], [inputs], lambda missing: [build()], to_state, lambda _, state: from_state(state)
    )[0]


def load_or_build_many(
    kind: str,
    configs: Sequence[Any],
    inputs: Sequence[Inputs],
    build_missing: Callable[[list[Any]], Sequence[T]],
    to_state: Callable[[T], dict[str, Any]],
    from_state: Callable[[Any, dict[str, Any]], T],
) -> list[T]:
    """The stored artifacts of ``configs`` (each built from its ``inputs``); those not stored are
    built in one call, ``build_missing(their configs)``, and each is stored under its own key, so
    a model trained inside an ensemble is found again by its config alone. ``from_state(config,
    state)`` turns a stored state back into the artifact of that config."""
    records = [
        {"config": describe(config), "inputs": dict(member)} for config, member in zip(configs, inputs)
    ]

    def encode(built: tuple[dict[str, Any], T]) -> bytes:
        record, artifact = built
        payload = io.BytesIO()
        torch.save({**record, "state": to_state(artifact)}, payload)
        return payload.getvalue()

    def decode(position: int, payload: bytes) -> tuple[dict[str, Any], T]:
        try:
            stored = torch.load(io.BytesIO(payload), map_location="cpu", weights_only=True)
        except Exception as error:  # a sealed file that torch cannot read is damaged all the same
            raise DamagedFile(f"it cannot be read as a model ({type(error).__name__})") from error
        record = records[position]
        if stored.get("config") != record["config"] or stored.get("inputs") != record["inputs"]:
            raise DamagedFile("it was stored for another config or other inputs")
        try:
            return record, from_state(configs[position], stored["state"])
        except (KeyError, RuntimeError, ValueError) as error:  # e.g. load_state_dict's size mismatch
            raise DamagedFile(f"its weights do not fit the model ({type(error).__name__})") from error

    def make_missing(positions: list[int]) -> list[tuple[dict[str, Any], T]]:
        built = build_missing([configs[position] for position in positions])
        return [(records[position], artifact) for position, artifact in zip(positions, built, strict=True)]

    paths = [artifact_path(kind, config, member) for config, member in zip(configs, inputs)]
    found = load_or_make_many(paths, f"cached {kind}", decode, make_missing, encode)
    return [artifact for _, artifact in found]
