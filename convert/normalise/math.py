"""Formulas: editor and renderer markup turned into TeX the builder keeps as math.

Technical posts carry TeX in several shapes; each becomes one ``<nc-math>`` element
holding the TeX as its text (``display="1"`` for a displayed formula), which the
builder turns into a :class:`~convert.model.Math` node:

* MathJax's ``<script type="math/tex">`` (``; mode=display``), whose rendered preview
  and output beside it are dropped;
* MathML with a TeX ``<annotation encoding="application/x-tex">``, as KaTeX writes it:
  the whole KaTeX span (its rendered HTML too) gives way to the TeX;
* an equation image whose alt text is its TeX (Zhihu's ``<img eeimg="1"
  src=".../equation?tex=…">``): the formula itself instead of a picture of it;
* any element whose class names math (``math``, ``katex``, ``mathjax``, ``latex`` as
  a class word, with qualifiers such as ``vditor-math``, ``math inline``,
  ``math-display``) and holds nothing but text: Vditor, pandoc, Typora, editors.

The TeX is kept as written (entities decoded by the parser); only pandoc's ``\\(…\\)``
and ``\\[…\\]`` (or ``$…$``) delimiters around it are taken off. Runs first, before
scripts and hidden text are dropped. Code (``<pre>``, ``<code>``) is never touched, and
a ``$`` in ordinary text is never taken for math.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from .context import StepContext

#: The element the builder reads a formula from.
MATH_TAG = "nc-math"

_MATH_WORDS = frozenset({"math", "katex", "mathjax", "latex", "arithmatex"})
_HAS_CLASS = etree.XPath("//*[@class]")
_QUALIFIERS = frozenset({"inline", "display", "block", "vditor", "language", "lang",
                         "formula", "equation", "element", "container", "md", "ql", "wp"})
_DISPLAY_WORDS = frozenset({"display", "block"})
_WORD_SPLIT = re.compile(r"[-_]")
_DELIMITED = re.compile(r"\A\s*(?:\\\((.*)\\\)|\\\[(.*)\\\]|\$\$(.*)\$\$|\$(.*)\$)\s*\Z", re.S)
_NO_TOUCH = frozenset({"pre", "code", "kbd", "samp", "tt", "textarea"})


def find_math(root: etree._Element, ctx: StepContext) -> None:
    """Replace every formula's markup with an ``<nc-math>`` element holding its TeX."""
    found = (_mathjax_scripts(root) + _tex_annotations(root) + _equation_images(root)
             + _math_classes(root))
    ctx.report("find_math", "kept formulas as TeX (their rendered markup dropped)", found)


def _mathjax_scripts(root: etree._Element) -> int:
    count = 0
    for script in list(root.iter("script")):
        kind = (script.get("type") or "").replace(" ", "").lower()
        if not kind.startswith("math/tex") or _in_code(script):
            continue
        # MathJax 2 writes its preview and its rendering just before the script.
        previous = script.getprevious()
        while previous is not None and _names_mathjax_output(previous):
            before = previous.getprevious()
            _drop(previous)
            previous = before
        _replace(script, script.text or "", "mode=display" in kind)
        count += 1
    return count


def _tex_annotations(root: etree._Element) -> int:
    count = 0
    for annotation in list(root.iter("annotation")):
        if (annotation.get("encoding") or "").lower() != "application/x-tex":
            continue
        if annotation.getparent() is None or _in_code(annotation):
            continue  # gone with an earlier formula's container
        container, display = _formula_container(annotation)
        _replace(container, annotation.text or "", display)
        count += 1
    return count


def _equation_images(root: etree._Element) -> int:
    count = 0
    for img in list(root.iter("img")):
        try:
            parts = urlsplit((img.get("src") or "").strip())
        except ValueError:  # unbalanced IPv6 brackets and the like: no equation URL
            continue
        if img.get("eeimg") is None and not parts.path.endswith("/equation"):
            continue
        tex = (img.get("alt") or "").strip()
        if not tex:
            values = parse_qs(parts.query).get("tex")
            tex = values[0] if values else ""
        if tex and not _in_code(img):
            _replace(img, tex, False)
            count += 1
    return count


def _math_classes(root: etree._Element) -> int:
    count = 0
    for el in _HAS_CLASS(root):
        classes = el.get("class").lower()
        # every math word holds "math" or "atex": most elements are judged by this alone
        if "math" not in classes and "atex" not in classes:
            continue
        if not isinstance(el.tag, str) or el.tag == MATH_TAG or el.getparent() is None:
            continue
        words = _math_class_words(el)
        if words is None or len(el) or _in_code(el) or el.tag.lower() in _NO_TOUCH:
            continue
        text = el.text or ""
        if not text.strip():
            continue
        display = bool(words & _DISPLAY_WORDS) or el.tag.lower() in ("div", "p")
        _replace(el, text, display)
        count += 1
    return count


def _math_class_words(el: etree._Element) -> set[str] | None:
    """The words of the class tokens that name math, or None when none does."""
    found: set[str] | None = None
    for token in (el.get("class") or "").lower().split():
        parts = set(_WORD_SPLIT.split(token))
        if parts & _MATH_WORDS and parts <= _MATH_WORDS | _QUALIFIERS:
            found = (found or set()) | parts
    if found is not None:
        found |= set((el.get("class") or "").lower().split())
    return found


def _names_mathjax_output(el: etree._Element) -> bool:
    classes = (el.get("class") or "").lower().split()
    return any(c.startswith("mathjax") for c in classes)


def _formula_container(annotation: etree._Element) -> tuple[etree._Element, bool]:
    """The outermost element of the formula an annotation belongs to (a KaTeX span, else
    the ``<math>`` element), and whether it is displayed."""
    math = next((a for a in annotation.iterancestors() if _local(a) == "math"), None)
    container = math if math is not None else annotation
    display = math is not None and (math.get("display") or "").lower() == "block"
    node = container.getparent()
    while node is not None and _local(node) not in ("body", "p", "li", "td", "th"):
        classes = (node.get("class") or "").lower().split()
        if any(c.startswith("katex") or c.startswith("mathjax") for c in classes):
            container = node
            display = display or "katex-display" in classes
        elif words := _math_class_words(node):
            container = node
            display = display or bool(words & _DISPLAY_WORDS)
        node = node.getparent()
    return container, display


def _local(el: etree._Element) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _in_code(el: etree._Element) -> bool:
    return any(_local(a) in _NO_TOUCH for a in el.iterancestors())


def _strip_delimiters(tex: str) -> str:
    match = _DELIMITED.match(tex)
    if match:
        tex = next(g for g in match.groups() if g is not None)
    return tex.strip()


def _replace(el: etree._Element, tex: str, display: bool) -> None:
    """Put an ``<nc-math>`` holding ``tex`` where ``el`` is (its tail kept)."""
    tex = _strip_delimiters(tex)
    parent = el.getparent()
    if parent is None:
        return
    if not tex:
        _drop(el)
        return
    node = parent.makeelement(MATH_TAG, {"display": "1"} if display else {})
    node.text = tex
    node.tail = el.tail
    parent.replace(el, node)


def _drop(el: etree._Element) -> None:
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)
