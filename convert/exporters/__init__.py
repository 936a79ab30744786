"""The exporter interface and the registry behind ``--to NAME``.

Exporters are found through the entry-point group ``newsconv.exporters``. The built-in
ones are registered there by this package's own ``pyproject.toml``, exactly as a
third-party package registers its own, so ``newsconv formats`` and
``newsconv convert --to NAME`` treat them alike.

A per-document exporter (Markdown, JSON) turns one document into one output; a
collection exporter (EPUB, JSON Lines) turns many documents into one output. Both
implement :meth:`Exporter.export` over a sequence of documents.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from importlib.metadata import EntryPoint, entry_points
from typing import Any, BinaryIO, ClassVar, TypeVar

from ..model import Document

GROUP = "newsconv.exporters"
_O = TypeVar("_O", bound="ExportOptions")


@dataclass
class ExportOptions:
    """Options every exporter may read; each ignores what it has no use for. An exporter
    with options of its own declares a subclass as its ``options_class``."""

    title: str | None = None
    author: str | None = None
    lang: str | None = None
    #: JSON Lines (one document a line) for exporters that stream.
    lines: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls: type[_O], options: ExportOptions | None) -> _O:
        """``options`` as this class: itself when it is one already, else its generic
        fields copied into a new instance (other fields at their defaults)."""
        if isinstance(options, cls):
            return options
        if options is None:
            return cls()
        names = {f.name for f in fields(cls)}
        return cls(**{f.name: getattr(options, f.name) for f in fields(options)
                      if f.name in names})


class Exporter:
    """Base class of all exporters.

    Subclasses set ``name``, ``file_extension`` (with the dot), ``media_type`` and
    ``description``, and implement :meth:`export`. ``collection`` is True when many
    documents make a single output.
    """

    name: ClassVar[str]
    #: The options this exporter reads: ExportOptions or a subclass with its own fields
    #: (nbconvert gives each exporter its own configuration); the CLI builds this class.
    options_class: ClassVar[type[ExportOptions]] = ExportOptions
    file_extension: ClassVar[str]
    media_type: ClassVar[str]
    description: ClassVar[str] = ""
    collection: bool = False
    #: True when the output for many documents is the outputs for each one, joined
    #: (JSON Lines): such an output is written as the documents are converted.
    streams: bool = False

    def __init__(self, options: ExportOptions | None = None) -> None:
        self.options = self.options_class.of(options)
        #: One-line messages for the user about the last export (e.g. image counts).
        self.notes: list[str] = []

    def export(self, documents: Sequence[Document]) -> bytes:
        """Return the output for ``documents`` (exactly one for a per-document exporter)."""
        raise NotImplementedError

    def prepare_document(self, document: Document) -> Any:
        """The part of this exporter's work that needs only ``document``: a run does it
        as soon as the document is converted, in the process that converted it (a
        worker), and hands the result to :meth:`write` in place of the document.

        It must be a pure function of the document and the options, and its result
        picklable and a thing :meth:`write` takes. By default: the document itself."""
        return document

    def write(self, documents: Iterable[Document], stream: BinaryIO) -> None:
        """Write the output for ``documents`` to a binary stream.

        ``documents`` may be any iterable, a one-shot iterator included (a run hands
        over the posts as they are converted); it is consumed once. This default
        gathers them for :meth:`export`; exporters of large outputs override it to take
        the documents one at a time instead of holding them all (EPUB does)."""
        stream.write(self.export(list(documents)))


class UnknownFormatError(LookupError):
    """No exporter of that name is registered."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        super().__init__(f"unknown format {name!r}{hint} (known: {', '.join(known)})")
        self.name = name
        self.known = list(known)


def exporter_entry_points() -> dict[str, EntryPoint]:
    """Registered exporters by name, sorted by name."""
    found = {ep.name: ep for ep in entry_points(group=GROUP)}
    return dict(sorted(found.items()))


def get_exporter(name: str) -> type[Exporter]:
    """The exporter class registered as ``name``.

    Raises :class:`UnknownFormatError`, which lists the known names.
    """
    eps = exporter_entry_points()
    if name not in eps:
        raise UnknownFormatError(name, list(eps))
    cls = eps[name].load()
    if not (isinstance(cls, type) and issubclass(cls, Exporter)):
        raise TypeError(f"entry point {name!r} is not a newsconv Exporter: {cls!r}")
    return cls
