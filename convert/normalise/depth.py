"""Bound the nesting depth of a cleaned tree before blocks are built from it.

libxml2 parses any depth (``huge_tree``), but the builder, the model and every exporter
walk nested structure, and nothing readable needs more than a few dozen levels (the
corpus never passes 11). Below :data:`MAX_DEPTH` the structure is flattened, not cut:
every text piece stays, in order; block elements leave empty ``<div>`` markers so their
text still becomes separate paragraphs; line breaks, images, rules and media are kept;
a code block keeps its text. Lists, quotes, tables and inline formatting that deep
lose their nesting, and the normaliser says so in a warning.
"""

from __future__ import annotations

from itertools import islice

from lxml import etree

from .build import BLOCK_TAGS

#: Depth (``<body>`` is 0) below which elements are flattened into their ancestor at
#: this depth. The builder and the exporters need about three Python frames per level.
MAX_DEPTH = 100

# Elements kept where they are, without children: they hold no text. Void ones are
# moved as they are; the others are copied without their (fallback) content.
_VOID_TAGS = frozenset({"br", "img", "hr", "embed"})
_MEDIA_TAGS = frozenset({"iframe", "video", "audio", "object"})


def _tag(el: etree._Element) -> str:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""


def flatten_deep_nesting(root: etree._Element, max_depth: int = MAX_DEPTH) -> int:
    """Flatten everything nested deeper than ``max_depth`` under ``root``, in place.

    Returns how many elements lost their nesting (0 for an ordinary page).
    """
    # Nothing lies that deep in a tree of no more elements (most pages): counting to
    # max_depth + 1 costs less than walking them all with their depths.
    if next(islice(root.iter(etree.Element), max_depth, None), None) is None:
        return 0
    flattened = 0
    stack = [(root, 0)]
    while stack:
        el, depth = stack.pop()
        if depth == max_depth:
            if any(len(child) for child in el):
                flattened += _flatten_children(el)
            continue
        stack.extend((child, depth + 1) for child in el if isinstance(child.tag, str))
    return flattened


def _flatten_children(el: etree._Element) -> int:
    """Replace the subtree under ``el`` by text and leaf elements, one level deep."""
    pieces: list[str | etree._Element] = []
    unwrapped = 0

    def marker() -> etree._Element:
        return el.makeelement("div", {})

    stack: list[tuple[etree._Element, bool]] = [(child, False) for child in reversed(el)]
    while stack:
        node, closing = stack.pop()
        tag = _tag(node)
        if closing:
            if tag in BLOCK_TAGS:
                pieces.append(marker())
        elif tag == "pre":
            pieces.append(_flat_code_block(node))
        elif tag in _VOID_TAGS:
            pieces.append(node)
        elif tag in _MEDIA_TAGS:
            pieces.append(_bare_copy(node))
        elif tag:
            unwrapped += 1
            if tag in BLOCK_TAGS:
                pieces.append(marker())
            if node.text:
                pieces.append(node.text)
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node))
            continue
        if node.tail:
            pieces.append(node.tail)

    for child in list(el):
        el.remove(child)
    text: list[str] = []
    last: etree._Element | None = None
    for piece in [*pieces, None]:
        if isinstance(piece, str):
            text.append(piece)
            continue
        joined = "".join(text) or None
        if last is None:
            el.text = (el.text or "") + (joined or "") or None
        else:
            last.tail = joined  # a moved element's own tail was taken in order already
        text = []
        if piece is not None:
            el.append(piece)  # moves a void element out of the detached subtree
            last = piece
    return unwrapped


def _bare_copy(node: etree._Element) -> etree._Element:
    """The element with its attributes and no children (a media element keeps the
    address of its first ``<source>``)."""
    attrib = dict(node.attrib)
    if "src" not in attrib:
        source = next((s for s in node.iter("source") if s.get("src")), None)
        if source is not None:
            attrib["src"] = source.get("src")
    return node.makeelement(node.tag, attrib)


def _flat_code_block(pre: etree._Element) -> etree._Element:
    """A ``<pre>`` holding only its code text (``<br>`` as newlines) and the language
    attributes of its first ``<code>``."""
    parts: list[str] = []
    stack: list[tuple[etree._Element, bool]] = [(pre, False)]
    while stack:
        node, closing = stack.pop()
        if closing:
            if node.tail and node is not pre:
                parts.append(node.tail)
            continue
        if _tag(node) == "br":
            if not (node.tail or "").startswith(("\n", "\r")):
                parts.append("\n")
            if node.tail:
                parts.append(node.tail)
            continue
        if node.text and _tag(node):
            parts.append(node.text)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
    copy = pre.makeelement("pre", dict(pre.attrib))
    code = next(pre.iter("code"), None)
    holder = etree.SubElement(copy, "code", dict(code.attrib)) if code is not None else copy
    holder.text = "".join(parts)
    return copy
