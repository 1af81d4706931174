"""Digests of what a result was built from: the code that computed it and the weights it read.

A cached model or parsed dataset is keyed by these digests (``recsae.cache.artifacts``,
``recsae.data.datasets``), so an edit to the code or a retrained upstream model can never be
answered with an artifact built before it.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from torch import Tensor

import recsae
from recsae.cache.storage import digest_bytes

CACHE_CODE = frozenset({"recsae.cache.storage", "recsae.cache.provenance", "recsae.cache.artifacts"})
"""The cache itself: it stores results without changing them, so it is in no code digest."""

DATA_CODE = frozenset({"recsae.data.sources", "recsae.data.datasets", "recsae.data.interactions"})
"""The data side: a model's key holds the digest of the parsed data, which covers its effect."""


@cache
def code_digest(*roots: str, leave_out: frozenset[str] = CACHE_CODE) -> str:
    """Digest of the package version and the code of ``roots`` and of every ``recsae`` module
    they import, directly or not (read from their ``import`` statements), except ``leave_out``.

    The code is read as its syntax tree without the strings that only document it, so any
    edit that can change what the code does changes the digest, while comments, docstrings
    and formatting do not: a reworded comment never retrains a model, and nothing needs to be
    bumped by hand.
    """
    pending, found = list(roots), set()
    while pending:
        name = pending.pop()
        if name in found or name in leave_out or name == "recsae":
            continue
        found.add(name)
        pending.extend(_recsae_imports(_source(name)))
    parts = [recsae.__version__.encode()]
    for name in sorted(found):
        parts += [name.encode(), _code(_source(name))]
    return digest_bytes(*parts)[:16]


def _source(module: str) -> bytes:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"No module named {module!r}.")
    return Path(spec.origin).read_bytes()


def _code(source: bytes) -> bytes:
    """The syntax tree of ``source`` as text, without the statements that do nothing: the
    string literals standing alone (docstrings, and the strings that document an attribute)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            statements = getattr(node, field, None)
            if isinstance(statements, list) and statements and isinstance(statements[0], ast.stmt):
                kept = [statement for statement in statements if not _is_bare_string(statement)]
                setattr(node, field, kept or [ast.Pass()])
    return ast.dump(tree).encode()


def _is_bare_string(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _recsae_imports(source: bytes) -> list[str]:
    """The ``recsae`` modules a source file imports: ``import recsae.x.y``, ``from recsae.x.y import
    name`` and ``from recsae.x import y`` where ``y`` is a module."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names if alias.name.startswith("recsae.")]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names if node.module.split(".")[0] == "recsae" else []:
                submodule = f"{node.module}.{alias.name}"
                names.append(submodule if _is_module(submodule) else node.module)
    return names


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # the parent is a module, so ``name`` is an attribute of it
        return False


def state_digest(state: Mapping[str, Tensor]) -> str:
    """Digest of a model's weights (names, dtypes, shapes and values)."""
    parts = []
    for name in sorted(state):
        tensor = state[name].detach().cpu().contiguous()
        parts += [name.encode(), f"{tensor.dtype}{tuple(tensor.shape)}".encode(), tensor.numpy().tobytes()]
    return digest_bytes(*parts)[:16]
