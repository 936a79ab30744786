"""The NCX (EPUB 2 table of contents, which Kindle and older readers use), written as text.

ebooklib builds the NCX as an lxml tree and serialises it; adding what it leaves out
(``dtb:depth`` the real depth, a ``playOrder`` on every navPoint, the language) meant
parsing that text into a second tree. For a book of 20,000 posts the two trees and
their texts were the peak of the whole run (54 MB). Here the same document is written
in one pass over the table of contents, as lxml would print it (``pretty_print``), so
the book's bytes do not change.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from ebooklib import epub

_NCX_NS = "http://www.daisy.org/z3986/2005/ncx/"


def _text(value: str) -> str:
    """Character data escaped as libxml2 writes it."""
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", "&#13;"))


def _attr(value: str) -> str:
    """An attribute value escaped as libxml2 writes it (double quotes)."""
    return (_text(value).replace('"', "&quot;").replace("\t", "&#9;")
            .replace("\n", "&#10;"))


def _element(name: str, value: str | None) -> str:
    return f"<{name}>{_text(value)}</{name}>" if value else f"<{name}/>"


class _Point:
    """One navPoint: its id, label and target, and the points under it."""

    __slots__ = ("uid", "title", "src", "children")

    def __init__(self, uid: str, title: str, src: str) -> None:
        self.uid, self.title, self.src = uid, title, src
        self.children: list[_Point] = []


def _points(items: Iterable[Any], parent: _Point | None, uid: int,
            out: list[_Point]) -> int:
    """The navPoints of a table of contents as ebooklib makes them (sections named
    ``sep_N`` unless they are pages; an empty section target takes its first entry's)."""
    for item in items:
        if isinstance(item, (tuple, list)):
            section, subsection = item[0], item[1]
            if isinstance(section, epub.EpubHtml):
                point = _Point(section.get_id(), section.title, section.file_name)
            else:
                href = section.href if isinstance(section, (epub.Section, epub.Link)) else ""
                point = _Point(f"sep_{uid}", section.title, href)
            out.append(point)
            uid = _points(subsection, point, uid + 1, point.children)
            continue
        if isinstance(item, epub.Link):
            point = _Point(item.uid, item.title, item.href)
        elif isinstance(item, epub.EpubHtml):
            point = _Point(item.get_id(), item.title, item.file_name)
        else:
            continue
        if parent is not None and parent.src == "":
            parent.src = point.src
        out.append(point)
    return uid


def _depth(points: list[_Point]) -> int:
    deepest, stack = 0, [(p, 1) for p in points]
    while stack:
        point, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in point.children)
    return deepest


def _write_points(out: io.BytesIO, points: list[_Point], orders: dict[str, int],
                  level: int) -> None:
    pad = "  " * level
    for point in points:
        order = orders.setdefault(point.src.split("#", 1)[0], len(orders) + 1)
        out.write((f'{pad}<navPoint id="{_attr(point.uid)}" playOrder="{order}">\n'
                   f"{pad}  <navLabel>\n{pad}    {_element('text', point.title)}\n"
                   f"{pad}  </navLabel>\n"
                   f'{pad}  <content src="{_attr(point.src)}"/>\n').encode())
        _write_points(out, point.children, orders, level + 1)
        out.write(f"{pad}</navPoint>\n".encode())


def ncx_bytes(book: epub.EpubBook) -> bytes:
    """The book's NCX: ebooklib's, with ``dtb:depth`` the real depth of the table of
    contents, the book's language, and a ``playOrder`` on every navPoint in reading
    order, the same number for navPoints that lead to the same file (as the NCX
    specification asks)."""
    points: list[_Point] = []
    _points(book.toc, None, 0, points)
    out = io.BytesIO()  # encoded as it goes: a str of the whole NCX would be 2-4x
    out.write((
        "<?xml version='1.0' encoding='utf-8'?>\n"
        f'<ncx xmlns="{_NCX_NS}" version="2005-1" xml:lang="{_attr(book.language)}">\n'
        "  <head>\n"
        f'    <meta content="{_attr(book.uid)}" name="dtb:uid"/>\n'
        f'    <meta content="{max(_depth(points), 1)}" name="dtb:depth"/>\n'
        '    <meta content="0" name="dtb:totalPageCount"/>\n'
        '    <meta content="0" name="dtb:maxPageNumber"/>\n'
        "  </head>\n"
        f"  <docTitle>\n    {_element('text', book.title)}\n  </docTitle>\n"
    ).encode())
    if points:
        out.write(b"  <navMap>\n")
        _write_points(out, points, {}, 2)
        out.write(b"  </navMap>\n")
    else:
        out.write(b"  <navMap/>\n")
    out.write(b"</ncx>\n")
    return out.getvalue()
