"""Remove page furniture: comment-delimited ad blocks and widgets.

Widgets are recognised by what every site calls them in ``class`` and ``id`` (share,
reward/打赏, QR code, copy-code buttons, ad slots) and by the exact labels of their
buttons, never by guessing from article text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree
from lxml.html import HtmlElement

from .context import StepContext, remove_keeping_tail, text_sample

_AD_WORDS = r"(?:广告|廣告|推广|(?<![a-z])(?:ads?|advert\w*|sponsor\w*)(?![a-z]))"
_AD_START = re.compile(rf"{_AD_WORDS}\S*\s*(?:开始|開始|begin|start)|(?:begin|start)\s*{_AD_WORDS}",
                       re.I)
_AD_END = re.compile(rf"{_AD_WORDS}\S*\s*(?:结束|結束|end)|end\s*{_AD_WORDS}", re.I)

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


def _events(el: etree._Element) -> Iterator[tuple[str, etree._Element]]:
    """Document order as events: ("start", el), ("text", el), ("end", el), ("tail", el)."""
    yield "start", el
    if el.text:
        yield "text", el
    for child in el:
        yield from _events(child)
    yield "end", el
    if el.tail:
        yield "tail", el


def _remove_range(root: etree._Element, start: etree._Element, end: etree._Element) -> str:
    """Remove everything between two nodes in document order; returns the removed text."""
    inside = False
    opened: set[etree._Element] = set()
    removed_text: list[str] = []
    to_remove: list[etree._Element] = []
    for kind, el in list(_events(root)):
        if el is start and kind == "end":
            inside = True
            continue
        if el is end and kind == "start":
            break
        if not inside:
            continue
        if kind == "start":
            opened.add(el)
        elif kind == "end" and el in opened:
            if not any(a in opened for a in el.iterancestors()):
                to_remove.append(el)
        elif kind == "text" and el not in opened:  # text of an ancestor, after the start
            removed_text.append(el.text or "")
            el.text = None
        elif kind == "tail":
            removed_text.append(el.tail or "")
            el.tail = None
    for el in to_remove:
        removed_text.append("".join(el.itertext()))
        el.getparent().remove(el)
    return " | ".join(t for t in removed_text if t.strip())


def remove_ad_blocks(root: HtmlElement, ctx: StepContext) -> None:
    """Remove what lies between ``<!--广告…开始-->`` and ``<!--广告…结束-->`` comments."""
    comments = [c for c in root.iter(etree.Comment) if c.text]
    count, samples = 0, []
    pending_start = None
    for comment in comments:
        text = comment.text.strip()
        if _AD_START.search(text):
            pending_start = comment
        elif _AD_END.search(text) and pending_start is not None:
            samples.append(_remove_range(root, pending_start, comment))
            pending_start = None
            count += 1
    ctx.report("remove_ad_blocks", "removed comment-delimited ad blocks", count,
               " | ".join(samples) or None)


def _is_widget(el: etree._Element) -> bool:
    names = f"{el.get('class') or ''} {el.get('id') or ''}"
    if names.strip() and _WIDGET_CLASS.search(names):
        return True
    if el.tag in ("ins", "form"):
        return True
    if el.tag in _LABEL_TAGS and len(el) == 0 and (el.text or "").strip() in WIDGET_LABELS:
        return _stands_alone(el)
    return False


def _stands_alone(el: etree._Element) -> bool:
    """No text runs on either side of the element: a button, not a word in a sentence."""
    if (el.tail or "").strip():
        return False
    previous = el.getprevious()
    before = previous.tail if previous is not None else el.getparent().text
    return not (before or "").strip()


def remove_widgets(root: HtmlElement, ctx: StepContext) -> None:
    """Remove share, reward, QR-code, copy-code and ad widgets, and forms."""
    found = [el for el in root.iter(etree.Element) if el is not root and _is_widget(el)]
    found_set = set(found)
    topmost = [el for el in found if not any(a in found_set for a in el.iterancestors())]
    sample = text_sample(topmost)
    for el in topmost:
        remove_keeping_tail(el)
    ctx.report("remove_widgets", "removed widgets (share, reward, copy-code, ads, forms)",
               len(topmost), sample or None)
