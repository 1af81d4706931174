"""Results files: flat, sorted, rounded, atomic, and never mixing profiles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recsae.book.results import RESULTS_DIR_ENV, book_root, read_results, write_results


def test_write_and_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(RESULTS_DIR_ENV, str(tmp_path))
    path = write_results("02_x", {"b.metric": 0.123456789, "a.count": 3, "a.label": "Horror"})
    assert path == tmp_path / "02_x.json"
    assert list(json.loads(path.read_text())) == ["a.count", "a.label", "b.metric"]
    assert read_results("02_x")["b.metric"] == 0.123457
    quick = write_results("02_x", {"b.metric": 1.0}, profile="quick")
    assert quick == tmp_path / "quick" / "02_x.json"
    assert read_results("02_x")["b.metric"] == 0.123457


def test_non_finite_numbers_are_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(RESULTS_DIR_ENV, str(tmp_path))
    with pytest.raises(ValueError, match="'x' is nan; only finite numbers"):
        write_results("c", {"x": float("nan")})
    assert not (tmp_path / "c.json").exists()


def test_book_root_is_found_from_a_chapter_folder() -> None:
    root = Path(__file__).resolve().parents[1]
    assert book_root(root / "chapters") == root
