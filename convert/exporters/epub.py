"""EPUB 3 exporter: many documents become one book, one chapter per post.

ebooklib builds the book (package document, manifest, spine, EPUB 3 nav document and
an NCX for older readers). Three things are done here rather than by ebooklib, each
for a reason given where it happens:

* chapter files are written byte for byte by :class:`_Chapter` (ebooklib's own
  ``EpubHtml`` re-parses the body with an HTML parser and pretty-prints it, which
  injects whitespace into ``<pre>`` and writes a single-quoted XML declaration);
* the zip is written by :class:`_ReproducibleWriter` with fixed entry times, and
  ``dcterms:modified`` comes from the documents, not the wall clock, so the same
  posts give the same bytes on every run;
* URLs are checked before rendering (:func:`_epub_blocks`): a link the EPUB cannot
  hold (relative, ``javascript:``, malformed, nested in another link) is unwrapped to
  its text, so any Document gives a book epubcheck accepts.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import re
import uuid
import zipfile
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import PurePosixPath, PureWindowsPath
from urllib.parse import quote, urlsplit

from ebooklib import epub

from ..model import (
    CONTAINER_INLINES,
    Block,
    CodeBlock,
    Document,
    Embed,
    Figure,
    Heading,
    Image,
    Inline,
    Link,
    ListBlock,
    Paragraph,
    Quote,
    Rule,
    Table,
    TableCell,
    Text,
)
from ..render import RenderOptions, escape, image_label, render_blocks
from . import Exporter

XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>'

#: ``dcterms:modified`` (and zip entry time) when neither SOURCE_DATE_EPOCH nor any
#: post date is known.
FALLBACK_MODIFIED = datetime(2000, 1, 1, tzinfo=timezone.utc)

_YEAR_1000 = datetime(1000, 1, 1, tzinfo=timezone.utc)

#: Namespace for the book identifier (uuid5 over the chapters' bytes).
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://newsconv.invalid/epub")

STYLESHEET = """\
/* newsconv book style: readable defaults, nothing forced. */
body { line-height: 1.7; margin: 0 0.5em; }
h1 { line-height: 1.3; margin: 0 0 0.4em; }
h2, h3, h4, h5, h6 { line-height: 1.35; margin: 1.2em 0 0.5em; }
p { margin: 0 0 0.8em; }
header { margin-bottom: 1.5em; }
.byline, .categories { font-size: 0.85em; margin: 0 0 0.3em; }
.categories { font-style: italic; }
.empty-note { font-style: italic; }
img { max-width: 100%; height: auto; }
figure { margin: 1em 0; text-align: center; }
figcaption { font-size: 0.9em; margin-top: 0.3em; }
blockquote { margin: 1em 0 1em 1em; padding-left: 0.8em; border-left: 0.2em solid #999; }
pre { white-space: pre-wrap; word-wrap: break-word; overflow-wrap: break-word;
      font-size: 0.85em; line-height: 1.45; margin: 1em 0; }
code { font-family: monospace; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #999; padding: 0.2em 0.4em; vertical-align: top; }
hr { margin: 1.5em 0; }
"""

# ---------------------------------------------------------------- text and tags

# XML 1.0 forbids these (render.escape removes the same set); lone surrogates cannot
# be encoded at all, so they become U+FFFD.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_SPACES = re.compile(r"\s+")


def _fix_surrogates(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text)


def _clean(text: str | None) -> str:
    """One line of metadata text, safe for lxml (which rejects XML-invalid chars)."""
    if not text:
        return ""
    text = _XML_INVALID.sub("", _fix_surrogates(str(text)))
    return _SPACES.sub(" ", text).strip()


# Well-formed BCP 47 (RFC 5646 'langtag' without extensions/private use): epubcheck
# rejects a malformed dc:language, and lang must equal xml:lang in every chapter.
_LANGTAG = re.compile(
    r"(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"
    r"(?:-[A-Za-z]{4})?"
    r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
)
_RTL_LANGS = {"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ps", "sd", "syr", "ug", "ur", "yi"}


def _norm_lang(tag: str | None) -> str | None:
    """A well-formed language tag, or None ('zh_CN' becomes 'zh-CN')."""
    if not tag:
        return None
    tag = tag.strip().replace("_", "-")
    return tag if _LANGTAG.fullmatch(tag) else None


def _is_rtl(lang: str) -> bool:
    return lang.split("-", 1)[0].lower() in _RTL_LANGS


# ---------------------------------------------------------------- dates


def _utc(value: datetime) -> datetime:
    """Aware UTC datetime; a naive one is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _modified(documents: Sequence[Document]) -> datetime:
    """The book's dcterms:modified: SOURCE_DATE_EPOCH, else the newest post, else 2000."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
        except (ValueError, OverflowError, OSError):
            pass  # malformed: ignored, as most reproducible-build tools do
    dates = [_utc(d.metadata.date) for d in documents if d.metadata.date is not None]
    # ebooklib formats it with strftime, which does not pad years before 1000
    return max(max(dates), _YEAR_1000) if dates else FALLBACK_MODIFIED


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    """A zip entry time (the format holds 1980-2107 only)."""
    moment = min(max(moment, datetime(1980, 1, 1, tzinfo=timezone.utc)),
                 datetime(2107, 12, 31, 23, 59, 58, tzinfo=timezone.utc))
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


# ---------------------------------------------------------------- URLs and model fixes

_URL_SCHEMES = {"http", "https", "mailto"}
_URL_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f\"<>\\^`{|}\ufffe\uffff]")


def _safe_url(url: str) -> str | None:
    """The URL as an EPUB hyperlink may hold it, or None when it cannot be kept.

    Inside an EPUB a relative URL points into the book itself (and would be a broken
    reference), so only absolute http(s) and mailto URLs are kept; protocol-relative
    ones get https. Characters a URL must not contain are percent-encoded.
    """
    url = _fix_surrogates(url).strip()
    if url.startswith("//"):
        url = "https:" + url
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _URL_SCHEMES:
        return None
    if scheme != "mailto" and not parts.hostname:
        return None
    if scheme == "mailto" and not parts.path.strip():
        return None
    return _URL_UNSAFE.sub(lambda m: quote(m.group(), safe=""), url)


def _fix_inlines(nodes: list[Inline], in_link: bool = False) -> list[Inline]:
    """Inlines with every URL usable in an EPUB and no link inside another link.

    An image is shown as a link to its URL (render.py, when no local copy exists), so
    inside a link it becomes its label; an unusable link keeps only its text.
    """
    out: list[Inline] = []
    for node in nodes:
        if isinstance(node, Link):
            href = None if in_link else _safe_url(node.href)
            children = _fix_inlines(node.children, in_link=True if href else in_link)
            if href is None:
                out.extend(children)
            else:
                out.append(dataclasses.replace(node, href=href, children=children))
        elif isinstance(node, Image):
            src = None if in_link else _safe_url(node.src)
            if src is None:
                out.append(Text(image_label(node.src, node.alt)))
            else:
                out.append(dataclasses.replace(node, src=src))
        elif isinstance(node, CONTAINER_INLINES):
            out.append(dataclasses.replace(node, children=_fix_inlines(node.children, in_link)))
        else:
            out.append(node)
    return out


def _fix_block(block: Block) -> Block:
    if isinstance(block, (Heading, Paragraph)):
        return dataclasses.replace(block, children=_fix_inlines(block.children))
    if isinstance(block, ListBlock):
        return dataclasses.replace(block, items=[_epub_blocks(item) for item in block.items])
    if isinstance(block, Quote):
        return dataclasses.replace(block, children=_epub_blocks(block.children))
    if isinstance(block, Figure):
        caption = _fix_inlines(block.caption)
        src = _safe_url(block.src)
        if src is None:  # no URL to show: keep what the reader can still use
            return Paragraph(caption or [Text(image_label(block.src, block.alt))])
        return dataclasses.replace(block, src=src, caption=caption)
    if isinstance(block, Table):
        rows = [
            [
                TableCell(
                    _fix_inlines(cell.children),
                    header=cell.header,
                    # HTML's limits; epubcheck flags larger spans
                    colspan=min(max(cell.colspan, 1), 1000),
                    rowspan=min(max(cell.rowspan, 1), 65534),
                )
                for cell in row
            ]
            for row in block.rows
        ]
        return dataclasses.replace(block, rows=rows, caption=_fix_inlines(block.caption))
    if isinstance(block, Embed):
        src = _safe_url(block.src)
        if src is None:
            label = block.title.strip() or block.src
            return Paragraph([Text(f"▶ {label}")])
        return dataclasses.replace(block, src=src)
    if isinstance(block, (CodeBlock, Rule)):
        return block
    raise TypeError(f"not a block node: {block!r}")


def _epub_blocks(blocks: list[Block]) -> list[Block]:
    return [_fix_block(block) for block in blocks]


# ---------------------------------------------------------------- chapters


def chapter_title(doc: Document) -> str:
    """The title shown in the nav and NCX: post title, else origin file stem."""
    title = _clean(doc.metadata.title)
    if not title and doc.origin:
        title = _clean(PurePosixPath(PureWindowsPath(doc.origin).name).stem)
    return title or "Untitled"


def _byline(doc: Document) -> str:
    meta = doc.metadata
    parts: list[str] = []
    authors = [a for a in (_clean(a) for a in meta.authors) if a]
    if authors:
        parts.append(escape(", ".join(authors)))
    if meta.date is not None:
        when = _utc(meta.date)
        day = f"{when.year:04d}-{when.month:02d}-{when.day:02d}"
        clock = f"{when.hour:02d}:{when.minute:02d}"
        parts.append(f'<time datetime="{day}T{clock}Z">{day} {clock}</time>')
    source = _clean(meta.source)
    if source:
        parts.append(escape(source))
    return f'<p class="byline">{" · ".join(parts)}</p>' if parts else ""


def _chapter_xhtml(doc: Document, title: str, lang: str, css_href: str) -> bytes:
    meta = doc.metadata
    head_title = escape(title)
    header = [f"<h1>{escape(_clean(meta.title)) or head_title}</h1>"]
    byline = _byline(doc)
    if byline:
        header.append(byline)
    categories = [c for c in (_clean(c) for c in meta.categories) if c]
    if categories:
        header.append(f'<p class="categories">{escape(" · ".join(categories))}</p>')
    if doc.blocks:
        body = render_blocks(
            _epub_blocks(doc.blocks),
            RenderOptions(image_resolver=lambda url: None, heading_offset=1),
        )
    else:
        body = '<p class="empty-note">(This post has no content.)</p>'
    direction = ' dir="rtl"' if _is_rtl(lang) else ""
    text = (
        '<!DOCTYPE html>\n'
        f'<html xmlns="http://www.w3.org/1999/xhtml" lang="{lang}" xml:lang="{lang}"{direction}>\n'
        "<head>\n"
        f"<title>{head_title}</title>\n"
        f'<link rel="stylesheet" type="text/css" href="{css_href}"/>\n'
        "</head>\n"
        "<body>\n"
        "<header>\n" + "\n".join(header) + "\n</header>\n"
        f"{body}\n"
        "</body>\n"
        "</html>\n"
    )
    return XML_DECLARATION + b"\n" + _fix_surrogates(text).encode("utf-8")


class _Chapter(epub.EpubHtml):
    """A chapter whose file is exactly the XHTML we built.

    ebooklib's ``EpubHtml.get_content`` re-parses ``content`` with lxml's HTML parser and
    pretty-prints it: that puts whitespace inside ``<pre>`` (changing code blocks) and
    writes ``<?xml version='1.0' ...?>``. Our XHTML is already a complete, well-formed
    document, so it is written as is. ``content`` holds the same bytes, which is what
    ebooklib's nav builder parses when it looks for page breaks.
    """

    def get_content(self, default: bytes | None = None) -> bytes:
        return self.content


# ---------------------------------------------------------------- zip writing


class _FixedTimeZipFile(zipfile.ZipFile):
    """A ZipFile whose entries all get one fixed time and fixed attributes.

    ebooklib calls ``writestr(name, data)``, which stamps each entry with the wall
    clock; here every entry is rebuilt as a ZipInfo with ``date_time`` fixed, Unix
    attributes 0644 and the same creator system on every platform. XML files also get
    the double-quoted declaration lxml does not write.
    """

    def __init__(self, file, date_time: tuple[int, ...], **kwargs) -> None:
        super().__init__(file, "w", **kwargs)
        self._fixed_date_time = date_time

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        name = (zinfo_or_arcname.filename if isinstance(zinfo_or_arcname, zipfile.ZipInfo)
                else zinfo_or_arcname)
        info = zipfile.ZipInfo(name, date_time=self._fixed_date_time)
        info.create_system = 3  # Unix, whatever we run on
        info.external_attr = 0o100644 << 16
        info.compress_type = self.compression if compress_type is None else compress_type
        if isinstance(data, str):
            data = data.encode("utf-8")
        if name.endswith((".xhtml", ".opf", ".ncx", ".xml")) and data.startswith(b"<?xml"):
            end = data.index(b"?>") + 2
            data = XML_DECLARATION + data[end:]
        level = compresslevel if compresslevel is not None else self.compresslevel
        super().writestr(info, data, compresslevel=level)


class _ReproducibleWriter(epub.EpubWriter):
    """ebooklib's writer, writing into a :class:`_FixedTimeZipFile`.

    Subclassing (rather than re-packing ebooklib's zip afterwards) compresses each
    entry once and keeps ebooklib's entry order: ``mimetype`` first and stored, then
    container.xml, the package document and the items. ``write()`` below is
    ebooklib 0.20's own, with only the ZipFile class changed.
    """

    def __init__(self, out, book, date_time, options=None) -> None:
        super().__init__(out, book, options)
        self._date_time = date_time

    def write(self) -> None:
        self.out = _FixedTimeZipFile(
            self.file_name, self._date_time,
            compression=zipfile.ZIP_DEFLATED, compresslevel=self.options["compresslevel"],
        )
        self.out.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        self._write_container()
        self._write_opf()
        self._write_items()
        self.out.close()


# ---------------------------------------------------------------- book metadata


def _distinct(values) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        value = _clean(value)
        if value and value not in seen:
            seen[value] = None
    return list(seen)


def _book_title(documents: Sequence[Document], titles: list[str]) -> str:
    if len(documents) == 1:
        return titles[0]
    sources = _distinct(d.metadata.source for d in documents)
    title = f"{sources[0] if sources else 'News'} digest"
    days = sorted(_utc(d.metadata.date).strftime("%Y-%m-%d")
                  for d in documents if d.metadata.date is not None)
    if days:
        title += f", {days[0]}" if days[0] == days[-1] else f", {days[0]} – {days[-1]}"
    return title


def _book_authors(documents: Sequence[Document]) -> list[str]:
    authors = _distinct(a for d in documents for a in d.metadata.authors)
    if len(authors) > 3:
        return [", ".join(authors[:3]) + " et al."]
    return authors or ["newsconv"]


def _book_lang(documents: Sequence[Document]) -> str:
    langs = Counter(lang for lang in (_norm_lang(d.metadata.lang) for d in documents) if lang)
    # most_common keeps first-seen order among equal counts: deterministic
    return langs.most_common(1)[0][0] if langs else "und"


# ---------------------------------------------------------------- exporter


class EpubExporter(Exporter):
    name = "epub"
    file_extension = ".epub"
    media_type = "application/epub+zip"
    description = "EPUB 3 book (one chapter per post)"
    collection = True

    def export(self, documents: Sequence[Document]) -> bytes:
        documents = list(documents)
        if not documents:
            raise ValueError("an EPUB needs at least one document")
        opts = self.options
        book_lang = _norm_lang(opts.lang) or _book_lang(documents)

        book = epub.EpubBook()
        css = epub.EpubItem(uid="style", file_name="style.css", media_type="text/css",
                            content=STYLESHEET.encode("utf-8"))

        chapters: list[_Chapter] = []
        digest = hashlib.sha256()
        for number, doc in enumerate(documents, 1):
            title = chapter_title(doc)
            lang = _norm_lang(doc.metadata.lang) or book_lang
            content = _chapter_xhtml(doc, title, lang, css.file_name)
            name = f"chapter-{number:04d}.xhtml"
            chapters.append(_Chapter(uid=f"chapter-{number:04d}", file_name=name,
                                     media_type="application/xhtml+xml", content=content,
                                     title=title, lang=lang))
            for part in (name, title, content):
                data = part if isinstance(part, bytes) else part.encode("utf-8")
                digest.update(len(data).to_bytes(8, "big") + data)

        book.set_identifier(f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, digest.hexdigest())}")
        titles = [c.title for c in chapters]
        book.set_title(_clean(opts.title) or _book_title(documents, titles))
        book.set_language(book_lang)
        if _is_rtl(book_lang):
            book.set_direction("rtl")
        creators = [_clean(opts.author)] if _clean(opts.author) else _book_authors(documents)
        for number, creator in enumerate(creators, 1):
            book.add_author(creator, uid=f"creator-{number}")

        book.add_item(css)
        nav = epub.EpubNav()
        nav.add_item(css)
        book.add_item(nav)
        book.add_item(epub.EpubNcx())
        for chapter in chapters:
            book.add_item(chapter)
        book.toc = list(chapters)
        book.spine = [nav, *chapters]

        modified = _modified(documents)
        out = io.BytesIO()
        writer = _ReproducibleWriter(
            out, book, _zip_time(modified),
            # mtime: dcterms:modified; no page-list or landmarks (we make none)
            options={"mtime": modified, "epub3_pages": False, "raise_exceptions": True},
        )
        writer.process()
        writer.write()
        return out.getvalue()
