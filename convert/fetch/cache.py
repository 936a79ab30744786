"""The image cache on disk: one file per URL, holding the bytes exactly as served.

Layout: ``<cache_dir>/<first 2 hex of key>/<key>.ok<ext>``, where ``key`` is the sha256
of the URL. ``.ok`` marks a file that decoded completely before it was stored (see
:func:`.images.check_image`); files from versions that only sniffed the first bytes are
named ``<key><ext>`` and are decoded once more before they are trusted.

Files are written to ``.<key>.<pid>.<random>.part`` in the same folder and renamed into
place, so a crash, Ctrl-C or a concurrent run never leaves a truncated entry under a
final name. A ``.part`` file left by a killed run is removed by the next run (see
:meth:`ImageCache.remove_leftovers`). A stored file that no longer looks whole (emptied
by a power loss before the data reached the disk, or replaced) is treated as a miss.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from ..output import process_alive
from .errors import FetchError
from .images import HEAD_BYTES, TYPES, check_image, sniff_image_type

__all__ = ["ImageCache", "LEFTOVER_AGE"]

_VALIDATED = ".ok"
# A .part file this old is a leftover even if its process id is alive again (reused),
# or was written by another machine sharing the cache: no download lasts this long.
LEFTOVER_AGE = 3600.0


class ImageCache:
    """Stores and finds images by URL key; safe to share between threads and processes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        #: Key prefixes whose folder did not exist when looked up (a new cache has none;
        #: a book of thousands of images would try twelve names for each). Another run
        #: filling the same cache meanwhile costs at most a second download.
        self._absent: set[str] = set()

    def lookup(self, key: str) -> tuple[Path, str, int] | None:
        """``(path, extension, size)`` of a whole cached image, or None."""
        if key[:2] in self._absent:
            return None
        folder = self.folder / key[:2]
        if not folder.is_dir():
            self._absent.add(key[:2])
            return None
        for extension in TYPES:
            path = folder / f"{key}{_VALIDATED}{extension}"
            size = self._looks_whole(path, extension)
            if size is not None:
                return path, extension, size
        for extension in TYPES:  # written by an older version: decode it once
            legacy = folder / f"{key}{extension}"
            size = self._looks_whole(legacy, extension)
            if size is None:
                continue
            try:
                check_image(legacy, extension)
            except FetchError:
                _unlink(legacy)
                continue
            return self.commit(legacy, key, extension), extension, size
        return None

    def temp_file(self, key: str) -> tuple[int, Path]:
        """A new ``.part`` file next to where ``key`` will live: ``(fd, path)``."""
        folder = self.folder / key[:2]
        self._absent.discard(key[:2])
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{key}.{os.getpid()}.", suffix=".part",
                                        dir=folder)
        except OSError as exc:
            raise FetchError(f"cannot write to the cache {folder}: {exc}", "cache") from None
        return fd, Path(name)

    def commit(self, temp: Path, key: str, extension: str) -> Path:
        """Rename a checked file into place; returns its final path."""
        path = self.folder / key[:2] / f"{key}{_VALIDATED}{extension}"
        try:
            os.replace(temp, path)
        except OSError as exc:
            raise FetchError(f"cannot write to the cache {path.parent}: {exc}",
                             "cache") from None
        return path

    def remove_leftovers(self, now: float | None = None) -> int:
        """Delete ``.part`` files of runs that are gone; returns how many.

        A leftover is a ``.part`` file whose process no longer runs, or any ``.part``
        file older than :data:`LEFTOVER_AGE`. Files of a run still going are kept.
        """
        now = time.time() if now is None else now
        removed = 0
        try:
            folders = [entry for entry in os.scandir(self.folder) if entry.is_dir()]
        except OSError:
            return 0  # no cache yet
        for folder in folders:
            try:
                entries = list(os.scandir(folder.path))
            except OSError:
                continue
            for entry in entries:
                if not (entry.name.startswith(".") and entry.name.endswith(".part")):
                    continue
                try:
                    age = now - entry.stat().st_mtime
                except OSError:
                    continue
                if age > LEFTOVER_AGE or not process_alive(_writer_pid(entry.name)):
                    removed += _unlink(Path(entry.path))
        return removed

    @staticmethod
    def _looks_whole(path: Path, extension: str) -> int | None:
        """The file's size when its first bytes still match its type, else None (and
        the file is removed). The full decode happened before a ``.ok`` file was stored;
        this cheap look catches a file emptied or zero-filled by a power loss, or
        replaced by something else."""
        try:
            with path.open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                head = handle.read(HEAD_BYTES if extension == ".svg" else 64)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise FetchError(f"cannot read the cache file {path}: {exc}", "cache") from None
        kind = sniff_image_type(head)
        if kind is None or kind[1] != extension:
            _unlink(path)
            return None
        return size


def _writer_pid(name: str) -> int | None:
    """The process id in ``.<key>.<pid>.<random>.part``; None for older names."""
    parts = name.split(".")
    if len(parts) == 5 and parts[2].isdigit():
        return int(parts[2])
    return None



def _unlink(path: Path) -> int:
    try:
        path.unlink()
    except OSError:
        return 0
    return 1
