"""Reading devices a book can be made for (``--device``): the image formats each shows,
the image size that suits its screen, and the book size above which to warn.

* ``generic``: any EPUB 3 reader. JPEG, PNG, GIF and SVG as served; WebP and AVIF
  converted (many readers, Kindle among them through calibre or Send-to-Kindle, show
  neither); images up to 1600 px on the long side.
* ``kindle``: Kindle's documented formats (JPEG, PNG, GIF; SVG kept, Send-to-Kindle
  rasterises it); images up to 1600 px; a warning above Send-to-Kindle's 50 MB
  limit for e-mailed documents.
* ``kobo``: Kobo's screens are up to 1680 px high; formats as generic.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEVICES", "Device", "size_warning"]

_MB = 1000 * 1000


@dataclass(frozen=True)
class Device:
    name: str
    keep: frozenset[str]  # image extensions embedded in their own format
    max_size: tuple[int, int]  # largest image, pixels
    #: Book size (bytes) above which the device's usual delivery fails, and how it fails.
    size_limit: int | None = None
    size_problem: str = ""


_SHOWN = frozenset({".jpg", ".png", ".gif", ".svg"})

DEVICES = {
    "generic": Device("generic", _SHOWN, (1600, 1600)),
    "kindle": Device("kindle", _SHOWN, (1600, 1600), 50 * _MB,
                     "Send-to-Kindle refuses e-mailed documents over 50 MB"),
    "kobo": Device("kobo", _SHOWN, (1680, 1680)),
}


def size_warning(device: Device, size: int) -> list[str]:
    """A warning line when a book of ``size`` bytes is too big for ``device``, with how
    to make smaller books; nothing otherwise."""
    if device.size_limit is None or size <= device.size_limit:
        return []
    return [f"warning: the book is {size / _MB:.1f} MB: {device.size_problem}. Make "
            "smaller books with --split-by month (or year, source, category) and -o "
            "FOLDER, select fewer posts with --since/--until, or shrink the images with "
            "--max-image-size 1200"]
