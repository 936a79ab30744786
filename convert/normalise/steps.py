"""Cleaning steps: small, named transformations of the parsed HTML tree.

Each step takes the ``<body>`` element and a :class:`StepContext`, changes the tree in
place and reports what it removed or rewrote through ``ctx.report``. :data:`STEPS` is
the ordered list the normaliser runs; a new rule is a new function added there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

from ..model import Diagnostic
from .urls import absolute_url, is_placeholder_image

SAMPLE_CHARS = 60


@dataclass
class StepContext:
    """What a step may know about the post besides its tree, and where it reports."""

    metadata: dict[str, Any] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def report(self, step: str, message: str, count: int = 1, sample: str | None = None) -> None:
        if count <= 0:
            return
        if sample is not None:
            sample = " ".join(sample.split())[:SAMPLE_CHARS] or None
        self.diagnostics.append(Diagnostic("change", step, message, count, sample))


Step = Callable[[HtmlElement, StepContext], None]


def remove_keeping_tail(el: etree._Element) -> None:
    """Remove an element but keep the text that follows it (its ``tail``)."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _text_sample(elements: list[etree._Element]) -> str:
    parts = []
    for el in elements:
        if isinstance(el, etree._Comment):
            parts.append(el.text or "")
        else:
            parts.append("".join(el.itertext()))
        if sum(len(p) for p in parts) > SAMPLE_CHARS:
            break
    return " ".join(parts)


# Elements that never hold readable article content.
_NON_CONTENT_TAGS = (
    "script", "style", "noscript", "template", "head", "title", "meta", "link", "base",
    "input", "select", "textarea", "button", "option", "datalist", "svg", "canvas",
)


def drop_non_content(root: HtmlElement, ctx: StepContext) -> None:
    """Drop comments, processing instructions, scripts, styles and form controls."""
    comments = [c for c in root.iter(etree.Comment, etree.ProcessingInstruction)]
    for node in comments:
        remove_keeping_tail(node)
    ctx.report("drop_non_content", "removed HTML comments", len(comments))
    removed = list(root.iter(*_NON_CONTENT_TAGS))
    # Report first: a removed element's text is gone afterwards.
    sample = _text_sample(removed)
    for el in removed:
        if el.getparent() is not None:  # may sit inside an element removed before it
            remove_keeping_tail(el)
    ctx.report("drop_non_content", "removed script, style and form elements",
               len(removed), sample or None)


# Attributes sites use for the real image URL when ``src`` is a lazy-load placeholder,
# most specific first.
_LAZY_SRC_ATTRS = ("data-original-src", "data-original", "data-actualsrc", "data-src",
                   "data-lazy-src", "_src", "data-url")
_SRCSET_ATTRS = ("data-srcset", "srcset")


def _largest_from_srcset(value: str) -> str | None:
    """The URL with the largest width (or density) descriptor in a srcset value."""
    best: tuple[float, str] | None = None
    for candidate in value.split(","):
        parts = candidate.split()
        if not parts:
            continue
        url, size = parts[0], 1.0
        if len(parts) > 1 and parts[1][:-1].replace(".", "", 1).isdigit():
            size = float(parts[1][:-1])
        if is_placeholder_image(url):
            continue
        if best is None or size > best[0]:
            best = (size, url)
    return best[1] if best else None


def resolve_image_sources(root: HtmlElement, ctx: StepContext) -> None:
    """Put each image's real URL in ``src``; drop images that have none."""
    fixed = dropped = 0
    for img in list(root.iter("img")):
        src = (img.get("src") or "").strip()
        real = None if is_placeholder_image(src) else src
        if real is None:
            for attr in _LAZY_SRC_ATTRS:
                value = (img.get(attr) or "").strip()
                if value and not is_placeholder_image(value):
                    real = value
                    break
        if real is None:
            for attr in _SRCSET_ATTRS:
                real = _largest_from_srcset(img.get(attr) or "")
                if real:
                    break
        if real is None:
            remove_keeping_tail(img)
            dropped += 1
            continue
        real = absolute_url(real)
        if real != src:
            fixed += 1
        img.set("src", real)
    ctx.report("resolve_image_sources", "took lazy-loaded image URLs from data attributes", fixed)
    ctx.report("resolve_image_sources", "dropped images without a usable URL", dropped)


#: The steps the normaliser runs, in order.
STEPS: list[Step] = [
    drop_non_content,
    resolve_image_sources,
]
