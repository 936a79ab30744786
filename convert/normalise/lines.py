"""What a source line break means in text written as plain lines.

Some bodies hold no ``<p>`` or ``<br>``: the author's lines are plain text lines in a
``<div>`` (Japanese event listings, Chinese bullet lists written as lines, one
paragraph per line). HTML would run them together, and between two CJK characters
the line break would vanish altogether: ``…高山市民文化会館開場 2021-11-14…``. Each
such line break is judged by the lines on either side of it:

- a line that ends a CJK sentence (``。！？``) ends its paragraph;
- a list-like line (a bullet or number, a ``label value`` or ``label：value`` field)
  keeps its own line, and so does a short CJK line before a CJK line (a title, an
  item of a list written without markers: ``优点`` / ``速度快``);
- otherwise it is a soft wrap of one sentence: a space between Latin words, nothing
  between two CJK characters (the whitespace rule of ``text.py`` decides).
"""

from __future__ import annotations

import itertools
import re
from enum import Enum

from ..model import Inline, LineBreak, Text, inline_text
from .text import CJK_CLASS, is_cjk

# CJK sentence-final punctuation, then closing quotes or brackets. Latin text is
# left out: HTML sources wrap English prose at a width, and a wrap that falls after
# a full stop is no paragraph end (a space keeps the words apart there).
_SENTENCE_END = re.compile(r"[。！？．…]+[」』”’\"')）】〕》]*$")
# A line that ends mid-clause continues on the next one, however short it is.
_CONTINUES = re.compile(r"[，,、；;：:（(「『“‘《〔【—–-]$")
_LIST_MARKER = re.compile(
    r"(?:[*+\-]\s|[•·・●○■□◆◇▪▶►★☆※→]"
    r"|\d{1,3}[.、)）:：](?!\d)|[（(](?:\d{1,3}|[一二三四五六七八九十]{1,3})[)）]"
    r"|[\u2460-\u2473]|[一二三四五六七八九十]{1,3}[、.．]|第[\d一二三四五六七八九十百]{1,4}[章节節条條回部])"
)
# "開場 2021-11-14 12:45", "地点：礼堂": a short label, then a space or a colon.
_FIELD = re.compile(rf"(?:[{CJK_CLASS}]{{1,8}}[ \u3000]+|[^\s：:]{{1,10}}[：:]\s*)\S")
# A line shorter than this that ends no clause stands on its own: a wrapped sentence
# fills its lines to the editor's width.
SHORT_LINE = 16
FIELD_LINE = 40


class Separator(Enum):
    PARAGRAPH = "paragraph"
    LINE = "line"
    SOFT = "soft"


def has_list_marker(line: str) -> bool:
    return bool(_LIST_MARKER.match(line.strip()))


def is_field(line: str) -> bool:
    line = line.strip()
    # A field is short; a long line that opens with "升级方法：" is prose.
    return len(line) <= FIELD_LINE and bool(_FIELD.match(line))


def is_list_like(line: str) -> bool:
    return has_list_marker(line) or is_field(line)


def line_separator(before: str, after: str) -> Separator:
    """The separator a reader expects where the line ``before`` ends and ``after``
    begins (both without their line break)."""
    before, after = before.strip(), after.strip()
    if not before or not after:
        return Separator.SOFT  # nothing to keep apart on one side
    if is_list_like(after) or is_list_like(before):
        return Separator.LINE
    if _SENTENCE_END.search(before):
        return Separator.PARAGRAPH
    if _CONTINUES.search(before):
        return Separator.SOFT
    if len(before) < SHORT_LINE and is_cjk(before[-1]) and is_cjk(after[0]):
        # Only where a soft wrap would join the lines with nothing at all: a space
        # already keeps Latin words apart.
        return Separator.LINE
    return Separator.SOFT


class ParagraphBreak:
    """Marker in a pending run: the paragraph ends here."""


class SourceLine:
    """Marker in a pending run: a line break of text written as plain lines, judged
    by the lines on either side when the run is flushed."""


BREAK = ParagraphBreak()
LINE = SourceLine()
# A line break of text inside <p>: there HTML's rule stands (a paragraph is one
# paragraph, a Latin wrap a space; an editor wraps CJK anywhere, short lines too),
# except that a list item (a marker on either line, or two "label value" fields in a
# row) is not glued to a CJK neighbour: it keeps its line.
P_LINE = SourceLine()
Pending = Inline | ParagraphBreak | SourceLine


def resolve_source_lines(pending: list[Pending]) -> list[Inline | ParagraphBreak]:
    """Each source line marker becomes a paragraph break, a line break or a soft
    newline (whitespace), by the text of the lines on either side."""
    if not any(isinstance(node, SourceLine) for node in pending):
        return pending  # type: ignore[return-value]  # no SourceLine in it
    bounds = [-1, *(i for i, node in enumerate(pending)
                    if isinstance(node, (ParagraphBreak, SourceLine, LineBreak))),
              len(pending)]
    # text of each line between two bounds, computed once (linear in the run)
    texts = [inline_text([n for n in pending[a + 1:b] if isinstance(n, Inline)])
             for a, b in itertools.pairwise(bounds)]
    out: list[Inline | ParagraphBreak] = []
    line = 0  # index into texts of the line the current node is on
    for node in pending:
        if isinstance(node, (ParagraphBreak, SourceLine, LineBreak)):
            if isinstance(node, SourceLine):
                before = texts[line].rsplit("\n", 1)[-1].strip()
                after = texts[line + 1].split("\n", 1)[0].strip()
                if node is LINE:
                    kind = line_separator(before, after)
                elif (before and after and is_cjk(before[-1]) and is_cjk(after[0])
                      and (has_list_marker(before) or has_list_marker(after)
                           or (is_field(before) and is_field(after)))):
                    kind = Separator.LINE
                else:
                    kind = Separator.SOFT
                out.append(BREAK if kind is Separator.PARAGRAPH else
                           LineBreak() if kind is Separator.LINE else Text("\n"))
            else:
                out.append(node)  # type: ignore[arg-type]
            line += 1
        else:
            out.append(node)
    return out
