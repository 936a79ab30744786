"""The document model: plain typed data, and walks over it.

Readers and the normaliser produce a :class:`Document`; exporters consume one.
This module imports nothing else from the project. Every node is a dataclass with a
``TYPE`` tag; :mod:`convert.model_json` gives a document its JSON form and back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

# ---------------------------------------------------------------- inlines


@dataclass(slots=True)
class Text:
    TYPE: ClassVar[str] = "text"
    text: str


@dataclass(slots=True)
class Strong:
    TYPE: ClassVar[str] = "strong"
    children: list[Inline]


@dataclass(slots=True)
class Emphasis:
    TYPE: ClassVar[str] = "emphasis"
    children: list[Inline]


@dataclass(slots=True)
class Strikeout:
    TYPE: ClassVar[str] = "strikeout"
    children: list[Inline]


@dataclass(slots=True)
class Superscript:
    TYPE: ClassVar[str] = "superscript"
    children: list[Inline]


@dataclass(slots=True)
class Subscript:
    TYPE: ClassVar[str] = "subscript"
    children: list[Inline]


@dataclass(slots=True)
class Code:
    TYPE: ClassVar[str] = "code"
    text: str


@dataclass(slots=True)
class Link:
    TYPE: ClassVar[str] = "link"
    href: str
    children: list[Inline]
    title: str | None = None


@dataclass(slots=True)
class Image:
    """An image inside running text or a table cell (block images are Figures)."""

    TYPE: ClassVar[str] = "image"
    src: str
    alt: str = ""


@dataclass(slots=True)
class LineBreak:
    TYPE: ClassVar[str] = "line_break"


@dataclass(slots=True)
class Math:
    """A formula as TeX source, exactly as the page gave it (without its ``\\(``/``$``
    delimiters); ``display`` for one set on a line of its own."""

    TYPE: ClassVar[str] = "math"
    tex: str
    display: bool = False


Inline = (Text | Strong | Emphasis | Strikeout | Superscript | Subscript | Code | Link | Image
          | LineBreak | Math)

#: Inline nodes that hold other inlines in ``children``.
CONTAINER_INLINES = (Strong, Emphasis, Strikeout, Superscript, Subscript, Link)


# ---------------------------------------------------------------- blocks


@dataclass(slots=True)
class Heading:
    TYPE: ClassVar[str] = "heading"
    level: int
    children: list[Inline]


@dataclass(slots=True)
class Paragraph:
    TYPE: ClassVar[str] = "paragraph"
    children: list[Inline]


@dataclass(slots=True)
class ListBlock:
    """A bulleted or numbered list; each item is a list of blocks."""

    TYPE: ClassVar[str] = "list"
    ordered: bool
    items: list[list[Block]]
    start: int = 1


@dataclass(slots=True)
class Quote:
    TYPE: ClassVar[str] = "quote"
    children: list[Block]


@dataclass(slots=True)
class CodeBlock:
    TYPE: ClassVar[str] = "code_block"
    text: str
    language: str | None = None


@dataclass(slots=True)
class Figure:
    TYPE: ClassVar[str] = "figure"
    src: str
    alt: str = ""
    caption: list[Inline] = field(default_factory=list)


@dataclass(slots=True)
class TableCell:
    TYPE: ClassVar[str] = "cell"
    children: list[Inline]
    header: bool = False
    colspan: int = 1
    rowspan: int = 1


@dataclass(slots=True)
class Table:
    """A data table: rows of cells; header rows come first and are flagged."""

    TYPE: ClassVar[str] = "table"
    rows: list[list[TableCell]]
    header_rows: int = 0
    caption: list[Inline] = field(default_factory=list)


@dataclass(slots=True)
class Rule:
    TYPE: ClassVar[str] = "rule"


@dataclass(slots=True)
class Embed:
    """Embedded media (iframe player, video, audio): kept as a link to its source."""

    TYPE: ClassVar[str] = "embed"
    src: str
    kind: str = "iframe"
    title: str = ""
    poster: str | None = None


Block = Heading | Paragraph | ListBlock | Quote | CodeBlock | Figure | Table | Rule | Embed


# ---------------------------------------------------------------- document


@dataclass(slots=True)
class Diagnostic:
    """Something the pipeline noticed, repaired or removed, and why.

    ``level`` is ``"error"`` (the post is unusable), ``"warning"`` (the input was
    wrong and was repaired or guessed) or ``"change"`` (cleaning removed or rewrote
    something). ``step`` names the pipeline step; ``sample`` is a short excerpt.
    """

    TYPE: ClassVar[str] = "diagnostic"
    level: str
    step: str
    message: str
    count: int = 1
    sample: str | None = None


@dataclass(slots=True)
class Metadata:
    TYPE: ClassVar[str] = "metadata"
    title: str = ""
    authors: list[str] = field(default_factory=list)
    date: datetime | None = None
    date_raw: str | None = None
    categories: list[str] = field(default_factory=list)
    cover: str | None = None
    lang: str | None = None
    source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass  # one per post: slots would save little and forbid weak references
class Document:
    TYPE: ClassVar[str] = "document"
    metadata: Metadata
    blocks: list[Block] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: File name the document was read from (no directories), for naming outputs.
    origin: str | None = None


def iter_blocks(blocks: list[Block]) -> Iterator[Block]:
    """Every block in reading order, including those inside quotes and list items.

    Iterative (a stack of pending lists), so a document nested to any depth is safe.
    """
    stack: list[Iterator[Block]] = [iter(blocks)]
    while stack:
        block = next(stack[-1], None)
        if block is None:
            stack.pop()
            continue
        yield block
        if isinstance(block, Quote):
            stack.append(iter(block.children))
        elif isinstance(block, ListBlock):
            stack.append(b for item in block.items for b in item)


def iter_inlines(inlines: list[Inline]) -> Iterator[Inline]:
    """Every inline in reading order, containers before what they contain. Iterative."""
    stack: list[Iterator[Inline]] = [iter(inlines)]
    while stack:
        node = next(stack[-1], None)
        if node is None:
            stack.pop()
            continue
        yield node
        if isinstance(node, CONTAINER_INLINES):
            stack.append(iter(node.children))


def block_inlines(block: Block) -> Iterator[list[Inline]]:
    """The runs of inlines a block holds itself (not those of blocks inside it): a
    paragraph's or heading's children, a figure's caption, a table's caption and cells."""
    if isinstance(block, (Paragraph, Heading)):
        yield block.children
    elif isinstance(block, Figure):
        yield block.caption
    elif isinstance(block, Table):
        yield block.caption
        for row in block.rows:
            for cell in row:
                yield cell.children


def image_sources(blocks: list[Block]) -> list[str]:
    """The URL of every image (figures and inline images) in reading order."""
    sources: list[str] = []
    for block in iter_blocks(blocks):
        if isinstance(block, Figure):
            sources.append(block.src)
        for run in block_inlines(block):
            sources += (node.src for node in iter_inlines(run) if isinstance(node, Image))
    return sources


def inline_text(inlines: list[Inline]) -> str:
    """The plain text of a run of inlines (line breaks become newlines)."""
    parts: list[str] = []
    for node in iter_inlines(inlines):
        if isinstance(node, (Text, Code)):
            parts.append(node.text)
        elif isinstance(node, LineBreak):
            parts.append("\n")
        elif isinstance(node, Image):
            parts.append(node.alt)
    return "".join(parts)


# Before the JSON form had a module of its own it lived here; code that imports it from
# here keeps working (imported on first use: model_json itself imports this module).
_MOVED_TO_MODEL_JSON = frozenset({"SCHEMA_VERSION", "READABLE_VERSIONS", "SchemaError",
                                  "node_to_dict", "document_to_dict", "document_from_dict",
                                  "json_schema"})


def __getattr__(name: str) -> Any:
    if name in _MOVED_TO_MODEL_JSON:
        from . import model_json

        return getattr(model_json, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
