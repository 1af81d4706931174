"""What executing each chapter took, shown on the book's "Execution statistics" page.

Run times and cache use change from machine to machine and run to run, so they never go into a
chapter's outputs (nbval compares those digit for digit). The runner records them here instead:
per profile, each chapter's minutes and how many models it trained (the artifacts it added to the
cache; none when every model was cached), and the versions it ran with. ``ExecutionStatistics``
is the Sphinx directive that renders those records, so the page is made when the book is built.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import torch
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from recsae.book.results import book_root
from recsae.cache.storage import write_atomically
from recsae.data.sources import cache_dir

FOLDER = Path("results") / "execution"
"""Where the records are kept, relative to the book: one ``<profile>.json`` per profile."""
PACKAGES = ("recsae", "torch", "numpy", "scipy", "pandas", "jupyter-book", "myst-nb", "papermill", "nbval")
"""The versions a record names."""


def record_path(profile: str, root: Path | None = None) -> Path:
    """The record of ``profile``'s last run."""
    return (root or book_root()) / FOLDER / f"{profile}.json"


def _installed(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def environment() -> dict[str, Any]:
    """The interpreter, the packages of ``PACKAGES`` and the torch threads a run used."""
    return {
        "python": platform.python_version(),
        "packages": {package: _installed(package) for package in PACKAGES},
        "torch threads": torch.get_num_threads(),
    }


def _cached_artifacts() -> set[str]:
    """The trained models in the cache (not their lock files)."""
    folder = cache_dir() / "artifacts"
    return {path.name for path in folder.glob("*.pt")} if folder.is_dir() else set()


@contextmanager
def recorded(profile: str, chapter: str, root: Path | None = None) -> Iterator[None]:
    """Time the execution of ``chapter`` and count the models it trained, then add both to
    ``profile``'s record (written atomically; a failed chapter records nothing)."""
    before, started = _cached_artifacts(), time.monotonic()
    yield
    path = record_path(profile, root)
    record = json.loads(path.read_text()) if path.is_file() else {"chapters": {}}
    record.update(environment())
    record["chapters"][chapter] = {
        "minutes": round((time.monotonic() - started) / 60, 1),
        "models trained": len(_cached_artifacts() - before),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, lambda handle: handle.write(json.dumps(record, indent=1, sort_keys=True).encode()))


def statistics_markdown(records: dict[str, dict[str, Any]]) -> str:
    """The page's tables, in MyST: one row per chapter and profile, then the environment of each profile."""
    if not records:
        return "No chapter has been executed with `python -m recsae.book run` in this checkout yet."
    profiles = sorted(records)
    chapters = sorted({chapter for record in records.values() for chapter in record["chapters"]})
    lines = ["| chapter | " + " | ".join(f"{p}: minutes | {p}: models trained" for p in profiles) + " |"]
    lines.append("|---" * (1 + 2 * len(profiles)) + "|")
    for chapter in chapters:
        cells = []
        for profile in profiles:
            entry = records[profile]["chapters"].get(chapter)
            cells += (
                ["–", "–"] if entry is None else [f"{entry['minutes']:.1f}", str(entry["models trained"])]
            )
        lines.append(f"| {chapter} | " + " | ".join(cells) + " |")
    lines += ["", "| | " + " | ".join(profiles) + " |", "|---" * (1 + len(profiles)) + "|"]
    rows: dict[str, Callable[[dict[str, Any]], str]] = {
        "Python": lambda record: record["python"],
        "torch threads": lambda record: str(record["torch threads"]),
        **{package: (lambda record, p=package: record["packages"][p]) for package in PACKAGES},
    }
    for name, value in rows.items():
        lines.append(f"| {name} | " + " | ".join(value(records[profile]) for profile in profiles) + " |")
    return "\n".join(lines)


class ExecutionStatistics(SphinxDirective):
    """``{execution-statistics}``: the records of ``results/execution/`` of the book being built."""

    def run(self) -> list[nodes.Node]:
        folder = Path(self.env.srcdir) / FOLDER
        records = {path.stem: json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))}
        for path in folder.glob("*.json"):
            self.env.note_dependency(str(path))
        container = nodes.container()
        self.state.nested_parse(
            StringList(statistics_markdown(records).splitlines()), self.content_offset, container
        )
        return list(container.children)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("execution-statistics", ExecutionStatistics)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
