"""A chapter's heading outline: the post's headings placed under the chapter title.

A chapter starts with its title as ``h1``. Posts use whatever levels their site's
template chose (a first heading at h3 or h4 is common, and jumps such as h2 → h5), and
screen readers announce a skipped level as a missing section (axe's ``heading-order``,
which DAISY Ace reports). Each heading gets the level one below its nearest earlier
heading of a higher source level (a parent), so the first is h2, a deeper one is at
most one level deeper than the one before it, and the relative order of the source's
levels is kept. Levels deeper than h6 stay h6.
"""

from __future__ import annotations

import dataclasses

from ...model import Block, Heading, ListBlock, Quote

#: The level of the chapter title; post headings start one below.
TITLE_LEVEL = 1


def relevel_headings(blocks: list[Block]) -> list[Block]:
    """``blocks`` with every heading (also in quotes and lists) re-levelled without
    gaps under the chapter title; the same list when nothing changes."""
    parents: list[tuple[int, int]] = []  # (source level, new level) of open sections

    def heading(node: Heading) -> Heading:
        while parents and parents[-1][0] >= node.level:
            parents.pop()
        level = min(6, (parents[-1][1] if parents else TITLE_LEVEL) + 1)
        parents.append((node.level, level))
        return node if level == node.level else dataclasses.replace(node, level=level)

    def walk(nodes: list[Block]) -> list[Block]:
        out: list[Block] = []
        for node in nodes:
            if isinstance(node, Heading):
                new: Block = heading(node)
            elif isinstance(node, Quote):
                children = walk(node.children)
                new = node if children is node.children else dataclasses.replace(
                    node, children=children)
            elif isinstance(node, ListBlock):
                items = [walk(item) for item in node.items]
                new = node if all(a is b for a, b in zip(items, node.items, strict=True)) \
                    else dataclasses.replace(node, items=items)
            else:
                new = node
            out.append(new)
        return out if any(a is not b for a, b in zip(out, nodes, strict=True)) else nodes

    return walk(blocks)
