"""What a book keeps of its posts between taking them in and writing them out.

The posts are taken in one pass, as they arrive: each post's metadata and EPUB-safe
blocks go to the book's spool (:mod:`convert.spool`) at once. What that needs of a post
alone (:func:`prepare_post`: its EPUB-safe blocks and summary, pickled) is done where the
post was converted, in a worker of a batch run (``EpubExporter.prepare_document``).
In memory stays, per post, only what ordering, grouping, the title page, the cover and
the image downloads need (a :class:`Chapter`: a reduced Metadata and the post's image
URLs).

Memory at archive scale decides two details. A Chapter is first written to the spool
too and all are read back together once every post is in: objects made while posts
are converted would each pin a page of the allocator among the posts' freed
temporaries, and the process would keep all those pages. Read back, equal strings
(sources, authors, categories, languages repeat across thousands of posts) are one
object.
"""

from __future__ import annotations

import dataclasses
import pickle
from array import array
from collections.abc import Iterable
from typing import Any

from ...memory import release_free_memory
from ...model import Block, Document, Metadata, image_sources
from ...spool import Span, Spool
from .links import epub_blocks
from .text import clean_text


class Chapter:
    """One post of the book while it waits in the spool (a :class:`~.text.Post`)."""

    __slots__ = ("metadata", "origin", "images", "_body")

    def __init__(self, metadata: Metadata, origin: str | None, images: tuple[str, ...],
                 body: Span) -> None:
        self.metadata, self.origin, self.images, self._body = metadata, origin, images, body

    def load(self, spool: Spool) -> tuple[Metadata, list[Block]]:
        """The post's whole metadata and its EPUB-safe blocks, back from the spool."""
        return spool.load(self._body)


def _summary(doc: Document, blocks: list[Block]) -> tuple:
    """The few fields a Chapter keeps, as a plain tuple for the spool."""
    meta = doc.metadata
    # the origin names a chapter only when it has no title (see chapter_title)
    origin = None if clean_text(meta.title) else doc.origin
    return (meta.title, origin, tuple(meta.authors), meta.date, meta.categories[:1],
            meta.cover, meta.lang, meta.source, tuple(dict.fromkeys(image_sources(blocks))))


@dataclasses.dataclass(frozen=True)
class PreparedPost:
    """A post as the book keeps it, made from its Document alone: its metadata and
    EPUB-safe blocks, and its summary, each pickled as the spool holds them; and the
    metadata (what ``--split-by`` reads)."""

    metadata: Metadata
    body: bytes
    summary: bytes


def prepare_post(doc: Document) -> PreparedPost:
    """What the book needs of ``doc`` (see :class:`PreparedPost`)."""
    blocks = epub_blocks(doc.blocks, doc.metadata.lang, doc.metadata.title or "")
    # extra (the front matter's other fields, any YAML value) is shown nowhere
    metadata = dataclasses.replace(doc.metadata, extra={})
    return PreparedPost(metadata, _pickled((metadata, blocks)), _pickled(_summary(doc, blocks)))


def _pickled(value: Any) -> bytes:
    return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def put_aside(documents: Iterable[Document | PreparedPost], spool: Spool) -> list[Chapter]:
    """Take the posts in (one pass, one post in memory at a time); their Chapters."""
    spans = array("q")  # per post: offset, length of its body, then of its summary
    for number, doc in enumerate(documents, 1):
        post = doc if isinstance(doc, PreparedPost) else prepare_post(doc)
        spans.extend(spool.put(post.body))
        spans.extend(spool.put(post.summary))
        del doc, post  # not alive while the next post is converted
        if number % 256 == 0:  # the posts' freed pages, scattered: back to the system
            release_free_memory()
    shared: dict[Any, Any] = {}
    no_extra: dict[str, Any] = {}  # no page shows the front matter's other fields

    def one(value: Any) -> Any:
        return shared.setdefault(value, value)

    chapters = []
    for n in range(0, len(spans), 4):
        (title, origin, authors, date, categories, cover, lang, source,
         images) = spool.load((spans[n + 2], spans[n + 3]))
        metadata = Metadata(title=title, authors=_list(shared, authors), date=date,
                            categories=_list(shared, tuple(categories)), cover=cover,
                            lang=one(lang), source=one(source), extra=no_extra)
        chapters.append(Chapter(metadata, origin, images, (spans[n], spans[n + 1])))
    return chapters


def _list(shared: dict[Any, Any], values: tuple[str, ...]) -> list[str]:
    """One list object for every post with these values (no reader changes them)."""
    key = ("list", values)
    found = shared.get(key)
    if found is None:
        found = shared[key] = [shared.setdefault(v, v) for v in values]
    return found
