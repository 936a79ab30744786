"""Remove page furniture: comment-delimited ad blocks and widgets.

Widgets are recognised by what every site calls them in ``class`` and ``id`` (share,
reward/打赏, QR code, copy-code buttons, ad slots) and by the exact labels of their
buttons, never by guessing from article text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from .context import (
    StepContext,
    iter_events,
    outermost,
    remove_all_keeping_tails,
    text_of,
    text_sample,
)

_AD_WORDS = r"(?:广告|廣告|推广|(?<![a-z])(?:ads?|advert\w*|sponsor\w*)(?![a-z]))"
_AD_START = re.compile(rf"{_AD_WORDS}\S*\s*(?:开始|開始|begin|start)|(?:begin|start)\s*{_AD_WORDS}",
                       re.I)
_AD_END = re.compile(rf"{_AD_WORDS}\S*\s*(?:结束|結束|end)|end\s*{_AD_WORDS}", re.I)
#: Longer comments are commented-out markup, never start or end markers.
_MAX_MARKER_CHARS = 200

# Class or id words of widgets (matched as whole words between - and _).
_WIDGET_WORDS = (
    "share", "sharing", "social-share", "reward", "dashang", "donate", "qrcode", "qr-code",
    "copy-code", "copy-code-btn", "copycode", "code-copy", "copy-btn", "btn-copy", "clipboard",
    "adsbygoogle", "advert", "advertisement", "ad", "ads", "ad-slot", "adsense", "sponsor",
    "sponsored", "like-button", "toolbar", "print-button",
)
_WIDGET_CLASS = re.compile(
    r"(?:^|[\s_-])(?:" + "|".join(re.escape(w) for w in _WIDGET_WORDS) + r")(?:$|[\s_-])", re.I)
#: Exact text of buttons and labels that are never article content.
WIDGET_LABELS = frozenset({
    "复制代码", "複製代碼", "打赏", "打賞", "赞赏", "讚賞", "扫码分享", "掃碼分享",
    "分享到：", "分享到:", "Copy code", "Copy", "复制",
})
_LABEL_TAGS = frozenset({"span", "a", "button", "div", "i", "small", "em", "b", "p", "label"})


def _events_after(node: etree._Element, root: etree._Element
                  ) -> Iterator[tuple[str, etree._Element]]:
    """The :func:`~convert.normalise.context.iter_events` of ``root`` that follow
    ``("end", node)``, without walking what comes before ``node``."""
    el = node
    while el is not root:
        if el.tail:
            yield "tail", el
        sibling = el.getnext()
        while sibling is not None:
            yield from iter_events(sibling)
            if sibling.tail:  # iter_events leaves out its own root's tail
                yield "tail", sibling
            sibling = sibling.getnext()
        el = el.getparent()
        yield "end", el


def _remove_ranges(root: etree._Element,
                   ranges: list[tuple[etree._Element, etree._Element]]) -> list[str]:
    """Remove everything between each (start, end) pair of nodes in document order
    (pairs in document order, not overlapping); returns the removed text of each range.

    Each range is walked from its start on, not the tree from its root: text is cut
    while walking, a range's elements when the range closes (the walk has passed all
    of their events by then). Nothing a walk changes lies after its range, so the
    events of the next one are what a walk of the whole tree would give.
    """
    samples: list[str] = []
    for start, end in ranges:
        opened: set[etree._Element] = set()
        removed_text: list[str] = []
        to_remove: list[etree._Element] = []
        for kind, el in _events_after(start, root):
            if el is end and kind == "start":
                break
            if kind == "start":
                opened.add(el)
            elif kind == "end" and el in opened:
                if el.getparent() not in opened:  # else an opened ancestor goes with it
                    to_remove.append(el)
            elif kind == "text" and el not in opened:  # text of an ancestor, after the start
                removed_text.append(el.text or "")
                el.text = None
            elif kind == "tail":
                removed_text.append(el.tail or "")
                el.tail = None
        else:  # the end was not found after the start: nothing is removed
            continue
        for el in to_remove:
            if isinstance(el.tag, str):  # a comment or processing instruction shows nothing
                removed_text.append(text_of(el))
            el.getparent().remove(el)
        samples.append(" | ".join(t for t in removed_text if t.strip()))
    return samples


def remove_ad_blocks(root: etree._Element, ctx: StepContext) -> None:
    """Remove what lies between ``<!--广告…开始-->`` and ``<!--广告…结束-->`` comments."""
    comments = [c for c in root.iter(etree.Comment) if c.text]
    ranges = []
    pending_start = None
    for comment in comments:
        text = comment.text.strip()
        if len(text) > _MAX_MARKER_CHARS:
            continue  # commented-out markup, not a marker (and "广告\S*" is slow on it)
        if _AD_START.search(text):
            pending_start = comment
        elif _AD_END.search(text) and pending_start is not None:
            ranges.append((pending_start, comment))
            pending_start = None
    samples = _remove_ranges(root, ranges) if ranges else []
    ctx.report("remove_ad_blocks", "removed comment-delimited ad blocks", len(ranges),
               " | ".join(samples) or None)


def _is_widget(el: etree._Element) -> bool:
    classes, ident = el.get("class"), el.get("id")
    if classes or ident:
        names = f"{classes or ''} {ident or ''}"
        if names.strip() and _WIDGET_CLASS.search(names):
            return True
    tag = el.tag
    if tag in ("ins", "form"):
        return True
    if tag in _LABEL_TAGS and len(el) == 0 and (el.text or "").strip() in WIDGET_LABELS:
        return _stands_alone(el)
    return False


def _stands_alone(el: etree._Element) -> bool:
    """No text runs on either side of the element: a button, not a word in a sentence."""
    if (el.tail or "").strip():
        return False
    previous = el.getprevious()
    before = previous.tail if previous is not None else el.getparent().text
    return not (before or "").strip()


def remove_widgets(root: etree._Element, ctx: StepContext) -> None:
    """Remove share, reward, QR-code, copy-code and ad widgets, and forms."""
    found = [el for el in root.iter(etree.Element) if el is not root and _is_widget(el)]
    topmost = outermost(found)
    sample = text_sample(topmost)
    remove_all_keeping_tails(topmost)
    ctx.report("remove_widgets", "removed widgets (share, reward, copy-code, ads, forms)",
               len(topmost), sample or None)
