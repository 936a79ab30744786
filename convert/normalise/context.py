"""What cleaning steps share: the context they report to, and tree helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from ..model import Diagnostic
from .text import collapse_text

SAMPLE_CHARS = 60


@dataclass
class StepContext:
    """What a step may know about the post besides its tree, and where it reports."""

    metadata: dict[str, Any] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: Site profiles to try (``convert.normalise.profiles.SiteProfile``).
    profiles: Sequence[Any] = ()
    #: Where relative URLs point: the post's own URL, or a matched profile's base_url.
    base_url: str | None = None
    #: Hosts the post reaches over https (``urls.https_hosts``), found once when needed.
    https_hosts: frozenset[str] | None = None
    #: A matched site profile's language: used when the text is too short to tell.
    profile_lang: str | None = None
    #: The link back to the original article, when a profile removed the only one.
    source_url: str | None = None

    def report(self, step: str, message: str, count: int = 1, sample: str | None = None) -> None:
        if count <= 0:
            return
        if sample is not None:
            sample = collapse_text(sample)[:SAMPLE_CHARS] or None
        self.diagnostics.append(Diagnostic("change", step, message, count, sample))


Step = Callable[[etree._Element, StepContext], None]


def remove_all_keeping_tails(elements: Iterable[etree._Element]) -> None:
    """Remove elements but keep the text that follows each (its ``tail``).

    In linear time: removing siblings one by one appends each tail to the same growing
    string (the text before them), quadratic for thousands of removals in one parent;
    here each affected parent is rebuilt once. Elements inside others given go with them.
    """
    doomed = set(elements)
    parents = dict.fromkeys(el.getparent() for el in doomed)
    parents.pop(None, None)
    for parent in parents:
        holder: etree._Element | None = None  # None: the text goes to parent.text
        # Tails of the removed children since holder: appended to the text after holder
        # (which is left alone, not even read, when there are none: a long paragraph
        # losing a tail-less <font> is not copied out of the tree and back).
        tails: list[str] = []
        for child in list(parent):
            if child in doomed:
                tail = child.tail
                if tail:
                    tails.append(tail)
                parent.remove(child)  # its tail goes with it
                continue
            if tails:
                _append_text_after(parent, holder, tails)
                tails = []
            holder = child
        if tails:
            _append_text_after(parent, holder, tails)


def _append_text_after(parent: etree._Element, holder: etree._Element | None,
                       tails: list[str]) -> None:
    before = parent.text if holder is None else holder.tail
    _set_text_after(parent, holder, (before or "") + "".join(tails))


def _set_text_after(parent: etree._Element, holder: etree._Element | None, text: str) -> None:
    if holder is None:
        parent.text = text or None
    else:
        holder.tail = text or None


def text_of(el: etree._Element) -> str:
    """``"".join(el.itertext())``. An element whose children have no children of their
    own (most of them: a paragraph with a ``<br>``) is read directly, without the tree
    walker lxml makes for each itertext(); like itertext, it leaves out the text of
    comments and processing instructions but not their tails."""
    if not isinstance(el.tag, str):
        return "".join(el.itertext())  # a comment: refused as itertext refuses it
    text = el.text
    if len(el) == 0:
        return text or ""
    parts = [text] if text else []
    for child in el:
        if len(child):
            return "".join(el.itertext())
        if isinstance(child.tag, str):
            inner = child.text
            if inner:
                parts.append(inner)
        tail = child.tail
        if tail:
            parts.append(tail)
    return "".join(parts)


def text_sample(elements: list[etree._Element]) -> str:
    parts = []
    total = 0
    for el in elements:
        if isinstance(el, etree._Comment):
            parts.append(el.text or "")
        else:
            parts.append(text_of(el))
        total += len(parts[-1])
        if total > SAMPLE_CHARS:
            break
    return " | ".join(p for p in parts if p.strip())


def outermost(elements: Iterable[etree._Element]) -> list[etree._Element]:
    """The elements not inside another of ``elements``, in the order given.

    Linear in the tree size whatever its depth: each ancestor is looked at once and its
    answer remembered (asking every element for all its ancestors is quadratic on a
    deeply nested page).
    """
    chosen = list(dict.fromkeys(elements))
    found = set(chosen)
    covered: dict[etree._Element, bool] = {}  # node → an ancestor of it is in `found`
    out = []
    for el in chosen:
        path = []
        node = el.getparent()
        inside = False
        while node is not None:
            if node in covered:
                inside = covered[node]
                break
            if node in found:
                inside = True
                break
            path.append(node)
            node = node.getparent()
        for visited in path:
            covered[visited] = inside
        if not inside:
            out.append(el)
    return out


def iter_events(root: etree._Element) -> Iterator[tuple[str, etree._Element]]:
    """Document order as events: ("start", el), ("text", el), ("end", el), ("tail", el)
    for ``root`` and every node under it (comments too). Iterative: safe at any depth.
    """
    stack: list[tuple[etree._Element, bool]] = [(root, False)]
    while stack:
        el, closing = stack.pop()
        if closing:
            yield "end", el
            if el.tail and el is not root:
                yield "tail", el
            continue
        yield "start", el
        if el.text:
            yield "text", el
        stack.append((el, True))
        stack.extend((child, False) for child in reversed(el))
