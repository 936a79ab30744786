"""Formulas in the book: MathML made by latex2mathml, the TeX kept as ``alttext`` (what
screen readers and readers without MathML show). TeX latex2mathml cannot read is shown
as code text and counted, so the exporter can say so."""

from __future__ import annotations

from lxml import etree

from ...render import escape

_MATHML = "http://www.w3.org/1998/Math/MathML"
# Longer TeX is no formula a page typesets inline; converting it could take long.
MAX_TEX = 5000
# Presentation attributes MathML elements may keep. latex2mathml turns \\href, \\style,
# \\class and \\cssId into href, style, class and id: none of them is kept (a link or
# style from untrusted TeX is a script or tracking hole).
_ALLOWED_ATTRIBUTES = frozenset({
    "display", "mathvariant", "mathsize", "mathcolor", "mathbackground", "dir",
    "displaystyle", "scriptlevel", "fence", "separator", "stretchy", "symmetric",
    "largeop", "movablelimits", "accent", "accentunder", "lspace", "rspace", "minsize",
    "maxsize", "form", "width", "height", "depth", "voffset", "linethickness",
    "numalign", "denomalign", "bevelled", "notation", "columnalign", "rowalign",
    "columnspacing", "rowspacing", "columnlines", "rowlines", "frame", "framespacing",
    "equalrows", "equalcolumns", "columnspan", "rowspan", "align", "open", "close",
    "separators", "charalign", "charspacing", "crossout", "longdivstyle", "position",
    "shift", "location", "stackalign",
})


class MathMLWriter:
    """A :data:`convert.render.MathRenderer` that counts what it wrote."""

    def __init__(self) -> None:
        #: Formulas written as MathML, and TeX that could not be converted.
        self.written = 0
        self.failed: list[str] = []

    def __call__(self, tex: str, display: bool) -> str:
        mathml = to_mathml(tex, display)
        if mathml is None:
            self.failed.append(tex)
            return f'<code class="tex">{escape(tex)}</code>'
        self.written += 1
        return mathml


def to_mathml(tex: str, display: bool) -> str | None:
    """A ``<math>`` element for ``tex``, or None when latex2mathml cannot read it."""
    from latex2mathml.converter import convert  # imported only for books with math

    if len(tex) > MAX_TEX:
        return None
    try:
        math = etree.fromstring(convert(tex, display="block" if display else "inline"))
        if math.tag != f"{{{_MATHML}}}math":
            return None
        for element in math.iter():
            for name in list(element.attrib):
                if name not in _ALLOWED_ATTRIBUTES:
                    del element.attrib[name]
        math.set("alttext", tex)  # ValueError for text XML cannot hold
        return etree.tostring(math, encoding="unicode")
    except Exception:  # noqa: BLE001 - any failure of the converter means "cannot read"
        return None
