"""Finding the inputs of a run and reading them within bounds.

A name on the command line is a post file, a saved document, a folder (searched
recursively, sorted by relative path, hidden entries skipped) or ``-`` for standard
input. Nothing here knows what a post contains.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Suffixes taken when an input is a directory (searched recursively).
POST_SUFFIXES = (".md", ".markdown", ".html", ".htm")
#: A file with this suffix holds a serialised Document (``to-json`` output).
DOCUMENT_SUFFIX = ".json"
STDIN = "-"
#: Inputs larger than this are refused unless the caller says otherwise: a post is at
#: most a few hundred KB, and converting costs several times the input's size.
DEFAULT_MAX_INPUT_SIZE = 20 * 1024 * 1024


class InputError(Exception):
    """One input could not be read or converted; ``str()`` is ``"path: problem"``."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem

    def __reduce__(self) -> tuple:  # picklable, for worker processes
        return (type(self), (self.path, self.problem))


@dataclass(frozen=True)
class Skipped:
    """An entry of an input folder that is deliberately not read (a warning, not a
    failure): ``str()`` is ``"path: warning: why"``."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: warning: {self.reason}"


class Input:
    """One input file (or stdin), as named on the command line or found in a folder:
    ``file`` (None for stdin), ``display`` (its name in messages) and ``relative``, where
    it sits under the folder it was found in (its name, for a file named on the command
    line; outputs mirror this tree). Immutable, compared and hashed by these three.

    Small on purpose, as a run holds one per input: strings, no Path object, and
    ``relative`` kept as a length when it is the end of ``file`` (as it is for a
    folder's files), which saves a third of it.
    """

    __slots__ = ("file", "display", "_relative")
    file: str | None
    display: str

    def __init__(self, file: str | None, display: str, relative: str = "") -> None:
        tail = len(relative) if relative and file and file.endswith(relative) else None
        for name, value in (("file", file), ("display", display),
                            ("_relative", relative if tail is None else tail)):
            object.__setattr__(self, name, value)

    @property
    def relative(self) -> str:
        kept = self._relative
        return self.file[-kept:] if isinstance(kept, int) else kept  # type: ignore[index]

    def _fields(self) -> tuple[str | None, str, str]:
        return self.file, self.display, self.relative

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Input is immutable: cannot set {name}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Input) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return "Input(file={!r}, display={!r}, relative={!r})".format(*self._fields())

    def __reduce__(self) -> tuple:  # picklable, for worker processes
        return (Input, self._fields())

    @property
    def path(self) -> Path | None:
        return Path(self.file) if self.file is not None else None

    @property
    def name(self) -> str:
        """The file name, which picks the input format ("" for stdin)."""
        return self.path.name if self.path is not None else ""

    def read_bytes(self, max_size: int | None = DEFAULT_MAX_INPUT_SIZE) -> bytes:
        """The input's bytes; :class:`InputError` when it is not a regular file, cannot be
        read, or is larger than ``max_size`` (None: no limit)."""
        return self.read(max_size)[0]

    def read(self, max_size: int | None = DEFAULT_MAX_INPUT_SIZE
             ) -> tuple[bytes, os.stat_result | None]:
        """The input's bytes and the file's status when it was read (None for stdin)."""
        if self.file is None:
            return _read_bounded(sys.stdin.buffer, self.display, max_size), None
        try:
            # O_NONBLOCK: opening a FIFO that was swapped in after discovery must not block.
            fd = os.open(self.file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError as exc:
            raise InputError(self.display, exc.strerror or str(exc)) from None
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise InputError(self.display, "not a regular file")
            if max_size is not None and info.st_size > max_size:
                raise InputError(self.display, _too_large(info.st_size, max_size))
            return _read_bounded(handle, self.display, max_size), info


def _too_large(size: int | None, limit: int) -> str:
    what = f"is {human_size(size)}, " if size is not None else "is "
    return (f"{what}larger than --max-input-size {human_size(limit)}; skipped "
            "(raise the limit to convert it)")


#: A post may hold one tag (counted as its ``<``), and a saved document one node (its
#: ``{``), per this many bytes of the size cap. Memory goes with markup, not bytes:
#: converting costs 6x the bytes for plain text but 50-100x for a post that is nearly
#: all tags, up to 2.3 KB a tag (a list of one-letter items: a tree node, model nodes
#: and the exporter's; ``bench/bench_post_memory.py``). At the default 20 MB cap that
#: is 209,715 tags, and no accepted post needs much more than 500 MB.
BYTES_PER_TAG = 100


def markup_problem(count: int, max_size: int | None, what: str = "tags") -> str | None:
    """Why a post with ``count`` tags (or a document with ``count`` nodes) is refused
    under ``max_size`` (None: no limit), or None."""
    if max_size is None or count <= (limit := max_size // BYTES_PER_TAG):
        return None
    return (f"has {count:,} {what}, more than the {limit:,} that --max-input-size "
            f"{human_size(max_size)} allows (one per {BYTES_PER_TAG} bytes: each costs up "
            "to 2.5 KB of memory to convert); skipped (raise the limit to convert it)")


def human_size(size: int) -> str:
    """``1.5 KB``, ``20 MB``: the units ``--max-input-size`` takes (powers of 1024)."""
    for unit, factor in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.3g} {unit}"
    return f"{size} bytes"


def _read_bounded(handle, display: str, max_size: int | None) -> bytes:  # noqa: ANN001
    try:
        data = handle.read() if max_size is None else handle.read(max_size + 1)
    except OSError as exc:
        raise InputError(display, exc.strerror or str(exc)) from None
    if max_size is not None and len(data) > max_size:
        raise InputError(display, _too_large(None, max_size))
    return data


def discover(names: Sequence[str], follow_symlinks: bool = False
             ) -> Iterator[Input | InputError | Skipped]:
    """Inputs named on the command line, folders expanded (sorted, recursive): the
    posts in a folder, or its saved documents when it holds no posts.

    Yields an :class:`InputError` in place of a name that does not exist or a folder
    without posts, so the caller can report it and go on. Inside a folder, a symbolic
    link that leads out of the folder is :class:`Skipped` unless ``follow_symlinks``
    (a file named on the command line is always read: the user chose it).
    """
    for name in names:
        if name == STDIN:
            yield Input(None, "<stdin>")
            continue
        path = Path(name)
        if path.is_dir():
            found = list(_walk(path, follow_symlinks, POST_SUFFIXES))
            if not any(isinstance(f, Input) for f in found):
                # A folder of saved documents (what ``to-json -o DIR`` wrote).
                found = list(_walk(path, follow_symlinks, (DOCUMENT_SUFFIX,)))
            yield from found
            if not any(isinstance(f, Input) for f in found):
                yield InputError(name, f"no posts ({', '.join(POST_SUFFIXES)}) or saved "
                                       f"documents ({DOCUMENT_SUFFIX}) in this folder")
        elif path.is_file():
            yield Input(name, name, path.name)
        elif path.exists():
            yield InputError(name, "not a regular file")
        else:
            yield InputError(name, "no such file or directory")


def _walk(folder: Path, follow_symlinks: bool,
          suffixes: tuple[str, ...]) -> Iterator[Input | Skipped]:
    # Strings, not Path objects: an archive folder may hold 100,000 posts.
    top = str(folder)
    root = os.path.realpath(top)
    entries: list[tuple[str, str]] = []  # (relative POSIX path, path)
    # os.walk does not descend into symlinked folders (followlinks=False): a link can
    # neither lead out of the tree nor make a cycle.
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        base = os.path.relpath(dirpath, top)
        prefix = "" if base == "." else base.replace(os.sep, "/") + "/"
        for filename in filenames:
            if filename.startswith(".") or not filename.lower().endswith(suffixes):
                continue
            entries.append((prefix + filename, os.path.join(dirpath, filename)))
    entries.sort()
    for relative, path in entries:
        if not follow_symlinks and os.path.islink(path):
            target = os.path.realpath(path)
            if os.path.commonpath([root, target]) != root:
                yield Skipped(path, f"symbolic link to {target}, outside {folder}; "
                                    "skipped (--follow-symlinks reads it)")
                continue
        if os.path.isfile(path):
            yield Input(path, path, relative)
