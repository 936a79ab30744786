"""A spool: things a book needs later, kept on disk instead of in memory.

A book's posts arrive one at a time but are written in another order (sorted, grouped,
split into several books), and each chapter depends on things known only once every
post has been seen (the book's language, its cover, which images could be had). So
each post is put aside here as it arrives and read back when its turn comes: a book
of any size holds one post in memory at a time, plus a few bytes of bookkeeping each.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from typing import Any

#: Where something put into a spool lies in it: (offset, length).
Span = tuple[int, int]


class Spool:
    """An append-only temporary file; ``put`` returns a :data:`Span`, ``get`` reads it back.

    The file is anonymous (``tempfile.TemporaryFile``: on POSIX it has no name from
    the start), so nothing is left behind whatever ends the run, SIGKILL included;
    closing it (``with``, also after an error or Ctrl-C) frees the disk space. It is
    made in ``near`` when that is a folder (next to the output: the same disk, and not
    a RAM-backed /tmp), else in the system's temporary folder.
    """

    def __init__(self, near: str | os.PathLike[str] | None = None) -> None:
        folder = os.fspath(near) if near is not None and os.path.isdir(near) else None
        self._file = tempfile.TemporaryFile(dir=folder)
        self._end = 0

    def put(self, data: bytes) -> Span:
        self._file.seek(self._end)
        self._file.write(data)
        span = (self._end, len(data))
        self._end += len(data)
        return span

    def get(self, span: Span) -> bytes:
        self._file.seek(span[0])
        data = self._file.read(span[1])
        if len(data) != span[1]:
            raise OSError(f"spool file cut short ({len(data)} of {span[1]} bytes)")
        return data

    def dump(self, value: Any) -> Span:
        """Put a picklable value (a Document, a list of blocks)."""
        return self.put(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))

    def load(self, span: Span) -> Any:
        # Only what this run put into its own unnamed file is ever unpickled: values
        # this process dumped, and posts its own workers pickled (PreparedPost).
        return pickle.loads(self.get(span))  # noqa: S301

    @property
    def closed(self) -> bool:
        return self._file.closed

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def folder_of(stream: object) -> str | None:
    """The folder of a file object's file (None for pipes, BytesIO, standard output)."""
    name = getattr(stream, "name", None)
    if not isinstance(name, str) or not name:
        return None
    folder = os.path.dirname(os.path.abspath(name))
    return folder if os.path.isdir(folder) else None
