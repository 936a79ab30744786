"""Parse a scraped HTML body into an lxml tree, keeping code blocks intact.

An HTML parser treats raw markup inside ``<pre>`` as elements: an XML
``<dependency>`` sample loses its tags, ``List<User>`` opens a ``<user>`` element and a
Vue ``<script>`` swallows everything after it. Before parsing, every ``<`` inside a
``<pre>`` that does not start a known formatting tag is escaped, so the code's text
survives exactly. lxml (libxml2) has no hook for this; it is written here.
"""

from __future__ import annotations

import re

from lxml import etree, html

# Tags that sites really use for markup inside <pre> (syntax highlighting, line breaks,
# links). Lower-case only: upper-case names in code are type parameters (``Map<K, V>``).
_PRE_MARKUP = (
    "a|b|br|code|del|em|font|i|ins|kbd|mark|s|samp|small|span|strong|sub|sup|tt|u|var"
)
_PRE_BLOCK = re.compile(r"(<pre\b[^>]*>)(.*?)(</pre\s*>)", re.I | re.S)
_LT_NOT_MARKUP = re.compile(rf"<(?!/?(?:{_PRE_MARKUP})(?=[\s/>]))")


def _protect_pre(match: re.Match[str]) -> str:
    open_tag, code, close_tag = match.groups()
    return open_tag + _LT_NOT_MARKUP.sub("&lt;", code) + close_tag


def protect_code(body: str) -> str:
    """Escape raw markup inside ``<pre>`` blocks so the parser keeps it as text."""
    if "<pre" not in body and "<PRE" not in body:
        return body
    return _PRE_BLOCK.sub(_protect_pre, body)


_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PARSER = html.HTMLParser(remove_pis=True)


def parse_body(body: str) -> html.HtmlElement:
    """Parse an HTML fragment or document; returns its ``<body>`` element.

    Never raises on any text: an empty or unparseable body gives an empty ``<body>``.
    """
    text = protect_code(body)
    # lxml refuses control characters (XML forbids them); they are never visible text.
    text = _CONTROL_CHARS.sub("", text)
    try:
        root = html.document_fromstring("<html><body>" + text + "</body></html>", parser=_PARSER)
    except (etree.ParserError, ValueError):
        root = html.document_fromstring("<html><body></body></html>", parser=_PARSER)
    body_el = root.find("body")
    if body_el is None:  # libxml2 always makes one; this guards odd recoveries
        body_el = etree.SubElement(root, "body")
    return body_el
