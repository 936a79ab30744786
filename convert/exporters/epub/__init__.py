"""EPUB 3 exporter: many documents become one book, one chapter per post.

ebooklib builds the book (package document, manifest, spine, EPUB 3 nav document and
an NCX for older readers). Around it, for reasons given where each happens:

* pages are written byte for byte (:class:`pages.Page`), not re-serialised by ebooklib;
* every URL is checked before rendering (:mod:`.links`), so any Document gives a book
  epubcheck accepts;
* remote images are downloaded into a cache (:mod:`convert.fetch`) and embedded only
  when they decode completely; an image that cannot be had (or not before the book's
  download deadline) is shown as a link to its URL, never as a remote ``<img>``;
  images are read from the cache only while the zip is written (:class:`pages.FileItem`);
* the posts are consumed once, as they arrive: each is put aside on disk
  (:mod:`convert.spool`) and only its metadata and image URLs stay in memory; each
  chapter is then rendered in turn into the spool and read back only while the zip is
  written (:class:`pages.SpooledPage`), so a book holds one post at a time;
* the zip is written with fixed entry times (:mod:`.container`), ``dcterms:modified``
  comes from ``SOURCE_DATE_EPOCH`` or the posts, and the identifier from the content, so
  the same inputs give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import BinaryIO, TypeVar

from ebooklib import epub

from ... import locale_text
from ...fetch import FetchOptions, ImageFetcher
from ...memory import release_free_memory
from ...model import Document
from ...spool import Spool, folder_of
from .. import Exporter
from .accessibility import ImageCensus, accessibility_metadata
from .chapters import Chapter, PreparedPost, prepare_post, put_aside
from .container import ReproducibleWriter
from .cover import cover_item, find_cover
from .devices import DEVICES, size_warning
from .images import BookImages
from .math import MathMLWriter
from .options import EpubOptions
from .pages import (
    STYLESHEET,
    Page,
    SpooledPage,
    chapter_title,
    chapter_xhtml,
    cover_page_xhtml,
    date_span,
    title_page_xhtml,
)
from .text import (
    Post,
    clean_text,
    is_rtl,
    modified_time,
    norm_lang,
    utc,
    zip_time,
)

__all__ = ["EpubExporter", "EpubOptions", "chapter_title"]

#: Namespace for the book identifier (uuid5 over the chapters' bytes).
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://newsconv.invalid/epub")
GROUPINGS = ("source", "category", "date", "none")
SORTS = ("input", "date", "title")
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


# ---------------------------------------------------------------- book metadata


def _distinct(values) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        value = clean_text(value)
        if value and value not in seen:
            seen[value] = None
    return list(seen)


def _book_title(documents: Sequence[Post], lang: str) -> str:
    if len(documents) == 1:
        return chapter_title(documents[0])
    sources = _distinct(d.metadata.source for d in documents)
    source = sources[0] if len(sources) == 1 else locale_text.text(lang, "news")
    title = locale_text.text(lang, "digest", source=source)
    span = date_span(documents, lang)
    return locale_text.text(lang, "title_span", title=title, span=span) if span else title


def _book_authors(documents: Sequence[Post], lang: str) -> list[str]:
    authors = _distinct(a for d in documents for a in d.metadata.authors)
    if len(authors) > 3:
        return [locale_text.text(lang, "et_al", names=locale_text.joined(lang, authors[:3]))]
    return authors or ["newsconv"]


def _book_lang(documents: Sequence[Post]) -> str:
    langs = Counter(lang for lang in (norm_lang(d.metadata.lang) for d in documents) if lang)
    # most_common keeps first-seen order among equal counts: deterministic
    return langs.most_common(1)[0][0] if langs else "und"


def _landmarks(front: Sequence[Page], nav: epub.EpubNav, first: Page,
               lang: str) -> list[dict[str, str]]:
    """The book's landmarks: its cover page (when it has one), the table of contents
    and where the reading starts (ebooklib writes the guide type ``text`` as the
    landmark ``bodymatter``). Written twice: as the package's ``<guide>`` (calibre and
    Kindle find the cover page there, and do not print it twice) and as the nav's
    landmarks."""
    marks = [{"type": "cover", "href": page.file_name,
              "title": locale_text.text(lang, "cover")}
             for page in front if page.id == "cover-page"]
    marks.append({"type": "toc", "href": nav.file_name,
                  "title": locale_text.text(lang, "contents")})
    marks.append({"type": "text", "href": first.file_name, "title": first.title})
    return marks


# ---------------------------------------------------------------- order and groups


P = TypeVar("P", bound=Post)


def sort_documents(documents: Sequence[P], how: str) -> list[P]:
    """``input`` order, oldest ``date`` first (undated last), or ``title``; stable."""
    if how == "date":
        return sorted(documents, key=lambda d: (d.metadata.date is None,
                                                utc(d.metadata.date).timestamp()
                                                if d.metadata.date else 0.0))
    if how == "title":
        return sorted(documents, key=lambda d: chapter_title(d).casefold())
    return list(documents)


def group_key(doc: Post, how: str, lang: str | None = None) -> str:
    """The group a post belongs to, named as the table of contents shows it (in the
    language of ``lang``: one book uses one)."""
    meta = doc.metadata
    if how == "source":
        return clean_text(meta.source) or (clean_text(meta.authors[0]) if meta.authors
                                           else "") or locale_text.text(lang, "other")
    if how == "category":
        return clean_text(meta.categories[0]) if meta.categories else \
            locale_text.text(lang, "uncategorised")
    if how == "date":
        return locale_text.day(lang, utc(meta.date)) if meta.date else \
            locale_text.text(lang, "undated")
    return ""


def group_documents(documents: Sequence[P], how: str, lang: str | None = None) -> list[P]:
    """Posts of one group next to each other (groups in order of first appearance, posts
    in their order within), so the table of contents follows the reading order."""
    if how == "none":
        return list(documents)
    first: dict[str, int] = {}
    for doc in documents:
        first.setdefault(group_key(doc, how, lang), len(first))
    return sorted(documents, key=lambda d: first[group_key(d, how, lang)])


def default_grouping(documents: Sequence[Post]) -> str:
    """Grouped by source when the posts come from several, flat otherwise."""
    return "source" if len({group_key(d, "source") for d in documents}) > 1 else "none"


def _position(stream: BinaryIO) -> int | None:
    """Where a stream is (None when it cannot tell: a pipe)."""
    try:
        return stream.tell()
    except (OSError, ValueError, AttributeError):
        return None


# ---------------------------------------------------------------- exporter


class EpubExporter(Exporter):
    name = "epub"
    file_extension = ".epub"
    media_type = "application/epub+zip"
    description = "EPUB 3 book (one chapter per post, images embedded)"
    collection = True
    options_class = EpubOptions
    options: EpubOptions

    def export(self, documents: Iterable[Document]) -> bytes:
        out = io.BytesIO()
        self.write(documents, out)
        return out.getvalue()

    def prepare_document(self, document: Document) -> PreparedPost:
        return prepare_post(document)

    def write(self, documents: Iterable[Document | PreparedPost], stream: BinaryIO) -> None:
        """Write the book of ``documents`` (any iterable, consumed once; Documents or
        what :meth:`prepare_document` made of them) to ``stream``."""
        # The spool goes next to the output when the stream is a file (see Spool).
        with Spool(folder_of(stream)) as spool:
            self._write(put_aside(documents, spool), spool, stream)

    def _write(self, chapters: list[Chapter], spool: Spool, stream: BinaryIO) -> None:
        opts = self.options
        chapters = sort_documents(chapters, opts.sort or "input")
        if not chapters:
            raise ValueError("an EPUB needs at least one document")
        grouping = opts.group_by or default_grouping(chapters)
        if grouping not in GROUPINGS:
            raise ValueError(f"unknown grouping {grouping!r} (known: {', '.join(GROUPINGS)})")
        # the book's language is the most common one in reading order; the groups are
        # then named in it (which can only join groups, never reorder them)
        book_lang = norm_lang(opts.lang) or _book_lang(group_documents(chapters, grouping))
        chapters = group_documents(chapters, grouping, book_lang)
        title = clean_text(opts.title) or _book_title(chapters, book_lang)
        creators = [clean_text(opts.author)] if clean_text(opts.author) else \
            _book_authors(chapters, book_lang)

        fetcher = ImageFetcher(FetchOptions(
            cache_dir=opts.cache_dir, offline=opts.offline,
            allow_private_hosts=opts.allow_private_hosts, deadline=opts.fetch_timeout))
        book_images = BookImages(opts, fetcher)
        cover_url, cover = find_cover(opts.cover, chapters, fetcher)
        # URL → zip item, shared by every chapter that shows the image.
        images = book_images.fetch(
            list(dict.fromkeys(u for chapter in chapters for u in chapter.images)))
        self.notes.extend(book_images.notes())

        book = epub.EpubBook()
        css = epub.EpubItem(uid="style", file_name="style.css", media_type="text/css",
                            content=STYLESHEET.encode("utf-8"))
        book.add_item(css)
        # The identifier depends on the posts (chapters) only, not on book options.
        digest = hashlib.sha256()

        front: list[Page] = []
        if cover_url in images:  # a post's picture: the chapter shows the same file
            the_cover = images[cover_url]
        else:
            count = locale_text.post_count(book_lang, len(chapters))
            the_cover = cover_item(cover, book_images, title, count, book_lang,
                                   opts.cover_font)
            book.add_item(the_cover)
        the_cover.properties = ["cover-image"]
        if the_cover.media_type == "image/svg+xml":
            self.notes.append(f"warning: --cover {opts.cover} is an SVG image: Kindle and "
                              "calibre find no cover in it; give a JPEG or PNG")
        book.add_metadata(None, "meta", "", {"name": "cover", "content": the_cover.id})
        front.append(Page(
            uid="cover-page", file_name="cover.xhtml", title=title, lang=book_lang,
            content=cover_page_xhtml(title, the_cover.file_name, book_lang, css.file_name)))
        front.append(Page(
            uid="title-page", file_name="title.xhtml", title=title, lang=book_lang,
            content=title_page_xhtml(title, creators, chapters, book_lang, css.file_name)))
        for page in front:
            book.add_item(page)

        def image_name(url: str) -> str | None:
            return images[url].file_name if url in images else None

        census = ImageCensus()
        census.add_picture(described=True)  # the cover page's image, its alt the title

        # Second pass: one post at a time, back from the spool, rendered into it. The
        # pages are made after the loop, for the reason given in .chapters.
        rendered = array("q")
        math = MathMLWriter()
        with_math: set[int] = set()  # chapters holding MathML (an EPUB 3 item property)
        for number, chapter in enumerate(chapters, 1):
            written = math.written
            metadata, blocks = chapter.load(spool)
            chapter_name = chapter_title(chapter)
            census.add_post(blocks, image_name, clean_text(metadata.title) or chapter_name)
            content = chapter_xhtml(Document(metadata, origin=chapter.origin), blocks,
                                    chapter_name, norm_lang(metadata.lang) or book_lang,
                                    css.file_name, image_name, math)
            if math.written > written:
                with_math.add(number)
            del metadata, blocks
            for part in (f"chapter-{number:04d}.xhtml".encode(),
                         chapter_name.encode("utf-8"), content):
                digest.update(len(part).to_bytes(8, "big") + part)
            rendered.extend(spool.put(content))
            del content, chapter_name
        pages: list[Page] = []
        for number, chapter in enumerate(chapters, 1):
            page = SpooledPage(uid=f"chapter-{number:04d}",
                               file_name=f"chapter-{number:04d}.xhtml",
                               title=chapter_title(chapter),
                               lang=norm_lang(chapter.metadata.lang) or book_lang)
            page.spooled(spool, (rendered[2 * number - 2], rendered[2 * number - 1]))
            if number in with_math:
                page.properties = ["mathml"]
            book.add_item(page)
            pages.append(page)
        for item in images.values():
            book.add_item(item)
        if math.failed:
            self.notes.append(f"formulas: {len(math.failed)} not readable as TeX by "
                              f"latex2mathml, shown as their TeX (first: {math.failed[0]!r})")

        book.set_identifier(f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, digest.hexdigest())}")
        book.set_title(title)
        book.set_language(book_lang)
        if is_rtl(book_lang):
            book.set_direction("rtl")
        for number, creator in enumerate(creators, 1):
            book.add_author(creator, uid=f"creator-{number}")
        for name, value in accessibility_metadata(census):
            attributes = {"property": name}
            if name == "schema:accessibilitySummary":  # written in English
                attributes[_XML_LANG] = "en"
            book.add_metadata(None, "meta", value, attributes)

        nav = epub.EpubNav(title=locale_text.text(book_lang, "contents"))
        nav.add_item(css)
        book.add_item(nav)
        book.add_item(epub.EpubNcx())
        book.toc = self._toc(chapters, pages, grouping, book_lang)
        book.spine = [*front, nav, *pages]
        book.guide = _landmarks(front, nav, pages[0], book_lang)

        modified = modified_time(chapters)
        # What ebooklib needs is in the book now; the posts' metadata (several MB for
        # a big book) is not kept while it builds the package document and the nav.
        del chapters, pages, rendered
        release_free_memory()  # what rendering the chapters freed (see convert.memory)
        writer = ReproducibleWriter(
            stream, book, zip_time(modified),
            # mtime: dcterms:modified; no page-list (we make none); the guide is written
            # as the package's <guide> and as the nav's landmarks
            options={"mtime": modified, "epub3_pages": False, "raise_exceptions": True,
                     "epub3_landmark": True, "epub2_guide": True,
                     "landmark_title": locale_text.text(book_lang, "landmarks")},
        )
        start = _position(stream)
        writer.process()
        writer.write()
        end = _position(stream)
        if start is not None and end is not None:
            self.notes.extend(size_warning(DEVICES[opts.device], end - start))

    # ------------------------------------------------------------ parts

    @staticmethod
    def _toc(chapters: Sequence[Post], pages: Sequence[Page], grouping: str,
             lang: str) -> list:
        if grouping == "none":
            return list(pages)
        groups: dict[str, list[Page]] = {}
        for chapter, page in zip(chapters, pages, strict=True):
            groups.setdefault(group_key(chapter, grouping, lang), []).append(page)
        return [(epub.Section(name, href=group[0].file_name), group) if len(group) > 1
                else group[0] for name, group in groups.items()]
