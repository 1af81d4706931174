"""The execution records behind the book's statistics page: what a chapter's run is credited
with, and how the page renders the records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recsae.book.execution import PACKAGES, record_path, recorded, statistics_markdown


def test_a_run_records_its_minutes_and_the_models_it_added_to_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    (cache / "artifacts").mkdir(parents=True)
    (cache / "artifacts" / "old.pt").write_bytes(b"")
    monkeypatch.setenv("RECSAE_CACHE_DIR", str(cache))
    with recorded("quick", "03_sae", tmp_path):
        for name in ("sae-a.pt", "sae-a.pt.lock", "sae-b.pt"):
            (cache / "artifacts" / name).write_bytes(b"")
    with recorded("quick", "04_fidelity", tmp_path):
        pass
    record = json.loads(record_path("quick", tmp_path).read_text())
    assert record["chapters"]["03_sae"]["models trained"] == 2
    assert record["chapters"]["04_fidelity"] == {"minutes": 0.0, "models trained": 0}
    assert set(record["packages"]) == set(PACKAGES)


def test_a_chapter_that_fails_records_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECSAE_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(RuntimeError), recorded("full", "02_recommenders", tmp_path):
        raise RuntimeError("the kernel died")
    assert not record_path("full", tmp_path).exists()


def test_the_page_has_a_row_per_chapter_and_a_column_pair_per_profile() -> None:
    environment = {"python": "3.11.7", "torch threads": 2, "packages": dict.fromkeys(PACKAGES, "1.0")}
    records = {
        "full": {**environment, "chapters": {"01_data": {"minutes": 0.3, "models trained": 0}}},
        "quick": {
            **environment,
            "chapters": {
                "01_data": {"minutes": 0.1, "models trained": 0},
                "02_recommenders": {"minutes": 1.25, "models trained": 4},
            },
        },
    }
    lines = statistics_markdown(records).splitlines()
    assert (
        lines[0]
        == "| chapter | full: minutes | full: models trained | quick: minutes | quick: models trained |"
    )
    assert lines[2] == "| 01_data | 0.3 | 0 | 0.1 | 0 |"
    assert lines[3] == "| 02_recommenders | – | – | 1.2 | 4 |"
    assert "| torch threads | 2 | 2 |" in lines


def test_without_records_the_page_says_how_to_make_them() -> None:
    assert "python -m recsae.book run" in statistics_markdown({})
