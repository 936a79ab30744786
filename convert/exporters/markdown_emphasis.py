"""Emphasis delimiters (``**``, ``*``, ``~~``) that keep the author's span.

CommonMark opens a delimiter run only when it is *left-flanking* and closes one only
when it is *right-flanking*: a run between a letter and punctuation does neither, which
CJK text meets all the time (``在**「重要」**后``, ``**特性：**在``). :func:`delimit`
writes the span exactly as the author marked it wherever the rules allow; where they
truly fail, it moves the fewest punctuation characters at the edges outside the
markers, never one bracket of a pair without the other; only when no such move exists
is the HTML tag written. Hand-written: the flanking rules are the spec's, no library
exposes them for writing.
"""

from __future__ import annotations

import unicodedata

from .markdown_escape import MARK

_OPENING = "([{（［｛「『《〈【〔〖〘〚“‘«‹"
_CLOSING = ")]}）］｝」』》〉】〕〗〙〛”’»›"
_PAIR = dict(zip(_CLOSING, _OPENING, strict=True))
# At most this many punctuation marks are moved out at each edge; a span that needs
# more is written with the HTML tag (and the search stays linear in the text).
_MAX_MOVED = 8


def delimit(text: str, before: str, after: str, marker: str, tag: str) -> str:
    """``text`` (Markdown, possibly with escape marks) wrapped in ``marker`` so that a
    CommonMark parser reads emphasis over the same characters; ``before`` and
    ``after`` are the characters the output has next to it ("" at a block edge)."""
    units = _units(text)
    chars = [unit[-1] for unit in units]
    pairs = _bracket_pairs(chars)
    n = len(units)
    lead_max = min(_movable_run(units), _MAX_MOVED)
    trail_max = min(_movable_run(units[::-1]), _MAX_MOVED)
    for moved in range(0, lead_max + trail_max + 1):
        for lead in range(min(moved, lead_max), -1, -1):
            trail = moved - lead
            if trail > trail_max or lead + trail >= n:
                continue
            if _splits_a_pair(pairs, lead, n - trail):
                continue
            left = chars[lead - 1] if lead else before
            right = chars[n - trail] if trail else after
            if _can_open(left, chars[lead]) and _can_close(chars[n - trail - 1], right):
                inner = "".join(units[lead:n - trail])
                return ("".join(units[:lead]) + marker + inner + marker
                        + "".join(units[n - trail:]))
    return f"<{tag}>{text}</{tag}>"


def _units(text: str) -> list[str]:
    """The characters of ``text``, each with the escape mark (or backslash) before it
    kept on it."""
    units, pending = [], ""
    for char in text:
        if char == MARK or (char == "\\" and not pending):
            pending += char  # a mark, or a backslash already written (a cell's "\|")
            continue
        units.append(pending + char)
        pending = ""
    if pending:
        units.append(pending)
    return units


def _movable_run(units: list[str]) -> int:
    """How many units from the start are text punctuation that may move. Markup the
    converter wrote (a code span's backtick, a link's bracket) is ASCII and unmarked:
    it never moves, while text's ASCII markup characters carry a mark."""
    count = 0
    for unit in units:
        char = unit[-1]
        if not is_punctuation(char) or (char.isascii() and not unit.startswith(MARK)):
            break
        count += 1
    return count


def _bracket_pairs(chars: list[str]) -> list[tuple[int, int]]:
    """Index pairs of matching brackets and quotes: each closing one with the latest
    unmatched opening one of its kind (one stack per kind: linear time)."""
    pairs: list[tuple[int, int]] = []
    stacks: dict[str, list[int]] = {}
    for i, char in enumerate(chars):
        if char in _OPENING:
            stacks.setdefault(char, []).append(i)
        elif char in _PAIR:
            stack = stacks.get(_PAIR[char])
            if stack:
                pairs.append((stack.pop(), i))
    return pairs


def _splits_a_pair(pairs: list[tuple[int, int]], start: int, end: int) -> bool:
    """True when exactly one bracket of some pair is inside ``[start, end)``."""
    return any((start <= i < end) != (start <= j < end) for i, j in pairs)


def is_punctuation(char: str) -> bool:
    """Unicode punctuation or symbol, as CommonMark 0.31 and markdown-it-py read it."""
    return bool(char) and unicodedata.category(char)[0] in "PS"


def _is_space(char: str) -> bool:
    return not char or char.isspace()


def _can_open(before: str, first: str) -> bool:
    """CommonMark's left-flanking rule for a delimiter run between two characters."""
    return not _is_space(first) and (
        not is_punctuation(first) or _is_space(before) or is_punctuation(before))


def _can_close(last: str, after: str) -> bool:
    """CommonMark's right-flanking rule."""
    return not _is_space(last) and (
        not is_punctuation(last) or _is_space(after) or is_punctuation(after))
