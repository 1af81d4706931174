"""Where the raw dataset files come from, and why they can be trusted.

Two ways in, one guarantee: every file the parsers read has been checked.

* ``RECSAE_DATA_DIR`` names a folder that already holds the unpacked datasets
  (``ml-1m/``, ``ml-100k/``, ``hetrec2011-lastfm-2k/``), for machines without network.
* Otherwise the official GroupLens archive is downloaded with :mod:`pooch`, verified against
  its published checksum, and unpacked into the cache folder. Unpacking goes to a temporary
  folder that is renamed into place only when complete, so an interrupted run never leaves a
  half-unpacked dataset that a later run would trust.

Either way, each file whose SHA-256 is known is checked again before it is parsed (the files
are small, so this costs milliseconds).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from recsae.cache.storage import locked

DATA_DIR_ENV = "RECSAE_DATA_DIR"
CACHE_DIR_ENV = "RECSAE_CACHE_DIR"


class DataSourceError(RuntimeError):
    """A dataset folder, file or archive is missing or fails its checksum."""


@dataclass(frozen=True)
class DatasetSource:
    """The published facts about one dataset: its archive and the files the parsers read.

    ``required`` lists groups of alternative file names: one file of each group must exist
    (MovieLens-1M ratings come either as the official ``ratings.dat`` or as the 3-field
    ``ratings_no_timestamps.dat.gz``). ``sha256`` pins the files whose digests are known;
    a file missing from it (the official ``ratings.dat``) is covered by the archive checksum
    when downloaded and by the parser's row checks when read from a local folder.
    """

    name: str
    folder: str
    url: str
    archive_hash: str
    required: tuple[tuple[str, ...], ...]
    sha256: dict[str, str] = field(default_factory=dict)


SOURCES: dict[str, DatasetSource] = {
    source.name: source
    for source in (
        DatasetSource(
            name="ml-1m",
            folder="ml-1m",
            url="https://files.grouplens.org/datasets/movielens/ml-1m.zip",
            archive_hash="sha256:a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20",
            required=(("ratings.dat", "ratings_no_timestamps.dat.gz"), ("movies.dat",), ("users.dat",)),
            sha256={
                "movies.dat": "0140fc2356357c1a851d0f52e893a1e4d3696df632c4141cea8d5bc3d621f0b9",
                "users.dat": "1dc3a95300cb19f7c10e027daf29b8cdf1d908dab65b5edfb45950aa389a10a3",
                "ratings_no_timestamps.dat.gz": (
                    "d772187dc0388f89b245b84aa9ddfd743cf120187044425fdd7b74d4faa31e8a"
                ),
            },
        ),
        DatasetSource(
            name="ml-100k",
            folder="ml-100k",
            url="https://files.grouplens.org/datasets/movielens/ml-100k.zip",
            archive_hash="md5:0e33842e24a9c977be4e0107933c0723",
            required=(("u.data",), ("u.item",), ("u.user",)),
            sha256={
                "u.data": "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490",
                "u.item": "553841ebc7de3a0fd0d6b62a204ea30c1e651aacfb2814c7a6584ac52f2c5701",
                "u.user": "f120e114da2e8cf314fd28f99417c94ae9ddf1cb6db8ce0e4b5995d40e90e62c",
            },
        ),
        DatasetSource(
            name="lastfm",
            folder="hetrec2011-lastfm-2k",
            url="https://files.grouplens.org/datasets/hetrec2011/hetrec2011-lastfm-2k.zip",
            archive_hash="sha256:6738f48195667ff03caaab4d32ca9a3133d8cc026b7c3cdaf6ce1010e913c59c",
            required=(("user_artists.dat",), ("artists.dat",), ("tags.dat",), ("user_taggedartists.dat",)),
            sha256={
                "user_artists.dat": "001400dc3c7d2667fca6e4ea6dc6acc31a9dd28ad5cd0f74cea988c019934d3b",
                "artists.dat": "c173881362c6b28551368fecb3c0be5a6a30a6cd859e1f5775413dfe46d48648",
                "tags.dat": "e95175f259be4c0c47644ae23d66131cd6d5767142a1405000e79f5584691d70",
                "user_taggedartists.dat": "d31fe938fcfeed6f0059f37a36b156f63674d073fc2553e5cc9dc1595e365bc7",
            },
        ),
    )
}


def source_for(name: str) -> DatasetSource:
    """Look a dataset up by name, with an error that lists the names that exist."""
    try:
        return SOURCES[name]
    except KeyError:
        known = ", ".join(sorted(SOURCES))
        raise ValueError(f"Unknown dataset {name!r}; choose one of: {known}.") from None


def cache_dir() -> Path:
    """The folder for downloads, parsed arrays and trained models (``RECSAE_CACHE_DIR``, with
    ``~`` expanded; default ``~/.cache/recsae``)."""
    configured = os.environ.get(CACHE_DIR_ENV)
    folder = Path(configured).expanduser() if configured else Path.home() / ".cache" / "recsae"
    if folder.exists() and not folder.is_dir():
        raise DataSourceError(
            f"{CACHE_DIR_ENV} points to {str(folder)!r}, which is a file; set it to a folder."
        )
    return folder


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class DatasetFiles:
    """The verified files of one dataset: ``path(name)`` and their content fingerprint."""

    source: DatasetSource
    folder: Path
    digests: dict[str, str]

    def path(self, name: str) -> Path:
        return self.folder / name

    def has(self, name: str) -> bool:
        return name in self.digests

    @property
    def fingerprint(self) -> str:
        """A digest of every file's digest: changes whenever any input byte changes."""
        joined = "\n".join(f"{name}:{digest}" for name, digest in sorted(self.digests.items()))
        return hashlib.sha256(joined.encode()).hexdigest()[:16]


def locate(name: str) -> DatasetFiles:
    """Find (or download) the dataset's files and verify them before anyone parses them."""
    source = source_for(name)
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        root = Path(configured).expanduser()
        if not root.is_dir():
            raise DataSourceError(
                f"{DATA_DIR_ENV} points to {str(root)!r}, which is not a folder; set it to the folder "
                f"that holds the unpacked datasets, or unset it to download them."
            )
        folder = root / source.folder
        if not folder.is_dir():
            raise DataSourceError(
                f"{str(folder)!r} does not exist: {DATA_DIR_ENV} must hold the unpacked "
                f"{source.folder!r} folder of {source.url}."
            )
    else:
        folder = _download_and_unpack(source)
    return DatasetFiles(source, folder, _verify(source, folder))


def _verify(source: DatasetSource, folder: Path) -> dict[str, str]:
    digests: dict[str, str] = {}
    for alternatives in source.required:
        present = [name for name in alternatives if (folder / name).is_file()]
        if not present:
            wanted = " or ".join(repr(name) for name in alternatives)
            raise DataSourceError(
                f"{str(folder)!r} has no {wanted}; unpack the official archive {source.url} there again."
            )
        for name in present:
            digest = sha256_of(folder / name)
            expected = source.sha256.get(name)
            if expected is not None and digest != expected:
                raise DataSourceError(
                    f"{str(folder / name)!r} does not match its published SHA-256 (the file is corrupt "
                    f"or was modified); replace it with the copy from {source.url}."
                )
            digests[name] = digest
    return digests


def _download_and_unpack(source: DatasetSource) -> Path:
    unpacked = cache_dir() / "downloads" / source.folder
    if unpacked.is_dir():
        return unpacked
    with locked(unpacked) as writable:  # a second first-time run waits here, then finds the folder
        if not writable:
            raise DataSourceError(
                f"The cache folder {str(cache_dir())!r} is not writable, so {source.url} cannot be "
                f"downloaded into it; set {CACHE_DIR_ENV} to a writable folder, or {DATA_DIR_ENV} to a "
                f"folder that holds the unpacked {source.folder!r}."
            )
        for orphan in unpacked.parent.glob(_staging_prefix(source.folder) + "*"):
            shutil.rmtree(orphan, ignore_errors=True)  # left by a run that was killed while unpacking
        if not unpacked.is_dir():
            unpack_atomically(_download(source), source.folder, unpacked)
    return unpacked


def _staging_prefix(member_folder: str) -> str:
    return f".unpack-{member_folder}-"


def _download(source: DatasetSource) -> Path:
    """The verified archive in the downloads folder (fetched again if missing or corrupt)."""
    import pooch  # imported here: it is only needed to download, and it loads tqdm's notebook bar

    try:
        archive = pooch.retrieve(
            source.url,
            known_hash=source.archive_hash,
            path=cache_dir() / "downloads",
            fname=source.url.rsplit("/", 1)[-1],
            progressbar=False,
        )
    except ValueError as error:
        raise DataSourceError(
            f"The archive downloaded from {source.url} does not match its published checksum and was "
            f"discarded; retry later, or unpack a trusted copy into a folder and set {DATA_DIR_ENV} to it."
        ) from error
    except OSError as error:
        raise DataSourceError(
            f"Could not download {source.url} ({error}); without network, unpack the dataset into a "
            f"folder and set {DATA_DIR_ENV} to it."
        ) from error
    return Path(archive)


def unpack_atomically(archive: Path, member_folder: str, destination: Path) -> None:
    """Extract ``member_folder/`` of a zip so that ``destination`` appears whole or not at all."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(member_folder), dir=destination.parent))
    try:
        try:
            with zipfile.ZipFile(archive) as bundle:
                members = [m for m in bundle.namelist() if m.startswith(member_folder + "/")]
                if not members:
                    raise DataSourceError(
                        f"{str(archive)!r} has no {member_folder!r} folder; "
                        "delete it so it is downloaded again."
                    )
                bundle.extractall(staging, members)
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            raise DataSourceError(
                f"{str(archive)!r} is not a readable zip archive ({error}); delete it so it is "
                f"downloaded again."
            ) from error
        try:
            os.replace(staging / member_folder, destination)
        except OSError:
            if not destination.is_dir():  # another process may have unpacked it first: keep theirs
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
