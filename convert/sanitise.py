"""A Document whose every URL passed :func:`convert.links.safe_url`.

Exporters get Documents from the normaliser and from ``.json`` files a user loaded,
which may hold anything; :mod:`convert.render` (EPUB and Markdown) and the JSON
exporter run this pass on whatever they are given. What a refused URL becomes:

- a link keeps its text and loses its target;
- an inline image becomes its alt text;
- a figure becomes a paragraph holding its caption (or its alt text);
- an embed becomes a paragraph ``▶ title``;
- a cover or poster URL is dropped.

Safe URLs are replaced by their cleaned form (scheme lower-cased, no control
characters). Nodes that need no change are returned as they are, so a clean document
costs one walk and no copies.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from .links import refused_scheme, safe_url
from .locale_text import text
from .model import (
    CONTAINER_INLINES,
    Block,
    Diagnostic,
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
    Table,
    Text,
)

STEP = "safe_links"


def embed_label(kind: str, lang: str | None = None) -> str:
    """What an embed is called when it has no title of its own, in the language of
    ``lang`` (English when it is unknown)."""
    return text(lang, kind if kind in ("video", "audio") else "embed")


@dataclass
class Refusals:
    """The URLs a pass refused: how many, and the schemes that made them unsafe."""

    count: int = 0
    schemes: list[str] = field(default_factory=list)
    #: The language an embed's replacement label is written in.
    lang: str | None = None

    def check(self, url: str | None) -> str | None:
        """``safe_url(url)``, counting a refusal."""
        safe = safe_url(url)
        if safe is None and url:
            self.count += 1
            scheme = refused_scheme(url) if isinstance(url, str) else None
            if scheme and scheme not in self.schemes:
                self.schemes.append(scheme)
        return safe

    def diagnostic(self) -> Diagnostic | None:
        if not self.count:
            return None
        kinds = f" ({', '.join(self.schemes)})" if self.schemes else ""
        return Diagnostic("warning", STEP, f"removed {self.count} unsafe link or image "
                          f"URL{'s' if self.count != 1 else ''}{kinds}; only http, https, "
                          "mailto and relative URLs are kept", self.count)


def safe_inlines(nodes: list[Inline], refusals: Refusals | None = None) -> list[Inline]:
    """``nodes`` with every URL safe; the same list object when nothing had to change."""
    refusals = refusals if refusals is not None else Refusals()
    out: list[Inline] = []
    changed = False
    for node in nodes:
        new: Inline | list[Inline] = node
        if isinstance(node, Link):
            href = refusals.check(node.href)
            children = safe_inlines(node.children, refusals)
            if href is None:
                new = children
            elif href != node.href or children is not node.children:
                new = dataclasses.replace(node, href=href, children=children)
        elif isinstance(node, Image):
            src = refusals.check(node.src)
            if src is None:
                new = [Text(node.alt)] if node.alt.strip() else []
            elif src != node.src:
                new = dataclasses.replace(node, src=src)
        elif isinstance(node, CONTAINER_INLINES):
            children = safe_inlines(node.children, refusals)
            if children is not node.children:
                new = dataclasses.replace(node, children=children)
        if isinstance(new, list):
            out.extend(new)
            changed = True
        else:
            out.append(new)
            changed = changed or new is not node
    return out if changed else nodes


def _safe_block(block: Block, refusals: Refusals) -> Block | None:
    if isinstance(block, (Heading, Paragraph)):
        children = safe_inlines(block.children, refusals)
        return block if children is block.children else dataclasses.replace(
            block, children=children)
    if isinstance(block, ListBlock):
        items = [safe_blocks(item, refusals) for item in block.items]
        if all(new is old for new, old in zip(items, block.items, strict=True)):
            return block
        return dataclasses.replace(block, items=items)
    if isinstance(block, Quote):
        children = safe_blocks(block.children, refusals)
        return block if children is block.children else dataclasses.replace(
            block, children=children)
    if isinstance(block, Figure):
        src = refusals.check(block.src)
        caption = safe_inlines(block.caption, refusals)
        if src is None:
            if caption:
                return Paragraph(caption)
            return Paragraph([Text(block.alt)]) if block.alt.strip() else None
        if src == block.src and caption is block.caption:
            return block
        return dataclasses.replace(block, src=src, caption=caption)
    if isinstance(block, Table):
        caption = safe_inlines(block.caption, refusals)
        rows = []
        changed = caption is not block.caption
        for row in block.rows:
            cells = []
            for cell in row:
                children = safe_inlines(cell.children, refusals)
                if children is not cell.children:
                    cell = dataclasses.replace(cell, children=children)
                    changed = True
                cells.append(cell)
            rows.append(cells)
        return dataclasses.replace(block, rows=rows, caption=caption) if changed else block
    if isinstance(block, Embed):
        src = refusals.check(block.src)
        if src is None:
            label = block.title.strip() or embed_label(block.kind, refusals.lang)
            return Paragraph([Text(f"▶ {label}")])
        poster = refusals.check(block.poster) if block.poster else block.poster
        if src == block.src and poster == block.poster:
            return block
        return dataclasses.replace(block, src=src, poster=poster)
    return block  # code, rules: no URLs


def safe_blocks(blocks: list[Block], refusals: Refusals | None = None,
                lang: str | None = None) -> list[Block]:
    """``blocks`` with every URL safe (see the module docstring); the same list object
    when nothing had to change. ``lang``: the language of labels it writes."""
    refusals = refusals if refusals is not None else Refusals(lang=lang)
    out: list[Block] = []
    changed = False
    for block in blocks:
        new = _safe_block(block, refusals)
        changed = changed or new is not block
        if new is not None:
            out.append(new)
    return out if changed else blocks


def safe_document(doc: Document) -> Document:
    """``doc`` with every URL safe, and a diagnostic saying how many were removed; the
    same object when nothing had to change."""
    refusals = Refusals()
    blocks = safe_blocks(doc.blocks, refusals)
    cover = refusals.check(doc.metadata.cover) if doc.metadata.cover else doc.metadata.cover
    diagnostic = refusals.diagnostic()
    if blocks is doc.blocks and cover == doc.metadata.cover and diagnostic is None:
        return doc
    metadata = doc.metadata
    if cover != metadata.cover:
        metadata = dataclasses.replace(metadata, cover=cover)
    diagnostics = [*doc.diagnostics, diagnostic] if diagnostic else doc.diagnostics
    return dataclasses.replace(doc, metadata=metadata, blocks=blocks, diagnostics=diagnostics)
