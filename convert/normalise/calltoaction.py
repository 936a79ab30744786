"""Remove call-to-action blocks: reward, follow-us, app download, share, related posts.

Sites name these widgets differently (and some not at all), so they are judged by
wording and place, not by class: a short block whose text is a call to action (打赏,
关注公众号, 下载…APP, Buy me a coffee, Share this, 相关阅读, …) is removed when it sits
at the head or tail edge of the article (only other such blocks, images and link lists
between it and the edge) or right beside a QR-code image or a button. The same words
in a paragraph of the article itself stay. A removed block goes whole: its wrapper as
far up as the wrapper holds nothing else, and at an edge the images and link lists
between it and the edge (a QR code, the related posts' titles).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lxml import etree

from .context import StepContext, outermost, remove_all_keeping_tails, text_of, text_sample

_CALL_TO_ACTION = re.compile(
    r"打赏|打賞|赞赏|讚賞|鼓励作者|鼓励一下|鼓励TA|鼓勵作者|请作者喝|請作者喝|支持作者"
    r"|关注(?:我们|我|本|微信)?公众号|關注(?:我們)?公眾號|关注我们|關注我們|微信公众号|公众号[:：]"
    r"|扫码|掃碼|扫一扫|掃一掃|扫描(?:下方|上方)?二维码|长按(?:识别|二维码|扫码)|長按識別"
    r"|下载.{0,15}APP|下載.{0,15}APP|尽在.{0,15}APP|盡在.{0,15}APP|打开.{0,10}APP|打開.{0,10}APP"
    r"|分享到|分享至|相关阅读|相關閱讀|相关文章|相關文章|相关推荐|相關推薦|推荐阅读|推薦閱讀"
    r"|延伸阅读|延伸閱讀|猜你喜欢|猜你喜歡|热门推荐|熱門推薦"
    r"|buy me a coffee|share this|share on|follow us|subscribe to (?:our|the|my)"
    r"|download (?:the|our) app|get the app|related (?:posts|articles|stories|reading)"
    r"|you (?:may|might) also like|support (?:me|us) on|tip the author",
    re.I)
_SCAN = re.compile(r"扫|掃|二维码|二維碼|长按|長按|qr|scan", re.I)
#: Calls whose widget shows a picture: a QR code, an app badge, a tip button.
_WIDGET_IMAGE = re.compile(_SCAN.pattern + r"|app|打赏|打賞|赞赏|讚賞|coffee|tip", re.I)
#: Longer text is a paragraph of the article, whatever words it uses (a CJK character
#: weighs two: it carries about as much as a short Latin word).
_MAX_CTA_WEIGHT = 80
_WIDE = re.compile("[\u3000-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def _weight(text: str) -> int:
    return len(text) + len(_WIDE.findall(text))


def _light(text: str) -> bool:
    """``0 < _weight(text) <= _MAX_CTA_WEIGHT``, counting wide characters only when the
    length alone does not tell (a character weighs one or two)."""
    if not text or len(text) > _MAX_CTA_WEIGHT:
        return False
    return len(text) * 2 <= _MAX_CTA_WEIGHT or _weight(text) <= _MAX_CTA_WEIGHT

#: A list of links this long at an edge is page furniture (related titles, share icons).
_MAX_LINK_LIST_CHARS = 300
_BLOCKS = frozenset({
    "p", "div", "section", "article", "aside", "footer", "header", "nav", "ul", "ol", "li",
    "dl", "dt", "dd", "table", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "center", "figure", "figcaption", "pre",
})
#: What a leaf counts as pictures: a QR code, an app badge, a button.
_PICTURES = ("img", "button", "svg")
#: How far a removal climbs to take a widget's wrapper.
_MAX_CLIMB = 30


@dataclass(slots=True)
class _Leaf:
    el: etree._Element
    text: str
    images: int
    links_only: bool
    stray: bool = False  # text directly in a wrapper: article text, never removed
    code: bool = False  # code is the author's text, whatever it says
    _cta: bool | None = None  # is_cta, once known

    @property
    def is_cta(self) -> bool:
        if self._cta is None:
            self._cta = (not self.stray and not self.code and _light(self.text)
                         and _CALL_TO_ACTION.search(self.text) is not None)
        return self._cta

    @property
    def is_furniture(self) -> bool:
        """An image, a button or a short list of links: no article text of its own."""
        if self.stray or self.code:
            return False
        return not self.text or (self.links_only and len(self.text) <= _MAX_LINK_LIST_CHARS)


def _collapsed(text: str) -> str:
    return " ".join(text.split())


def _stray_text(el: etree._Element, holds_block: set[etree._Element]) -> bool:
    """Whether a wrapper of blocks has text of its own beside them: in it, after a
    child, or in an inline child holding no block (each inline child is read by its
    parent alone)."""
    if (el.text or "").strip():
        return True
    for child in el:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        tail = child.tail
        if tail and tail.strip():
            return True
        if tag not in _BLOCKS and child not in holds_block and text_of(child).strip():
            return True
    return False


def _finder(el: etree._Element) -> Callable[..., Iterable[etree._Element]]:
    """``el.iter(*tags)`` for a leaf block (never one of the tags asked for itself).
    When its children have no children (most paragraphs: text and a ``<br>``), they are
    all there is to search, without a tree walker per search."""
    children = list(el)
    if any(len(child) for child in children):
        return el.iter
    return lambda *tags: [child for child in children if child.tag in tags]


def block_leaves(root: etree._Element) -> list[_Leaf]:
    """The innermost blocks (and images outside them) in document order."""
    holds_block: set[etree._Element] = set()
    for el in root.iter(*_BLOCKS):
        node = el.getparent()
        while node is not None and node not in holds_block:
            holds_block.add(node)
            node = node.getparent()
    out: list[_Leaf] = []
    for el in root.iter(etree.Element):
        if el in holds_block:
            if _stray_text(el, holds_block):
                out.append(_Leaf(el, "x", 0, False, stray=True))
        elif el is not root and el.tag in _BLOCKS:
            text = _collapsed(text_of(el))
            find = _finder(el)
            images = sum(1 for _ in find(*_PICTURES))
            if text or images:
                linked = "".join(text_of(a) for a in find("a"))
                code = el.tag == "pre" or any(True for _ in find("code"))
                # only short text is ever judged: a prefix stands for the rest (a long
                # post keeps no second copy of its text here)
                out.append(_Leaf(el, text[:_MAX_LINK_LIST_CHARS + 1], images, bool(text)
                                 and len(_collapsed(linked)) >= len(text), code=code))
    # images not inside any leaf block (straight in a wrapper)
    # leaves hold no blocks, so none is inside another: this walk is linear
    in_leaf = {img for leaf in out if not leaf.stray and leaf.images
               for img in leaf.el.iter("img")}
    loose = [_Leaf(img, "", 1, False) for img in root.iter("img") if img not in in_leaf]
    if not loose:
        return out  # found walking the tree: in document order already
    out += loose
    # document order of the leaves only (a map of every element would hold a proxy for
    # each: tens of MB on a long post)
    wanted = {leaf.el for leaf in out}
    order = {el: i for i, el in enumerate(root.iter()) if el in wanted}
    out.sort(key=lambda leaf: order.get(leaf.el, 0))
    return out


def _edge(leaves: list[_Leaf]) -> set[int]:
    """Indices of call-to-action leaves at the edge ``leaves`` starts from, with the
    furniture between them and the edge."""
    doomed: set[int] = set()
    pending: list[int] = []
    for i, leaf in enumerate(leaves):
        if leaf.is_cta:
            # link lists always go with it; pictures only with a call to scan, download
            # or tip (its QR code or button), never an article's photo beside "Share this"
            shows_picture = _WIDGET_IMAGE.search(leaf.text) is not None
            doomed.update(j for j in pending if leaves[j].text or shows_picture)
            doomed.add(i)
            pending = []
        elif leaf.is_furniture:
            pending.append(i)
        else:
            return doomed
    # no article text at all: only the calls themselves go, never the pictures; and a
    # post that is nothing but its "call" (one line about QR payments) keeps it
    calls = {i for i in doomed if leaves[i].is_cta}
    return calls if len(calls) < len(leaves) else set()


def _beside_qr_or_button(leaves: list[_Leaf], i: int) -> set[int]:
    """A call to action holding a button or image, or next to an image it asks to scan."""
    leaf = leaves[i]
    if leaf.images:
        return {i}
    if not _SCAN.search(leaf.text):
        return set()
    out = set()
    for j in (i - 1, i + 1):
        if 0 <= j < len(leaves) and not leaves[j].text and leaves[j].images:
            out.update((i, j))
    return out


def _whole_blocks(root: etree._Element, leaves: list[_Leaf], doomed: set[int]
                  ) -> list[etree._Element]:
    """The doomed leaves, each widened to its wrappers that hold nothing else: no text
    but theirs, and images only beside a call to scan, download or tip (its QR code or
    button picture goes with it; an article's photo beside "Share this" does not)."""
    total: dict[etree._Element, int] = {}
    marked: dict[etree._Element, int] = {}
    images: dict[etree._Element, int] = {}
    asks_scan: set[etree._Element] = set()
    stray = {leaf.el for leaf in leaves if leaf.stray}
    for i, leaf in enumerate(leaves):
        image_only = not leaf.text and i not in doomed
        node = leaf.el if leaf.stray else leaf.el.getparent()
        for _ in range(_MAX_CLIMB):
            if node is None or node is root:
                break
            if image_only:
                images[node] = images.get(node, 0) + 1
            else:
                total[node] = total.get(node, 0) + 1
            if i in doomed:
                marked[node] = marked.get(node, 0) + 1
                if _WIDGET_IMAGE.search(leaf.text):
                    asks_scan.add(node)
            node = node.getparent()
    out = []
    for i in sorted(doomed):
        el = leaves[i].el
        while True:
            parent = el.getparent()
            if (parent is None or parent is root or parent in stray
                    or marked.get(parent, 0) != total.get(parent, 0)
                    or (images.get(parent) and parent not in asks_scan)):
                break
            el = parent
        out.append(el)
    return outermost(out)


def remove_calls_to_action(root: etree._Element, ctx: StepContext) -> None:
    """Remove reward, follow-us, app-download, share and related-post blocks."""
    leaves = block_leaves(root)
    if not leaves:
        return
    doomed = _edge(leaves)
    doomed |= {len(leaves) - 1 - i for i in _edge(leaves[::-1])}
    for i, leaf in enumerate(leaves):
        if i not in doomed and leaf.is_cta:
            doomed |= _beside_qr_or_button(leaves, i)
    if not any(leaves[i].is_cta for i in doomed):
        return
    removed = _whole_blocks(root, leaves, doomed)
    sample = text_sample(removed)
    remove_all_keeping_tails(removed)
    ctx.report("remove_calls_to_action", "removed call-to-action blocks (reward, follow us, "
               "app download, share, related posts)", len(removed), sample or None)
