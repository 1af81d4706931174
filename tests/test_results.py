"""Results files: flat, sorted, rounded, atomic, and never mixing profiles."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsae.book.results import (
    RESULTS_DIR_ENV,
    book_root,
    flat,
    key_part,
    parse_key,
    read_results,
    result_key,
    scope,
    short_name,
    slug,
    write_results,
)
from recsae.concepts.neurons import NEURON_READINGS, SUMMARY_FIGURES, UNLABELLED


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


def test_keys_are_built_from_a_scope_and_named_parts() -> None:
    assert [short_name(n) for n in ("ml-1m", "ml-100k", "lastfm")] == ["ml1m", "ml100k", "lastfm"]
    assert scope("ml-1m", "ncf") == "ml1m.ncf"
    assert key_part("beta", 10.0) == "beta=10" and key_part("topk", 8) == "topk=8"
    assert slug("Children's") == "childrens" and slug("Sci-Fi") == "scifi"
    assert result_key(scope("ml-1m", "mf"), "suppress.horror", "level=-1.5", "share") == (
        "ml1m.mf.suppress.horror.level=-1.5.share"
    )
    with pytest.raises(ValueError, match="must be a non-empty name"):
        result_key("ml1m.mf", "", "rbo")


@pytest.mark.parametrize(
    ("key", "parts"),
    [
        ("ml1m.mf.ndcg@10", ["ml1m", "mf", "ndcg@10"]),
        ("ml1m.mf.beta=0.5.rbo", ["ml1m", "mf", "beta=0.5", "rbo"]),
        (
            "ml1m.mf.suppress.horror.level=-1.5.share",
            ["ml1m", "mf", "suppress", "horror", "level=-1.5", "share"],
        ),
        ("ml1m.mf.trade_off.kl=0.01.l0_item", ["ml1m", "mf", "trade_off", "kl=0.01", "l0_item"]),
        ("ml1m.ncf.neuron=3.purity@10", ["ml1m", "ncf", "neuron=3", "purity@10"]),
        (
            "ml1m.mf.nudge.childrens.level=2,-1.share",
            ["ml1m", "mf", "nudge", "childrens", "level=2,-1", "share"],
        ),
    ],
)
def test_a_key_parses_back_into_its_parts(key: str, parts: list[str]) -> None:
    assert parse_key(key) == parts
    assert result_key(*parts) == key


def test_a_table_of_conditions_becomes_keys() -> None:
    table = pd.DataFrame(
        {"share": [0.5, 0.25], "ndcg@10": [0.1, 0.2], "share.Children's": [0.5, 0.25]},
        index=["original", "level=-1.5"],
    )
    values = flat("ml1m.mf.nudge.childrens", table)
    assert values["ml1m.mf.nudge.childrens.level=-1.5.share"] == 0.25
    assert values["ml1m.mf.nudge.childrens.original.share.childrens"] == 0.5
    assert len(values) == 6
    with pytest.raises(ValueError, match=r"ml1m.mf.x.original.share is missing"):
        flat("ml1m.mf.x", table.assign(share=[np.nan, 0.1]))


def test_a_row_of_measurements_is_spelled_as_the_keys_spell_it() -> None:
    assert flat("ml1m.mf.beta=10", {"rbo": 0.5, "l0_items": 5.0, "l0_users": np.float64(6)}) == {
        "ml1m.mf.beta=10.rbo": 0.5,
        "ml1m.mf.beta=10.l0_item": 5.0,
        "ml1m.mf.beta=10.l0_user": 6.0,
    }


def test_concept_readings_become_keys_where_they_are_defined() -> None:
    table = pd.DataFrame(
        {
            "label": ["Horror", UNLABELLED],
            "purity@10": [1.0, np.nan],
            "purity@20": [0.95, np.nan],
            "purity@50": [0.9, np.nan],
            "auc": [0.98, np.nan],
            "decade": ["1980s", "1990s"],
        }
    )
    neurons = table[list(NEURON_READINGS)].rename(index=lambda neuron: f"neuron={neuron}")
    assert flat("ml1m.mf", neurons, skip_missing=True) == {
        "ml1m.mf.neuron=0.label": "Horror",
        "ml1m.mf.neuron=0.purity@10": 1.0,
        "ml1m.mf.neuron=0.purity@20": 0.95,
        "ml1m.mf.neuron=0.purity@50": 0.9,
        "ml1m.mf.neuron=0.auc": 0.98,
        "ml1m.mf.neuron=1.label": UNLABELLED,
    }
    summary = {"neurons": 22, "labelled": 20, "median_purity@10": 0.8, "pure@10": 11, "median_auc": 0.68}
    values = flat("ml1m.mf.sae", {name: summary[name] for name in SUMMARY_FIGURES})
    assert values == {
        "ml1m.mf.sae.purity@10.median": 0.8,
        "ml1m.mf.sae.auc.median": 0.68,
        "ml1m.mf.sae.labelled": 20,
        "ml1m.mf.sae.pure@10": 11,
    }
    assert isinstance(values["ml1m.mf.sae.labelled"], int)  # a count stays a count in the results file
