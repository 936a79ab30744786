"""URL rules shared by the cleaning steps and the builder."""

from __future__ import annotations

import re

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
SAFE_SCHEMES = frozenset({"http", "https", "mailto", "ftp"})


def absolute_url(url: str) -> str:
    """Protocol-relative ``//host/x`` becomes ``https://host/x``; others are kept."""
    url = url.strip()
    if url.startswith("//"):
        return "https:" + url
    return url


def url_scheme(url: str) -> str | None:
    match = _SCHEME.match(url.strip())
    return match.group(1).lower() if match else None


def is_safe_link(url: str) -> bool:
    """Whether a link target may appear in output: web and mail URLs, fragments, paths.

    ``javascript:``, ``data:``, ``vbscript:`` and other schemes are refused.
    """
    scheme = url_scheme(url)
    return scheme is None or scheme in SAFE_SCHEMES


def is_placeholder_image(url: str) -> bool:
    """An image ``src`` that is no real picture: empty, inline data, or ``undefined``."""
    url = url.strip()
    if not url or url.startswith("data:") or url in ("#", "about:blank"):
        return True
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return tail in ("undefined", "null") or url_scheme(url) not in (None, "http", "https")
