"""URLs and links an EPUB can hold: every Document gives a book epubcheck accepts."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import unicodedata
from urllib.parse import quote, urlsplit, urlunsplit

from ...links import safe_url
from ...model import (
    CONTAINER_INLINES,
    Block,
    CodeBlock,
    Embed,
    Figure,
    Heading,
    Image,
    Inline,
    Link,
    ListBlock,
    Paragraph,
    Quote,
    Rule,
    Table,
    TableCell,
    Text,
)
from ...render import embed_label
from .labels import image_link_text
from .text import fix_surrogates

# ---------------------------------------------------------------- URLs and model fixes

_URL_SCHEMES = {"http", "https", "mailto"}
_HOST = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_PCHAR = "!$&'()*+,;=:@%"  # RFC 3986 pchar besides unreserved (and %XX, kept)


def _safe_url(url: str) -> str | None:
    """The URL as an EPUB hyperlink may hold it, or None when it cannot be kept.

    Inside an EPUB a relative URL points into the book itself (and would be a broken
    reference), so only absolute http(s) and mailto URLs are kept; protocol-relative
    ones get https. epubcheck parses every href as a URL (RSC-020), so the host must
    be a valid domain (IDN hosts are written as punycode) or IP literal.
    """
    url = safe_url(fix_surrogates(url)) or ""  # the shared rule first (convert.links)
    if url.startswith("//"):
        url = "https:" + url
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _URL_SCHEMES:
        return None
    if scheme == "mailto":
        netloc = parts.netloc
        if not parts.path.strip():
            return None
    else:
        netloc = _safe_host(parts.netloc)
        if netloc is None:
            return None
    # RFC 3986 syntax per component; everything else (spaces, quotes, non-ASCII, a
    # second '#', a stray '%') is percent-encoded as UTF-8, so the href is plain ASCII
    # that every URL parser and reader agrees on.
    path, query, fragment = (
        quote(_BAD_PERCENT.sub("%25", part), safe=safe)
        for part, safe in ((parts.path, _PCHAR + "/"), (parts.query, _PCHAR + "/?"),
                           (parts.fragment, _PCHAR + "/?"))
    )
    return urlunsplit((scheme, netloc, path, query, fragment))


def _safe_host(netloc: str) -> str | None:
    """``netloc`` with its host as ASCII (punycode), or None if the host is unusable."""
    userinfo, at, hostport = netloc.rpartition("@")
    userinfo = quote(_BAD_PERCENT.sub("%25", userinfo), safe="!$&'()*+,;=:%")
    if hostport.startswith("["):
        host, _, port = hostport[1:].partition("]")
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return None
        return f"{userinfo}{at}[{host}]{port}"
    host, colon, port = hostport.partition(":")
    host = _idn_to_ascii(host)
    if host is None or not _HOST.fullmatch(host):
        return None
    last = host.rstrip(".").rsplit(".", 1)[-1]
    if re.fullmatch(r"[0-9]+|0[xX][0-9A-Fa-f]*", last):
        # URL parsers read a host ending in a number as IPv4: only a plain one is safe
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return None
    return f"{userinfo}{at}{host}{colon}{port}"


# Letters, marks and digits: what IDNA 2008 lets a label hold (RFC 5892 'PVALID' is
# derived from these categories), minus its listed exceptions.
_IDN_CATEGORIES = {"Ll", "Lo", "Lm", "Mn", "Mc", "Nd"}
_IDN_EXCLUDED = set("\u00b7\u0375\u05f3\u05f4\u0640\u07fa\u302e\u302f\u3031\u3032\u3033"
                    "\u3034\u3035\u303b\u30fb") | {chr(c) for c in range(0x0660, 0x066A)} | {
                        chr(c) for c in range(0x06F0, 0x06FA)}


def _idn_to_ascii(host: str) -> str | None:
    """The host with internationalised labels in punycode, or None when a URL parser
    may reject it (also for a malformed ``xn--`` label).

    Python's own 'idna' codec is IDNA 2003, which accepts labels that epubcheck's
    UTS 46 / IDNA 2008 check rejects (unassigned or disallowed code points, unstable
    case or normalisation, bidi rules). No stdlib module does IDNA 2008, so this is a
    conservative hand-written filter: a label is kept only if it is already in its
    normalised lower-case form and holds only letters, marks (not first) and digits,
    and right-to-left hosts are not kept at all. A rejected URL loses its link only;
    the link text stays.
    """
    if host.isascii() and "xn--" not in host.lower():
        return host
    labels = []
    for label in host.rstrip(".").split("."):
        if label.isascii() and not label.lower().startswith("xn--"):
            labels.append(label)
            continue
        if label.isascii():  # already punycode: check what it stands for
            try:
                label = label[4:].encode("ascii").decode("punycode")
            except UnicodeError:
                return None
            if not label or label.isascii():
                return None
        label = label.lower()
        if (unicodedata.normalize("NFKC", label.casefold()) != label
                or unicodedata.category(label[0]) in ("Mn", "Mc")
                or any(unicodedata.category(ch) not in _IDN_CATEGORIES
                       or ch in _IDN_EXCLUDED
                       or unicodedata.bidirectional(ch) in ("R", "AL", "AN")
                       for ch in label)):
            return None
        try:
            labels.append("xn--" + label.encode("punycode").decode("ascii"))
        except UnicodeError:
            return None
    result = ".".join(labels)
    return result if len(result) <= 253 and all(0 < len(lb) <= 63 for lb in labels) else None


def _fix_inlines(nodes: list[Inline], in_link: bool = False, lang: str | None = None,
                 title: str = "") -> list[Inline]:
    """Inlines with every URL usable in an EPUB and no link inside another link.

    An image is shown as a link to its URL (render.py, when no local copy exists), so
    inside a link it becomes its label (in ``lang``; see :mod:`.labels`, ``title`` is the
    post's); an unusable link keeps only its text.
    """
    out: list[Inline] = []
    for node in nodes:
        if isinstance(node, Link):
            href = None if in_link else _safe_url(node.href)
            children = _fix_inlines(node.children, True if href else in_link, lang, title)
            if href is None:
                out.extend(children)
            else:
                out.append(dataclasses.replace(node, href=href, children=children))
        elif isinstance(node, Image):
            src = _safe_url(node.src)
            if src is None:  # nothing to link to (relative, data:, ...): its alt text
                if node.alt.strip():
                    out.append(Text(node.alt.strip()))
            elif in_link:
                out.append(Text(image_link_text(src, node.alt, None, lang, title,
                                                with_host=False)))
            else:
                out.append(dataclasses.replace(node, src=src))
        elif isinstance(node, CONTAINER_INLINES):
            out.append(dataclasses.replace(
                node, children=_fix_inlines(node.children, in_link, lang, title)))
        else:
            out.append(node)
    return out


def _fix_block(block: Block, lang: str | None, title: str) -> Block | None:
    if isinstance(block, (Heading, Paragraph)):
        return dataclasses.replace(block, children=_fix_inlines(block.children, False, lang,
                                                                title))
    if isinstance(block, ListBlock):
        return dataclasses.replace(block, items=[epub_blocks(item, lang, title)
                                                   for item in block.items])
    if isinstance(block, Quote):
        return dataclasses.replace(block, children=epub_blocks(block.children, lang, title))
    if isinstance(block, Figure):
        caption = _fix_inlines(block.caption, False, lang, title)
        src = _safe_url(block.src)
        if src is None:  # nothing to link to: keep what the reader can still use
            if caption:
                return Paragraph(caption)
            return Paragraph([Text(block.alt.strip())]) if block.alt.strip() else None
        return dataclasses.replace(block, src=src, caption=caption)
    if isinstance(block, Table):
        rows = [
            [
                TableCell(
                    _fix_inlines(cell.children, False, lang, title),
                    header=cell.header,
                    # HTML's limits; epubcheck flags larger spans
                    colspan=min(max(cell.colspan, 1), 1000),
                    rowspan=min(max(cell.rowspan, 1), 65534),
                )
                for cell in row
            ]
            for row in block.rows
        ]
        caption = _fix_inlines(block.caption, False, lang, title)
        return dataclasses.replace(block, rows=rows, caption=caption)
    if isinstance(block, Embed):
        src = _safe_url(block.src)
        if src is None:  # the URL is unusable (and may be hostile): not shown
            label = block.title.strip() or embed_label(block.kind, lang)
            return Paragraph([Text(f"▶ {label}")])
        return dataclasses.replace(block, src=src)
    if isinstance(block, (CodeBlock, Rule)):
        return block
    raise TypeError(f"not a block node: {block!r}")


def epub_blocks(blocks: list[Block], lang: str | None = None, title: str = "") -> list[Block]:
    """A copy of ``blocks`` that renders to valid EPUB XHTML (see :func:`_safe_url`);
    labels it writes are in ``lang``, ``title`` is the post's."""
    fixed = (_fix_block(block, lang, title) for block in blocks)
    return [block for block in fixed if block is not None]


