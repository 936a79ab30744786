"""Bold written only as style: ``font-weight:bold|bolder|600–900`` and site attributes.

Editors mark bold without ``<b>``: ``<span style="font-weight: 700">``, ``<p
style="font-weight:bold">``, or their own attribute (``<font cms-style="font-L
strong-Bold">``). Such an inline element becomes ``<strong>``; a block keeps its tag and
gets its content wrapped in one. Headings, table headers and code are left alone (they
are bold already, or code text must stay exactly as written). The other way round, a
``<b>`` whose style says ``font-weight:normal`` (Google Docs wraps whole documents in
one) is not bold.
"""

from __future__ import annotations

import re
from itertools import islice

from lxml import etree

from .context import StepContext, text_of
from .hidden import declarations

_BOLD_WEIGHT = re.compile(r"^(?:bold|bolder|[6-9]00)\s*(?:!important)?$", re.I)
_NORMAL_WEIGHT = re.compile(r"^(?:normal|lighter|[1-4]00)\s*(?:!important)?$", re.I)
# A site's own styling attribute (any name ending in "style" but ``style``) naming bold.
_BOLD_WORD = re.compile(r"(?:^|[\s_-])(?:strong|bold)(?:$|[\s_-])", re.I)
_INLINE = frozenset({"span", "font"})
_BLOCK = frozenset({"p", "div", "li", "td", "dd", "dt", "section", "center"})
_BLOCK_INSIDE = frozenset({
    "p", "div", "section", "article", "ul", "ol", "li", "table", "pre", "blockquote", "figure",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "img", "dl", "center",
})
#: How far to look around an element (bounded: deeply nested soup stays linear).
_LOOK = 200
_ALREADY_BOLD = frozenset({"strong", "b", "h1", "h2", "h3", "h4", "h5", "h6", "th", "pre",
                           "code", "kbd", "samp", "tt"})


def is_styled_bold(el: etree._Element) -> bool:
    """Whether ``el``'s style or a site styling attribute makes it bold."""
    return _bold_attributes(el.items())


def _bold_attributes(items: list[tuple[str, str]]) -> bool:
    for name, value in items:
        name = name.lower()
        if name == "style":
            weight = declarations(value).get("font-weight", "")
            if _BOLD_WEIGHT.match(weight.strip()):
                return True
        elif name.endswith("style") and _BOLD_WORD.search(value):
            return True
    return False


def bold_from_style(root: etree._Element, ctx: StepContext) -> None:
    """Make style-only bold into ``<strong>``."""
    unbolded = 0
    for el in root.iter("b", "strong"):
        weight = declarations(el.get("style") or "").get("font-weight", "")
        if el.get("style") and _NORMAL_WEIGHT.match(weight.strip()):
            el.tag = "span"
            unbolded += 1
    ctx.report("bold_from_style", "made <b> whose style says font-weight:normal plain text",
               unbolded)
    made = 0
    for el in list(root.iter(*_INLINE, *_BLOCK)):
        items = el.items()
        if not items or not _bold_attributes(items):
            continue
        if any(a.tag in _ALREADY_BOLD for a in islice(el.iterancestors(), _LOOK)):
            continue
        if el.tag in _INLINE:
            el.tag = "strong"
        elif any(d.tag in _BLOCK_INSIDE for d in islice(el.iterdescendants(), _LOOK)):
            continue  # a wrapper of blocks: its paragraphs are not one bold run
        else:
            if not text_of(el).strip():
                continue
            strong = etree.SubElement(el, "strong")
            strong.text, el.text = el.text, None
            for child in list(el)[:-1]:
                strong.append(child)  # moves it, its tail along
        made += 1
    ctx.report("bold_from_style", "made text bold by style (font-weight, a site's bold "
               "attribute) into strong", made)
