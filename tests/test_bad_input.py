"""Bad input as a hostile but fair user would give it: every case gets one clear sentence or is
handled, and nothing damaged or half-written is left for a later run to trust.

Data cases work on private copies of the real files. Files with a published checksum are
parsed through ``datasets.parse`` directly (a modified copy would fail its checksum first,
which ``test_sources`` covers); the official ``ratings.dat`` has no published checksum, so its
cases go through ``load`` as a user's would.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from recsae.book.results import RESULTS_DIR_ENV, results_path
from recsae.cache import artifacts, provenance
from recsae.cache.artifacts import artifact_path, load_or_build
from recsae.cache.storage import DamagedFile, load_or_make, read_sealed, write_atomically, write_sealed
from recsae.data import datasets, sources
from recsae.data.datasets import DataFormatError, load, read_table
from recsae.data.sources import CACHE_DIR_ENV, DATA_DIR_ENV, DatasetFiles, DataSourceError, cache_dir
from recsae.data.split import SplitConfig
from recsae.data.synthetic import SyntheticConfig
from recsae.presets import paper_mf
from recsae.sae import SAEConfig
from recsae.training import recommender, sae_trainer
from recsae.training.recommender import RecommenderConfig, trained_recommender
from recsae.training.sae_trainer import SAERunConfig, trained_sae

ML1M_URL = "https://files.grouplens.org/datasets/movielens/ml-1m.zip"
ML100K_URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
LASTFM_URL = "https://files.grouplens.org/datasets/hetrec2011/hetrec2011-lastfm-2k.zip"
REPOSITORY = Path(__file__).resolve().parents[1]


# --- helpers -----------------------------------------------------------------------------------


def _ml1m_with_ratings(data_dir: Path, tmp_path: Path, ratings: str) -> Path:
    """A data folder whose ml-1m holds the official movies and users and our ``ratings.dat``."""
    folder = tmp_path / "data" / "ml-1m"
    folder.mkdir(parents=True)
    for name in ("movies.dat", "users.dat"):
        shutil.copy(data_dir / "ml-1m" / name, folder / name)
    (folder / "ratings.dat").write_text(ratings)
    return folder.parent


def _load_ml1m_ratings(monkeypatch: pytest.MonkeyPatch, data_dir: Path, tmp_path: Path, ratings: str) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(_ml1m_with_ratings(data_dir, tmp_path, ratings)))
    load("ml-1m")


def _parse_edited(data_dir: Path, tmp_path: Path, name: str, edit: dict[str, str]) -> None:
    """Parse a private copy of dataset ``name`` whose files in ``edit`` get text appended
    (a value starting with "=" replaces the whole file instead)."""
    source = sources.source_for(name)
    folder = tmp_path / source.folder
    shutil.copytree(data_dir / source.folder, folder)
    for file, text in edit.items():
        path = folder / file
        if text.startswith("="):
            path.write_text(text[1:], encoding="latin-1")
        else:
            with path.open("a", encoding="latin-1") as handle:
                handle.write(text)
    present = [file for group in source.required for file in group if (folder / file).is_file()]
    datasets.parse(DatasetFiles(source, folder, {file: "" for file in present}))


def _lines(path: Path) -> int:
    return len(path.read_bytes().splitlines())


def _no_temporaries(folder: Path) -> bool:
    """No hidden temporary file of ``storage.write_atomically`` anywhere under ``folder``."""
    return not [p for p in folder.rglob(".*") if p.is_file()]


def _tiny_mf() -> RecommenderConfig:
    """An MF on MovieLens-100K that trains in about a second."""
    return replace(paper_mf("ml-100k"), dim=4, epochs=1, batch_size=4096, monitor_users=50)


def _tiny_sae(config: RecommenderConfig) -> SAERunConfig:
    return SAERunConfig(config, SAEConfig(input_dim=config.dim, width=5, epochs=1, batch_size=1024))


@pytest.fixture
def real_data(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Path:
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    return data_dir


@pytest.fixture
def eager(monkeypatch: pytest.MonkeyPatch) -> None:
    """SAE training without compiling: the tiny SAEs here take well under a second."""
    monkeypatch.setenv("RECSAE_COMPILE", "0")


# --- rows that parse but are wrong ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratings", "message"),
    [
        ("1::1193::5::1\n1::661::6::2\n", "ratings.dat, line 2: rating must be from 1 to 5, got 6"),
        ("1::1193::0::1\n", "ratings.dat, line 1: rating must be from 1 to 5, got 0"),
        ("1::1193::5::1\n-3::661::3::2\n", "ratings.dat, line 2: user must be at least 1, got -3"),
        ("1::1193::5::1\n1::0::3::2\n", "ratings.dat, line 2: item must be at least 1, got 0"),
        ("1::1193::5::1\n1::99999::3::2\n", "ratings.dat, line 2: item 99999 is not in movies.dat"),
        ("1::1193::5::1\n7000::661::3::2\n", "ratings.dat, line 2: user 7000 is not in users.dat"),
        (
            "1::1193::5::1\n1::661::3::2\n1::1193::4::3\n",
            "ratings.dat, line 3: user 1, item 1193 already appears on line 1",
        ),
        (
            "1::1193::5::1\n1::661::3.5::2\n",
            "ratings.dat, line 2: expected 4 fields (user, item, rating, timestamp) separated by '::' "
            "with rating an integer, got '1::661::3.5::2'",
        ),
        (
            "1::1193::5::1\n1::661\n",
            "ratings.dat, line 2: expected 4 fields (user, item, rating, timestamp) separated by '::', got '1::661'",
        ),
        ("", "ratings.dat is empty: it has no data lines"),
        ("\n\n", "ratings.dat is empty: it has no data lines"),
    ],
)
def test_bad_ml1m_ratings_name_file_line_and_fix(
    monkeypatch: pytest.MonkeyPatch,
    data_dir: Path,
    tmp_path: Path,
    isolated_cache: Path,
    ratings: str,
    message: str,
) -> None:
    with pytest.raises(DataFormatError) as error:
        _load_ml1m_ratings(monkeypatch, data_dir, tmp_path, ratings)
    assert str(error.value) == f"{message}; replace the file with the copy from {ML1M_URL}."
    assert not (isolated_cache / "parsed").exists() or not list((isolated_cache / "parsed").glob("*.npz"))


def test_truncated_ml1m_ratings_say_how_many_are_missing(
    monkeypatch: pytest.MonkeyPatch, data_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(DataFormatError) as error:
        _load_ml1m_ratings(monkeypatch, data_dir, tmp_path, "1::1193::5::1\n1::661::3::2\n")
    assert str(error.value) == (
        "ratings.dat has 2 ratings but the official file has 1,000,209; "
        f"replace the file with the copy from {ML1M_URL}."
    )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            {"u.data": "1\t1\t4\t0\n"},
            "u.data, line 100001: user 1, item 1 already appears on line 32237",
        ),  # grep -n
        ({"u.data": "1\t1700\t4\t0\n"}, "u.data, line 100001: item 1700 is not in u.item"),
        ({"u.data": "2\t3\t9\t0\n"}, "u.data, line 100001: rating must be from 1 to 5, got 9"),
        ({"u.data": "944\t3\t3\t0\n"}, "u.data, line 100001: user 944 is not in u.user"),
        (
            {"u.item": "1|Again (1995)|||x" + "|0" * 19 + "\n"},
            "u.item, line 1683: item 1 already appears on line 1",
        ),
        (
            {"u.user": "=1|24|M|technician|85711\n1|53|F|other|94043\n"},
            "u.user, line 2: user 1 already appears on line 1",
        ),
        ({"u.data": "=\n"}, "u.data is empty: it has no data lines"),
    ],
)
def test_bad_ml100k_rows(data_dir: Path, tmp_path: Path, edit: dict[str, str], message: str) -> None:
    with pytest.raises(DataFormatError) as error:
        _parse_edited(data_dir, tmp_path, "ml-100k", edit)
    assert str(error.value) == f"{message}; replace the file with the copy from {ML100K_URL}."


def test_lastfm_rows(data_dir: Path, tmp_path: Path) -> None:
    plays = data_dir / "hetrec2011-lastfm-2k" / "user_artists.dat"
    tagged = data_dir / "hetrec2011-lastfm-2k" / "user_taggedartists.dat"
    tags = data_dir / "hetrec2011-lastfm-2k" / "tags.dat"
    end_plays, end_tagged, end_tags = _lines(plays) + 1, _lines(tagged) + 1, _lines(tags) + 1
    cases = [
        (
            {"user_artists.dat": "2\t51\t7\n"},
            f"user_artists.dat, line {end_plays}: user 2, item 51 already appears on line 2",
        ),
        (
            {"user_artists.dat": "2\t99999\t7\n"},
            f"user_artists.dat, line {end_plays}: item 99999 is not in artists.dat",
        ),
        (
            {"user_artists.dat": "3\t51\t0\n"},
            f"user_artists.dat, line {end_plays}: weight must be at least 1, got 0",
        ),
        (
            {"user_taggedartists.dat": "2\t52\t99999\t1\t4\t2009\n"},
            f"user_taggedartists.dat, line {end_tagged}: tag 99999 is not in tags.dat",
        ),
        ({"tags.dat": "1\tmetal again\n"}, f"tags.dat, line {end_tags}: tag 1 already appears on line 2"),
        (
            {"user_artists.dat": "=userID\tartistID\tweight\n"},
            "user_artists.dat is empty: it has no data lines",
        ),
    ]
    for number, (edit, message) in enumerate(cases):
        with pytest.raises(DataFormatError) as error:
            _parse_edited(data_dir, tmp_path / str(number), "lastfm", edit)
        assert str(error.value) == f"{message}; replace the file with the copy from {LASTFM_URL}."


def test_lastfm_tagged_artists_missing_from_artists_dat_are_dropped(real_data: Path) -> None:
    """A documented quirk of HetRec, not an error: such artists have no plays."""
    data = load("lastfm")
    assert not data.items.name.isna().any() and "nan" not in set(data.items.name)


def test_unreadable_gzip_is_said_plainly(tmp_path: Path) -> None:
    path = tmp_path / "ratings.dat.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00 definitely not deflate")
    with pytest.raises(DataFormatError, match=r"^ratings.dat.gz is not a readable gzip file \(.+\)\.$"):
        read_table(path, ["a"], {"a": "int64"}, "\t")


def test_non_utf8_text_is_said_plainly(tmp_path: Path) -> None:
    path = tmp_path / "artists.dat"
    path.write_bytes(b"id\tname\n1\t\xff\n")
    with pytest.raises(DataFormatError) as error:
        read_table(path, ["id", "name"], {"id": "int64"}, "\t", "utf-8", True)
    assert str(error.value) == "artists.dat is not utf-8 text (byte 10 cannot be read)."


# --- archives and folders ------------------------------------------------------------------------


def test_corrupt_archive_says_delete_and_download_again(tmp_path: Path) -> None:
    archive = tmp_path / "ml-100k.zip"
    archive.write_bytes(b"PK\x03\x04 this is no zip")
    destination = tmp_path / "unpacked" / "ml-100k"
    with pytest.raises(DataSourceError) as error:
        sources.unpack_atomically(archive, "ml-100k", destination)
    assert str(error.value) == (
        f"{str(archive)!r} is not a readable zip archive (File is not a zip file); delete it so it is "
        "downloaded again."
    )
    assert not destination.exists() and list(destination.parent.iterdir()) == []


def test_truncated_archive_says_delete_and_download_again(tmp_path: Path) -> None:
    archive = tmp_path / "ml-100k.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("ml-100k/u.data", os.urandom(200_000))
    archive.write_bytes(archive.read_bytes()[:-30_000])
    destination = tmp_path / "unpacked" / "ml-100k"
    with pytest.raises(
        DataSourceError, match=r"is not a readable zip archive \(.+\); delete it so it is downloaded again\.$"
    ):
        sources.unpack_atomically(archive, "ml-100k", destination)
    assert not destination.exists() and list(destination.parent.iterdir()) == []


def test_two_first_unpacks_at_once_both_succeed(tmp_path: Path) -> None:
    archive = tmp_path / "ml-100k.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for index in range(200):
            bundle.writestr(f"ml-100k/file{index}.dat", os.urandom(2_000))
    destination = tmp_path / "downloads" / "ml-100k"
    errors: list[BaseException] = []

    def unpack() -> None:
        try:
            sources.unpack_atomically(archive, "ml-100k", destination)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=unpack) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(list(destination.iterdir())) == 200
    assert [p.name for p in destination.parent.iterdir()] == ["ml-100k"]


def test_tilde_in_folders_is_the_home_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data_dir: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    shutil.copytree(data_dir / "ml-100k", tmp_path / "data" / "ml-100k")
    monkeypatch.setenv(DATA_DIR_ENV, "~/data")
    monkeypatch.setenv(CACHE_DIR_ENV, "~/cache")
    assert cache_dir() == tmp_path / "cache"
    assert load("ml-100k").n_users == 943
    assert (tmp_path / "cache" / "parsed").is_dir()
    assert not Path("~").exists()


def test_cache_folder_that_is_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "cache").write_text("")
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    with pytest.raises(DataSourceError) as error:
        cache_dir()
    assert (
        str(error.value)
        == f"{CACHE_DIR_ENV} points to {str(tmp_path / 'cache')!r}, which is a file; set it to a folder."
    )


# --- configs that refuse nonsense ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: replace(paper_mf(), epochs=0), "RecommenderConfig.epochs must be an integer ≥ 1, got 0."),
        (lambda: replace(paper_mf(), epochs=-2), "RecommenderConfig.epochs must be an integer ≥ 1, got -2."),
        (
            lambda: replace(paper_mf(), batch_size=-1),
            "RecommenderConfig.batch_size must be an integer ≥ 1, got -1.",
        ),
        (
            lambda: replace(paper_mf(), batch_size=0),
            "RecommenderConfig.batch_size must be an integer ≥ 1, got 0.",
        ),
        (
            lambda: replace(paper_mf(), batch_size=2.5),
            "RecommenderConfig.batch_size must be an integer ≥ 1, got 2.5.",
        ),
        (lambda: replace(paper_mf(), dim=0), "RecommenderConfig.dim must be an integer ≥ 1, got 0."),
        (lambda: replace(paper_mf(), dim=True), "RecommenderConfig.dim must be an integer ≥ 1, got True."),
        (
            lambda: replace(paper_mf(), lr=math.nan),
            "RecommenderConfig.lr must be a finite number > 0, got nan.",
        ),
        (
            lambda: replace(paper_mf(), lr=-0.05),
            "RecommenderConfig.lr must be a finite number > 0, got -0.05.",
        ),
        (
            lambda: replace(paper_mf(), l2=-0.01),
            "RecommenderConfig.l2 must be a finite number ≥ 0, got -0.01.",
        ),
        (
            lambda: replace(paper_mf(), init_std=0.0),
            "RecommenderConfig.init_std must be a finite number > 0, got 0.0.",
        ),
        (
            lambda: replace(paper_mf(), offset=math.inf),
            "RecommenderConfig.offset must be a finite number, got inf.",
        ),
        (lambda: replace(paper_mf(), seed=-1), "RecommenderConfig.seed must be an integer ≥ 0, got -1."),
        (lambda: replace(paper_mf(), model="svd"), "Unknown recommender 'svd'; choose 'mf' or 'ncf'."),
        (
            lambda: replace(paper_mf(), optimizer="rmsprop"),
            "Unknown optimizer 'rmsprop'; choose 'sgd' or 'adam'.",
        ),
        (
            lambda: replace(paper_mf(), hidden=(64, 0)),
            "RecommenderConfig.hidden must be a non-empty tuple of layer sizes ≥ 1, got (64, 0).",
        ),
        (
            lambda: replace(paper_mf(), dataset=""),
            "RecommenderConfig.dataset must be a dataset name, got ''.",
        ),
        (
            lambda: SplitConfig(sae_test_fraction=1.5),
            "SplitConfig.sae_test_fraction must be a finite number > 0 and < 1, got 1.5.",
        ),
        (
            lambda: SplitConfig(held_out_positives=0),
            "SplitConfig.held_out_positives must be an integer ≥ 1, got 0.",
        ),
        (lambda: SAEConfig(epochs=0), "SAEConfig.epochs must be an integer ≥ 1, got 0."),
        (lambda: SAEConfig(batch_size=0), "SAEConfig.batch_size must be an integer ≥ 1, got 0."),
        (lambda: SAEConfig(lr=-1e-3), "SAEConfig.lr must be a finite number > 0, got -0.001."),
        (lambda: SAEConfig(alpha=-1.0), "SAEConfig.alpha must be a finite number ≥ 0, got -1.0."),
        (lambda: SAEConfig(beta=math.nan), "SAEConfig.beta must be a finite number ≥ 0, got nan."),
        (lambda: SAEConfig(lambda_kl=-0.1), "SAEConfig.lambda_kl must be a finite number ≥ 0, got -0.1."),
        (lambda: SAEConfig(lambda_l1=math.inf), "SAEConfig.lambda_l1 must be a finite number ≥ 0, got inf."),
        (
            lambda: SAEConfig(alpha=0.0, beta=0.0),
            "SAEConfig needs alpha > 0 or beta > 0: with both at 0 nothing is reconstructed.",
        ),
        (lambda: SAEConfig(rho=0.0), "SAEConfig.rho must be a finite number > 0 and < 1, got 0.0."),
        (
            lambda: SyntheticConfig(n_genres=3, genres_per_user=4),
            "SyntheticConfig.genres_per_user must be an integer ≥ 1 and ≤ 3, got 4.",
        ),
    ],
)
def test_impossible_configs_are_refused_in_one_sentence(build, message: str) -> None:
    with pytest.raises(ValueError) as error:
        build()
    assert str(error.value) == message


# --- the cache never serves a wrong model --------------------------------------------------------


def _damage(path: Path, how: str) -> None:
    content = bytearray(path.read_bytes())
    if how == "flip":
        content[len(content) // 2] ^= 0x01
    elif how == "truncate":
        del content[len(content) // 3 :]
    else:  # "unsealed": a plain torch file, as an older version or another program writes it
        content = bytearray(read_sealed(path))
    path.write_bytes(bytes(content))


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("flip", "its contents do not match its digest (it was truncated or modified)"),
        ("truncate", "its contents do not match its digest (it was truncated or modified)"),
        ("unsealed", "it is not a sealed recsae file (it was written by another program or version)"),
    ],
)
def test_damaged_model_is_rebuilt_with_one_line(
    real_data: Path, isolated_cache: Path, caplog: pytest.LogCaptureFixture, how: str, reason: str
) -> None:
    config = _tiny_mf()
    trained = trained_recommender(config, progress=False)
    (path,) = (isolated_cache / "artifacts").glob("recommender-*.pt")
    _damage(path, how)
    with caplog.at_level(logging.WARNING, logger="recsae"):
        again = trained_recommender(config, progress=False)
    assert caplog.messages == [
        f"recsae: the cached recommender {path.name} cannot be used ({reason}); building it again."
    ]
    assert torch.equal(again.model.user_vectors, trained.model.user_vectors)
    caplog.clear()
    trained_recommender(config, progress=False)  # the rebuilt file is sound again
    assert caplog.messages == []


@pytest.mark.parametrize("how", ["flip", "truncate"])
def test_damaged_parsed_data_is_parsed_again(
    real_data: Path, isolated_cache: Path, caplog: pytest.LogCaptureFixture, how: str
) -> None:
    first = load("ml-100k")
    (path,) = (isolated_cache / "parsed").glob("ml-100k-*.npz")
    _damage(path, how)
    with caplog.at_level(logging.WARNING, logger="recsae"):
        again = load("ml-100k")
    assert caplog.messages == [
        f"recsae: the parsed ml-100k dataset {path.name} cannot be used (its contents do not match its digest "
        "(it was truncated or modified)); building it again."
    ]
    assert again.digest() == first.digest()


def test_model_whose_weights_do_not_fit_is_rebuilt(
    isolated_cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A stored state that ``load_state_dict`` refuses (``size mismatch``) is rebuilt, not raised."""
    inputs = {"data": "d"}
    config = SplitConfig()
    load_or_build("toy", config, inputs, lambda: torch.nn.Linear(2, 3), lambda m: m.state_dict(), lambda s: s)

    def fit(state: dict) -> torch.nn.Linear:
        model = torch.nn.Linear(4, 3)
        model.load_state_dict(state)
        return model

    rebuilt = load_or_build(
        "toy", config, inputs, lambda: torch.nn.Linear(4, 3), lambda m: m.state_dict(), fit
    )
    assert rebuilt.in_features == 4
    assert (
        "cannot be used (its weights do not fit the model (RuntimeError)); building it again." in caplog.text
    )


def test_parser_change_never_serves_the_old_data_or_model(
    monkeypatch: pytest.MonkeyPatch, real_data: Path, isolated_cache: Path
) -> None:
    config = _tiny_mf()
    old = trained_recommender(config, progress=False)
    parse_ml100k = datasets.PARSERS["ml-100k"]

    def fixed_parser(files: DatasetFiles):
        data = parse_ml100k(files)
        return replace(data, pair_items=data.pair_items[::-1].copy(), pair_users=data.pair_users[::-1].copy())

    real_digest = provenance.code_digest
    monkeypatch.setitem(datasets.PARSERS, "ml-100k", fixed_parser)
    monkeypatch.setattr(datasets, "code_digest", lambda *roots, **kw: "edited-" + real_digest(*roots, **kw))
    assert load("ml-100k").pair_users[0] == 942  # re-parsed, not the cached arrays
    new = trained_recommender(config, progress=False)
    assert len(list((isolated_cache / "artifacts").glob("recommender-*.pt"))) == 2
    assert not torch.equal(new.model.user_vectors, old.model.user_vectors)


def test_comments_docstrings_and_layout_are_not_part_of_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rewording a comment or a docstring, or reformatting, leaves what the code does, and the digest, alone."""
    before = provenance.code_digest(recommender.TRAINING_CODE, leave_out=artifacts.TRAINING_LEAVE_OUT)
    read = provenance._source

    def reworded(module: str) -> bytes:
        source = read(module).decode()
        if module == "recsae.data.sampling":  # the module's docstring, and new comments
            docstring_end = source.index('"""', 3) + 3
            reflowed = source[:docstring_end].replace(" ", "  ") + source[docstring_end:]
            return ("# a new comment\n" + reflowed + "\n\n# another one\n").encode()
        if module == "recsae.training.compiled_step":  # the string that documents an attribute
            return source.replace(
                "``torch.optim.Adam``'s defaults", "The defaults of torch.optim.Adam"
            ).encode()
        return source.encode()

    provenance.code_digest.cache_clear()
    monkeypatch.setattr(provenance, "_source", reworded)
    try:
        for module in ("recsae.data.sampling", "recsae.training.compiled_step"):
            assert reworded(module) != read(module)
        assert (
            provenance.code_digest(recommender.TRAINING_CODE, leave_out=artifacts.TRAINING_LEAVE_OUT)
            == before
        )
    finally:
        provenance.code_digest.cache_clear()


def test_training_code_is_part_of_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """An edit to the code of any module the trainer imports, even indirectly, changes the digest."""
    before = provenance.code_digest(recommender.TRAINING_CODE, leave_out=artifacts.TRAINING_LEAVE_OUT)
    read = provenance._source

    def edited(module: str) -> bytes:
        return read(module) + (b"\nEDITED = True\n" if module == "recsae.data.sampling" else b"")

    provenance.code_digest.cache_clear()
    monkeypatch.setattr(provenance, "_source", edited)
    try:
        assert (
            provenance.code_digest(recommender.TRAINING_CODE, leave_out=artifacts.TRAINING_LEAVE_OUT)
            != before
        )
        unrelated = provenance.code_digest("recsae.metrics.ranking")
        monkeypatch.setattr(provenance, "_source", read)
        provenance.code_digest.cache_clear()
        assert (
            provenance.code_digest("recsae.metrics.ranking") == unrelated
        )  # metrics import no recsae module
    finally:
        provenance.code_digest.cache_clear()


def test_thread_count_is_part_of_the_key() -> None:
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = artifacts.training_inputs(recommender.TRAINING_CODE, "data")
        torch.set_num_threads(2)
        two = artifacts.training_inputs(recommender.TRAINING_CODE, "data")
    finally:
        torch.set_num_threads(threads)
    assert artifact_path("recommender", paper_mf(), one) != artifact_path("recommender", paper_mf(), two)


def test_retrained_recommender_gets_its_own_sae(
    monkeypatch: pytest.MonkeyPatch, real_data: Path, isolated_cache: Path, eager: None
) -> None:
    config = _tiny_mf()
    run = _tiny_sae(config)
    first = trained_sae(run, progress=False)
    trained_saes: list[int] = []
    train_sae = sae_trainer.train_sae
    monkeypatch.setattr(
        sae_trainer, "train_sae", lambda *a, **k: trained_saes.append(1) or train_sae(*a, **k)
    )
    trained_sae(run, progress=False)
    assert trained_saes == []  # same recommender: the stored SAE
    # The recommender is retrained (its training code changed) and comes out different.
    train = recommender.train_recommender

    def retrained(*args, **kwargs):
        model = train(*args, **kwargs)
        model.model.user_vectors.data.mul_(1.5)
        return model

    monkeypatch.setattr(recommender, "train_recommender", retrained)
    monkeypatch.setattr(artifacts, "code_digest", lambda *roots, **kw: "edited")
    second = trained_sae(run, progress=False)
    assert trained_saes == [1]
    assert not torch.equal(second.autoencoder.weight, first.autoencoder.weight)


# --- interrupted, concurrent and read-only --------------------------------------------------------


def _python(
    code: str, env: dict[str, str] | None = None, bound_by_permissions: bool = False
) -> subprocess.CompletedProcess:
    """Run ``code`` in a new interpreter; ``bound_by_permissions`` takes from root the capabilities
    that let it write where file permissions forbid it (a non-root user is bound anyway)."""
    environment = {**os.environ, **(env or {})}
    prefix = []
    if bound_by_permissions and os.geteuid() == 0:
        prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner"]
    return subprocess.run(
        [*prefix, sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=REPOSITORY,
        timeout=120,
    )


def test_killed_writer_leaves_no_file_and_its_orphan_is_removed(tmp_path: Path) -> None:
    target = tmp_path / "cache" / "model.pt"
    killed = _python(
        f"""
        import os, signal
        from pathlib import Path
        from recsae.cache.storage import write_atomically

        def write(handle):
            handle.write(b"half a model")
            handle.flush()
            os.kill(os.getpid(), signal.SIGKILL)

        write_atomically(Path({str(target)!r}), write)
        """
    )
    assert killed.returncode == -9
    assert not target.exists()
    assert len(list(target.parent.glob(".model.pt.*"))) == 1  # what SIGKILL leaves
    made = load_or_make(target, "toy", lambda payload: payload, lambda: b"whole", lambda payload: payload)
    assert made == b"whole" and read_sealed(target) == b"whole"
    assert list(target.parent.glob(".model.pt.*")) == []


def test_two_processes_build_one_config_once(tmp_path: Path) -> None:
    target, log = tmp_path / "cache" / "model.pt", tmp_path / "builds.log"
    code = f"""
        import time
        from pathlib import Path
        from recsae.cache.storage import load_or_make

        def build():
            with open({str(log)!r}, "a") as handle:
                handle.write("built\\n")
            time.sleep(1.0)
            return b"model"

        print(load_or_make(Path({str(target)!r}), "toy", bytes, build, bytes).decode())
        """
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, text=True, cwd=REPOSITORY
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert outputs == ["model\n", "model\n"]
    assert log.read_text() == "built\n"


@pytest.fixture
def read_only_cache(tmp_path: Path, data_dir: Path) -> Path:
    """A cache folder holding the parsed ML-100K, readable but not writable by the test's process."""
    folder = tmp_path / "cache"
    env = {CACHE_DIR_ENV: str(folder), DATA_DIR_ENV: str(data_dir)}
    assert _python("from recsae.data.datasets import load; load('ml-100k')", env).returncode == 0
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    return folder


def _without_write_access(code: str, folder: Path, data_dir: Path) -> subprocess.CompletedProcess:
    return _python(code, {CACHE_DIR_ENV: str(folder), DATA_DIR_ENV: str(data_dir)}, bound_by_permissions=True)


def test_read_only_cache_still_serves_and_computes(read_only_cache: Path, data_dir: Path) -> None:
    result = _without_write_access(
        """
        from dataclasses import replace
        from recsae.data.datasets import load
        from recsae.training.recommender import trained_recommender
        from recsae.presets import paper_mf
        print(load("ml-100k").n_users)
        print(load("lastfm").n_users)
        config = replace(paper_mf("ml-100k"), dim=4, epochs=1, batch_size=4096, monitor_users=50)
        print(trained_recommender(config, progress=False).model.user_vectors.shape[0])
        """,
        read_only_cache,
        data_dir,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["943", "1834", "943"]
    parsed, artifacts_folder = read_only_cache / "parsed", read_only_cache / "artifacts"
    assert result.stderr.splitlines() == [
        f"recsae: the parsed lastfm dataset was built but not stored, because {str(parsed)!r} is not writable; "
        "set RECSAE_CACHE_DIR to a writable folder to keep it.",
        f"recsae: the cached recommender was built but not stored, because {str(artifacts_folder)!r} is not "
        "writable; set RECSAE_CACHE_DIR to a writable folder to keep it.",
    ]


def test_sealed_file_roundtrip_and_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    write_sealed(path, b"payload")
    assert read_sealed(path) == b"payload"
    path.write_bytes(path.read_bytes().replace(b"payload", b"paylaod"))
    with pytest.raises(DamagedFile, match="^its contents do not match its digest"):
        read_sealed(path)
    with pytest.raises(DamagedFile, match="^it cannot be read"):
        read_sealed(tmp_path / "missing.bin")


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text("old")

    def interrupted(handle) -> None:
        handle.write(b"new but")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomically(path, interrupted)
    assert path.read_text() == "old" and _no_temporaries(tmp_path)


# --- the runner and the results outside the book ------------------------------------------------


def test_runner_outside_the_book_says_where_to_run_it(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "recsae.book", "run"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"python -m recsae.book: error: No _toc.yml at or above {tmp_path.resolve()}: run this from the folder "
        "of the book (a clone of recsae)."
    )


def test_runner_refuses_a_file_that_is_not_a_chapter(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "recsae.book", "run", "chapters/99_missing.md"],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"python -m recsae.book: error: {REPOSITORY / 'chapters' / '99_missing.md'} is not a chapter of the book "
        f"in {REPOSITORY}; name a chapters/NN_name.md file."
    )


def test_results_outside_the_book_name_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(RESULTS_DIR_ENV, raising=False)
    with pytest.raises(FileNotFoundError) as error:
        results_path("01_data")
    assert str(error.value) == (
        f"No _toc.yml at or above {tmp_path.resolve()}: run this from the folder of the book (a clone of recsae), "
        f"or set {RESULTS_DIR_ENV} to the folder the results should go to."
    )
    monkeypatch.setenv(RESULTS_DIR_ENV, "~/results")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert results_path("01_data") == tmp_path / "results" / "01_data.json"


def test_interrupted_parse_leaves_no_parsed_file(
    monkeypatch: pytest.MonkeyPatch, real_data: Path, isolated_cache: Path
) -> None:
    def interrupted(files: DatasetFiles):
        raise KeyboardInterrupt

    monkeypatch.setitem(datasets.PARSERS, "ml-100k", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load("ml-100k")
    assert not list((isolated_cache / "parsed").glob("*.npz")) and _no_temporaries(isolated_cache)
    monkeypatch.setitem(datasets.PARSERS, "ml-100k", datasets.parse_ml100k)
    assert load("ml-100k").n_users == 943
    assert np.bincount(load("ml-100k").pair_users).min() > 0


def test_read_only_cache_cannot_take_a_download(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o555)
    result = _python(
        "from recsae.data.sources import locate; locate('ml-100k')",
        {CACHE_DIR_ENV: str(folder), DATA_DIR_ENV: ""},
        bound_by_permissions=True,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"recsae.data.sources.DataSourceError: The cache folder {str(folder)!r} is not writable, so {ML100K_URL} cannot "
        f"be downloaded into it; set {CACHE_DIR_ENV} to a writable folder, or {DATA_DIR_ENV} to a folder that "
        "holds the unpacked 'ml-100k'."
    )


def test_unpack_killed_midway_is_cleaned_up(monkeypatch: pytest.MonkeyPatch, isolated_cache: Path) -> None:
    archive = isolated_cache / "ml-100k.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("ml-100k/u.data", b"1\t1\t5\t0\n")
    orphan = isolated_cache / "downloads" / ".unpack-ml-100k-killed"
    (orphan / "ml-100k").mkdir(parents=True)
    other = isolated_cache / "downloads" / ".unpack-lastfm-running"  # another dataset's: not ours to remove
    other.mkdir()
    monkeypatch.setattr(sources, "_download", lambda source: archive)
    unpacked = sources._download_and_unpack(sources.source_for("ml-100k"))
    assert (unpacked / "u.data").read_bytes() == b"1\t1\t5\t0\n"
    assert not orphan.exists() and other.is_dir()


def test_an_atomically_written_file_gets_the_usual_mode_not_a_private_one(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        write_atomically(tmp_path / "results.json", lambda handle: handle.write(b"{}"))
    finally:
        os.umask(previous)
    assert (tmp_path / "results.json").stat().st_mode & 0o777 == 0o644
