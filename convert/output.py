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


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    atomic_write_with(path, lambda handle: handle.write(data))


def atomic_write_with(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Let ``write`` fill a temporary file next to ``path``, then rename it over ``path``:
    a failure or Ctrl-C leaves the old file (or none), never a truncated one."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:50]}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w+b") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_stdout(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


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
