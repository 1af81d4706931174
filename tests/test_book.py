"""The book itself: paired sources in sync, chapters executed and clean, a warning-free build."""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import nbformat
import pytest

from recsae.book.runner import PROFILES, chapter_sources, executed_notebook, strip_run_metadata

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = chapter_sources(ROOT)
EXECUTED = [(source, profile) for profile in PROFILES for source in CHAPTERS]
"""Every chapter with every profile: the full one beside its source, the quick one in ``quick/``."""
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
        "10_lastfm.md",
        "11_frontier.md",
        "07_scorecard.md",
        "08_planted.md",
        "09_explorer.md",
    ]


def _id(case: tuple[Path, str]) -> str:
    return f"{case[1]}-{case[0].stem}"


@pytest.mark.parametrize("case", EXECUTED, ids=_id)
def test_markdown_and_notebook_carry_the_same_code(case: tuple[Path, str]) -> None:
    source, profile = case
    notebook = executed_notebook(source, ROOT, profile)
    assert notebook.is_file(), (
        f"{source.name} has no executed {profile} notebook: run `make book PROFILE={profile}`."
    )
    assert _code(jupytext.read(source)) == _code(nbformat.read(notebook, as_version=4))


@pytest.mark.parametrize("case", EXECUTED, ids=_id)
def test_notebook_is_executed_and_its_outputs_are_clean(case: tuple[Path, str]) -> None:
    source, profile = case
    notebook = nbformat.read(executed_notebook(source, ROOT, profile), as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code), (
        f"{source.stem} has unexecuted cells: run `make book PROFILE={profile}`."
    )
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
    notebook.cells.append(nbformat.v4.new_code_cell("2"))  # nbformat gives each new cell a random id
    strip_run_metadata(notebook)
    assert notebook.metadata == {} and notebook.cells[0].metadata == {"tags": ["x"]}
    assert [cell.id for cell in notebook.cells] == ["cell-0", "cell-1"]


REMOTE_ASSET = re.compile(r'<(?:script|link|img)[^>]*(?:src|href)="(?:https?:)?//[^"]*"')
"""A script, style sheet or image fetched from another origin: offline, it would not load."""


def test_book_builds_without_warnings_and_reads_offline(built_book: Path) -> None:
    html = built_book
    assert (html / "_static" / "mathjax" / "tex-chtml.js").is_file()
    for source in CHAPTERS:
        page = (html / "chapters" / f"{source.stem}.html").read_text()
        assert "<img" in page, f"{source.stem}.html has no figures: were the chapters executed?"
    for path in html.rglob("*.html"):
        page = path.read_text()
        name = path.relative_to(html)
        assert not REMOTE_ASSET.findall(page), f"{name} loads from another origin"
        assert page.count("const THEBE_JS_URL") <= 1, f"{name} declares THEBE_JS_URL twice"
    assert 'data-default-mode="light"' in (html / "chapters" / "01_data.html").read_text()


def test_unknown_profile_is_refused_before_running(tmp_path: Path) -> None:
    from recsae.book.runner import execute_chapter

    with pytest.raises(ValueError, match="Unknown profile 'fast'; choose one of: full, quick"):
        execute_chapter(CHAPTERS[0], "fast")


def test_what_a_chapter_writes_to_its_process_stderr_stays_out_of_its_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recsae.book.runner import execute_chapter

    monkeypatch.delenv("PYTEST_CURRENT_TEST")  # ipykernel never watches its file descriptors under pytest

    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: chapters/tiny\n")
    source = tmp_path / "chapters" / "tiny.md"
    source.parent.mkdir()
    source.write_text(
        "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\nkernelspec:\n"
        "  display_name: Python 3\n  language: python\n  name: python3\n---\n\n"
        '```{code-cell} ipython3\nimport os, sys\nprint("kept")\nos.write(2, b"for the terminal")\n'
        'print("for the terminal too", file=sys.__stderr__, flush=True)\nimport time; time.sleep(1)\n```\n'
    )
    cells = nbformat.read(execute_chapter(source), as_version=4).cells
    (code,) = [cell for cell in cells if cell.cell_type == "code"]
    assert [output.get("text") for output in code.outputs] == ["kept\n"]


EXERCISE = re.compile(r"^```\{exercise\}\n:label: ([\w-]+)$", re.M)
SOLUTION_WITH_CODE = re.compile(
    r"^````\{solution-start\} ([\w-]+)\n(?::[^\n]*\n)*````\n+```\{code-cell\}", re.M
)


@pytest.mark.parametrize("source", CHAPTERS, ids=lambda path: path.stem)
def test_every_chapter_ends_with_exercises_whose_solutions_are_code(source: Path) -> None:
    text = source.read_text()
    labels = EXERCISE.findall(text)
    assert 2 <= len(labels) <= 4, f"{source.name} has {len(labels)} exercises; a chapter ends with 2 to 4."
    assert SOLUTION_WITH_CODE.findall(text) == labels, (
        f"every exercise of {source.name} needs a solution with code"
    )
    if "write_results(" in text:
        assert text.index("## Exercises") > text.rindex("write_results("), "exercises follow the results"


@pytest.mark.parametrize("source", CHAPTERS, ids=lambda path: path.stem)
def test_every_solution_ran_without_error_on_the_quick_profile(source: Path) -> None:
    cells = nbformat.read(executed_notebook(source, ROOT, "quick"), as_version=4).cells
    solutions = [
        cells[index + 1]
        for index, cell in enumerate(cells[:-1])
        if cell.cell_type == "markdown" and "````{solution-start}" in cell.source
    ]
    assert len(solutions) == len(EXERCISE.findall(source.read_text()))
    for cell in solutions:
        assert cell.cell_type == "code" and cell.outputs, f"a solution of {source.name} was not executed"
        assert all(output.output_type != "error" for output in cell.outputs)
