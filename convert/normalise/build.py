"""Build model blocks from a cleaned HTML tree.

The builder walks the tree once. In *block context* it collects running text and
inline elements into a pending paragraph and turns block elements (headings, lists,
quotes, code, tables, figures, rules, embeds) into blocks; layout wrappers (div, span,
font, center, …) are transparent, so text outside any ``<p>`` and ``<p>`` inside
``<span>`` both come out as paragraphs. A pending paragraph is split on runs of
``<br>`` and, outside ``<p>``, on blank lines (:mod:`.flow`). Inline elements become inline nodes;
an inline element that holds blocks or images is treated as a wrapper instead.
"""

from __future__ import annotations

import re

from lxml import etree

from ..model import (
    Block,
    Code,
    Embed,
    Emphasis,
    Figure,
    Heading,
    Image,
    Inline,
    LineBreak,
    Link,
    ListBlock,
    Math,
    Paragraph,
    Quote,
    Rule,
    Strikeout,
    Strong,
    Subscript,
    Superscript,
    Table,
    TableCell,
    Text,
    inline_text,
    iter_blocks,
)
from .codeblock import code_block
from .context import text_of
from .flow import Flow
from .lines import BREAK as _BREAK
from .lines import LINE as _LINE
from .lines import P_LINE as _P_LINE
from .math import MATH_TAG
from .text import has_visible_content, tidy_inlines
from .urls import absolute_url, is_safe_link

HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# Elements that start a new block wherever they appear.
BLOCK_TAGS = frozenset({
    "p", "div", "section", "article", "header", "footer", "main", "aside", "nav",
    "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "menu",
    "blockquote", "pre", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption",
    "figure", "figcaption", "hr", "center", "address", "details", "summary", "form",
    "fieldset", "legend", "iframe", "video", "audio", "embed", "object", "body", "html",
})
# Elements that break the running text even though they are not blocks themselves.
FLOW_BREAKERS = BLOCK_TAGS | {"img"}
_FORMATTING = {
    "strong": Strong, "b": Strong,
    "em": Emphasis, "i": Emphasis, "cite": Emphasis, "dfn": Emphasis,
    "s": Strikeout, "strike": Strikeout, "del": Strikeout,
    "sup": Superscript, "sub": Subscript,
}
# Content that a data table's cell never holds: such a table is page layout.
_LAYOUT_CELL_CONTENT = frozenset({"table", "h1", "h2", "h3", "h4", "h5", "h6", "pre",
                                  "blockquote", "ul", "ol", "figure", "iframe", "video"})
_CODE_TAGS = frozenset({"code", "kbd", "tt", "samp", "var"})
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v\u00a0\u3000]*\n")


def _tag(el: etree._Element) -> str:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""


_NEWLINE = re.compile(r"\r\n?|\n")


class Builder:
    """Turns one cleaned ``<body>`` into a list of blocks."""

    def __init__(self) -> None:
        #: URLs of links, images and embeds refused by the link-safety rule (their text
        #: is kept), for the diagnostics.
        self.refused: list[str] = []

    def _safe(self, url: str) -> bool:
        if is_safe_link(url):
            return True
        self.refused.append(url)
        return False

    def build(self, root: etree._Element) -> list[Block]:
        # Elements with a flow breaker somewhere inside, found in one pass (asking each
        # inline element for all its descendants is quadratic in the nesting depth).
        self._holds_breaker: set[etree._Element] = set()
        for breaker in root.iter(*FLOW_BREAKERS):
            node = breaker.getparent()
            while node is not None and node not in self._holds_breaker:
                self._holds_breaker.add(node)
                node = node.getparent()
        flow = Flow()
        self._children_into(root, flow, in_paragraph=False)
        flow.flush()
        return flow.blocks

    # ------------------------------------------------------------ block context

    def _children_into(self, el: etree._Element, flow: Flow, in_paragraph: bool) -> None:
        # (text and tails read once: lxml decodes them at every reading)
        text = el.text
        if text:
            self._text_into(text, flow, in_paragraph)
        for child in el:
            self._element_into(child, flow, in_paragraph)
            tail = child.tail
            if tail:
                self._text_into(tail, flow, in_paragraph)

    def _text_into(self, text: str, flow: Flow, in_paragraph: bool) -> None:
        if "\n" not in text or not text.strip():
            flow.pending.append(Text(text))
            return
        if in_paragraph:
            # Inside <p> HTML's whitespace rules hold; only a break that would join two
            # CJK lines with nothing is judged (see lines.resolve_source_lines).
            for j, line in enumerate(_NEWLINE.split(text)):
                if j:
                    flow.pending.append(_P_LINE)
                flow.pending.append(Text(line))
            return
        pieces = _BLANK_LINE.split(text)
        for i, piece in enumerate(pieces):
            if i:
                flow.pending.append(_BREAK)
            if not piece.strip():  # whitespace between tags: source formatting only
                flow.pending.append(Text(piece))
                continue
            # Text with visible characters, outside any <p>: its line breaks are the
            # author's plain lines (judged at flush).
            for j, line in enumerate(_NEWLINE.split(piece)):
                if j:
                    flow.pending.append(_LINE)
                flow.pending.append(Text(line))

    def _element_into(self, el: etree._Element, flow: Flow, in_paragraph: bool) -> None:
        tag = _tag(el)
        if not tag:
            return
        if tag == "br":  # the commonest element, and in none of the groups below
            flow.pending.append(LineBreak())
        elif tag in HEADINGS:
            children = tidy_inlines(self._inlines(el))
            flow.add_block(Heading(HEADINGS[tag], children) if has_visible_content(children)
                           else None)
        elif tag == "p":
            flow.flush()
            self._children_into(el, flow, in_paragraph=True)
            flow.flush()
        elif tag in ("ul", "ol", "menu", "dl"):
            flow.add_block(self._list(el))
        elif tag == "blockquote":
            flow.add_block(self._container(Quote, el))
        elif tag == "pre":
            flow.add_block(code_block(el))
        elif tag == "table":
            self._table_into(el, flow)
        elif tag == "figure":
            self._figure_into(el, flow)
        elif tag == "hr":
            flow.add_block(Rule())
        elif tag == "img":
            flow.add_block(self._figure_from_img(el, []))
        elif tag in ("iframe", "video", "audio", "embed", "object"):
            flow.add_block(self._embed(el, tag))
        elif tag in BLOCK_TAGS:
            flow.flush()
            self._children_into(el, flow, in_paragraph=False)
            flow.flush()
        elif el in self._holds_breaker:
            # An inline wrapper around blocks or images (``<span><p>…``): unwrap it.
            self._children_into(el, flow, in_paragraph)
        else:
            flow.pending.extend(self._inline(el))

    def _container(self, cls: type[Quote], el: etree._Element) -> Quote | None:
        flow = Flow()
        self._children_into(el, flow, in_paragraph=False)
        flow.flush()
        return cls(flow.blocks) if flow.blocks else None

    def _blocks_of(self, el: etree._Element) -> list[Block]:
        flow = Flow()
        self._children_into(el, flow, in_paragraph=False)
        flow.flush()
        return flow.blocks

    def _list(self, el: etree._Element) -> ListBlock | None:
        ordered = _tag(el) == "ol"
        items: list[list[Block]] = []
        stray = Flow()  # content of the list that sits outside any <li>
        if el.text and el.text.strip():
            stray.pending.append(Text(el.text))
        for child in el:
            if _tag(child) in ("li", "dt", "dd"):
                stray.flush()
                if stray.blocks:
                    items.append(stray.blocks)
                    stray = Flow()
                blocks = self._blocks_of(child)
                if blocks:
                    items.append(blocks)
            elif _tag(child):
                self._element_into(child, stray, in_paragraph=False)
            if child.tail and child.tail.strip():
                stray.pending.append(Text(child.tail))
        stray.flush()
        if stray.blocks:
            items.append(stray.blocks)
        if not items:
            return None
        start = 1
        if ordered:
            try:
                start = int((el.get("start") or "1").strip())
            except ValueError:
                start = 1
        return ListBlock(ordered, items, start)

    def _table_into(self, el: etree._Element, flow: Flow) -> None:
        rows = [row for row in el.iter("tr") if _owning_table(row) is el]
        cells = [c for row in rows for c in row if _tag(c) in ("td", "th")]
        layout = len(cells) <= 1 or any(
            _tag(d) in _LAYOUT_CELL_CONTENT for cell in cells for d in cell.iterdescendants()
        )
        if layout:
            # A layout table: its cells are just more content, in reading order.
            flow.flush()
            self._children_into(el, flow, in_paragraph=False)
            flow.flush()
            return
        model_rows: list[list[TableCell]] = []
        header_rows = 0
        for row in rows:
            model_row = []
            for cell in row:
                if _tag(cell) not in ("td", "th"):
                    continue
                model_row.append(TableCell(
                    tidy_inlines(self._inlines(cell)),
                    header=_tag(cell) == "th",
                    colspan=_span(cell.get("colspan")),
                    rowspan=_span(cell.get("rowspan")),
                ))
            if not model_row:
                continue
            in_head = _tag(row.getparent()) == "thead"
            if (in_head or all(c.header for c in model_row)) and header_rows == len(model_rows):
                header_rows += 1
            model_rows.append(model_row)
        if not any(has_visible_content(c.children) for r in model_rows for c in r):
            return
        caption_el = el.find("caption")
        caption = tidy_inlines(self._inlines(caption_el)) if caption_el is not None else []
        flow.add_block(Table(model_rows, header_rows, caption))

    def _figure_into(self, el: etree._Element, flow: Flow) -> None:
        images = list(el.iter("img"))
        if not images:
            flow.flush()
            self._children_into(el, flow, in_paragraph=False)
            flow.flush()
            return
        caption_el = el.find(".//figcaption")
        caption = tidy_inlines(self._inlines(caption_el)) if caption_el is not None else []
        for i, img in enumerate(images):
            flow.add_block(self._figure_from_img(img, caption if i == len(images) - 1 else []))

    def _figure_from_img(self, img: etree._Element, caption: list[Inline]) -> Figure | None:
        src = (img.get("src") or "").strip()
        if not src:
            return None
        alt = " ".join((img.get("alt") or "").split())
        title = " ".join((img.get("title") or "").split())  # junk titles are gone by now
        return Figure(src, alt, caption or ([Text(title)] if title else []))

    def _embed(self, el: etree._Element, tag: str) -> Embed | None:
        src = el.get("src") or el.get("data") or el.get("data-src") or ""
        if not src:
            source = el.find(".//source[@src]")
            src = source.get("src") if source is not None else ""
        src = absolute_url(src or "")
        if not src or not self._safe(src):
            return None
        kind = "iframe" if tag in ("iframe", "embed", "object") else tag
        title = " ".join((el.get("title") or "").split())
        poster = el.get("poster")
        return Embed(src, kind, title, absolute_url(poster) if poster else None)

    # ------------------------------------------------------------ inline context

    def _inlines(self, el: etree._Element) -> list[Inline]:
        """The content of ``el`` as inlines; nested blocks become line-separated runs."""
        out: list[Inline] = []
        text = el.text
        if text:
            out.append(Text(text))
        for child in el:
            out.extend(self._inline(child))
            tail = child.tail
            if tail:
                out.append(Text(tail))
        return out

    def _inline(self, el: etree._Element) -> list[Inline]:
        tag = _tag(el)
        if not tag:
            return []
        if tag == "br":
            return [LineBreak()]
        if tag == MATH_TAG:
            return [Math(el.text or "", el.get("display") == "1")]
        if tag == "img":
            src = (el.get("src") or "").strip()
            return [Image(src, " ".join((el.get("alt") or "").split()))] if src else []
        if tag in _CODE_TAGS:
            text = text_of(el)
            return [Code(text)] if text else []
        if tag == "a":
            children = self._inlines(el)
            href = absolute_url(el.get("href") or "")
            if not href or not self._safe(href):
                return children
            return [Link(href, children, el.get("title") or None)]
        cls = _FORMATTING.get(tag)
        if cls is not None:
            return [cls(self._inlines(el))]
        if tag in ("iframe", "video", "audio", "embed", "object"):
            embed = self._embed(el, tag)
            return [Link(embed.src, [Text(embed.title or embed.src)])] if embed else []
        inner = self._inlines(el)
        if tag in BLOCK_TAGS and tag not in ("td", "th"):
            # A block inside inline content (a heading holding a <p>): keep a line apart.
            return [LineBreak(), *inner, LineBreak()]
        if tag in ("td", "th"):
            return [Text(" "), *inner, Text(" ")]
        return inner


def _owning_table(row: etree._Element) -> etree._Element | None:
    for ancestor in row.iterancestors():
        if _tag(ancestor) == "table":
            return ancestor
    return None


def _span(value: str | None) -> int:
    try:
        return max(1, min(int((value or "1").strip()), 1000))
    except ValueError:
        return 1


def plain_text(blocks: list[Block]) -> str:
    """Readable text of blocks (for language detection and statistics)."""
    parts: list[str] = []
    for block in iter_blocks(blocks):  # list items and quotes included, in order
        if isinstance(block, (Paragraph, Heading)):
            parts.append(inline_text(block.children))
        elif isinstance(block, Figure):
            parts.append(inline_text(block.caption))
        elif isinstance(block, Table):
            parts.extend(inline_text(c.children) for row in block.rows for c in row)
    return "\n".join(p for p in parts if p)
