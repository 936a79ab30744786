"""Download images for the EPUB exporter into a persistent on-disk cache.

The exporter hands over the image URLs of the documents it is building and gets back,
for each URL that could be fetched, a :class:`CachedImage`: a file in the cache holding
the bytes exactly as served, decoded completely before it was stored, with a type
sniffed from those bytes. It then streams each file from disk into the book, so memory
stays bounded however many images there are.

The parts, one idea each:

* :mod:`.guard` — where a download may connect (http(s) only, public addresses only,
  redirects checked);
* :mod:`.proxy` — the environment's proxies, read as curl reads them;
* :mod:`.images` and :mod:`.svg` — what an image is, and whether it is whole and safe;
* :mod:`.cache` — the files on disk, and the leftovers of killed runs;
* :mod:`.cancel` — stopping downloads under way (Ctrl-C, the deadline);
* :mod:`.fetcher` — retries, parallel downloads, the per-book deadline, the counts;
* :mod:`.prepare` — images made ready for a reading device (formats, sizes).
"""

from __future__ import annotations

from .errors import FetchError
from .fetcher import ACCEPT, USER_AGENT, CachedImage, FetchOptions, FetchStats, ImageFetcher
from .guard import MAX_REDIRECTS, check_url_allowed
from .images import check_image, read_image_file, sniff_image_type
from .svg import svg_problem

__all__ = [
    "ACCEPT",
    "MAX_REDIRECTS",
    "USER_AGENT",
    "CachedImage",
    "FetchError",
    "FetchOptions",
    "FetchStats",
    "ImageFetcher",
    "check_image",
    "check_url_allowed",
    "read_image_file",
    "sniff_image_type",
    "svg_problem",
]
