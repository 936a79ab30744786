"""The pipeline as a Python API: inputs → Documents → exporter output.

The CLI is a thin layer over these functions::

    from convert.pipeline import load_path, export
    doc = load_path("post.md")
    markdown = export([doc], "markdown")
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .exporters import ExportOptions, get_exporter
from .model import Document, SchemaError, document_from_dict
from .normalise import normalise
from .normalise.profiles import SiteProfile
from .reader import ReadError, read_post

#: Suffixes taken when an input is a directory (searched recursively).
POST_SUFFIXES = (".md", ".markdown", ".html", ".htm")
#: A file with this suffix holds a serialised Document (``to-json`` output).
DOCUMENT_SUFFIX = ".json"
STDIN = "-"


class InputError(Exception):
    """One input could not be read or converted; ``str()`` is ``"path: problem"``."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class Input:
    """One input file (or stdin), as named on the command line or found in a folder."""

    path: Path | None  # None for stdin
    display: str

    def read_bytes(self) -> bytes:
        if self.path is None:
            return sys.stdin.buffer.read()
        return self.path.read_bytes()


def expand_inputs(names: Sequence[str]) -> Iterator[Input | InputError]:
    """Inputs named on the command line, folders expanded (sorted, recursive).

    Yields an :class:`InputError` in place of a name that does not exist or a folder
    without posts, so the caller can report it and go on.
    """
    for name in names:
        if name == STDIN:
            yield Input(None, "<stdin>")
            continue
        path = Path(name)
        if path.is_dir():
            found = sorted(
                (p for p in path.rglob("*")
                 if p.suffix.lower() in POST_SUFFIXES and p.is_file()
                 and not any(part.startswith(".") for part in p.relative_to(path).parts)),
                key=lambda p: p.relative_to(path).as_posix(),
            )
            if not found:
                yield InputError(name, f"no posts ({', '.join(POST_SUFFIXES)}) in this folder")
            for p in found:
                yield Input(p, str(p))
        elif path.is_file():
            yield Input(path, name)
        elif path.exists():
            yield InputError(name, "not a regular file")
        else:
            yield InputError(name, "no such file or directory")


def load_bytes(data: bytes, name: str,
               profiles: Sequence[SiteProfile] | None = None) -> Document:
    """A Document from a post's bytes, or from a serialised Document (``*.json``).

    ``name`` is the input's file name; it picks the format and names the outputs.
    ``profiles`` are the site profiles to try (default: built-in and the user's).
    Raises :class:`ValueError` (:class:`ReadError`, :class:`SchemaError`) on bad input.
    """
    origin = os.path.basename(name) if name else None
    if name.lower().endswith(DOCUMENT_SUFFIX):
        try:
            doc = document_from_dict(json.loads(data.decode("utf-8-sig")))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SchemaError(f"not valid JSON: {exc}") from None
        return doc
    return normalise(read_post(data), origin=origin, profiles=profiles)


def load_input(source: Input, profiles: Sequence[SiteProfile] | None = None) -> Document:
    """Read and convert one input; every failure becomes an :class:`InputError`."""
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise InputError(source.display, exc.strerror or str(exc)) from None
    name = source.path.name if source.path is not None else ""
    try:
        return load_bytes(data, name, profiles)
    except (ReadError, SchemaError) as exc:
        raise InputError(source.display, str(exc)) from None


def load_path(path: str | os.PathLike[str],
              profiles: Sequence[SiteProfile] | None = None) -> Document:
    """Read one post (or serialised Document) from a file."""
    p = Path(path)
    return load_input(Input(p, str(p)), profiles)


def export(documents: Sequence[Document], format_name: str,
           options: ExportOptions | None = None) -> bytes:
    """Run the exporter registered as ``format_name`` over ``documents``."""
    return get_exporter(format_name)(options).export(documents)
