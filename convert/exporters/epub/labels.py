"""What a reader sees of an image the book could not embed: a link whose text says it
is an image, what it shows and where it lives — ``[图片：caption]（img.example.com）`` —
in the chapter's language.

What it shows is its alt text or caption, unless that says nothing to a reader: a file
name (``pic61f74df40c507.jpg``), a URL, or the post title (sites often copy the title
into every ``alt``); then the link gives the image's number in the post (``第 3 张``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

from ...locale_text import text
from .text import clean_text

#: Longest description kept in a link (a whole caption paragraph is not a label).
MAX_LABEL = 80

_FILE_NAME = re.compile(
    r"[^\s/]*\.(?:jpe?g|jfif|png|gif|webp|avif|bmp|svg|tiff?|heic|ico)(?:[?#]\S*)?",
    re.IGNORECASE)
_URL = re.compile(r"(?:https?:)?//\S+|www\.\S+", re.IGNORECASE)


def _host(src: str) -> str:
    try:
        return urlsplit(src).hostname or ""
    except ValueError:
        return ""


def _file_name(src: str) -> str:
    try:
        path = urlsplit(src).path.rstrip("/")
    except ValueError:
        return ""
    return unquote(path.rsplit("/", 1)[-1])


def description(src: str, alt: str, post_title: str = "") -> str:
    """``alt`` when it tells a reader something about the image, else ``""``."""
    alt = clean_text(alt)
    if not alt or alt.casefold() == clean_text(post_title).casefold():
        return ""
    if _FILE_NAME.fullmatch(alt) or _URL.fullmatch(alt) or alt == _file_name(src):
        return ""
    return alt if len(alt) <= MAX_LABEL else alt[:MAX_LABEL - 1].rstrip() + "…"


def image_link_text(src: str, alt: str, number: int | None, lang: str | None,
                    post_title: str = "", with_host: bool = True) -> str:
    """``[Image: alt or caption] (host)``, ``[Image 3] (host)`` (no description) or
    ``[Image]`` (no number either), in the language of ``lang``."""
    label = description(src, alt, post_title)
    if label:
        link = text(lang, "image_link", label=label)
    elif number:
        link = text(lang, "image_numbered", n=number)
    else:
        link = text(lang, "image_bare")
    host = _host(src) if with_host else ""
    return link + (text(lang, "host", host=host) if host else "")


def image_link_labeller(lang: str | None, post_title: str
                        ) -> Callable[[str, str, int], str]:
    """A :attr:`convert.render.RenderOptions.image_link_label` for one chapter."""
    def label(src: str, alt: str, number: int) -> str:
        return image_link_text(src, alt, number, lang, post_title)
    return label
