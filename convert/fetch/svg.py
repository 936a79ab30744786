"""SVG safety: what makes an SVG unsafe to embed in a book.

Written by hand: no maintained library sanitises SVG for e-readers; the rules are few
and each has its test case.
"""

from __future__ import annotations

import re

__all__ = ["decode_svg", "svg_problem"]


def decode_svg(data: bytes) -> str:
    """Text good enough to look for ASCII markup in; never fails."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data[: len(data) & ~1].decode("utf-16", "replace")
    # UTF-8 without a BOM, or an ASCII-compatible legacy encoding: latin-1 maps every
    # byte to one character, so ASCII markup is found wherever it is.
    return data.decode("latin-1")


# A reference that leaves the file: any scheme (except an inline raster data: URI) or a
# protocol-relative "//host".
_EXTERNAL = r"(?!data:image/(?:png|jpe?g|gif|webp)[;,])(?:[a-z][a-z0-9+.-]*:|//)"
_EXTERNAL_RE = re.compile(_EXTERNAL)
_CSS_EXTERNAL_RE = re.compile(r"url\(\s*[\"']?\s*" + _EXTERNAL + r"|@import")
_SVG_RULES = (  # matched against lower-cased text with character references decoded
    (re.compile(r"<(?:[\w.-]+:)?script"), "a script element"),
    (re.compile(r"foreignobject"), "a foreignObject element"),
    (re.compile(r"<(?:[\w.-]+:)?handler"), "a handler element"),
    (re.compile(r"[\s\"'/](?:[\w.-]+:)?on[\w.-]+\s*="), "an event-handler attribute"),
    (
        re.compile(r"(?:^|[\s\"':])(?:href|src)\s*=\s*[\"']?\s*" + _EXTERNAL),
        "an external reference",
    ),
    (re.compile(r"url\(\s*[\"']?\s*" + _EXTERNAL), "an external reference"),
    (re.compile(r"@import"), "a CSS @import"),
    (re.compile(r"<!entity\s+%"), "a parameter entity"),
    (re.compile(r"<!entity\s+\S+\s+(?:system|public)\b"), "an external entity"),
)
_CHAR_REF = re.compile(r"&#(?:x([0-9a-f]{1,8})|([0-9]{1,10}));?")
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20]+")
_SCRIPT_SCHEMES = ("javascript:", "vbscript:")
_DANGEROUS_ELEMENTS = frozenset({"script", "foreignobject", "handler"})


def _char_ref(match: re.Match[str]) -> str:
    code = int(match[1], 16) if match[1] else int(match[2])
    return chr(code) if 0 < code < 0x110000 else ""


def svg_problem(data: bytes) -> str | None:
    """What makes an SVG unsafe to embed, or None.

    Two passes. A text scan (the literal patterns, after decoding ``&#…;`` references
    so ``&#106;avascript:`` is seen) catches them wherever they are; a parse with lxml
    (internal entities expanded, nothing loaded from outside) then looks at elements
    and attributes as a renderer would, which catches what entities or namespace
    prefixes assemble at parse time. Fail-safe: a false alarm only drops one image.
    """
    text = _CHAR_REF.sub(_char_ref, decode_svg(data).lower())
    for pattern, what in _SVG_RULES:
        if pattern.search(text):
            return what
    squeezed = _CONTROL_OR_SPACE.sub("", text)
    if any(scheme in squeezed for scheme in _SCRIPT_SCHEMES):
        return "a script URL"
    return _svg_tree_problem(data)


def _svg_tree_problem(data: bytes) -> str | None:
    from lxml import etree  # imported here: only SVG downloads need it

    parser = etree.XMLParser(
        resolve_entities="internal", no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return f"malformed XML ({exc})"
    for element in root.iter():
        if not isinstance(element.tag, str):  # comment, processing instruction, entity
            continue
        name = etree.QName(element).localname.lower()
        if name in _DANGEROUS_ELEMENTS:
            return f"a {name} element"
        if name == "style" and _CSS_EXTERNAL_RE.search("".join(element.itertext()).lower()):
            return "an external reference"
        for key, value in element.attrib.items():
            attribute = etree.QName(key).localname.lower()
            squeezed = _CONTROL_OR_SPACE.sub("", value).lower()
            if attribute.startswith("on"):
                return "an event-handler attribute"
            if any(scheme in squeezed for scheme in _SCRIPT_SCHEMES):
                return "a script URL"
            if attribute in ("href", "src") and _EXTERNAL_RE.match(squeezed):
                return "an external reference"
            if _CSS_EXTERNAL_RE.search(value.lower()):
                return "an external reference"
    return None


