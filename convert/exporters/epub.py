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
import ipaddress
import os
import re
import unicodedata
import uuid
import zipfile
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import PurePosixPath, PureWindowsPath
from urllib.parse import quote, urlsplit, urlunsplit

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
    if value.tzinfo is not None:
        try:
            return value.astimezone(timezone.utc)
        except OverflowError:  # year 1 or 9999 shifted out of range: keep the wall time
            pass
    return value.replace(tzinfo=timezone.utc)


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


def _day(moment: datetime) -> str:
    """YYYY-MM-DD (strftime does not zero-pad years before 1000 everywhere)."""
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    """A zip entry time (the format holds 1980-2107 only)."""
    moment = min(max(moment, datetime(1980, 1, 1, tzinfo=timezone.utc)),
                 datetime(2107, 12, 31, 23, 59, 58, tzinfo=timezone.utc))
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


# ---------------------------------------------------------------- URLs and model fixes

_URL_SCHEMES = {"http", "https", "mailto"}
_HOST = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_PCHAR = "!$&'()*+,;=:@%"  # RFC 3986 pchar besides unreserved (and %XX, kept)


def _safe_url(url: str) -> str | None:
    """The URL as an EPUB hyperlink may hold it, or None when it cannot be kept.

    Inside an EPUB a relative URL points into the book itself (and would be a broken
    reference), so only absolute http(s) and mailto URLs are kept; protocol-relative
    ones get https. epubcheck parses every href as a URL (RSC-020), so the host must
    be a valid domain (IDN hosts are written as punycode) or IP literal.
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
    if scheme == "mailto":
        netloc = parts.netloc
        if not parts.path.strip():
            return None
    else:
        netloc = _safe_host(parts.netloc)
        if netloc is None:
            return None
    # RFC 3986 syntax per component; everything else (spaces, quotes, non-ASCII, a
    # second '#', a stray '%') is percent-encoded as UTF-8, so the href is plain ASCII
    # that every URL parser and reader agrees on.
    path, query, fragment = (
        quote(_BAD_PERCENT.sub("%25", part), safe=safe)
        for part, safe in ((parts.path, _PCHAR + "/"), (parts.query, _PCHAR + "/?"),
                           (parts.fragment, _PCHAR + "/?"))
    )
    return urlunsplit((scheme, netloc, path, query, fragment))


def _safe_host(netloc: str) -> str | None:
    """``netloc`` with its host as ASCII (punycode), or None if the host is unusable."""
    userinfo, at, hostport = netloc.rpartition("@")
    userinfo = quote(_BAD_PERCENT.sub("%25", userinfo), safe="!$&'()*+,;=:%")
    if hostport.startswith("["):
        host, _, port = hostport[1:].partition("]")
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return None
        return f"{userinfo}{at}[{host}]{port}"
    host, colon, port = hostport.partition(":")
    host = _idn_to_ascii(host)
    if host is None or not _HOST.fullmatch(host):
        return None
    last = host.rstrip(".").rsplit(".", 1)[-1]
    if re.fullmatch(r"[0-9]+|0[xX][0-9A-Fa-f]*", last):
        # URL parsers read a host ending in a number as IPv4: only a plain one is safe
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return None
    return f"{userinfo}{at}{host}{colon}{port}"


# Letters, marks and digits: what IDNA 2008 lets a label hold (RFC 5892 'PVALID' is
# derived from these categories), minus its listed exceptions.
_IDN_CATEGORIES = {"Ll", "Lo", "Lm", "Mn", "Mc", "Nd"}
_IDN_EXCLUDED = set("\u00b7\u0375\u05f3\u05f4\u0640\u07fa\u302e\u302f\u3031\u3032\u3033"
                    "\u3034\u3035\u303b\u30fb") | {chr(c) for c in range(0x0660, 0x066A)} | {
                        chr(c) for c in range(0x06F0, 0x06FA)}


def _idn_to_ascii(host: str) -> str | None:
    """The host with internationalised labels in punycode, or None when a URL parser
    may reject it (also for a malformed ``xn--`` label).

    Python's own 'idna' codec is IDNA 2003, which accepts labels that epubcheck's
    UTS 46 / IDNA 2008 check rejects (unassigned or disallowed code points, unstable
    case or normalisation, bidi rules). No stdlib module does IDNA 2008, so this is a
    conservative hand-written filter: a label is kept only if it is already in its
    normalised lower-case form and holds only letters, marks (not first) and digits,
    and right-to-left hosts are not kept at all. A rejected URL loses its link only;
    the link text stays.
    """
    if host.isascii() and "xn--" not in host.lower():
        return host
    labels = []
    for label in host.rstrip(".").split("."):
        if label.isascii() and not label.lower().startswith("xn--"):
            labels.append(label)
            continue
        if label.isascii():  # already punycode: check what it stands for
            try:
                label = label[4:].encode("ascii").decode("punycode")
            except UnicodeError:
                return None
            if not label or label.isascii():
                return None
        label = label.lower()
        if (unicodedata.normalize("NFKC", label.casefold()) != label
                or unicodedata.category(label[0]) in ("Mn", "Mc")
                or any(unicodedata.category(ch) not in _IDN_CATEGORIES
                       or ch in _IDN_EXCLUDED
                       or unicodedata.bidirectional(ch) in ("R", "AL", "AN")
                       for ch in label)):
            return None
        try:
            labels.append("xn--" + label.encode("punycode").decode("ascii"))
        except UnicodeError:
            return None
    result = ".".join(labels)
    return result if len(result) <= 253 and all(0 < len(lb) <= 63 for lb in labels) else None


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
            src = _safe_url(node.src)
            if src is None:  # nothing to link to (relative, data:, ...): its alt text
                if node.alt.strip():
                    out.append(Text(node.alt.strip()))
            elif in_link:
                out.append(Text(image_label(src, node.alt)))
            else:
                out.append(dataclasses.replace(node, src=src))
        elif isinstance(node, CONTAINER_INLINES):
            out.append(dataclasses.replace(node, children=_fix_inlines(node.children, in_link)))
        else:
            out.append(node)
    return out


_EMBED_LABELS = {"video": "Video", "audio": "Audio"}


def _fix_block(block: Block) -> Block | None:
    if isinstance(block, (Heading, Paragraph)):
        return dataclasses.replace(block, children=_fix_inlines(block.children))
    if isinstance(block, ListBlock):
        return dataclasses.replace(block, items=[_epub_blocks(item) for item in block.items])
    if isinstance(block, Quote):
        return dataclasses.replace(block, children=_epub_blocks(block.children))
    if isinstance(block, Figure):
        caption = _fix_inlines(block.caption)
        src = _safe_url(block.src)
        if src is None:  # nothing to link to: keep what the reader can still use
            if caption:
                return Paragraph(caption)
            return Paragraph([Text(block.alt.strip())]) if block.alt.strip() else None
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
        if src is None:  # the URL is unusable (and may be hostile): not shown
            label = block.title.strip() or _EMBED_LABELS.get(block.kind, "Embedded content")
            return Paragraph([Text(f"▶ {label}")])
        return dataclasses.replace(block, src=src)
    if isinstance(block, (CodeBlock, Rule)):
        return block
    raise TypeError(f"not a block node: {block!r}")


def _epub_blocks(blocks: list[Block]) -> list[Block]:
    """A copy of ``blocks`` that renders to valid EPUB XHTML (see :func:`_safe_url`)."""
    fixed = (_fix_block(block) for block in blocks)
    return [block for block in fixed if block is not None]


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
        day, clock = _day(when), f"{when.hour:02d}:{when.minute:02d}"
        parts.append(f'<time datetime="{day}T{clock}Z">{day} {clock}</time>')
    source = _clean(meta.source)
    if source and source not in authors:  # feeds often name the site as the author
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
    blocks = _epub_blocks(doc.blocks)
    if blocks:
        # image_resolver None: every image is shown as a link to its URL (remote <img>
        # is not allowed in an EPUB; embedding images is a later step)
        body = render_blocks(blocks, RenderOptions(image_resolver=lambda url: None,
                                                   heading_offset=1))
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
    days = sorted(_day(_utc(d.metadata.date))
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
