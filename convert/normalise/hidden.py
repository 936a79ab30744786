"""Remove what a reader of the original page could not see.

Hidden by CSS (``display:none``, ``visibility:hidden``, ``font-size:0``, ``opacity:0``),
by the ``hidden`` attribute, or by colour: text whose colour is so close to its
background that the contrast ratio (WCAG 2 relative luminance) is under
:data:`MIN_CONTRAST`. Anti-scraping watermarks like ``<font color="#F8F8F8">Mitbbs.com``
are the last kind; deciding by contrast, not by a list of hex strings, catches
``#fff``, ``rgb(250,250,250)``, ``whitesmoke`` and their cousins alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import TypeVar

import webcolors
from lxml import etree

from .context import StepContext, remove_all_keeping_tails, text_sample

#: Below this contrast ratio against its background, text counts as invisible.
#: 1.0 is identical colours; #F8F8F8 on white is 1.06, #DDD 1.36, light grey #999 2.85.
MIN_CONTRAST = 1.3
WHITE = (1.0, 1.0, 1.0)

RGB = tuple[float, float, float]
# "0", "0.", "0.00", ".0" with a unit; one way to match each string (no backtracking
# blow-up on a long run of zeros).
_ZERO = re.compile(r"^[+-]?(?:0+(?:\.0*)?|\.0+)(px|pt|em|rem|%|ex|ch|vw|vh)?$")
# Arguments stop at the next parenthesis: an unclosed "rgb(" then fails at once
# instead of scanning to the end of the value for every "rgb(" in it.
_RGB_FUNC = re.compile(r"rgba?\(([^()]*)\)")
_HEX = re.compile(r"#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})\b")


# Pages repeat a few style strings on thousands of elements: each is parsed once. Only
# short values are remembered, and only so many, so the memory held across posts stays
# small whatever the input.
_CACHE_SIZE = 1024
_CACHED_CHARS = 500
_T = TypeVar("_T")


def _remembered_when_short(fn: Callable[..., _T]) -> Callable[..., _T]:
    """``fn``, its answers remembered (:data:`_CACHE_SIZE` of them) when its string
    arguments hold at most :data:`_CACHED_CHARS` characters together."""
    cached = lru_cache(maxsize=_CACHE_SIZE)(fn)

    @wraps(fn)
    def call(*args: object) -> _T:
        if sum(len(a) for a in args if isinstance(a, str)) > _CACHED_CHARS:
            return fn(*args)
        return cached(*args)
    return call


def _parse_style(style: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for declaration in style.split(";"):
        name, sep, value = declaration.partition(":")
        if sep:
            out[name.strip().lower()] = value.strip().lower().replace("!important", "").strip()
    return out


#: :func:`style_declarations`, the same dict for the same string: read it only.
declarations = _remembered_when_short(_parse_style)


def style_declarations(style: str) -> dict[str, str]:
    """``"a: b; C:d"`` → ``{"a": "b", "c": "d"}`` (later declarations win)."""
    return dict(declarations(style))


def _parse_color(value: str) -> tuple[RGB, float] | None:
    """An HTML/CSS colour as ``((r, g, b) in 0..1, alpha)``, or None if unknown."""
    value = value.strip().lower()
    if not value:
        return None
    if value == "transparent":
        return WHITE, 0.0
    match = _RGB_FUNC.fullmatch(value)
    if match:
        parts = [p for p in re.split(r"[\s,/]+", match.group(1)) if p]
        try:
            channels = [float(p[:-1]) * 2.55 if p.endswith("%") else float(p) for p in parts[:3]]
            alpha = 1.0
            if len(parts) > 3:
                alpha = float(parts[3][:-1]) / 100 if parts[3].endswith("%") else float(parts[3])
        except ValueError:
            return None
        if len(channels) != 3:
            return None
        r, g, b = (min(max(c, 0.0), 255.0) / 255 for c in channels)
        return (r, g, b), min(max(alpha, 0.0), 1.0)
    if not value.startswith("#") and re.fullmatch(r"[0-9a-f]{6}", value):
        value = "#" + value  # <font color="F8F8F8">: browsers accept it
    try:
        if value.startswith("#"):
            alpha = 1.0
            digits = value[1:]
            if len(digits) in (4, 8):  # #rgba / #rrggbbaa
                cut = len(digits) * 3 // 4
                alpha_hex = digits[cut:] * (2 if len(digits) == 4 else 1)
                alpha, value = int(alpha_hex, 16) / 255, "#" + digits[:cut]
            rgb = webcolors.hex_to_rgb(value)
        else:
            rgb, alpha = webcolors.name_to_rgb(value), 1.0
    except ValueError:
        return None
    return (rgb.red / 255, rgb.green / 255, rgb.blue / 255), alpha


parse_color = _remembered_when_short(_parse_color)


@lru_cache(maxsize=_CACHE_SIZE)  # a few colours, asked about again and again
def _luminance(rgb: RGB) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground: RGB, background: RGB) -> float:
    """WCAG 2 contrast ratio, 1.0 (same) to 21.0 (black on white)."""
    a, b = _luminance(foreground), _luminance(background)
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def _blend(color: tuple[RGB, float], background: RGB) -> RGB:
    rgb, alpha = color
    r, g, b = (alpha * c + (1 - alpha) * bg for c, bg in zip(rgb, background, strict=True))
    return r, g, b


def _own_background(el: etree._Element) -> tuple[RGB, float] | None:
    style = el.get("style")
    bgcolor = el.get("bgcolor")
    if not style and not bgcolor:
        return None
    return _background_from(style, bgcolor)


@_remembered_when_short
def _background_from(style: str | None, bgcolor: str | None) -> tuple[RGB, float] | None:
    """The background colour a ``style`` and a ``bgcolor`` attribute set, if any."""
    declared = declarations(style or "")
    for key in ("background-color", "background"):
        for token in _color_tokens(declared.get(key, "")):
            color = parse_color(token)
            if color is not None:
                return color
    return parse_color(bgcolor) if bgcolor else None


def _color_tokens(value: str) -> list[str]:
    """Colour-looking tokens in a shorthand like ``background: url(x) #000 no-repeat``."""
    if not value:
        return []
    tokens = _RGB_FUNC.findall(value)
    found = [f"rgb({t})" for t in tokens]
    found += _HEX.findall(value)
    found += [w for w in re.split(r"[\s,]+", _RGB_FUNC.sub(" ", value)) if w.isalpha()]
    return found


def background_of(el: etree._Element) -> RGB:
    """The background colour behind an element: the nearest one set, over white."""
    layers = []
    node: etree._Element | None = el
    while node is not None:
        color = _own_background(node)
        if color is not None:
            layers.append(color)
            if color[1] >= 1.0:
                break
        node = node.getparent()
    background = WHITE
    for color in reversed(layers):
        background = _blend(color, background)
    return background


def _hidden_by_css(style: dict[str, str]) -> bool:
    if style.get("display") == "none":
        return True
    if style.get("visibility") in ("hidden", "collapse"):
        return True
    if "font-size" in style and _ZERO.match(style["font-size"]):
        return True
    try:
        if "opacity" in style and float(style["opacity"].rstrip("%")) <= 0.05:
            return True
    except ValueError:
        pass
    return False


def _colour_invisible(el: etree._Element, value: str | None) -> bool:
    color = parse_color(value) if value else None
    if color is None:
        return False
    background = background_of(el)
    return contrast(_blend(color, background), background) < MIN_CONTRAST


def _own_colour(el: etree._Element) -> str | None:
    style = el.get("style")
    color = declarations(style).get("color") if style else None
    return color or (el.get("color") if el.tag == "font" else None)


@_remembered_when_short
def _style_hides(style: str) -> bool:
    return _hidden_by_css(declarations(style))


def hidden_by_attributes(el: etree._Element) -> bool:
    """Hidden whatever its content: the ``hidden`` attribute or CSS that hides boxes."""
    if el.get("hidden") is not None:
        return True
    style = el.get("style")
    return bool(style) and _style_hides(style)


def is_invisible(el: etree._Element) -> bool:
    """Whether an element's own attributes make its own text invisible."""
    return hidden_by_attributes(el) or _colour_invisible(el, _own_colour(el))


def _background_over(el: etree._Element, behind: RGB) -> RGB:
    """The background an element's content sits on: its own (if any) over ``behind``."""
    color = _own_background(el)
    return behind if color is None else _blend(color, behind)


def _invisible_on(el: etree._Element, background: RGB) -> bool:
    """:func:`is_invisible` with the background behind ``el`` already known."""
    if hidden_by_attributes(el):
        return True
    value = _own_colour(el)
    color = parse_color(value) if value else None
    return color is not None and _faint(color, background)


@lru_cache(maxsize=_CACHE_SIZE)  # a page has few colours and backgrounds
def _faint(color: tuple[RGB, float], background: RGB) -> bool:
    """Whether text of ``color`` on ``background`` is under :data:`MIN_CONTRAST`."""
    return contrast(_blend(color, background), background) < MIN_CONTRAST


# Only these can hide their content: the rest of the tree is never asked about itself.
_MAY_HIDE = etree.XPath("descendant-or-self::*[@hidden or @style or self::font]")


def _children_on(el: etree._Element, background: RGB) -> list[tuple[etree._Element, RGB]]:
    """Child elements paired with the background behind them, last child first (for a
    stack: document order when popped)."""
    return [(child, background) for child in reversed(el) if isinstance(child.tag, str)]


class _Backgrounds:
    """The background each element's content sits on, computed once per element on the
    way from the root down (asking every element for all its ancestors' backgrounds is
    quadratic on a deeply nested page), and whether an element lies inside one already
    found invisible."""

    def __init__(self, root: etree._Element) -> None:
        parent = root.getparent()
        self._root = root
        self._outside = background_of(parent) if parent is not None else WHITE
        self._over: dict[etree._Element, RGB] = {}
        self.found: set[etree._Element] = set()
        self._covered: dict[etree._Element, bool] = {}

    def behind(self, el: etree._Element) -> tuple[RGB, bool]:
        """The background behind ``el`` (its parent's content background), and whether
        an ancestor of ``el`` was found invisible."""
        if el is self._root:
            return self._outside, False
        chain = []
        node = el.getparent()
        while node is not None and node not in self._over:
            chain.append(node)
            if node is self._root:
                break
            node = node.getparent()
        if node is None or (chain and chain[-1] is self._root):
            background, covered = self._outside, False
        else:
            background, covered = self._over[node], self._covered[node]
        for node in reversed(chain):
            background = _background_over(node, background)
            covered = covered or node in self.found
            self._over[node], self._covered[node] = background, covered
        return background, covered


def _outermost_invisible(root: etree._Element) -> list[tuple[etree._Element, RGB]]:
    """Invisible elements not inside another one, in document order, each with the
    background its content sits on.

    Only elements that can hide anything are asked (an XPath finds them); the
    background behind each is carried down from the root once. (What it gives equals
    :func:`background_of`: blending an opaque colour over anything gives that colour.)
    """
    backgrounds = _Backgrounds(root)
    found = []
    for el in _MAY_HIDE(root):
        behind, covered = backgrounds.behind(el)
        if covered:
            continue
        # _background_over and _invisible_on, from one reading of the attributes
        own, hides, colour = _verdict(el.get("style"), el.get("bgcolor"),
                                      el.get("hidden") is not None,
                                      el.get("color") if el.tag == "font" else None)
        background = behind if own is None else _blend(own, behind)
        if hides or (colour is not None and _faint(colour, background)):
            found.append((el, background))  # what is inside goes with it
            backgrounds.found.add(el)
    return found


@_remembered_when_short
def _verdict(style: str | None, bgcolor: str | None, hidden: bool,
                       font_colour: str | None
                       ) -> tuple[tuple[RGB, float] | None, bool, tuple[RGB, float] | None]:
    """What an element's attributes say: its own background (:func:`_own_background`),
    whether they hide it whatever its content (:func:`hidden_by_attributes`), and its
    own text colour (:func:`_own_colour`, parsed)."""
    own = _background_from(style, bgcolor) if style or bgcolor else None
    hides = hidden or (bool(style) and _style_hides(style))
    value = (declarations(style).get("color") if style else None) or font_colour
    return own, hides, parse_color(value) if value else None


def _visible_descendants(el: etree._Element, background: RGB) -> list[etree._Element]:
    """Descendants of an invisibly coloured element (whose content sits on
    ``background``) that set a visible colour of their own (colour is inherited, so
    they show)."""
    out = []
    stack = _children_on(el, background)
    while stack:
        child, behind = stack.pop()
        background = _background_over(child, behind)
        if _own_colour(child) and not _invisible_on(child, background):
            out.append(child)
        stack.extend(_children_on(child, background))
    return out


def remove_hidden(root: etree._Element, ctx: StepContext) -> None:
    """Remove elements a reader could not see, and their text."""
    found = _outermost_invisible(root)
    topmost = [el for el, _ in found]
    # Report first: removed text is gone afterwards.
    sample = text_sample(topmost)
    removed = []
    for el, background in found:
        keep = [] if hidden_by_attributes(el) else _visible_descendants(el, background)
        if keep:
            _strip_invisible_text(el, keep)
        else:
            removed.append(el)
    remove_all_keeping_tails(removed)
    ctx.report("remove_hidden", "removed hidden elements and invisible text",
               len(topmost), sample or None)


def _strip_invisible_text(el: etree._Element, keep: list[etree._Element]) -> None:
    """Remove an invisibly coloured element's own text but keep the descendants that set
    a visible colour (and what they contain)."""
    kept = set(keep)
    holders: set[etree._Element] = set()  # elements with a kept one somewhere inside
    for node in keep:
        parent = node.getparent()
        while parent is not None and parent is not el and parent not in holders:
            holders.add(parent)
            parent = parent.getparent()
    stack = [el]
    while stack:
        node = stack.pop()
        node.text = None
        for child in list(node):
            if child in kept:
                child.tail = None
            elif child in holders:
                stack.append(child)
                child.tail = None
            else:
                node.remove(child)
