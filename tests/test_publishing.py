"""The workflow that publishes the book: valid YAML that builds from the stored outputs and
uploads the folder the build writes."""

from __future__ import annotations

from pathlib import Path

import yaml

WORKFLOW = Path(__file__).resolve().parents[1] / ".github" / "workflows" / "book.yml"


def test_the_workflow_builds_without_executing_and_publishes_the_built_folder() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    commands = [step["run"] for step in build["steps"] if "run" in step]
    assert "python -m recsae.book build" in commands  # never `run`: it would execute every chapter
    assert "torch==2.13.0" in commands[0]
    upload = next(step for step in build["steps"] if step.get("uses", "").startswith("actions/upload-pages"))
    assert upload["with"]["path"] == "_build/html"
    assert deploy["needs"] == "build"
    assert deploy["steps"][0]["uses"].startswith("actions/deploy-pages@")
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
