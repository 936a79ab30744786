"""Minimal, exact escaping of text for CommonMark (with GFM tables and strikethrough,
and ``$`` math as GitHub, pandoc and markdown-it's dollarmath plug-in read it).

Escaping happens in two steps. While markdownify converts the text nodes,
:func:`mark` only *marks* every character that could be markup in some context (a
``MARK`` before it). When a whole block is built (a paragraph, a heading, a list item,
a table cell), :func:`resolve` decides each mark with the block's full text around it:

* cheap rules settle the marks that are surely literal: a backslash before anything
  but ASCII punctuation, an ``_`` or ``*`` that can neither open nor close emphasis
  (``pthread_cond_wait``), a ``<`` that starts no tag;
* the rest are settled by the CommonMark parser itself (markdown-it-py, the reader the
  tests and most tools use): the block is rendered with every mark escaped, then each
  escape is dropped in turn when the block renders the same without it, until
  every escape left is needed.

So an escape is written only where a parser would otherwise read markup (``### 1. 软件``
keeps its ``1.``; ``1\\.`` is written only at the start of a paragraph line), and the
output always renders back to the text. Hand-written because no library escapes for a
given parser's context.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

#: Marks the next character as "escape it if a parser would read it as markup".
#: render.escape removes U+0000-U+0008 from all text, so no document text holds it.
MARK = "\x01"

_ALWAYS = re.compile(r"[\\`*_\[\]$]")
_HTML_START = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY_LIKE = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
# Special only at the start of a line: headings, quotes, list markers, thematic breaks,
# fences and setext underlines (the mark goes before the character the group names).
_LINE_START = re.compile(
    r"(?:^|(?<=\n))(?:"
    r"(#)#{0,5}(?=[ \t]|$)"  # ATX heading
    r"|(>)"  # block quote
    r"|([-+])(?=[ \t]|$)"  # bullet list item
    r"|\d{1,9}([.)])(?=[ \t]|$)"  # ordered list item: the "." or ")"
    r"|([-=])[ \t]*(?:[-=][ \t]*)*$"  # thematic break or setext underline
    r")",
    re.M,
)
# A closing sequence ends an ATX heading: "## C #" would lose its "#".
_CLOSING_HASHES = re.compile(r"(?<!#)#+[ \t]*$")  # tried once per run: linear
_TILDE_RUN = re.compile(r"~{2,}")
_MARKED = re.compile(MARK + "(.)", re.S)
# The parser settles a block's marks only within a budget: a block of at most this many
# characters, at most this many renderings of it. Beyond, the unsettled marks stay
# escaped (always correct), so the time stays linear in the text whatever it holds.
MAX_PARSED_BLOCK = 4000
_MAX_RENDERS = 24
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def mark(text: str, in_cell: bool = False) -> str:
    """``text`` with a MARK before every character that may need a backslash; a
    ``|`` in a table cell is always escaped (GFM splits cells on it)."""
    if not text:
        return ""
    spots: set[int] = {m.start() for m in _ALWAYS.finditer(text)}
    spots.update(m.start() for m in _HTML_START.finditer(text))
    spots.update(m.start() for m in _ENTITY_LIKE.finditer(text))
    for run in _TILDE_RUN.finditer(text):
        spots.update(range(run.start(), run.end()))
    for match in _LINE_START.finditer(text):
        group = next(g for g in range(1, 6) if match.group(g) is not None)
        spots.add(match.start(group))
    spots.update(m.start() for m in _CLOSING_HASHES.finditer(text))
    if text.endswith("!"):  # before a link written next, "!" would make it an image
        spots.add(len(text) - 1)
    out = []
    last = 0
    for spot in sorted(spots):  # no spot is ever a "|"
        out.append(text[last:spot])
        out.append(MARK)
        last = spot
    out.append(text[last:])
    marked = "".join(out)
    return marked.replace("|", "\\|") if in_cell else marked


def visible(text: str) -> str:
    """``text`` without its marks (the characters a reader will see)."""
    return text.replace(MARK, "")


def escape_all(text: str) -> str:
    """Every mark as a backslash: safe where no block context is known."""
    return _MARKED.sub(r"\\\1", text)


def resolve(text: str, shape: Callable[[str], str] | None = None, parse: bool = True
            ) -> str:
    """``text`` (a block's Markdown with marks) with a backslash exactly where one is
    needed. ``shape`` puts the block in the context the parser must see (a table cell
    in a table); by default the text is parsed as a document of its own.
    ``parse=False``: the parser is not asked, as for a block beyond the budget (a piece
    of such a block: every decision left is then the cheap rules', which look at the
    characters next to the mark and at its run of ``*`` or ``_`` only)."""
    if MARK not in text:
        return text
    parts = _MARKED.split(text)  # text, candidate, text, candidate, ..., text
    plain = "".join(parts)
    positions, offset = [], 0
    for k, part in enumerate(parts):
        if k % 2:
            positions.append(offset)
        offset += len(part)
    runs: dict[int, tuple[int, int]] = {}
    escaped = [not _surely_literal(plain, pos, runs) for pos in positions]

    def build() -> str:
        out = []
        for k, part in enumerate(parts):
            if k % 2 and escaped[k // 2]:
                out.append("\\")
            out.append(part)
        return "".join(out)

    unsettled = sum(escaped)
    if (not parse or not unsettled or unsettled >= _MAX_RENDERS
            or len(plain) > MAX_PARSED_BLOCK):
        return build()  # every unsettled mark escaped: safe, and linear in the text
    shaped = shape or (lambda s: s)
    base = _render(shaped(build()))
    renders, dropped = 1, True
    while dropped and renders < _MAX_RENDERS:  # until every escape left is needed
        dropped = False
        for i in [i for i, flag in enumerate(escaped) if flag]:
            if renders >= _MAX_RENDERS:
                break
            escaped[i] = False
            renders += 1
            if _render(shaped(build())) != base:
                escaped[i] = True
            else:
                dropped = True
    return build()


@lru_cache(maxsize=2)
def _parser(math: bool) -> MarkdownIt:
    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    if math:
        # "$…$" is math to GitHub, pandoc and markdown-it's plug-in: a "$" of the text
        # that would open math is escaped.
        parser.use(dollarmath_plugin, double_inline=True)
    # A link markdown-it refuses to make (javascript:) is still a link to other readers.
    parser.validateLink = lambda url: True
    return parser


def _render(markdown: str) -> str:
    """The block as a reader with math support and as one without reads it: an escape
    is dropped only when neither reading changes (TeX is plain text to the second, so
    text next to a formula cannot form a link or tag with it there)."""
    if "$" not in markdown:
        return _parser(False).render(markdown)
    return _parser(True).render(markdown) + "\x00" + _parser(False).render(markdown)


# ---------------------------------------------------------------- surely literal


def _surely_literal(plain: str, pos: int, runs: dict[int, tuple[int, int]]) -> bool:
    """True when the character at ``pos`` is text whatever happens around it."""
    char = plain[pos]
    if char == "\\":
        after = plain[pos + 1: pos + 2]
        return after != "\n" and after not in _ASCII_PUNCTUATION
    if char in "*_":
        if pos == 0 or plain[pos - 1] == "\n":
            return False  # a list bullet or a thematic break
        start, end = _run_bounds(plain, pos, runs)
        before = plain[start - 1] if start else ""
        after = plain[end] if end < len(plain) else ""
        left = _left_flanking(before, after)
        right = _left_flanking(after, before)
        if char == "*":
            return not left and not right
        opens = left and (not right or _is_punctuation(before))
        closes = right and (not left or _is_punctuation(after))
        return not opens and not closes
    return False


def _run_bounds(plain: str, pos: int, runs: dict[int, tuple[int, int]]
                ) -> tuple[int, int]:
    """Start and end of the run of ``plain[pos]`` around ``pos``; ``runs`` remembers
    them for every position of the run, so a run of n delimiters is scanned once."""
    bounds = runs.get(pos)
    if bounds is None:
        char = plain[pos]
        start, end = pos, pos
        while start > 0 and plain[start - 1] == char:
            start -= 1
        while end < len(plain) and plain[end] == char:
            end += 1
        bounds = (start, end)
        for i in range(start, end):
            runs[i] = bounds
    return bounds


def _is_space(char: str) -> bool:
    return not char or char.isspace()


def _is_punctuation(char: str) -> bool:
    return bool(char) and unicodedata.category(char)[0] in "PS"


def _left_flanking(before: str, after: str) -> bool:
    """CommonMark: a delimiter run between ``before`` and ``after`` is left-flanking
    (swap the arguments for right-flanking)."""
    return not _is_space(after) and (
        not _is_punctuation(after) or _is_space(before) or _is_punctuation(before))
