"""Paragraphs from running text: the inline run a block context collects, split into
paragraphs where the source breaks it (runs of ``<br>``, blank lines, paragraph
boundaries; see :mod:`.lines` for lines of CJK text)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Block, Inline, LineBreak, Paragraph, Text
from .lines import BREAK as _BREAK
from .lines import ParagraphBreak, Pending, SourceLine, resolve_source_lines
from .text import has_visible_content, tidy_inlines

__all__ = ["Flow"]


@dataclass
class Flow:
    """Blocks built so far, and the inline run of the paragraph being collected."""

    blocks: list[Block] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)

    def flush(self) -> None:
        if not any(map(_may_show, self.pending)):
            # Nothing but whitespace and breaks (half the flushes: between paragraphs):
            # the paragraphs made of it would all be empty.
            self.pending = []
            return
        self._flush_paragraphs()

    def _flush_paragraphs(self) -> None:
        run: list[Inline] = []
        for node in resolve_source_lines(self.pending) + [_BREAK]:
            if isinstance(node, ParagraphBreak):
                for part in _split_on_break_runs(run):
                    part = tidy_inlines(part)
                    if has_visible_content(part):
                        self.blocks.append(Paragraph(part))
                run = []
            else:
                run.append(node)
        self.pending = []

    def add_block(self, block: Block | None) -> None:
        self.flush()
        if block is not None:
            self.blocks.append(block)


def _may_show(node: Pending) -> bool:
    """Whether a pending node can make a paragraph visible: anything but a line or
    paragraph break, a source line marker or whitespace-only text."""
    if isinstance(node, Text):
        return bool(node.text.strip())
    return not isinstance(node, (LineBreak, ParagraphBreak, SourceLine))


def _split_on_break_runs(run: list[Inline]) -> list[list[Inline]]:
    """Split a top-level inline run where two or more line breaks follow each other
    (whitespace-only text between them does not count)."""
    if not any(isinstance(node, LineBreak) for node in run):
        return [run]
    parts: list[list[Inline]] = [[]]
    breaks: list[Inline] = []  # line breaks (and blank text) seen since the last content
    for node in run:
        if isinstance(node, LineBreak) or (isinstance(node, Text) and not node.text.strip()
                                           and breaks):
            breaks.append(node)
            continue
        if sum(isinstance(b, LineBreak) for b in breaks) >= 2:
            parts.append([])
        else:
            parts[-1].extend(breaks)
        breaks = []
        parts[-1].append(node)
    parts[-1].extend(breaks)
    return parts
