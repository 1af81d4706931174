"""Execute the chapters with papermill and keep the paired notebooks clean.

``python -m recsae.book run --profile full`` executes every chapter listed in ``_toc.yml``
in order and stores the executed notebook next to its MyST source; ``build`` then renders the
stored outputs with Jupyter Book (no execution, so the book builds offline) into ``_build/html``.
The quick profile keeps its executed notebooks in a folder of their own (``quick/chapters/``)
and builds its own book into ``_build/quick/_build/html``, so a quick run leaves the full book as it was.

Each chapter is read from its text source (the ``.md`` is what people edit), executed from
a temporary copy so papermill never rewrites the source, and the result is stripped of
per-run metadata (timestamps, durations) before it is written atomically over the ``.ipynb``.
The default profile needs no injected parameters, so the committed notebooks have exactly
the code of their sources.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jupytext
import nbformat
import papermill
import yaml
from jupyter_client.manager import KernelManager

from recsae.book.execution import FOLDER as EXECUTION_RECORDS
from recsae.book.execution import recorded
from recsae.book.results import book_root
from recsae.cache.storage import write_atomically

PROFILES = ("full", "quick")
DEFAULT_PROFILE = "full"
KERNEL_ARGUMENTS = ["--IPKernelApp.capture_fd_output=False"]
"""The kernel leaves its own stdout and stderr alone: what a library writes there (a training
bar) reaches the terminal that runs the book and never a cell's output."""


class LocalKernelManager(KernelManager):
    """A kernel that talks to the runner over local sockets, not TCP: nothing listens on the
    network, and the kernel has no reason to warn about unencrypted traffic."""

    transport = "ipc"


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


def executed_notebook(source: Path, root: Path, profile: str = DEFAULT_PROFILE) -> Path:
    """Where the executed notebook of ``source`` is kept: beside it for the full profile, under
    ``<root>/<profile>/`` at the same relative path for another profile."""
    if profile == DEFAULT_PROFILE:
        return source.with_suffix(".ipynb")
    return root / profile / source.relative_to(root).with_suffix(".ipynb")


def execute_chapter(source: Path, profile: str = DEFAULT_PROFILE) -> Path:
    if profile not in PROFILES:
        raise ValueError(f"Unknown profile {profile!r}; choose one of: {', '.join(PROFILES)}.")
    target = executed_notebook(source, book_root(source.parent), profile)
    target.parent.mkdir(parents=True, exist_ok=True)
    notebook = jupytext.read(source)
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
            cwd=str(target.parent),  # where nbval runs it again
            progress_bar=sys.stderr.isatty(),
            kernel_manager_class=LocalKernelManager,
            extra_arguments=KERNEL_ARGUMENTS,
        )
        result = nbformat.read(executed, as_version=4)
    strip_run_metadata(result)
    write_atomically(target, lambda handle: handle.write(nbformat.writes(result).encode()))
    return target


def strip_run_metadata(notebook: nbformat.NotebookNode) -> None:
    """Drop what changes on every run although the results do not (times, durations, the
    random cell ids), so a rerun that changes nothing leaves the file unchanged."""
    notebook.metadata.pop("papermill", None)
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index}"
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)


BOOK_FILES = ("_config.yml", "_toc.yml", "references.bib")


def profile_book(root: Path, profile: str, tree: Path) -> Path:
    """The book of a profile other than the full one, assembled in ``tree``: the book's
    configuration, prose pages and execution records, with that profile's executed chapters."""
    shutil.rmtree(tree, ignore_errors=True)
    (tree / "chapters").mkdir(parents=True)
    for name in BOOK_FILES:
        shutil.copy2(root / name, tree / name)
    if (root / EXECUTION_RECORDS).is_dir():
        shutil.copytree(root / EXECUTION_RECORDS, tree / EXECUTION_RECORDS)
    for page in sorted((root / "chapters").glob("*.md")):
        if not is_notebook_source(page):
            shutil.copy2(page, tree / "chapters" / page.name)
            continue
        notebook = executed_notebook(page, root, profile)
        if not notebook.is_file():
            raise FileNotFoundError(
                f"{page.name} has not been executed with the {profile} profile: "
                f"run `python -m recsae.book run --profile {profile}` first."
            )
        shutil.copy2(notebook, tree / "chapters" / notebook.name)
    return tree


def build_book(root: Path, profile: str = DEFAULT_PROFILE, output: Path | None = None) -> Path:
    """Render the stored outputs of ``profile``'s chapters into ``output/_build/html`` (by
    default the book's own ``_build/html``, or ``_build/<profile>/_build/html``); returns that folder."""
    if profile == DEFAULT_PROFILE:
        source, output = root, output or root
    else:
        output = output or root / "_build" / profile
        source = profile_book(root, profile, output / "source")
    executable = Path(sys.executable).with_name("jupyter-book")
    command = [
        str(executable),
        "build",
        str(source),
        "--path-output",
        str(output),
        "-W",
        "-n",
        "--keep-going",
    ]
    subprocess.run(command, check=True)
    return output / "_build" / "html"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m recsae.book", description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("run", "build", "all"))
    parser.add_argument("--profile", choices=PROFILES, default=DEFAULT_PROFILE)
    parser.add_argument("chapters", nargs="*", help="chapter sources to run (default: all in the TOC)")
    arguments = parser.parse_intermixed_args(argv)
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
        sources = chosen or chapter_sources(root)
        for number, source in enumerate(sources, 1):
            print(
                f"[{number}/{len(sources)}] executing {source.relative_to(root)} ({arguments.profile})",
                flush=True,
            )
            started = time.monotonic()
            with recorded(arguments.profile, source.stem, root):
                execute_chapter(source, arguments.profile)
            print(
                f"[{number}/{len(sources)}] done in {(time.monotonic() - started) / 60:.1f} min", flush=True
            )
    if arguments.action in ("build", "all"):
        html = build_book(root, arguments.profile)
        print(f"the {arguments.profile} book is in {html.relative_to(root)}", flush=True)
