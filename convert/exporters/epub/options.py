"""The EPUB exporter's own options (``EpubExporter.options_class``).

Only the book reads these: the cover, the table of contents, the image downloads and
how images are prepared for the reading device. The generic
:class:`~convert.exporters.ExportOptions` (title, author, language) stay in the base.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import ExportOptions

__all__ = ["EpubOptions"]


@dataclass
class EpubOptions(ExportOptions):
    # Cover image file or URL; TOC grouping (source, category, date, none; None = by
    # source when the posts come from several); order (input, date, title).
    cover: str | None = None
    group_by: str | None = None
    sort: str | None = None
    # Image embedding: only the cache (never the network); the cache folder (None = the
    # user cache dir); whether private and loopback hosts may be fetched; seconds all
    # of a book's downloads may take together (None = no limit).
    offline: bool = False
    cache_dir: Path | None = None
    allow_private_hosts: bool = False
    fetch_timeout: float | None = 120.0
    # The reading device (see .devices): which image formats it shows, the default
    # largest image size, the book size above which to warn.
    device: str = "generic"
    # Embed every image in the format it was served in (no conversion to JPEG/PNG).
    keep_image_formats: bool = False
    # Largest image (width, height) in pixels; None: the device's; (0, 0): no limit.
    max_image_size: tuple[int, int] | None = None
    # Font file for the title on a generated cover (None: an installed font that holds
    # the title, found with fontconfig).
    cover_font: str | None = None
    #: Draw a progress bar of the image downloads (the CLI sets it on a terminal only).
    progress: bool = False
