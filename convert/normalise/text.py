"""Whitespace in running text, the way a browser shows it, minus its one CJK mistake.

HTML collapses every whitespace run to one space. Between two CJK characters a
source line break is not a space at all (a browser inserts one; Chinese readers see a
stray gap), so a run that holds a newline and sits between CJK characters vanishes.
Leading and trailing whitespace of a paragraph, and whitespace next to a line break,
go too, together with indentation by U+3000 or no-break spaces.
"""

from __future__ import annotations

import re

from ..model import CONTAINER_INLINES, Inline, LineBreak, Text, iter_inlines

# Han, kana, Hangul, CJK punctuation and full-width forms.
_CJK = (
    "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3200-\u9fff\uac00-\ud7af"
    "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff"
)
CJK_CLASS = _CJK  # for character classes elsewhere
_CJK_CHAR = re.compile(f"[{_CJK}]")
_NEWLINE_BETWEEN_CJK = re.compile(f"(?<=[{_CJK}])\n(?=[{_CJK}])")


def is_cjk(char: str) -> bool:
    return bool(char) and _CJK_CHAR.match(char) is not None


# A whitespace run holding a newline, and a run without one that is more than a single
# space. Both are tried only where a run starts (the lookbehind refuses the middle of one
# at once): a long run without a newline is scanned once, not once per character.
_WS_RUN_WITH_NEWLINE = re.compile(r"(?<![ \t\r\f\v])[ \t\r\f\v]*\n[ \t\n\r\f\v]*")
_WS_RUN_NOT_A_SPACE = re.compile(r"[\t\r\f\v][ \t\r\f\v]*| [ \t\r\f\v]+")


def _collapse(text: str) -> str:
    """Collapse whitespace runs to ``"\\n"`` (if they held a newline) or ``" "``.

    Two substitutions by fixed strings (no Python call per run): runs holding a newline
    first, which leaves every remaining run without one.
    """
    if "\n" in text:
        text = _WS_RUN_WITH_NEWLINE.sub("\n", text)
    return _WS_RUN_NOT_A_SPACE.sub(" ", text)


def collapse_text(text: str) -> str:
    """Whitespace of a plain string collapsed the same way (no paragraph context)."""
    text = _NEWLINE_BETWEEN_CJK.sub("", _collapse(text).strip())
    return text.replace("\n", " ")


def _leaves(inlines: list[Inline]) -> list[Inline]:
    """Text, line breaks and opaque inlines (code, images) in reading order."""
    for node in inlines:
        if isinstance(node, CONTAINER_INLINES):
            return [node for node in iter_inlines(inlines)
                    if not isinstance(node, CONTAINER_INLINES)]
    return inlines  # flat already (most runs): the list itself, only read


def normalise_whitespace(inlines: list[Inline]) -> None:
    """Collapse whitespace in the Text leaves of a paragraph-like run, in place.

    A whitespace run that spans several leaves is kept once, in the leaf where it
    started (so ``a <b>b</b>`` keeps its space outside the bold), and dropped at the
    start of a line, at its end, and between CJK characters when it held a newline.
    """
    leaves = _leaves(inlines)
    prev_char = ""  # last visible character on this line ("" = line start)
    holder: Text | None = None  # leaf where the pending whitespace run started
    pending = ""  # the pending run, "" when none
    for leaf in leaves:
        if isinstance(leaf, LineBreak):
            prev_char, holder, pending = "", None, ""
            continue
        if not isinstance(leaf, Text):  # code, image: visible, holds no whitespace
            if pending and prev_char and holder is not None:
                holder.text += " "
            prev_char, holder, pending = "\ufffc", None, ""
            continue
        text = _collapse(leaf.text)
        body = text.lstrip(" \n")
        if len(body) < len(text) and not pending:
            holder = leaf
        pending += text[: len(text) - len(body)]
        if not body:
            leaf.text = ""
            continue
        core = body.rstrip(" \n")
        trailing = body[len(core):]
        lead = ""
        if pending and prev_char:
            cjk_join = "\n" in pending and is_cjk(prev_char) and is_cjk(core[0])
            if not cjk_join:
                if holder is leaf or holder is None:
                    lead = " "
                else:
                    holder.text += " "
        if "\n" in core:
            core = _NEWLINE_BETWEEN_CJK.sub("", core).replace("\n", " ")
        if not prev_char:
            core = core.lstrip()  # all Unicode spaces, U+3000 and no-break space too
        leaf.text = lead + core
        if core:
            prev_char = core[-1]
        pending, holder = trailing, (leaf if trailing else None)
    # Trailing indentation-like spaces before a line break or at the end.
    for i, leaf in enumerate(leaves):
        if isinstance(leaf, Text) and (i + 1 == len(leaves) or isinstance(leaves[i + 1],
                                                                          LineBreak)):
            # str.rstrip, not a "\s+$" regex: that rescans a long inner run of spaces
            # from each of its characters (quadratic).
            leaf.text = leaf.text.rstrip()


def prune_inlines(inlines: list[Inline]) -> list[Inline]:
    """Drop empty Text nodes and empty containers; merge adjacent Text nodes."""
    out: list[Inline] = []
    run: list[Text] = []  # adjacent Text nodes, joined once (pairwise is quadratic)

    def end_run() -> None:
        if run:
            out.append(run[0] if len(run) == 1 else Text("".join(t.text for t in run)))
            run.clear()

    for node in inlines:
        if isinstance(node, CONTAINER_INLINES):
            node.children = prune_inlines(node.children)
            if not node.children:
                continue
        elif isinstance(node, Text):
            if node.text:
                run.append(node)
            continue
        end_run()
        out.append(node)
    end_run()
    return out


def strip_line_breaks(inlines: list[Inline]) -> list[Inline]:
    """Drop line breaks at the start and end of a run, and repeated ones."""
    out: list[Inline] = []
    for node in inlines:
        if isinstance(node, LineBreak) and (not out or isinstance(out[-1], LineBreak)):
            continue
        out.append(node)
    while out and isinstance(out[-1], LineBreak):
        out.pop()
    return out


def tidy_inlines(inlines: list[Inline]) -> list[Inline]:
    """Whitespace collapsed, empties pruned, stray line breaks dropped."""
    if inlines and type(inlines[0]) is Text and all(
            type(node) is LineBreak for node in inlines[1:]):
        # One Text, perhaps closed by line breaks (<p>text<br></p>): those breaks end
        # the run, so they go whatever the text becomes.
        return _tidy_text(inlines[0])
    normalise_whitespace(inlines)
    return strip_line_breaks(prune_inlines(inlines))


def _tidy_text(leaf: Text) -> list[Inline]:
    """:func:`tidy_inlines` of a run that is one Text and line breaks after it (most
    paragraphs): the steps of :func:`normalise_whitespace` for a leaf that starts and
    ends its line."""
    core = _collapse(leaf.text).strip(" \n")
    if "\n" in core:
        core = _NEWLINE_BETWEEN_CJK.sub("", core).replace("\n", " ")
    leaf.text = core.strip()  # all Unicode spaces, U+3000 and no-break space too
    return [leaf] if leaf.text else []


def has_visible_content(inlines: list[Inline]) -> bool:
    for node in inlines:  # most runs hold no containers: no walk needed
        if isinstance(node, Text):
            if node.text.strip():
                return True
        elif isinstance(node, CONTAINER_INLINES):
            break  # the walk below goes inside
        elif not isinstance(node, LineBreak):  # Code, Image
            return True
    else:
        return False
    for node in iter_inlines(inlines):
        if isinstance(node, Text):
            if node.text.strip():
                return True
        elif not isinstance(node, (LineBreak, *CONTAINER_INLINES)):  # Code, Image
            return True
    return False
