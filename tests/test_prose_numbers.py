"""Numbers in a chapter's sentences are glued from its results: none is typed by hand, and every
cited key is one the chapter computes, in the full book and in the quick one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recsae.book.profiles import get_profile
from recsae.book.prose import cited_keys, resolve, typed_numbers, unknown_citations
from recsae.book.results import book_root, results_path
from recsae.book.runner import PROFILES, chapter_sources

CHAPTERS = chapter_sources(book_root())


def test_typed_numbers_are_found_outside_glue_formulas_and_code() -> None:
    text = "RBO 0.71 and 78 % of lists.\nNeuron #12 is Horror.\nA level of $-1.5$ and `lr=0.05`.\n"
    text += "Ours is {glue:text}`main.mf.rbo:.2f`, named by GPT-4.5, at β = 10.\n"
    assert typed_numbers(text) == ["1: RBO 0.71 and 78 % of lists.", "2: Neuron #12 is Horror."]


def test_line_numbers_are_those_of_the_source_past_front_matter_and_code_cells() -> None:
    text = "---\nkernelspec: {}\n---\nfine\n```{code-cell} ipython3\nx = 0.5\n```\nnot 0.5\n"
    assert typed_numbers(text) == ["8: not 0.5"]


def test_a_main_key_names_the_profile_main_dataset() -> None:
    assert resolve("main.mf.beta=10.rbo.mean", "ml-1m") == "ml1m.mf.beta=10.rbo.mean"
    assert resolve("main.ncf.ndcg@10", "ml-100k") == "ml100k.ncf.ndcg@10"
    assert resolve("ml1m.mf.ndcg@10", None) == "ml1m.mf.ndcg@10"
    with pytest.raises(KeyError, match="no dataset"):
        resolve("main.mf.ndcg@10", None)


def test_citations_of_unknown_keys_are_named() -> None:
    keys = ["main.mf.rbo", "main.mf.tau", "paper.ml1m.mf.beta=10.rbo", "paper.ml1m.mf.nothing"]
    assert unknown_citations(keys, {"ml1m.mf.rbo": 0.7}, "ml-1m") == ["main.mf.tau", "paper.ml1m.mf.nothing"]


@pytest.mark.parametrize("source", CHAPTERS, ids=lambda path: path.stem)
def test_no_chapter_types_a_number_in_its_prose(source: Path) -> None:
    assert typed_numbers(source.read_text()) == [], (
        f"{source.name} types numbers by hand; glue them from its results ({{glue:text}}`main.<key>:<format>`)."
    )


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("source", CHAPTERS, ids=lambda path: path.stem)
def test_every_cited_number_is_in_the_committed_results(source: Path, profile: str) -> None:
    keys = cited_keys(source.read_text())
    if not keys:
        return
    values = json.loads(results_path(source.stem, profile).read_text())
    assert unknown_citations(keys, values, get_profile(profile).main_dataset) == []
