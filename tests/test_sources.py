"""Finding, downloading and verifying the raw files: every failure is one clear sentence."""

from __future__ import annotations

import functools
import hashlib
import http.server
import shutil
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from recsae.data import sources
from recsae.data.sources import DATA_DIR_ENV, DataSourceError, locate, source_for


def test_unknown_dataset_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="Unknown dataset 'ml-20m'; choose one of: lastfm, ml-100k, ml-1m"):
        source_for("ml-20m")


def test_data_dir_that_does_not_exist(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(DataSourceError, match="which is not a folder"):
        locate("ml-100k")


def test_dataset_folder_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(DataSourceError, match="'ml-100k' folder of https://files.grouplens.org"):
        locate("ml-100k")


def _copy_dataset(data_dir: Path, tmp_path: Path, folder: str) -> Path:
    copy = tmp_path / folder
    shutil.copytree(data_dir / folder, copy)
    for path in copy.iterdir():
        path.chmod(0o644)
    return copy


def test_missing_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data_dir: Path) -> None:
    copy = _copy_dataset(data_dir, tmp_path, "ml-100k")
    (copy / "u.item").unlink()
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(DataSourceError, match="has no 'u.item'; unpack the official archive"):
        locate("ml-100k")


def test_both_ratings_forms_are_accepted_but_one_is_required(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data_dir: Path
) -> None:
    copy = _copy_dataset(data_dir, tmp_path, "ml-1m")
    (copy / "ratings_no_timestamps.dat.gz").unlink()
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(DataSourceError, match="has no 'ratings.dat' or 'ratings_no_timestamps.dat.gz'"):
        locate("ml-1m")


def test_checksum_mismatch_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data_dir: Path
) -> None:
    copy = _copy_dataset(data_dir, tmp_path, "ml-100k")
    with (copy / "u.user").open("ab") as handle:
        handle.write(b"944|30|M|other|00000\n")
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(DataSourceError, match="u.user' does not match its published SHA-256"):
        locate("ml-100k")


def test_verified_files_have_a_stable_fingerprint(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    first, second = locate("ml-100k"), locate("ml-100k")
    assert first.fingerprint == second.fingerprint
    assert set(first.digests) == {"u.data", "u.item", "u.user"}


# --- the download path, against an archive served on the loopback interface -------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTP server on 127.0.0.1 serving ``tmp_path/www``; yields (base URL, folder)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def _fake_archive(path: Path, folder: str, files: dict[str, bytes]) -> str:
    with zipfile.ZipFile(path, "w") as bundle:
        for name, content in files.items():
            bundle.writestr(f"{folder}/{name}", content)
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def _register(monkeypatch: pytest.MonkeyPatch, url: str, archive_hash: str, sha256: dict[str, str]) -> None:
    fake = replace(sources.SOURCES["ml-100k"], url=url, archive_hash=archive_hash, sha256=sha256)
    monkeypatch.setitem(sources.SOURCES, "ml-100k", fake)
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)


FILES = {
    "u.data": b"1\t1\t5\t0\n",
    "u.item": b"1|A (1995)|||x" + b"|0" * 19 + b"\n",
    "u.user": b"1|20|F|x|0\n",
}


def test_download_verify_and_unpack(
    monkeypatch: pytest.MonkeyPatch, served: tuple[str, Path], isolated_cache: Path
) -> None:
    base, root = served
    archive_hash = _fake_archive(root / "ml-100k.zip", "ml-100k", FILES)
    digests = {name: hashlib.sha256(content).hexdigest() for name, content in FILES.items()}
    _register(monkeypatch, f"{base}/ml-100k.zip", archive_hash, digests)
    files = locate("ml-100k")
    assert files.folder == isolated_cache / "downloads" / "ml-100k"
    assert files.path("u.data").read_bytes() == FILES["u.data"]
    assert not [p for p in files.folder.parent.iterdir() if p.name.startswith(".unpack-")]


def test_download_with_wrong_checksum_is_discarded(
    monkeypatch: pytest.MonkeyPatch, served: tuple[str, Path], isolated_cache: Path
) -> None:
    base, root = served
    _fake_archive(root / "ml-100k.zip", "ml-100k", FILES)
    _register(monkeypatch, f"{base}/ml-100k.zip", "sha256:" + "0" * 64, {})
    with pytest.raises(DataSourceError, match="does not match its published checksum and was discarded"):
        locate("ml-100k")
    downloads = isolated_cache / "downloads"
    assert not (downloads / "ml-100k").exists()
    assert not (downloads / "ml-100k.zip").exists()


def test_unreachable_download_explains_the_offline_route(
    monkeypatch: pytest.MonkeyPatch, served: tuple[str, Path]
) -> None:
    base, _ = served
    _register(monkeypatch, f"{base}/missing.zip", "sha256:" + "0" * 64, {})
    with pytest.raises(DataSourceError, match=f"Could not download .* set {DATA_DIR_ENV} to it"):
        locate("ml-100k")


def test_archive_without_the_dataset_folder_leaves_nothing_behind(tmp_path: Path) -> None:
    archive = tmp_path / "other.zip"
    _fake_archive(archive, "something-else", FILES)
    destination = tmp_path / "unpacked" / "ml-100k"
    with pytest.raises(DataSourceError, match="has no 'ml-100k' folder"):
        sources.unpack_atomically(archive, "ml-100k", destination)
    assert not destination.exists()
    assert list(destination.parent.iterdir()) == []
