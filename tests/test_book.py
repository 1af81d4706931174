"""The book itself: paired sources in sync, chapters executed and clean, a warning-free build."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

from recsae.book.runner import chapter_sources, strip_run_metadata

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = chapter_sources(ROOT)
FORBIDDEN_OUTPUT = {
    "a file path": re.compile(r"/(home|tmp|work|root|Users)/"),
    "a memory address": re.compile(r" at 0x[0-9a-f]{6,}"),
    "a timing": re.compile(r"\d+(\.\d+)?\s?(it/s|s/it)|Wall time|CPU times"),
}


def _code(notebook: nbformat.NotebookNode) -> list[str]:
    return [
        cell.source.strip()
        for cell in notebook.cells
        if cell.cell_type == "code" and "injected-parameters" not in cell.metadata.get("tags", [])
    ]


def test_the_toc_has_executable_chapters() -> None:
    assert [path.name for path in CHAPTERS] == [
        "01_data.md",
        "02_recommenders.md",
        "03_sae.md",
        "04_fidelity.md",
        "05_concepts.md",
        "06_steering.md",
        "07_scorecard.md",
    ]


@pytest.mark.parametrize("source", CHAPTERS, ids=lambda p: p.stem)
def test_markdown_and_notebook_carry_the_same_code(source: Path) -> None:
    notebook = source.with_suffix(".ipynb")
    assert notebook.is_file(), f"{source.name} has no paired {notebook.name}: run `make book`."
    assert _code(jupytext.read(source)) == _code(nbformat.read(notebook, as_version=4))


@pytest.mark.parametrize("source", CHAPTERS, ids=lambda p: p.stem)
def test_notebook_is_executed_and_its_outputs_are_clean(source: Path) -> None:
    notebook = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code), f"{source.stem} has unexecuted cells: run `make book`."
    outputs = [output for cell in code for output in cell.outputs]
    assert any(output.output_type in ("display_data", "execute_result") for output in outputs)
    assert not [o for o in outputs if o.output_type == "error"]
    text = nbformat.writes(notebook)
    for what, pattern in FORBIDDEN_OUTPUT.items():
        match = pattern.search(" ".join(str(o) for o in outputs))
        assert match is None, f"{source.stem} shows {what} in its outputs: {match.group(0)!r}"
    assert '"papermill"' not in text and '"iopub.execute_input"' not in text
    assert [cell.id for cell in notebook.cells] == [f"cell-{i}" for i in range(len(notebook.cells))]


def test_run_metadata_is_stripped() -> None:
    notebook = nbformat.v4.new_notebook(metadata={"papermill": {"duration": 1.0}})
    notebook.cells.append(
        nbformat.v4.new_code_cell(
            "1", metadata={"execution": {"iopub.status.busy": "2026-01-01T00:00:00.000Z"}, "tags": ["x"]}
        )
    )
    strip_run_metadata(notebook)
    assert notebook.metadata == {} and notebook.cells[0].metadata == {"tags": ["x"]}


def test_book_builds_without_warnings(tmp_path: Path) -> None:
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "--path-output", str(tmp_path), "-W", "-n", "--keep-going"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html = tmp_path / "_build" / "html"
    for source in CHAPTERS:
        page = (html / "chapters" / f"{source.stem}.html").read_text()
        assert "<img" in page, f"{source.stem}.html has no figures: were the chapters executed?"


def test_unknown_profile_is_refused_before_running(tmp_path: Path) -> None:
    from recsae.book.runner import execute_chapter

    with pytest.raises(ValueError, match="Unknown profile 'fast'; choose one of: full, quick"):
        execute_chapter(CHAPTERS[0], "fast")
