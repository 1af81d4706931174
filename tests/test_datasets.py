"""Parsing the real files: shapes, metadata alignment, both ratings forms, bad lines, the cache."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsae.data import datasets
from recsae.data.datasets import LASTFM_STOP_TAGS, DataFormatError, load, read_table
from recsae.data.sources import DATA_DIR_ENV


@pytest.fixture
def real_data(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Path:
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    return data_dir


def test_ml1m_matches_the_papers_matrix(real_data: Path) -> None:
    data = load("ml-1m")
    assert (data.n_users, data.n_items) == (6039, 3706)
    assert data.n_interactions == 1_000_209 - 2_314  # every rating but user 4169's
    assert datasets.ML1M_DROPPED_USER not in data.user_ids
    assert len(data.users) == data.n_users


def test_ml1m_metadata_is_aligned_by_id(real_data: Path) -> None:
    data = load("ml-1m")
    toy_story = data.item_positions([1])[0]
    assert data.items.title[toy_story] == "Toy Story (1995)"
    assert data.items.year[toy_story] == 1995 and data.items.decade[toy_story] == "1990s"
    labels = data.item_labels.iloc[toy_story]
    assert set(labels.index[labels]) == {"Animation", "Children's", "Comedy"}
    first_user = data.user_positions([1])[0]
    assert tuple(data.users.loc[first_user, ["gender", "age", "age_group"]]) == ("F", 1, "Under 18")
    last_user = data.user_positions([6040])[0]
    assert tuple(data.users.loc[last_user, ["gender", "age"]]) == ("M", 25)
    assert data.items.popularity.sum() == data.n_interactions
    assert data.items.popularity_rank[np.argmax(data.items.popularity)] == 0


def test_id_maps_go_both_ways(real_data: Path) -> None:
    data = load("ml-100k")
    positions = np.arange(data.n_items)
    assert np.array_equal(data.item_positions(data.item_ids[positions]), positions)
    with pytest.raises(KeyError, match="Unknown user id 99999"):
        data.user_positions([99999])


def test_ml100k_shape_and_genres(real_data: Path) -> None:
    data = load("ml-100k")
    assert (data.n_users, data.n_items, data.n_interactions) == (943, 1682, 100_000)
    assert list(data.item_labels.columns) == list(datasets.ML_GENRES)
    assert (data.users.age_group == "Under 18").sum() == 36  # awk -F"|" '$2<18' u.user | wc -l


def test_lastfm_filters_and_tags(real_data: Path) -> None:
    data = load("lastfm")
    assert (data.n_users, data.n_items, data.n_interactions) == (1834, 2828, 71194)
    assert np.bincount(data.pair_users).min() >= datasets.LASTFM_MIN_ARTISTS_PER_USER
    tags = set(data.item_labels.columns)
    assert {"rock", "pop", "electronic", "hip-hop", "metal"} <= tags
    assert not tags & LASTFM_STOP_TAGS
    assert not [t for t in tags if t.endswith("0s") and t[:-2].isdigit()]
    assert not tags & set(datasets.LASTFM_TAG_SPELLINGS)
    single_tags = data.item_labels.drop(columns=list(datasets.LASTFM_TAG_FAMILIES))
    assert single_tags.sum(axis=1).max() <= datasets.LASTFM_TAGS_PER_ARTIST
    radiohead = data.items.index[data.items.name == "Radiohead"][0]
    assert data.item_labels.loc[radiohead, "rock"]
    for family, members in datasets.LASTFM_TAG_FAMILIES.items():
        narrower = sorted(tags & members - {family})
        assert data.item_labels.loc[data.item_labels[narrower].any(axis=1), family].all()


def test_a_tag_family_is_any_of_its_tags() -> None:
    multi_hot = pd.DataFrame(
        {
            "metal": [True, False, False, False],
            "death metal": [False, True, False, True],
            "pop": [False, False, True, True],
        }
    )
    families = {
        "metal": frozenset({"metal", "death metal", "doom metal"}),
        "loud": frozenset({"pop", "noise"}),
    }
    merged = datasets.with_tag_families(multi_hot, families)
    # "metal" is replaced by its family; "death metal" stays a concept of its own; absent tags count as no.
    assert merged["metal"].tolist() == [True, True, False, True]
    assert merged["death metal"].tolist() == [False, True, False, True]
    assert merged["loud"].tolist() == [False, False, True, True]
    assert sorted(merged.columns) == ["death metal", "loud", "metal", "pop"]


def _ml1m_without_ratings(data_dir: Path, tmp_path: Path) -> Path:
    """A private ml-1m folder with the official movies and users, for a ratings file of our own."""
    folder = tmp_path / "ml-1m"
    folder.mkdir()
    for name in ("movies.dat", "users.dat"):
        shutil.copy(data_dir / "ml-1m" / name, folder / name)
    return folder


def test_both_ml1m_ratings_forms_give_the_same_matrix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data_dir: Path
) -> None:
    folder = _ml1m_without_ratings(data_dir, tmp_path)
    lines = gzip.decompress((data_dir / "ml-1m" / "ratings_no_timestamps.dat.gz").read_bytes()).splitlines()
    (folder / "ratings.dat").write_bytes(b"".join(line + b"::978300760\n" for line in lines))
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    four_fields = load("ml-1m")
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    three_fields = load("ml-1m")
    assert np.array_equal(four_fields.pair_users, three_fields.pair_users)
    assert np.array_equal(four_fields.pair_items, three_fields.pair_items)


def test_malformed_ratings_line_names_file_and_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data_dir: Path
) -> None:
    folder = _ml1m_without_ratings(data_dir, tmp_path)
    (folder / "ratings.dat").write_text(
        "1::1193::5::978300760\n1::661::3::978302109\n1::oops::3::978301968\n"
    )
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(
        DataFormatError, match=r"ratings.dat, line 3: expected 4 fields .* got '1::oops::3::978301968'"
    ):
        load("ml-1m")


def test_truncated_ratings_file_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data_dir: Path
) -> None:
    folder = _ml1m_without_ratings(data_dir, tmp_path)
    (folder / "ratings.dat").write_text("1::1193::5::978300760\n1::661::3::978302109\n")
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(DataFormatError, match="has 2 ratings but the official file has 1,000,209"):
        load("ml-1m")


@pytest.mark.parametrize(
    ("content", "line"),
    [("1\t2\t3\n4\t5\n", 2), ("1\t2\t3\n4\t5\t6\t7\n", 2), ("1\t2\t3\n4\t5\t6\nx\t1\t2\n", 3)],
)
def test_read_table_locates_the_bad_line(tmp_path: Path, content: str, line: int) -> None:
    path = tmp_path / "table.dat"
    path.write_text(content)
    with pytest.raises(DataFormatError, match=f"table.dat, line {line}: expected 3 fields"):
        read_table(path, ["a", "b", "c"], {"a": "int64", "b": "int64", "c": "int64"}, "\t")


def test_read_table_keeps_quotes_and_multichar_separators(tmp_path: Path) -> None:
    path = tmp_path / "movies.dat"
    path.write_text('1::"Great" Movie, The (1990)::Drama\n2::Other::Comedy|Drama\n')
    frame = read_table(path, ["item", "title", "genres"], {"item": "int64"}, "::")
    assert frame.title.tolist() == ['"Great" Movie, The (1990)', "Other"]


def test_parsed_data_is_cached_and_reloaded_identically(real_data: Path, isolated_cache: Path) -> None:
    first = load("lastfm")
    cached = list((isolated_cache / "parsed").glob("lastfm-*.npz"))
    assert len(cached) == 1
    second = load("lastfm")
    assert np.array_equal(first.pair_items, second.pair_items)
    assert first.items.equals(second.items)
    assert first.item_labels.equals(second.item_labels)
    assert first.users.shape == second.users.shape


def test_interactions_roundtrip_keeps_dtypes(planted, tmp_path: Path) -> None:
    data = planted.interactions
    again = type(data).from_bytes(data.to_bytes())
    assert again.items.equals(data.items) and again.users.equals(data.users)
    assert again.item_labels.equals(data.item_labels)
    assert again.name == "synthetic"
