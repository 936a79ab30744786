"""The book's XHTML pages: chapters, the title page and the cover page (a drawn cover
picture comes from :mod:`.cover`). All are complete, well-formed XHTML written as bytes
with an ``encoding="utf-8"`` XML declaration (Send-to-Kindle assumes ISO-8859-1 without
it)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath, PureWindowsPath

from ebooklib import epub

from ... import locale_text
from ...model import Block
from ...render import ImageResolver, RenderOptions, escape, render_blocks
from ...spool import Span, Spool
from .labels import image_link_labeller
from .outline import relevel_headings
from .style import STYLESHEET
from .text import XML_DECLARATION, Post, clean_text, fix_surrogates, is_rtl, utc

__all__ = ["STYLESHEET", "chapter_xhtml", "title_page_xhtml", "cover_page_xhtml"]



def chapter_title(doc: Post) -> str:
    """The title shown in the nav and NCX: post title, else origin file stem."""
    title = clean_text(doc.metadata.title)
    if not title and doc.origin:
        title = clean_text(PurePosixPath(PureWindowsPath(doc.origin).name).stem)
    return title or "Untitled"


def date_span(documents: Sequence[Post], lang: str) -> str:
    """The posts' first and last day in the reader's language ("" when none is dated)."""
    dates = sorted(utc(d.metadata.date) for d in documents if d.metadata.date is not None)
    if not dates:
        return ""
    return locale_text.day_range(lang, locale_text.day(lang, dates[0]),
                                 locale_text.day(lang, dates[-1]))


def _page(title: str, lang: str, css_href: str, body: str, body_class: str = "") -> bytes:
    direction = ' dir="rtl"' if is_rtl(lang) else ""
    body_attr = f' class="{body_class}"' if body_class else ""
    text = (
        "<!DOCTYPE html>\n"
        f'<html xmlns="http://www.w3.org/1999/xhtml" lang="{lang}" xml:lang="{lang}"{direction}>\n'
        "<head>\n"
        f"<title>{escape(title)}</title>\n"
        f'<link rel="stylesheet" type="text/css" href="{css_href}"/>\n'
        "</head>\n"
        f"<body{body_attr}>\n{body}\n</body>\n"
        "</html>\n"
    )
    return XML_DECLARATION + b"\n" + fix_surrogates(text).encode("utf-8")


def _byline(doc: Post, lang: str) -> str:
    meta = doc.metadata
    parts: list[str] = []
    authors = [a for a in (clean_text(a) for a in meta.authors) if a]
    if authors:
        parts.append(escape(", ".join(authors)))
    if meta.date is not None:
        when = utc(meta.date)
        clock = f"{when.hour:02d}:{when.minute:02d}"
        day = f"{when.year:04d}-{when.month:02d}-{when.day:02d}"
        shown = f"{locale_text.day(lang, when)} {clock}"
        parts.append(f'<time datetime="{day}T{clock}Z">{escape(shown)}</time>')
    source = clean_text(meta.source)
    if source and source not in authors:  # feeds often name the site as the author
        parts.append(escape(source))
    return f'<p class="byline">{" · ".join(parts)}</p>' if parts else ""


def chapter_xhtml(doc: Post, blocks: list[Block], title: str, lang: str, css_href: str,
                  image_resolver: ImageResolver) -> bytes:
    """One post as a chapter: title (h1), byline, categories, then its blocks, their
    headings re-levelled under the title (:mod:`.outline`)."""
    meta = doc.metadata
    header = [f"<h1>{escape(clean_text(meta.title)) or escape(title)}</h1>"]
    byline = _byline(doc, lang)
    if byline:
        header.append(byline)
    # the site's own name is in the byline already
    named = {clean_text(a) for a in meta.authors} | {clean_text(meta.source)}
    categories = [c for c in (clean_text(c) for c in meta.categories) if c and c not in named]
    if categories:
        header.append(f'<p class="categories">{escape(" · ".join(categories))}</p>')
    if blocks:
        body = render_blocks(relevel_headings(blocks), RenderOptions(
            image_resolver=image_resolver, lang=lang,
            image_link_label=image_link_labeller(lang, clean_text(meta.title) or title)))
    else:
        body = f'<p class="empty-note">{escape(locale_text.text(lang, "empty_post"))}</p>'
    return _page(title, lang, css_href, "<header>\n" + "\n".join(header) + "\n</header>\n"
                 + body)


def title_page_xhtml(title: str, authors: Sequence[str], documents: Sequence[Post],
                     lang: str, css_href: str) -> bytes:
    """The title page: title, authors, how many posts from when to when."""
    lines = [f"<h1>{escape(title)}</h1>"]
    if authors:
        lines.append(f"<p>{escape(', '.join(authors))}</p>")
    span = date_span(documents, lang)
    count = locale_text.post_count(lang, len(documents))
    lines.append(f"<p>{escape(count + (' · ' + span if span else ''))}</p>")
    body = '<section class="title-page" epub:type="titlepage">\n' + "\n".join(lines) + \
        "\n</section>"
    return _page(title, lang, css_href, body).replace(
        b'<html xmlns="http://www.w3.org/1999/xhtml"',
        b'<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"',
        1)


def cover_page_xhtml(title: str, image_href: str, lang: str, css_href: str) -> bytes:
    body = (f'<section class="cover" epub:type="cover">'
            f'<img src="{escape(image_href, True)}" alt="{escape(title, True)}"/></section>')
    return _page(title, lang, css_href, body, body_class="cover").replace(
        b'<html xmlns="http://www.w3.org/1999/xhtml"',
        b'<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"',
        1)


class Page(epub.EpubHtml):
    """A page whose file is exactly the XHTML we built.

    ebooklib's ``EpubHtml.get_content`` re-parses ``content`` with lxml's HTML parser and
    pretty-prints it: that puts whitespace inside ``<pre>`` (changing code blocks) and
    writes ``<?xml version='1.0' ...?>``. Our XHTML is already a complete, well-formed
    document, so it is written as is.
    """

    def get_content(self, default: bytes | None = None) -> bytes:
        return self.content


class SpooledPage(Page):
    """A chapter whose XHTML waits in the book's spool until the zip is written, so a
    book never holds more than one chapter's XHTML."""

    def spooled(self, spool: Spool, span: Span) -> None:
        self._spool, self._span = spool, span
        # ebooklib gives each page three lists of its own (links, properties, pages) that
        # a chapter never fills: one shared empty tuple saves 3 MB in a 20,000-post book.
        self.links = self.properties = self.pages = ()

    def get_content(self, default: bytes | None = None) -> bytes:
        return self._spool.get(self._span)


class FileItem(epub.EpubItem):
    """A book item whose bytes are read from a file only when the zip is written, so a
    book with thousands of images never holds them all in memory."""

    def __init__(self, uid: str, file_name: str, media_type: str, path: str) -> None:
        super().__init__(uid=uid, file_name=file_name, media_type=media_type)
        self.path = path

    def get_content(self, default: bytes | None = None) -> bytes:
        with open(self.path, "rb") as handle:
            return handle.read()
