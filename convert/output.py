"""Writing outputs: atomic files, stdout, and file names safe on every filesystem.

Shared by every exporter: a file is written to a temporary name in the same folder,
flushed, and renamed over the target, so a failure or Ctrl-C never leaves a
half-written output.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

# Characters Windows, macOS or Linux refuse in a file name, and control characters.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                     *(f"lpt{i}" for i in range(1, 10))}
TEMP_SUFFIX = ".tmp"
# ".<name>.<pid>.<mkstemp's 8 random characters>.tmp"
_TEMP_NAME = re.compile(r"^\..*\.(\d{1,10})\.[a-z0-9_]{8}\.tmp$")
MAX_NAME_BYTES = 200  # leaves room for a suffix and a counter within 255


def safe_stem(name: str, fallback: str = "post") -> str:
    """A file-name stem that is valid on every common filesystem."""
    stem = unicodedata.normalize("NFC", name)
    stem = _UNSAFE.sub("_", stem).strip(" .")
    if stem.split(".")[0].lower() in _WINDOWS_RESERVED:
        stem = "_" + stem
    encoded = stem.encode("utf-8")
    if len(encoded) > MAX_NAME_BYTES:
        stem = encoded[:MAX_NAME_BYTES].decode("utf-8", "ignore").rstrip(" .")
    return stem or fallback


class OutputError(Exception):
    """The output cannot be written at all (e.g. its folder cannot be made)."""


def describe_os_error(exc: OSError) -> str:
    """An OSError's reason without the file name it carries (which may be a temporary
    file the user never asked for)."""
    return exc.strerror or str(exc)


def atomic_write(path: Path, data: bytes, durable: bool = False) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    atomic_write_with(path, lambda handle: handle.write(data), durable)


def write_output(path: Path, data: bytes) -> None:
    """:func:`atomic_write` of one post's output, making its folder when it is missing
    (checked only when the write fails: creating files is the costly part)."""
    try:
        atomic_write(path, data)
    except FileNotFoundError:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data)


def atomic_write_with(path: Path, write: Callable[[BinaryIO], object],
                      durable: bool = True) -> None:
    """Let ``write`` fill a temporary file next to ``path``, then rename it over ``path``:
    a failure, Ctrl-C or a killed process leaves the old file (or none), never a
    truncated one. ``durable`` also flushes the data to disk before the rename, so a
    power loss cannot leave an empty file either; it costs a disk flush per file (7 of
    17 s for 1,000 small outputs), so per-post outputs skip it and the run flushes once
    before it records them (see :mod:`convert.manifest`)."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    # The pid in the name lets a later run tell a leftover of a killed run from the
    # temporary file of a run still going (see remove_stale_temporaries).
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:50]}.{os.getpid()}.", suffix=TEMP_SUFFIX,
                               dir=directory)
    try:
        with os.fdopen(fd, "w+b") as handle:
            write(handle)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove temporary files that a killed run (SIGKILL, power loss) left in
    ``folder``: those whose writing process is gone. Returns what was removed."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_NAME.match(entry.name)
        if match is None or process_alive(int(match.group(1))):
            continue
        try:
            os.unlink(entry.path)
        except OSError:
            continue
        removed.append(Path(entry.path))
    return removed


def process_alive(pid: int | None) -> bool:
    """Whether the process that wrote a temporary file may still be writing it (None:
    the name held no process id, so only its age can tell)."""
    if pid is None or pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_stdout(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


class OutputTree:
    """Output paths that mirror the inputs' tree (``a/b/post.html`` → ``a/b/post.md``), so
    that a name depends only on its own input: every part is made safe, and clashes
    (``post.md`` and ``post.html``) get ``-2`` within their folder only."""

    def __init__(self) -> None:
        self._folders: dict[str, NameAllocator] = {}

    def allocate(self, relative: str, suffix: str) -> str:
        """The output's path (POSIX, relative to the output folder) for an input at
        ``relative`` (POSIX, relative to its input folder)."""
        parts = [part for part in relative.split("/") if part]
        folders = [safe_stem(part, "_") for part in parts[:-1]]
        stem = Path(parts[-1]).stem if parts else ""
        allocator = self._folders.setdefault("/".join(folders).lower(), NameAllocator())
        return "/".join([*folders, allocator.allocate(stem or "post", suffix)])


class NameAllocator:
    """Gives each output a distinct file name in one folder: ``a.md``, ``a-2.md``, …"""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def allocate(self, stem: str, suffix: str) -> str:
        stem = safe_stem(stem)
        name, n = stem + suffix, 1
        while name.lower() in self._taken:
            n += 1
            name = f"{stem}-{n}{suffix}"
        self._taken.add(name.lower())
        return name
