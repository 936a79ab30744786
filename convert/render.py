"""Render the document model to canonical XHTML: the one place that writes markup.

The EPUB exporter wraps this XHTML in chapter files; the Markdown exporter hands it to
markdownify. One small function per node kind, dispatched on the node's ``TYPE``;
escaping lives in :func:`escape` alone. Only a fixed set of elements and attributes is
ever written, every attribute value escaped, so no input can smuggle markup through;
every URL passes :func:`convert.sanitise.safe_blocks` first (a Document loaded from a
``.json`` file may hold ``javascript:`` links).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from .locale_text import text
from .model import (
    Block,
    Code,
    CodeBlock,
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
    Text,
    inline_text,
)
from .sanitise import embed_label, safe_blocks, safe_inlines

# Characters XML 1.0 forbids, plus the non-characters U+FFFE/U+FFFF.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def escape(text: str, quote: bool = False) -> str:
    """Escape text for XHTML content (``quote=True`` for attribute values)."""
    text = XML_INVALID.sub("", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if quote:
        text = text.replace('"', "&quot;")
    return text


#: Maps an image URL to the href to use in the output, or None when the image is not
#: available there (it is then shown as a link to its URL instead of an ``<img>``).
ImageResolver = Callable[[str], "str | None"]


def _attr(value: object) -> str:
    """An attribute value, escaped whatever its type (a loaded document is untrusted)."""
    return escape(str(value), True)


def keep_url(url: str) -> str:
    return url


#: Writes a formula (TeX source, display flag) as XHTML.
MathRenderer = Callable[[str, bool], str]


def math_span(tex: str, display: bool) -> str:
    """A formula as its TeX in a ``math`` span (pandoc's form): the Markdown exporter
    writes it as ``$…$`` or ``$$…$$``."""
    kind = "display" if display else "inline"
    return f'<span class="math {kind}">{escape(tex)}</span>'


@dataclass
class RenderOptions:
    image_resolver: ImageResolver = keep_url
    #: Added to every heading level (capped at 6): EPUB chapters use h1 for the title.
    heading_offset: int = 0
    #: How formulas are written (the EPUB exporter gives MathML).
    math: MathRenderer = math_span
    #: The language of the text: embeds are named in it (see convert.locale_text).
    lang: str | None = None
    #: The text of the link shown for an image that is not embedded, from its URL, its
    #: alt text (or caption) and its number among the images rendered; default
    #: :func:`image_label`.
    image_link_label: Callable[[str, str, int], str] | None = None
    #: Images met so far (one counter per render_blocks/render_inlines call).
    image_count: list[int] = field(default_factory=lambda: [0], repr=False)


def _link_label(opts: RenderOptions, src: str, alt: str) -> str:
    """The link text of an image that is not embedded (its number was counted)."""
    if opts.image_link_label is None:
        return image_label(src, alt)
    return opts.image_link_label(src, alt, opts.image_count[0])


def image_label(src: str, alt: str = "") -> str:
    """Readable text for an image shown as a link: its alt text or its file name."""
    if alt.strip():
        return alt.strip()
    try:
        parts = urlsplit(src)
    except ValueError:  # unbalanced IPv6 brackets and the like
        return src
    path = parts.path.rstrip("/")
    name = unquote(path.rsplit("/", 1)[-1]) if path else ""
    return name or parts.netloc or src


# ---------------------------------------------------------------- inlines

_SIMPLE_INLINE_TAGS = {
    Strong.TYPE: "strong",
    Emphasis.TYPE: "em",
    Strikeout.TYPE: "del",
    Superscript.TYPE: "sup",
    Subscript.TYPE: "sub",
}


def render_inlines(inlines: list[Inline], opts: RenderOptions | None = None) -> str:
    """XHTML for a run of inlines, with only safe URLs."""
    return _render_inlines(safe_inlines(inlines), _fresh(opts))


def _fresh(opts: RenderOptions | None) -> RenderOptions:
    """``opts`` with the image counter back at 0."""
    return dataclasses.replace(opts or RenderOptions(), image_count=[0])


def _render_inlines(inlines: list[Inline], opts: RenderOptions) -> str:
    return "".join(_render_inline(node, opts) for node in inlines)


def _render_inline(node: Inline, opts: RenderOptions) -> str:
    if isinstance(node, Text):
        return escape(node.text)
    tag = _SIMPLE_INLINE_TAGS.get(node.TYPE)
    if tag:
        return f"<{tag}>{_render_inlines(node.children, opts)}</{tag}>"  # type: ignore[union-attr]
    if isinstance(node, Code):
        return f"<code>{escape(node.text)}</code>"
    if isinstance(node, Link):
        title = f' title="{escape(node.title, True)}"' if node.title else ""
        inner = _render_inlines(node.children, opts)
        return f'<a href="{escape(node.href, True)}"{title}>{inner}</a>'
    if isinstance(node, LineBreak):
        return "<br/>"
    if isinstance(node, Math):
        return opts.math(node.tex, node.display)
    if isinstance(node, Image):
        opts.image_count[0] += 1
        href = opts.image_resolver(node.src)
        if href is None:
            label = escape(_link_label(opts, node.src, node.alt))
            return f'<a href="{escape(node.src, True)}">{label}</a>'
        return f'<img src="{escape(href, True)}" alt="{escape(node.alt, True)}"/>'
    raise TypeError(f"not an inline node: {node!r}")


# ---------------------------------------------------------------- blocks


def render_blocks(blocks: list[Block], opts: RenderOptions | None = None) -> str:
    """XHTML for a list of blocks, one block per line, with only safe URLs."""
    return "\n".join(iter_rendered_blocks(blocks, opts))


def iter_rendered_blocks(blocks: list[Block], opts: RenderOptions | None = None
                         ) -> Iterator[str]:
    """:func:`render_blocks` one top-level block at a time (one image counter for all):
    a consumer that parses the XHTML again holds one block's tree, not the document's."""
    opts = _fresh(opts)
    for block in safe_blocks(blocks, lang=opts.lang):
        yield _BLOCK_RENDERERS[block.TYPE](block, opts)


def iter_split_blocks(blocks: list[Block], piece: int, opts: RenderOptions | None = None
                      ) -> Iterator[str | Iterator[str]]:
    """:func:`iter_rendered_blocks`, except that a top-level paragraph whose XHTML runs
    past ``piece`` characters before a line break comes as an iterator of pieces, cut at
    such breaks (see :func:`_paragraph_pieces`). Take each paragraph's pieces before
    the next item: they are rendered as they are taken, counting images in order."""
    opts = _fresh(opts)
    for block in safe_blocks(blocks, lang=opts.lang):
        if not isinstance(block, Paragraph) or not any(
                isinstance(node, LineBreak) for node in block.children[:-1]):
            yield _BLOCK_RENDERERS[block.TYPE](block, opts)  # no place to cut
            continue
        inners = _paragraph_inners(block.children, piece, opts)
        first = next(inners)
        second = next(inners, None)
        if second is None:
            yield f"<p>{first}</p>"
        else:
            pieces = _paragraph_pieces(first, second, inners)
            yield pieces
            for _ in pieces:  # what the consumer left, so that images count in order
                pass


def _paragraph_inners(children: list[Inline], piece: int, opts: RenderOptions
                      ) -> Iterator[str]:
    """A paragraph's inline XHTML in runs of at least ``piece`` characters, each ended
    by a line break that is a direct child and not the last one (the break itself in
    no run)."""
    run: list[str] = []
    size = 0
    last = len(children) - 1
    for k, node in enumerate(children):
        if size >= piece and k < last and isinstance(node, LineBreak):
            yield "".join(run)
            run, size = [], 0
            continue
        xhtml = _render_inline(node, opts)
        run.append(xhtml)
        size += len(xhtml)
    yield "".join(run)


def _paragraph_pieces(first: str, second: str, rest: Iterator[str]) -> Iterator[str]:
    """Each run of a split paragraph as a paragraph of its own, with the line break
    that cut it off on each side: ``<p>run<br/></p>``, ``<p><br/>run<br/></p>``, …,
    ``<p><br/>run</p>``. A piece so reads, up to each break, as the whole paragraph
    does; the Markdown exporter takes the breaks out again (see
    :mod:`convert.exporters.markdown_pieces`)."""
    yield f"<p>{first}<br/></p>"
    held = second
    for inner in rest:
        yield f"<p><br/>{held}<br/></p>"
        held = inner
    yield f"<p><br/>{held}</p>"


def _render_blocks(blocks: list[Block], opts: RenderOptions) -> str:
    return "\n".join(_BLOCK_RENDERERS[block.TYPE](block, opts) for block in blocks)


def _heading(node: Heading, opts: RenderOptions) -> str:
    level = min(6, max(1, node.level + opts.heading_offset))
    return f"<h{level}>{_render_inlines(node.children, opts)}</h{level}>"


def _paragraph(node: Paragraph, opts: RenderOptions) -> str:
    return f"<p>{_render_inlines(node.children, opts)}</p>"


def _list(node: ListBlock, opts: RenderOptions) -> str:
    tag = "ol" if node.ordered else "ul"
    start = f' start="{_attr(node.start)}"' if node.ordered and node.start != 1 else ""
    items = []
    for item in node.items:
        # A one-paragraph item renders tight (no <p>), as the source list usually was.
        if len(item) == 1 and isinstance(item[0], Paragraph):
            inner = _render_inlines(item[0].children, opts)
        else:
            inner = _render_blocks(item, opts)
        items.append(f"<li>{inner}</li>")
    return f"<{tag}{start}>\n" + "\n".join(items) + f"\n</{tag}>"


def _quote(node: Quote, opts: RenderOptions) -> str:
    return f"<blockquote>\n{_render_blocks(node.children, opts)}\n</blockquote>"


def _code_block(node: CodeBlock, opts: RenderOptions) -> str:
    cls = f' class="language-{escape(node.language, True)}"' if node.language else ""
    return f"<pre><code{cls}>{escape(node.text)}</code></pre>"


def _figure(node: Figure, opts: RenderOptions) -> str:
    opts.image_count[0] += 1
    href = opts.image_resolver(node.src)
    if href is None:  # labelled before the caption's own images are counted
        label = _link_label(opts, node.src, node.alt or inline_text(node.caption))
        body = f'<p><a href="{escape(node.src, True)}">{escape(label)}</a></p>'
    else:
        body = f'<img src="{escape(href, True)}" alt="{escape(node.alt, True)}"/>'
    caption = _render_inlines(node.caption, opts)
    figcaption = f"<figcaption>{caption}</figcaption>" if caption else ""
    if href is None:
        return f'<figure class="image-link">{body}{figcaption}</figure>'
    return f"<figure>{body}{figcaption}</figure>"


def _table(node: Table, opts: RenderOptions) -> str:
    parts = ["<table>"]
    if node.caption:
        parts.append(f"<caption>{_render_inlines(node.caption, opts)}</caption>")
    head, body = node.rows[: node.header_rows], node.rows[node.header_rows:]
    for section, rows in (("thead", head), ("tbody", body)):
        if not rows:
            continue
        parts.append(f"<{section}>")
        for row in rows:
            cells = []
            for cell in row:
                tag = "th" if cell.header else "td"
                span = ""
                if cell.colspan > 1:
                    span += f' colspan="{_attr(cell.colspan)}"'
                if cell.rowspan > 1:
                    span += f' rowspan="{_attr(cell.rowspan)}"'
                cells.append(f"<{tag}{span}>{_render_inlines(cell.children, opts)}</{tag}>")
            parts.append("<tr>" + "".join(cells) + "</tr>")
        parts.append(f"</{section}>")
    parts.append("</table>")
    return "\n".join(parts)


def _rule(node: Rule, opts: RenderOptions) -> str:
    return "<hr/>"


def _embed(node: Embed, opts: RenderOptions) -> str:
    label = node.title.strip() or text(opts.lang, "labelled",
                                       label=embed_label(node.kind, opts.lang), value=node.src)
    link = f'<a href="{escape(node.src, True)}">▶ {escape(label)}</a>'
    return f'<p class="embed">{link}</p>'


_BLOCK_RENDERERS: dict[str, Callable[..., str]] = {
    Heading.TYPE: _heading,
    Paragraph.TYPE: _paragraph,
    ListBlock.TYPE: _list,
    Quote.TYPE: _quote,
    CodeBlock.TYPE: _code_block,
    Figure.TYPE: _figure,
    Table.TYPE: _table,
    Rule.TYPE: _rule,
    Embed.TYPE: _embed,
}
