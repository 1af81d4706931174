"""Execute the chapters with papermill and keep the paired notebooks clean.

``python -m recsae.book run --profile full`` executes every chapter listed in ``_toc.yml``
in order and stores the executed notebook next to its MyST source; ``build`` then renders the
stored outputs with Jupyter Book (no execution, so the book builds offline).

Each chapter is read from its text source (the ``.md`` is what people edit), executed from
a temporary copy so papermill never rewrites the source, and the result is stripped of
per-run metadata (timestamps, durations) before it is written atomically over the ``.ipynb``.
The default profile needs no injected parameters, so the committed notebooks have exactly
the code of their sources.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat
import papermill
import yaml

from recsae.book.results import book_root
from recsae.cache.storage import write_atomically

PROFILES = ("full", "quick")
DEFAULT_PROFILE = "full"


def chapter_sources(root: Path) -> list[Path]:
    """The executable chapters of the TOC, in reading order (prose-only pages excluded)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]] + [
        entry["file"]
        for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}])
        for entry in part["chapters"]
    ]
    sources = [root / f"{name}.md" for name in files]
    return [path for path in sources if is_notebook_source(path)]


def is_notebook_source(path: Path) -> bool:
    """A MyST file is a notebook when its header names a kernel (jupytext pairs it)."""
    header = path.read_text().split("---", 2)
    return len(header) == 3 and "kernelspec:" in header[1]


def execute_chapter(source: Path, profile: str = DEFAULT_PROFILE) -> Path:
    if profile not in PROFILES:
        raise ValueError(f"Unknown profile {profile!r}; choose one of: {', '.join(PROFILES)}.")
    notebook = jupytext.read(source)
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index}"  # stable ids: a rerun that changes nothing leaves the file unchanged
    parameters = {} if profile == DEFAULT_PROFILE else {"profile": profile}
    with tempfile.TemporaryDirectory() as scratch:
        unexecuted = Path(scratch) / source.with_suffix(".ipynb").name
        executed = Path(scratch) / f"executed-{unexecuted.name}"
        nbformat.write(notebook, unexecuted)
        papermill.execute_notebook(
            str(unexecuted),
            str(executed),
            parameters=parameters,
            kernel_name="python3",
            cwd=str(source.parent),
            progress_bar=False,
        )
        result = nbformat.read(executed, as_version=4)
    strip_run_metadata(result)
    target = source.with_suffix(".ipynb")
    write_atomically(target, lambda handle: handle.write(nbformat.writes(result).encode()))
    return target


def strip_run_metadata(notebook: nbformat.NotebookNode) -> None:
    """Drop what changes on every run although the results do not (times, durations)."""
    notebook.metadata.pop("papermill", None)
    for cell in notebook.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)


def build_book(root: Path) -> None:
    executable = Path(sys.executable).with_name("jupyter-book")
    command = [str(executable), "build", str(root), "-W", "-n", "--keep-going"]
    subprocess.run(command, check=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m recsae.book", description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("run", "build", "all"))
    parser.add_argument("--profile", choices=PROFILES, default=DEFAULT_PROFILE)
    parser.add_argument("chapters", nargs="*", help="chapter sources to run (default: all in the TOC)")
    arguments = parser.parse_args(argv)
    try:
        root = book_root()
    except FileNotFoundError as error:
        parser.error(str(error))
    if arguments.action in ("run", "all"):
        chosen = [Path(c).resolve() for c in arguments.chapters]
        for source in chosen:
            if not (source.is_file() and source.is_relative_to(root) and is_notebook_source(source)):
                parser.error(
                    f"{source} is not a chapter of the book in {root}; name a chapters/NN_name.md file."
                )
        for source in chosen or chapter_sources(root):
            print(f"executing {source.relative_to(root)} ({arguments.profile})", flush=True)
            execute_chapter(source, arguments.profile)
    if arguments.action in ("build", "all"):
        build_book(root)
