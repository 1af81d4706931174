"""Training bars go to the terminal under the book's runner, and never into a cell's output."""

from __future__ import annotations

import io
import sys

import pytest

from recsae.training.progress import PROGRESS_ENV, epoch_bar


def _drawn_on_stderr(monkeypatch: pytest.MonkeyPatch, progress: bool | None) -> str:
    cell_output = io.StringIO()
    monkeypatch.setattr(sys, "stderr", cell_output)
    assert list(epoch_bar(3, "MF on synthetic", progress)) == [0, 1, 2]
    return cell_output.getvalue()


def test_without_the_runner_a_requested_bar_goes_to_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROGRESS_ENV, raising=False)
    assert "MF on synthetic" in _drawn_on_stderr(monkeypatch, True)


def test_under_the_runner_the_bar_leaves_the_cell_output_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PROGRESS_ENV, "terminal")
    assert _drawn_on_stderr(monkeypatch, True) == ""


def test_a_bar_that_is_not_wanted_is_not_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROGRESS_ENV, raising=False)
    assert _drawn_on_stderr(monkeypatch, False) == ""
