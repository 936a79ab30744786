"""The book's XHTML pages: chapters, the title page, the cover page, and a generated
cover picture for books without one. All are complete, well-formed XHTML written as
bytes with an ``encoding="utf-8"`` XML declaration (Send-to-Kindle assumes ISO-8859-1
without it)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath, PureWindowsPath

from ebooklib import epub

from ...model import Block
from ...render import ImageResolver, MathRenderer, RenderOptions, escape, math_span, render_blocks
from ...spool import Span, Spool
from .text import XML_DECLARATION, Post, clean_text, day_string, fix_surrogates, is_rtl, utc

STYLESHEET = """\
/* newsconv book style: readable CJK and Latin text, nothing forced. */
body { line-height: 1.7; margin: 0 0.5em; overflow-wrap: break-word; word-wrap: break-word; }
h1 { font-size: 1.6em; line-height: 1.3; margin: 0 0 0.4em; }
h2, h3, h4, h5, h6 { line-height: 1.35; margin: 1.2em 0 0.5em; }
h2 { font-size: 1.35em; } h3 { font-size: 1.2em; } h4 { font-size: 1.1em; }
h5, h6 { font-size: 1em; }
p { margin: 0 0 0.8em; }
header { margin-bottom: 1.5em; padding-bottom: 0.6em; border-bottom: 1px solid #ccc; }
.byline, .categories { font-size: 0.85em; margin: 0 0 0.2em; color: #555; }
.empty-note { font-style: italic; }
img { max-width: 100%; height: auto; }
figure { margin: 1em 0; text-align: center; }
figcaption { font-size: 0.85em; line-height: 1.4; margin-top: 0.4em; color: #555; }
blockquote { margin: 1em 0 1em 1em; padding-left: 0.8em; border-left: 0.2em solid #999; }
code { font-family: monospace, monospace; font-size: 0.9em; }
pre { white-space: pre-wrap; word-wrap: break-word; overflow-wrap: break-word;
      font-size: 0.85em; line-height: 1.45; margin: 1em 0; padding: 0.5em 0.7em;
      border: 1px solid #ccc; border-radius: 0.2em; }
pre code { font-size: 1em; }
li > p { margin: 0 0 0.3em; }
table { border-collapse: collapse; margin: 1em 0; line-height: 1.45; }
th, td { border: 1px solid #999; padding: 0.2em 0.4em; vertical-align: top; }
hr { margin: 1.5em 0; }
figure.image-link a { display: inline-block; padding: 0.3em 0.8em; border: 1px dashed #999;
                      text-decoration: none; font-size: 0.9em; }
.title-page { text-align: center; margin-top: 20%; }
.title-page h1 { font-size: 1.8em; margin-bottom: 1em; }
.title-page p { margin: 0.3em 0; }
body.cover { margin: 0; padding: 0; text-align: center; }
.cover img { max-width: 100%; max-height: 100%; }
"""


def chapter_title(doc: Post) -> str:
    """The title shown in the nav and NCX: post title, else origin file stem."""
    title = clean_text(doc.metadata.title)
    if not title and doc.origin:
        title = clean_text(PurePosixPath(PureWindowsPath(doc.origin).name).stem)
    return title or "Untitled"


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


def _byline(doc: Post) -> str:
    meta = doc.metadata
    parts: list[str] = []
    authors = [a for a in (clean_text(a) for a in meta.authors) if a]
    if authors:
        parts.append(escape(", ".join(authors)))
    if meta.date is not None:
        when = utc(meta.date)
        day, clock = day_string(when), f"{when.hour:02d}:{when.minute:02d}"
        parts.append(f'<time datetime="{day}T{clock}Z">{day} {clock}</time>')
    source = clean_text(meta.source)
    if source and source not in authors:  # feeds often name the site as the author
        parts.append(escape(source))
    return f'<p class="byline">{" · ".join(parts)}</p>' if parts else ""


def chapter_xhtml(doc: Post, blocks: list[Block], title: str, lang: str, css_href: str,
                  image_resolver: ImageResolver, math: MathRenderer = math_span) -> bytes:
    """One post as a chapter: title, byline, categories, then its blocks."""
    meta = doc.metadata
    header = [f"<h1>{escape(clean_text(meta.title)) or escape(title)}</h1>"]
    byline = _byline(doc)
    if byline:
        header.append(byline)
    # the site's own name is in the byline already
    named = {clean_text(a) for a in meta.authors} | {clean_text(meta.source)}
    categories = [c for c in (clean_text(c) for c in meta.categories) if c and c not in named]
    if categories:
        header.append(f'<p class="categories">{escape(" · ".join(categories))}</p>')
    if blocks:
        body = render_blocks(blocks, RenderOptions(image_resolver=image_resolver,
                                                   heading_offset=1, math=math))
    else:
        body = '<p class="empty-note">(This post has no content.)</p>'
    return _page(title, lang, css_href, "<header>\n" + "\n".join(header) + "\n</header>\n"
                 + body)


def title_page_xhtml(title: str, authors: Sequence[str], documents: Sequence[Post],
                     lang: str, css_href: str) -> bytes:
    """The title page: title, authors, how many posts from when to when."""
    lines = [f"<h1>{escape(title)}</h1>"]
    if authors:
        lines.append(f"<p>{escape(', '.join(authors))}</p>")
    days = sorted(day_string(utc(d.metadata.date)) for d in documents
                  if d.metadata.date is not None)
    span = ""
    if days:
        span = days[0] if days[0] == days[-1] else f"{days[0]} – {days[-1]}"
    count = f"{len(documents)} post{'s' if len(documents) != 1 else ''}"
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


# Closing punctuation never starts a line (CJK line-breaking rule, kinsoku).
_NO_LINE_START = "，。、：；！？）」』》〉】”’,.;:!?)"


def _columns(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _wrap(text: str, width: int, max_lines: int = 6) -> list[str]:
    """Break a title into lines of about ``width`` columns (CJK counts double); a long
    unspaced run (CJK, a URL) breaks anywhere; "…" marks lines left out."""
    lines, line = [], ""
    for word in text.replace(" ", " \x00").split("\x00"):
        if _columns(line) + _columns(word) <= width:
            line += word
            continue
        if line.strip() and _columns(word) <= width:
            lines.append(line.rstrip())
            line = word
            continue
        for ch in word:
            if _columns(line) + _columns(ch) > width and line.strip():
                if ch in _NO_LINE_START:
                    line += ch
                    continue
                lines.append(line.rstrip())
                line = ""
            line += ch
    if line.strip():
        lines.append(line.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:-1] + "…"
    return lines


def generated_cover_svg(title: str, subtitle: str, lang: str = "und") -> bytes:
    """A plain typographic cover (600×800 SVG) for books without a cover picture."""
    rows = _wrap(title, 18)
    y = 380 - 30 * len(rows)  # the title block centred a little above the middle
    texts = []
    for row in rows:
        texts.append(f'<text x="300" y="{y}" font-size="44" text-anchor="middle" '
                     f'fill="#1d1d1f">{escape(row)}</text>')
        y += 60
    for row in _wrap(subtitle, 30, max_lines=2):
        y += 40
        texts.append(f'<text x="300" y="{y}" font-size="26" text-anchor="middle" '
                     f'fill="#555">{escape(row)}</text>')
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="800" '
        f'viewBox="0 0 600 800" font-family="serif" xml:lang="{escape(lang, True)}">\n'
        '<rect width="600" height="800" fill="#f4efe6"/>\n'
        '<rect x="40" y="40" width="520" height="720" fill="none" stroke="#1d1d1f" '
        'stroke-width="3"/>\n'
        + "\n".join(texts) +
        '\n<text x="300" y="730" font-size="18" text-anchor="middle" fill="#888">newsconv</text>'
        "\n</svg>\n"
    )
    return XML_DECLARATION + b"\n" + fix_surrogates(svg).encode("utf-8")


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
