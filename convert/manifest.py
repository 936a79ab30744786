"""What made each output in an output folder, so that a re-run redoes only what changed.

The manifest (``.newsconv-manifest`` in the output folder, JSON Lines) maps each output's
path, relative to the folder, to the input it came from: the input's absolute path, its
size, modification time and SHA-256, and the *recipe* (newsconv version, format and
options). An output is up to date when it exists, its recipe is the same, and its input
is unchanged: same size and modification time (a ``stat``, nothing read), or, when only
the time moved, the same content. Like black's cache, and for the same reason: a cron
job over 20,000 posts that changed by ten must take seconds.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .output import atomic_write_with

MANIFEST_NAME = ".newsconv-manifest"  # JSON; no suffix, so no glob for outputs finds it
FORMAT = 2  # JSON Lines: a header, then [output, input, size, mtime_ns, sha256, recipe]


@dataclass(slots=True)
class Entry:
    input: str  # absolute path (not resolved: a stat-free comparison)
    size: int
    mtime_ns: int
    sha256: str
    recipe: str


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Manifest:
    """The manifest of one output folder; :meth:`save` writes it back atomically."""

    def __init__(self, folder: Path, entries: dict[str, Entry] | None = None) -> None:
        self.folder = folder
        self.entries = entries or {}
        self.changed = False

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        """The folder's manifest; an empty one when there is none or it is unreadable
        (then everything is converted again: never wrong, only slower)."""
        entries: dict[str, Entry] = {}
        try:
            with (folder / MANIFEST_NAME).open(encoding="utf-8") as handle:
                if json.loads(handle.readline()) != {"format": FORMAT}:
                    return cls(folder)
                for line in handle:  # one output a line: no big transient tree
                    output, *fields = json.loads(line)
                    entries[output] = Entry(*fields)
        except (OSError, ValueError, TypeError):
            return cls(folder)
        return cls(folder, entries)

    def up_to_date(self, output: str, source: Path, recipe: str) -> bool:
        """Whether ``output`` (relative to the folder) was made from ``source`` as it is
        now, by ``recipe``, and still exists."""
        entry = self.entries.get(output)
        if entry is None or entry.recipe != recipe:
            return False
        try:
            info = source.stat()
            where = os.path.abspath(source)
        except OSError:
            return False
        if where != entry.input or not (self.folder / output).is_file():
            return False
        if (info.st_size, info.st_mtime_ns) == (entry.size, entry.mtime_ns):
            return True
        if info.st_size != entry.size:
            return False
        try:
            same = file_sha256(source) == entry.sha256
        except OSError:
            return False
        if same:  # touched, not changed: remember the new time
            entry.mtime_ns = info.st_mtime_ns
            self.changed = True
        return same

    def record(self, output: str, source: str | Path, read: tuple[str, int, int],
               recipe: str) -> None:
        """``output`` was just written from ``source``; ``read`` is the SHA-256 of the
        bytes that were converted and the file's size and modification time then."""
        sha256, size, mtime_ns = read
        where = os.path.abspath(source)
        if where == source:  # the caller's string itself: one object for both
            where = source
        self.entries[output] = Entry(where, size, mtime_ns, sha256, recipe)
        self.changed = True

    def orphans(self) -> list[str]:
        """Outputs whose input no longer exists, sorted."""
        return sorted(rel for rel, entry in self.entries.items()
                      if not os.path.exists(entry.input))

    def forget(self, output: str) -> None:
        if self.entries.pop(output, None) is not None:
            self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        # The outputs it vouches for were written without a flush each: flush them all
        # first, so that after a power loss the manifest never outlives their data.
        if hasattr(os, "sync"):
            os.sync()

        def write(handle: BinaryIO) -> None:
            handle.write(json.dumps({"format": FORMAT}).encode() + b"\n")
            for output in sorted(self.entries):
                e = self.entries[output]
                line = [output, e.input, e.size, e.mtime_ns, e.sha256, e.recipe]
                handle.write(json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n")

        atomic_write_with(self.folder / MANIFEST_NAME, write)
        self.changed = False
