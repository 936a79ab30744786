"""The book's schema.org accessibility metadata, true to what the book holds.

EPUB Accessibility 1.1 asks a package to say how its content can be perceived
(``accessMode``, ``accessModeSufficient``), what helps (``accessibilityFeature``), what
may harm (``accessibilityHazard``) and, in words, what a reader should know
(``accessibilitySummary``). DAISY Ace reports each one missing as a violation. The
claims here come from a census of the images the chapters really show: the book says
``alternativeText`` only when every embedded image has a text alternative, and the
summary says how many do not and how many images are only links.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ...model import Block, Figure, Image, block_inlines, inline_text, iter_blocks, iter_inlines
from .labels import description

#: Always true of a newsconv book: headings, a nav document with the table of contents,
#: and a spine in reading order.
BASE_FEATURES = ("structuralNavigation", "tableOfContents", "readingOrder")


@dataclass
class ImageCensus:
    """How the book's images reach a reader."""

    #: Images shown as pictures (the cover page's included).
    embedded: int = 0
    #: Of those, images without a text alternative (no alt text that says anything).
    undescribed: int = 0
    #: Images shown as a link to where they live (not in the book).
    linked: int = 0

    def add_picture(self, described: bool) -> None:
        self.embedded += 1
        self.undescribed += not described

    def add_post(self, blocks: list[Block], resolver: Callable[[str], str | None],
                 post_title: str = "") -> None:
        """Count the images of one chapter's blocks as the chapter renders them."""
        for block in iter_blocks(blocks):
            if isinstance(block, Figure):
                alt = block.alt or inline_text(block.caption)
                self._one(block.src, alt, resolver, post_title)
            for run in block_inlines(block):
                for node in iter_inlines(run):
                    if isinstance(node, Image):
                        self._one(node.src, node.alt, resolver, post_title)

    def _one(self, src: str, alt: str, resolver: Callable[[str], str | None],
             post_title: str) -> None:
        if resolver(src) is None:
            self.linked += 1
        else:
            self.add_picture(bool(description(src, alt, post_title)))


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def summary(census: ImageCensus) -> str:
    """``accessibilitySummary``: what the book offers and what it lacks, in English."""
    parts = ["Each post is a chapter with its title as a heading and its own headings "
             "below it; a table of contents and landmarks lead to every chapter."]
    if census.undescribed:
        parts.append(_plural(census.undescribed, "image has", "images have")
                     + f" no text alternative (alt text) of the {census.embedded} shown.")
    else:
        parts.append("Every image shown has a text alternative.")
    if census.linked:
        parts.append(_plural(census.linked, "image is", "images are")
                     + " not included in the book and shown as a labelled link instead.")
    parts.append("No flashing, sound or motion hazards are known.")
    return " ".join(parts)


def accessibility_metadata(census: ImageCensus) -> list[tuple[str, str]]:
    """``(property, value)`` pairs for ``<meta property="schema:…">`` in the package."""
    meta = [("schema:accessMode", "textual")]
    if census.embedded:
        meta.append(("schema:accessMode", "visual"))
        meta.append(("schema:accessModeSufficient", "textual,visual"))
    if not census.undescribed:
        meta.append(("schema:accessModeSufficient", "textual"))
    features = list(BASE_FEATURES)
    if census.embedded and not census.undescribed:
        features.append("alternativeText")
    meta += [("schema:accessibilityFeature", f) for f in features]
    meta.append(("schema:accessibilityHazard", "none"))
    meta.append(("schema:accessibilitySummary", summary(census)))
    return meta
