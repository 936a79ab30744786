"""The one link-safety rule: which URLs any output may hold as a link or image source.

Every place that writes a URL (the normaliser, :mod:`convert.render`, and each built-in
exporter, which get Documents loaded from untrusted ``.json`` files too) asks
:func:`safe_url`. A URL is judged the way a browser and a Markdown renderer would read
it, not as written: the WHATWG URL parser strips leading and trailing C0 controls and
spaces and removes tabs and newlines anywhere (``java\\tscript:``), HTML and CommonMark
decode character references (``&#x6A;avascript:``), CommonMark removes backslash
escapes (``javascript\\:``). Every such reading must have an allowed scheme (http,
https, mailto) or none at all (relative URLs and ``#fragments``).

A refused link keeps its text and loses only its target; a refused image shows its alt
text. This module imports nothing else from the project, so every layer can use it.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from urllib.parse import unquote

ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})

# What the WHATWG URL parser strips from both ends, and removes anywhere.
_C0_OR_SPACE = "".join(chr(c) for c in range(0x21))
_TAB_OR_NEWLINE = re.compile("[\t\n\r]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# Left inside a URL after the clean-up, these are percent-encoded (as a browser does in
# a path) so that no output holds a raw control character.
_CONTROL = re.compile("[\x00-\x1f\x7f]")
# CommonMark backslash escapes: a backslash before ASCII punctuation disappears.
_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
# Invisible characters some reader might drop: Unicode controls, format characters
# (zero-width space, soft hyphen, bidi marks) and separators.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})
# Decoding rounds before a URL that still decodes to something new is refused.
_MAX_DECODE_ROUNDS = 4


def clean_url(url: str) -> str:
    """``url`` as the WHATWG URL parser starts from: C0 controls and spaces stripped
    from both ends, tabs and newlines removed everywhere."""
    return _TAB_OR_NEWLINE.sub("", url.strip(_C0_OR_SPACE))


def url_scheme(url: str) -> str | None:
    """The lower-cased scheme a browser reads in ``url``, or None for a relative URL."""
    match = _SCHEME.match(clean_url(url))
    return match.group(1).lower() if match else None


def _strip_invisible(url: str) -> str:
    return "".join(ch for ch in url if unicodedata.category(ch) not in _INVISIBLE_CATEGORIES)


def _markdown_unescape(url: str) -> str:
    return _MARKDOWN_ESCAPE.sub(r"\1", url)


# Every decoding some consumer applies, in any order and combination: character
# references then percent-escapes (``javascrip&#116;%3A``) is as possible as the reverse.
_DECODERS = (html.unescape, unquote, _markdown_unescape, _strip_invisible)


def _decodings(url: str) -> Iterator[str | None]:
    """``url`` and every reading of it that some consumer may make, decodings combined
    in any order; None when decoding does not settle within a few rounds (nesting
    deeper than any real URL has)."""
    yield url
    seen = {url}
    frontier = [url]
    for _ in range(_MAX_DECODE_ROUNDS):
        found = []
        for reading in frontier:
            for decode in _DECODERS:
                decoded = decode(reading)
                if decoded not in seen:
                    seen.add(decoded)
                    found.append(decoded)
                    yield decoded
        if not found:
            return
        frontier = found
    if any(decode(reading) not in seen for reading in frontier for decode in _DECODERS):
        yield None


def _reading_is_safe(url: str) -> bool:
    url = clean_url(url)
    match = _SCHEME.match(url)
    if match:
        return match.group(1).lower() in ALLOWED_SCHEMES
    # No scheme: a relative reference. One whose first segment holds a colon is read
    # as a scheme by some parser or other (RFC 3986 4.2 forbids it), so it is refused.
    first_segment = re.split(r"[/?#\\]", url, maxsplit=1)[0]
    return ":" not in first_segment


def refused_scheme(url: str) -> str | None:
    """Why :func:`safe_url` refuses ``url``: the disallowed scheme found in one of its
    readings (``"javascript"``), ``"unreadable"`` if none; None when it is safe."""
    for reading in _decodings(url):
        if reading is None:
            return "unreadable"
        if not _reading_is_safe(reading):
            match = _SCHEME.match(clean_url(reading))
            return match.group(1).lower() if match else "unreadable"
    return None


def safe_url(url: str | None) -> str | None:
    """The URL cleaned as a browser reads it, if it may be a link or image source in an
    output; None when it must not be (script and data URLs, unknown schemes, empty).

    The result has its scheme lower-cased and no control characters (tabs and
    newlines removed, others percent-encoded). ``safe_url(safe_url(u)) == safe_url(u)``.
    Character references in a URL are judged decoded but kept as written: an output
    writer escapes them (CommonMark would decode them).
    """
    if not isinstance(url, str):
        return None
    return _safe_str_url(url)


@lru_cache(maxsize=8192)  # each URL is judged by the normaliser and again by exporters
def _safe_str_url(url: str) -> str | None:
    cleaned = clean_url(url)
    if not cleaned or refused_scheme(cleaned) is not None:
        return None
    match = _SCHEME.match(cleaned)
    if match:
        cleaned = match.group(1).lower() + cleaned[match.end(1):]
    return _CONTROL.sub(lambda m: f"%{ord(m.group()):02X}", cleaned)
