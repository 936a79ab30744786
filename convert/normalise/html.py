"""Parse a scraped HTML body into an lxml tree, keeping code blocks intact.

Code inside ``<pre>`` is protected before parsing (``precode``): raw markup in code
stays code text instead of becoming elements.
"""

from __future__ import annotations

import re
from collections import Counter

from lxml import etree

from .build import BLOCK_TAGS
from .precode import protect_code

__all__ = ["MAX_OPEN_TAGS", "limit_nesting", "parse_body", "protect_code"]

_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# huge_tree: libxml2 otherwise stops at nesting depth 256 and silently drops the rest
# of the document (old BBS posts leave hundreds of <font> tags open). A plain etree
# parser, not lxml.html's: that one looks up a Python element class for every element
# the steps touch (a tenth of the normaliser's time), and no step uses its methods.
_PARSER = etree.HTMLParser(remove_pis=True, huge_tree=True)


# Even with huge_tree, libxml2 stops at depth 2048 and drops the rest of the document.
MAX_OPEN_TAGS = 1000
_TAG_OR_COMMENT = re.compile(r"<!--|<(/?)([A-Za-z][^\s/>]*)")
_VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                        "meta", "param", "source", "track", "wbr"})


def limit_nesting(body: str, limit: int = MAX_OPEN_TAGS) -> str:
    """Drop start and end tags that would open elements deeper than ``limit``.

    Their text stays where it is; a block element's tags become ``<br>`` so its text
    stays on lines of its own. Tags are tracked the simple way (an end tag closes the
    innermost element of its name, void elements never open), which is exact for the
    runaway nesting this exists for. Hand-written: libxml2 has no option for it.
    """
    out: list[str] = []
    done = pos = 0
    stack: list[str] = []
    open_count: Counter[str] = Counter()
    dropped: Counter[str] = Counter()  # elements not opened, by name, awaiting end tags
    while True:
        match = _TAG_OR_COMMENT.search(body, pos)
        if match is None:
            break
        if match.group() == "<!--":
            end = body.find("-->", match.end())
            if end < 0:
                break
            pos = end + 3
            continue
        close = body.find(">", match.end())
        if close < 0:
            break
        pos = close + 1
        name = match.group(2).lower()
        if match.group(1):  # an end tag
            if dropped[name]:
                dropped[name] -= 1
            else:
                if open_count[name]:
                    while True:
                        top = stack.pop()
                        open_count[top] -= 1
                        if top == name:
                            break
                continue
        elif name in _VOID_TAGS or body[close - 1] == "/":
            continue
        elif len(stack) < limit:
            stack.append(name)
            open_count[name] += 1
            continue
        else:
            dropped[name] += 1
        out.append(body[done:match.start()])
        out.append("<br>" if name in BLOCK_TAGS else "")
        done = pos
    out.append(body[done:])
    return "".join(out)


def _document(text: str) -> etree._Element:
    root = etree.fromstring("<html><body>" + text + "</body></html>", _PARSER)
    if root is None:  # what lxml.html.document_fromstring raises
        raise etree.ParserError("Document is empty")
    return root


def _parse_document(text: str) -> etree._Element:
    root = _document(text)
    if any(e.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT for e in _PARSER.error_log):
        # Nested past libxml2's limit (the rest was dropped): parse again with the
        # runaway nesting taken out.
        root = _document(limit_nesting(text))
    return root


def parse_body(body: str) -> etree._Element:
    """Parse an HTML fragment or document; returns its ``<body>`` element.

    Never raises on any text: an empty or unparseable body gives an empty ``<body>``.
    """
    text = protect_code(body)
    # lxml refuses control characters (XML forbids them); they are never visible text.
    text = _CONTROL_CHARS.sub("", text)
    try:
        root = _parse_document(text)
    except (etree.ParserError, ValueError):
        root = _document("")
    body_el = root.find("body")
    if body_el is None:  # libxml2 always makes one; this guards odd recoveries
        body_el = etree.SubElement(root, "body")
    return body_el
