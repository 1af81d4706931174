"""Files that a later run trusts: written whole or not at all, sealed with their own digest.

Everything in the cache folder (parsed datasets, trained models) and everything the book
writes (executed notebooks, results) goes through here, for three guarantees:

* **Atomic**: a file is written to a temporary name beside its target and renamed into place,
  so a crash, an interrupt or a killed process leaves the old file or none, never a truncated
  one. A temporary file left by a killed writer is removed the next time that target is
  built under its lock.
* **Sealed**: a cached file starts with the SHA-256 of its payload. A file whose payload no
  longer matches (a flipped byte, a truncated copy, another program's file of that name)
  fails :func:`read_sealed` with :class:`DamagedFile`, and the caller rebuilds it.
* **Locked**: :func:`locked` serialises the processes that build the same target, so two
  runs of one config train it once and two first-time unpacks of a dataset do not race.
  Where the operating system has no ``fcntl`` (Windows), the atomic rename alone keeps
  files whole and a lost race only costs a duplicate build.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import BinaryIO, TypeVar

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("recsae")
"""Where the cache reports what it rebuilt or could not store: one line each, never a traceback."""

SEAL = b"recsae-sealed-v1\n"
"""First bytes of a sealed file; the payload's SHA-256 (64 hex digits and a newline) follows."""

_DIGEST_LENGTH = 64

T = TypeVar("T")


class DamagedFile(RuntimeError):
    """A sealed file is unreadable, truncated, or its payload does not match its digest."""


class CacheNotWritable(OSError):
    """The cache folder (or a file in it) cannot be written."""


def write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Call ``write(handle)`` on a temp file beside ``path`` and rename it into place.

    A crash leaves either the old file or none, never a truncated one that a later run trusts.
    Raises :class:`CacheNotWritable` (with the folder named) when the folder cannot be written.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=temporary_prefix(path), dir=path.parent)
    except OSError as error:
        if not is_not_writable(error):
            raise
        raise CacheNotWritable(f"{str(path.parent)!r} is not writable ({error.strerror}).") from error
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes the file private; keep the usual mode
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process's file-creation mask (read by setting it, then restoring it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def is_not_writable(error: OSError) -> bool:
    """Whether ``error`` means "no permission" or "read-only file system" (not a missing disk)."""
    return isinstance(error, PermissionError) or error.errno == errno.EROFS


def temporary_prefix(path: Path) -> str:
    """The name prefix of ``path``'s temporary files: hidden, and unique to that target."""
    return f".{path.name}."


def remove_orphans(path: Path) -> None:
    """Delete temporary files of ``path`` left by a writer that was killed.

    Call it only while holding :func:`locked` on ``path``: no live writer of that target can
    then exist, so every temporary file of it is an orphan.
    """
    if path.parent.is_dir():
        for orphan in path.parent.glob(temporary_prefix(path) + "*"):
            orphan.unlink(missing_ok=True)


def seal(payload: bytes) -> bytes:
    """``payload`` prefixed with its SHA-256, so that a reader can tell it arrived intact."""
    return SEAL + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload


def write_sealed(path: Path, payload: bytes) -> None:
    """Write ``payload`` sealed with its digest, atomically."""
    write_atomically(path, lambda handle: handle.write(seal(payload)))


def read_sealed(path: Path) -> bytes:
    """The payload of a sealed file, or :class:`DamagedFile` saying what is wrong with it."""
    try:
        content = path.read_bytes()
    except OSError as error:
        raise DamagedFile(f"it cannot be read ({error.strerror})") from error
    header = len(SEAL) + _DIGEST_LENGTH + 1
    if not content.startswith(SEAL) or len(content) < header:
        raise DamagedFile("it is not a sealed recsae file (it was written by another program or version)")
    expected = content[len(SEAL) : header - 1].decode("ascii", errors="replace")
    payload = content[header:]
    if hashlib.sha256(payload).hexdigest() != expected:
        raise DamagedFile("its contents do not match its digest (it was truncated or modified)")
    return payload


@contextmanager
def locked(path: Path) -> Iterator[bool]:
    """Hold an exclusive lock for building ``path``; yields whether the lock could be taken.

    The lock is a file beside the target (``<name>.lock``), released when the block ends or
    the process dies. On a read-only cache no lock file can be created: the block then runs
    unlocked (it can only read, so it cannot race) and the caller learns it from ``False``.
    """
    lock = path.with_name(path.name + ".lock")
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        handle = lock.open("a")
    except OSError as error:
        if not is_not_writable(error):
            raise
        yield False
        return
    with handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield True


def digest_bytes(*parts: bytes) -> str:
    """SHA-256 over several byte strings, each length-prefixed so that no two splits collide."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()


def load_or_make(
    path: Path,
    what: str,
    decode: Callable[[bytes], T],
    make: Callable[[], T],
    encode: Callable[[T], bytes],
) -> T:
    """The object stored (sealed) at ``path``, or ``make()`` stored there and returned."""
    return load_or_make_many(
        [path], what, lambda position, payload: decode(payload), lambda missing: [make()], encode
    )[0]


def load_or_make_many(
    paths: Sequence[Path],
    what: str,
    decode: Callable[[int, bytes], T],
    make_missing: Callable[[list[int]], Sequence[T]],
    encode: Callable[[T], bytes],
) -> list[T]:
    """The objects stored (sealed) at ``paths``; those missing are made in one call,
    ``make_missing(positions)``, stored and returned in place (an ensemble trains them together).
    ``decode(position, payload)`` reads the file of ``paths[position]``.

    Under the locks of all ``paths`` (taken in a fixed order, so two such calls cannot deadlock):
    orphaned temporary files are removed; a stored file that fails its seal, or that ``decode``
    rejects with :class:`DamagedFile`, is made again, with one warning naming ``what`` and the
    file. On a read-only cache the objects are made and returned without being stored, also
    with one warning each.
    """
    with ExitStack() as stack:
        writable = {path: stack.enter_context(locked(path)) for path in sorted(set(paths))}
        for path, can_write in writable.items():
            if can_write:
                remove_orphans(path)
        found = [
            _read(path, what, lambda payload, at=at: decode(at, payload)) for at, path in enumerate(paths)
        ]
        missing = [position for position, value in enumerate(found) if value is None]
        if missing:
            for position, made in zip(missing, make_missing(missing), strict=True):
                found[position] = made
                _store(paths[position], what, lambda made=made: encode(made), writable[paths[position]])
    return found  # type: ignore[return-value]


def _read(path: Path, what: str, decode: Callable[[bytes], T]) -> T | None:
    """The stored object, or None when there is none or it cannot be used (said in one line)."""
    if not path.exists():
        return None
    try:
        return decode(read_sealed(path))
    except DamagedFile as damage:
        log.warning("recsae: the %s %s cannot be used (%s); building it again.", what, path.name, damage)
        return None


def _store(path: Path, what: str, payload: Callable[[], bytes], writable: bool) -> None:
    """Write the object sealed, or say in one line why a read-only cache could not keep it."""
    reason = f"{str(path.parent)!r} is not writable"
    if writable:
        try:
            write_sealed(path, payload())
            return
        except CacheNotWritable as error:
            reason = str(error).rstrip(".")
    log.warning(
        "recsae: the %s was built but not stored, because %s; set RECSAE_CACHE_DIR to a "
        "writable folder to keep it.",
        what,
        reason,
    )
