"""Markdown exporter: YAML front matter, then the body converted by markdownify.

The body is the model's canonical XHTML (:mod:`convert.render`), the same the EPUB
exporter uses. :class:`NewsMarkdownConverter` holds our Markdown rules: ATX headings,
backslash hard breaks (never trailing spaces), fences longer than any backtick run in
the code, figures with their caption, formulas as ``$…$``/``$$…$$``, emphasis over the
author's span (:mod:`.markdown_emphasis`) and escaping that is minimal and exact
(:mod:`.markdown_escape`: a backslash only where a parser would read markup).

Markdown is published by static-site generators that allow raw HTML, so nothing in a
document may end a construct early and expose its text as markup: link and image URLs
pass :func:`convert.links.safe_url` (in :mod:`convert.render`, and again here), link
titles and alt text stay on one line, an info string holds no backtick, and inline
code holds no line ending (a blank line would end the code span).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from typing import Any

import yaml
from bs4 import BeautifulSoup, Tag
from markdownify import ATX, BACKSLASH, MarkdownConverter, chomp

from ..links import safe_url
from ..model import Document
from ..render import RenderOptions, iter_split_blocks
from . import Exporter
from .markdown_emphasis import delimit
from .markdown_escape import escape_all, mark, resolve, visible
from .markdown_pieces import CHUNK, markdown_runs, strip_line_ends, take_apart

_BACKTICK_RUN = re.compile(r"`+")
_ENTITY_LIKE = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{1,31}:")
_LANGUAGE = re.compile(r"language-(\S+)")
_BLANK_RUNS = re.compile(r"\n{3,}")
_LINE_ENDINGS = re.compile(r"\r\n?|\n")
_NOT_IN_INFO = re.compile(r"[`\x00-\x20\x7f]")


class _Tag(Tag):
    """A BeautifulSoup tag whose ``find_parent(name)`` walks up comparing names.

    markdownify asks every tag ``find_parent("pre")``; BeautifulSoup answers through a
    general matcher built per call (15% of the Markdown export under cProfile). Calls with
    anything more than a name take BeautifulSoup's own way."""

    def find_parent(self, name: Any = None, attrs: Any = None, **kwargs: Any) -> Any:
        if not isinstance(name, str) or attrs is not None or kwargs:
            return super().find_parent(name, attrs, **kwargs)
        node = self.parent
        while node is not None and node.name != name:
            node = node.parent
        return node


class NewsMarkdownConverter(MarkdownConverter):
    """markdownify with newsconv's Markdown rules."""

    class Options(MarkdownConverter.DefaultOptions):
        heading_style = ATX
        bullets = "-"
        newline_style = BACKSLASH
        keep_inline_images_in = ["td", "th", "a", "strong", "em", "del", "sup", "sub"]
        strip_document = "strip"
        bs4_options = {"features": "lxml", "element_classes": {Tag: _Tag}}
        sup_symbol = "<sup>"
        sub_symbol = "<sub>"

    def convert(self, html: str) -> str:
        soup = BeautifulSoup(html, **self.options["bs4_options"])
        try:
            return self.convert_soup(soup)
        finally:
            take_apart(soup)

    def escape(self, text: str, parent_tags: set[str]) -> str:
        # Only marked here; each block resolves its marks when it is complete.
        return mark(text, in_cell=bool(parent_tags & {"td", "th"}))

    def convert_p(self, el: Any, text: str, parent_tags: set[str]) -> str:
        first_in_item = el.parent is not None and el.parent.name == "li" \
            and el.find_previous_sibling() is None
        shape = _in_list_item(el.parent) if first_in_item else None
        written = super().convert_p(el, text, parent_tags)
        if "_inline" in parent_tags:  # a <p> in a cell or heading: resolved with it
            return written
        return f"\n\n{resolve(written.strip(chr(10)), shape)}\n\n" if written else ""

    def convert_hN(self, n: int, el: Any, text: str, parent_tags: set[str]) -> str:
        return resolve(super().convert_hN(n, el, text, parent_tags))

    def convert_li(self, el: Any, text: str, parent_tags: set[str]) -> str:
        return super().convert_li(el, resolve(text.strip(), _in_list_item(el)), parent_tags)

    def convert_td(self, el: Any, text: str, parent_tags: set[str]) -> str:
        cell = resolve(text.strip().replace("\n", " "), _in_table)
        return super().convert_td(el, cell, parent_tags)

    def convert_th(self, el: Any, text: str, parent_tags: set[str]) -> str:
        cell = resolve(text.strip().replace("\n", " "), _in_table)
        return super().convert_th(el, cell, parent_tags)

    def convert_caption(self, el: Any, text: str, parent_tags: set[str]) -> str:
        return super().convert_caption(el, resolve(text.strip()), parent_tags)

    def convert_strong(self, el: Any, text: str, parent_tags: set[str]) -> str:
        return self._delimited(el, text, parent_tags, "**", "strong")

    def convert_em(self, el: Any, text: str, parent_tags: set[str]) -> str:
        return self._delimited(el, text, parent_tags, "*", "em")

    def convert_del(self, el: Any, text: str, parent_tags: set[str]) -> str:
        return self._delimited(el, text, parent_tags, "~~", "del")

    convert_b = convert_strong
    convert_i = convert_em
    convert_s = convert_del

    def _delimited(self, el: Any, text: str, parent_tags: set[str], marker: str,
                   tag: str) -> str:
        """Wrap ``text`` in ``marker`` runs that CommonMark reads as emphasis over the
        author's span (:mod:`.markdown_emphasis`)."""
        if "_noformat" in parent_tags:
            return text
        prefix, suffix, text = chomp(text)
        if not text:
            return ""
        before = prefix[-1:] or _neighbour_char(el, forward=False)
        after = suffix[:1] or _neighbour_char(el, forward=True)
        return f"{prefix}{delimit(text, before, after, marker, tag)}{suffix}"

    def convert_a(self, el: Any, text: str, parent_tags: set[str]) -> str:
        href = safe_url(el.get("href"))
        if href is None:
            return text
        el["href"] = link_destination(href)
        if el.get("title"):
            el["title"] = link_title(el["title"])
        elif visible(text.strip()) == el["href"] and _SCHEME.match(el["href"]):
            return f"<{el['href']}>"  # the shortcut form, as markdownify writes it
        return super().convert_a(el, text, parent_tags)

    def convert_img(self, el: Any, text: str, parent_tags: set[str]) -> str:
        alt = self.escape(" ".join((el.get("alt") or "").split()), parent_tags)
        src = safe_url(el.get("src"))
        if src is None:
            return alt
        el["src"] = link_destination(src)
        el["alt"] = alt
        if el.get("title"):
            el["title"] = link_title(el["title"])
        return super().convert_img(el, text, parent_tags)

    def convert_span(self, el: Any, text: str, parent_tags: set[str]) -> str:
        classes = el.get("class") or []
        if "math" not in classes:
            return text
        written = math_markdown(el.get_text(), "display" in classes)
        # GFM splits a table row on every unescaped "|" before it reads any math
        return written.replace("|", "\\|") if parent_tags & {"td", "th"} else written

    def convert_code(self, el: Any, text: str, parent_tags: set[str]) -> str:
        # A code span ends at a blank line; CommonMark shows line endings in one as
        # spaces anyway.
        return super().convert_code(el, _LINE_ENDINGS.sub(" ", text), parent_tags)

    def convert_pre(self, el: Any, text: str, parent_tags: set[str]) -> str:
        code = el.find("code")
        source = code.get_text() if code is not None else el.get_text()
        language = ""
        if code is not None:
            match = _LANGUAGE.search(" ".join(code.get("class") or []))
            # CommonMark: a backtick in the info string means it is no fence at all.
            language = _NOT_IN_INFO.sub("", match.group(1)) if match else ""
        longest = max((len(m) for m in _BACKTICK_RUN.findall(source)), default=0)
        fence = "`" * max(3, longest + 1)
        return f"\n\n{fence}{language}\n{source.strip(chr(10))}\n{fence}\n\n"

    def convert_figure(self, el: Any, text: str, parent_tags: set[str]) -> str:
        return f"\n\n{resolve(text.strip())}\n\n"

    def convert_figcaption(self, el: Any, text: str, parent_tags: set[str]) -> str:
        text = text.strip()
        return f"\n\n{resolve(f'*{text}*')}\n\n" if text else ""


def _in_list_item(li: Any) -> Any:
    """How the parser sees a list item's first block: after its bullet (``- --`` is a
    thematic break, not an item holding ``--``), later lines indented."""
    bullet = "1. " if li.parent is not None and li.parent.name == "ol" else "- "
    indent = "\n" + " " * len(bullet)
    return lambda text: bullet + text.replace("\n", indent)


def _in_table(cell: str) -> str:
    """A table cell's Markdown as the parser sees it: in a one-cell table."""
    return f"| {cell} |\n| --- |"


_INLINE_PARENTS = frozenset({"a", "strong", "b", "em", "i", "del", "s", "sup", "sub", "span"})
# The Markdown character an inline element starts (and ends) with: any punctuation
# counts alike for the flanking rules.
_MARKUP_EDGES = {"a": ("[", ")"), "img": ("!", ")"), "code": ("`", "`"), "br": ("\\", ""),
                 "strong": ("*", "*"), "b": ("*", "*"), "em": ("*", "*"), "i": ("*", "*"),
                 "del": ("~", "~"), "s": ("~", "~"), "sup": ("<", ">"), "sub": ("<", ">"),
                 "span": ("$", "$")}


def _neighbour_char(el: Any, forward: bool) -> str:
    """The character just before (or after) an element in the Markdown, looking
    through enclosing inline elements; "" at a block edge. Elements the converter
    writes as markup stand for their first (or last) markup character."""
    node = el
    marker = _MARKUP_EDGES.get(el.name, ("", ""))[0]
    while node is not None:
        sibling = node.next_sibling if forward else node.previous_sibling
        if sibling is not None:
            edges = _MARKUP_EDGES.get(getattr(sibling, "name", None) or "")
            if edges is not None:
                return edges[0] if forward else edges[1]
            text = sibling.get_text() if hasattr(sibling, "get_text") else str(sibling)
            if text:
                return text[0] if forward else text[-1]
            node = sibling
            continue
        parent = node.parent
        if parent is None or parent.name not in _INLINE_PARENTS:
            return ""
        edges = _MARKUP_EDGES.get(parent.name)
        if edges is not None and edges[0] != marker:
            # a link's bracket or another marker next to ours; the same marker joins
            # ours into one run, whose neighbour is further out
            return edges[1] if forward else edges[0]
        node = parent
    return ""


_UNESCAPED_DOLLAR = re.compile(r"(?<!\\)(?:\\\\)*\$")
_LINK_CLOSE = re.compile(r"\][(:\[]")
_TAG_OPEN = re.compile(r"<(?=([A-Za-z])?)")


def math_markdown(tex: str, display: bool) -> str:
    """A formula as ``$…$`` (``$$…$$`` for display), its TeX unescaped, on one line (a
    line ending in TeX is a space). TeX that would end the math early (a ``$`` of its
    own, a final backslash) or close a link for a reader without math support (``](``,
    ``]:``, ``][``) is written as code instead."""
    tex = " ".join(tex.split("\n")).strip()
    if not tex:
        return ""
    # Readers without math support read the TeX as Markdown: no tag may start in it
    # (``\lt`` is the same TeX as ``<``) and no link or link definition may close in it.
    tex = _TAG_OPEN.sub(lambda m: "\\lt " if m.group(1) else "\\lt", tex)
    if _UNESCAPED_DOLLAR.search(tex) or tex.endswith("\\") or _LINK_CLOSE.search(tex):
        fence = "`" * (max((len(m) for m in _BACKTICK_RUN.findall(tex)), default=0) + 1)
        return f"{fence} {tex} {fence}"
    return f"$${tex}$$" if display else f"${tex}$"


def link_destination(url: str) -> str:
    """A link destination CommonMark reads back as ``url``: spaces, brackets,
    parentheses and backslashes are percent-encoded, and an ``&`` that would start a
    character reference is escaped."""
    url = re.sub(r"[\s()<>\\]", lambda m: f"%{ord(m.group()):02X}", url)
    return _ENTITY_LIKE.sub(r"\\&", url)


def link_title(title: str) -> str:
    """A link title on one line, its backslashes escaped (markdownify escapes the
    quotes): it cannot end early and leave the rest of the line as markup."""
    return " ".join(title.split()).replace("\\", "\\\\")


def front_matter(doc: Document) -> dict[str, Any]:
    """The normalised front-matter keys, in a fixed order, empty ones left out."""
    meta = doc.metadata
    data: dict[str, Any] = {"title": meta.title}
    if meta.date is not None:
        data["date"] = meta.date.isoformat()
    if meta.authors:
        data["author"] = meta.authors[0] if len(meta.authors) == 1 else list(meta.authors)
    if meta.categories:
        data["categories"] = list(meta.categories)
    cover = safe_url(meta.cover)
    if cover:
        data["cover"] = cover
    if meta.lang:
        data["lang"] = meta.lang
    if meta.source:
        data["source"] = meta.source
    if isinstance(meta.extra.get("source_url"), str) and safe_url(meta.extra["source_url"]):
        data["source_url"] = meta.extra["source_url"]  # the link back a profile removed
    return data


# libyaml (CSafeDumper, 5x faster) writes what PyYAML's own dumper writes except for
# these: characters beyond the BMP, lone surrogates, NEL and the line/paragraph
# separators (it escapes or refuses them). Tested over random text, test_front_matter.
_NOT_FOR_LIBYAML = re.compile("[\x85\u2028\u2029\ud800-\udfff\U00010000-\U0010ffff]")
_FAST_DUMPER = getattr(yaml, "CSafeDumper", None)


def dump_front_matter(data: dict[str, Any]) -> str:
    """The front matter as YAML: PyYAML's safe dumper output, made by libyaml when it
    is installed and writes the same text."""
    dumper = _FAST_DUMPER if _FAST_DUMPER and not any(
        _NOT_FOR_LIBYAML.search(text) for text in _texts(data)) else yaml.SafeDumper
    return yaml.dump(data, Dumper=dumper, allow_unicode=True, sort_keys=False,
                     width=10**9, default_flow_style=False)


def _texts(value: Any) -> Iterator[str]:
    """Every string in a tree of dicts and lists (keys too)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


class _PieceConverter(NewsMarkdownConverter):
    """Converts a piece of a split paragraph (:mod:`.markdown_pieces`): its escape
    marks are left for the whole paragraph to settle."""

    def convert_p(self, el: Any, text: str, parent_tags: set[str]) -> str:
        return MarkdownConverter.convert_p(self, el, text, parent_tags)


@functools.cache
def _converter(piece: bool = False) -> NewsMarkdownConverter:
    """One converter for every document (it keeps no state between conversions; making
    one reads its options through ``dir()`` each time)."""
    return _PieceConverter() if piece else NewsMarkdownConverter()


def to_markdown(doc: Document, piece: int = CHUNK) -> str:
    """The whole Markdown file for one document. A paragraph whose XHTML runs past
    ``piece`` characters is converted in pieces (:mod:`.markdown_pieces`): the same
    Markdown, a bounded tree at a time."""
    header = dump_front_matter(front_matter(doc))
    blocks = iter_split_blocks(doc.blocks, piece, RenderOptions(lang=doc.metadata.lang))
    body = escape_all("\n\n".join(
        markdown_runs(blocks, _converter().convert, _converter(piece=True).convert)))
    # No whitespace-only lines and no trailing spaces (which would be hard breaks).
    body = strip_line_ends(body)
    body = _BLANK_RUNS.sub("\n\n", body).strip("\n")
    return f"---\n{header}---\n\n{body}\n" if body else f"---\n{header}---\n"


class MarkdownExporter(Exporter):
    name = "markdown"
    file_extension = ".md"
    media_type = "text/markdown"
    description = "Markdown with YAML front matter (one file per post)"

    def export(self, documents: Sequence[Document]) -> bytes:
        return "\n".join(to_markdown(doc) for doc in documents).encode("utf-8")
