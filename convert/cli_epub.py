"""The options only ``to-epub`` has, and the :class:`EpubOptions` they make.

Declared here so that ``cli.py`` keeps to orchestration; the checks say what is wrong
in one line (exit 2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from .conversion_run import UsageError

if TYPE_CHECKING:
    from .exporters.epub import EpubOptions

DEVICE = typer.Option(
    "generic", "--device", metavar="generic|kindle|kobo",
    help="The reader the book is for: sets which image formats are converted, the "
         "largest image size, and the book size to warn above (kindle: Send-to-Kindle's "
         "50 MB).")
KEEP_IMAGE_FORMATS = typer.Option(
    False, "--keep-image-formats",
    help="Embed WebP images as served instead of converting them to JPEG/PNG (AVIF is "
         "always converted: EPUB readers need not show it).")
MAX_IMAGE_SIZE = typer.Option(
    None, "--max-image-size", metavar="WxH",
    help="Scale larger images down to fit (never up): 1600x1200, 1600 (the long side), "
         "or 0 for no limit. Default: the device's (1600; kobo 1680).")
COVER_FONT = typer.Option(
    None, "--cover-font", metavar="FILE",
    help="Font file for the title on a generated cover. Default: an installed font that "
         "holds every character of the title (fontconfig), else a cover without text.")


def epub_options(params: dict[str, Any], progress: bool) -> EpubOptions:
    """The book's options from ``to-epub``'s parameters; UsageError when one is wrong."""
    from .exporters.epub import GROUPINGS, SORTS, EpubOptions
    from .exporters.epub.devices import DEVICES
    from .fetch.prepare import parse_size

    group_by, sort, device = params["group_by"], params["sort"], params["device"]
    if group_by != "auto" and group_by not in GROUPINGS:
        raise UsageError(f"--group-by {group_by}: use one of auto, {', '.join(GROUPINGS)}")
    if sort not in SORTS:
        raise UsageError(f"--sort {sort}: use one of {', '.join(SORTS)}")
    if device not in DEVICES:
        raise UsageError(f"--device {device}: use one of {', '.join(DEVICES)}")
    size = None
    if params["max_image_size"] is not None:
        try:
            size = parse_size(params["max_image_size"]) or (0, 0)
        except ValueError as exc:
            raise UsageError(f"--max-image-size {exc}") from None
    return EpubOptions(
        title=params["title"], author=params["author"], lang=params["lang"],
        cover=params["cover"], group_by=None if group_by == "auto" else group_by, sort=sort,
        offline=params["offline"], cache_dir=params["cache_dir"],
        allow_private_hosts=params["allow_private_hosts"],
        fetch_timeout=params["fetch_timeout"], device=device,
        keep_image_formats=params["keep_image_formats"], max_image_size=size,
        cover_font=params["cover_font"], progress=progress,
        extra={"verbose": params["verbose"]})
