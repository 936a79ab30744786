"""Images made ready for a reading device: converted to a format it shows, and no
larger than it needs.

The cache (:mod:`.cache`) holds images exactly as served; what goes into a book is
derived from them here, by :class:`ImagePreparer`, according to an :class:`ImagePolicy`:

* a format the policy does not keep (WebP and AVIF by default: Kindle shows neither,
  and AVIF is no EPUB core media type) becomes PNG when it uses transparency, JPEG
  otherwise;
* an image larger than ``max_size`` is scaled down to fit (never up), in its format
  or the converted one;
* an animated GIF is kept as served (scaling would re-quantise every frame), and so
  is SVG (vector).

Prepared files sit in ``<cache>/prepared/``, named after the cached file and the
policy, so a second build (``--offline`` too) reuses them and gives the same bytes.
Pillow's encoders are deterministic for the same input and settings.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image, ImageOps

from .errors import FetchError, one_line
from .fetcher import CachedImage
from .images import DECODE_SLOTS, PILLOW_FORMATS, TYPES

__all__ = ["EPUB_CORE", "ImagePolicy", "ImagePreparer", "Prepared", "parse_size"]

#: Raster and vector types EPUB 3.3 reading systems must show (core media types).
EPUB_CORE = frozenset({".jpg", ".png", ".gif", ".svg", ".webp"})
_NAMES = {".jpg": "JPEG", ".png": "PNG", ".gif": "GIF", ".webp": "WebP", ".avif": "AVIF",
          ".svg": "SVG"}
_JPEG_QUALITY = 85


@dataclass(frozen=True)
class ImagePolicy:
    """Which formats go into the book as they are, and the largest size allowed."""

    #: Extensions embedded in their own format; any other raster type is converted.
    keep: frozenset[str] = frozenset({".jpg", ".png", ".gif", ".svg"})
    #: Largest (width, height) in pixels; None: any size.
    max_size: tuple[int, int] | None = (1600, 1600)

    def key(self) -> str:
        size = "x".join(map(str, self.max_size)) if self.max_size else "any"
        return f"{','.join(sorted(self.keep))}|{size}|q{_JPEG_QUALITY}"


@dataclass(frozen=True)
class Prepared:
    """The image to embed, and what was done to it (None: embedded as served)."""

    image: CachedImage
    change: str | None = None
    converted: str | None = None  # "WebP → JPEG" when the format changed
    downscaled: bool = False
    #: Why it could not be converted (then ``image`` is the original, or None when
    #: the original cannot go into a book either).
    problem: str | None = None


def parse_size(text: str) -> tuple[int, int] | None:
    """``--max-image-size``: ``1600x1200``, ``1600`` (the long side), or ``0``/``none``
    for no limit. ValueError when it is none of these."""
    text = text.strip().lower()
    if text in ("0", "none", "0x0"):
        return None
    width, sep, height = text.partition("x")
    try:
        size = (int(width), int(height) if sep else int(width))
    except ValueError:
        raise ValueError(f"{text!r}: give WIDTHxHEIGHT (e.g. 1600x1600), a number of "
                         "pixels for the long side, or 0 for no limit") from None
    if min(size) < 16:
        raise ValueError(f"{text!r}: at least 16 pixels a side (or 0 for no limit)")
    return size


class ImagePreparer:
    """Prepares cached images under one policy; safe to share between threads."""

    def __init__(self, policy: ImagePolicy, folder: Path) -> None:
        self.policy = policy
        self.folder = folder

    def prepare(self, image: CachedImage) -> Prepared:
        """The image as the book should hold it. Never raises for a bad image: a file
        that cannot be converted comes back as served when EPUB allows its type (with
        ``problem`` saying why), else with ``image`` set to the original and
        ``problem`` set; the caller shows such an image as a link."""
        if image.extension == ".svg":
            return Prepared(image)
        try:
            return self._prepare(image)
        except (FetchError, OSError, ValueError, Image.DecompressionBombError) as exc:
            return Prepared(image, problem=one_line(str(exc) or type(exc).__name__, 160))

    def _prepare(self, image: CachedImage) -> Prepared:
        policy = self.policy
        with DECODE_SLOTS, Image.open(image.path,
                                      formats=[PILLOW_FORMATS[image.extension]]) as source:
            size = source.size
            animated = getattr(source, "n_frames", 1) > 1
            convert = image.extension not in policy.keep
            fits = policy.max_size is None or (size[0] <= policy.max_size[0]
                                               and size[1] <= policy.max_size[1])
            if (image.extension == ".gif" and animated) or (not convert and fits):
                return Prepared(image)
            extension = image.extension
            if convert:
                extension = ".png" if _uses_alpha(source) else ".jpg"
            target = self._target(image, extension)
            if not target.exists():  # else made by an earlier build
                picture = _oriented(source)
                if not fits:
                    picture.thumbnail(policy.max_size, Image.Resampling.LANCZOS)
                self._save(picture, extension, target)
        with Image.open(target) as done:  # reads the header only
            new_size = done.size
        parts = []
        converted = None
        if convert:
            converted = f"{_NAMES[image.extension]} → {_NAMES[extension]}"
            parts.append(converted)
        if not fits:
            parts.append(f"{size[0]}×{size[1]} → {new_size[0]}×{new_size[1]}")
        prepared = replace(image, path=target, extension=extension,
                           media_type=TYPES[extension], size=target.stat().st_size)
        return Prepared(prepared, ", ".join(parts), converted, not fits)

    def _target(self, image: CachedImage, extension: str) -> Path:
        stat = image.path.stat()
        key = hashlib.sha256(f"{image.path.name}|{stat.st_size}|{stat.st_mtime_ns}|"
                             f"{self.policy.key()}".encode()).hexdigest()[:40]
        return self.folder / f"{key}{extension}"

    def _save(self, picture: Image.Image, extension: str, target: Path) -> None:
        """Encode into a temporary file beside ``target``, then rename it into place
        (a concurrent build or a crash never leaves half a file under the name)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{target.stem}.{os.getpid()}.", suffix=".part",
                                    dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as out:
                if extension == ".jpg":
                    rgb = picture if picture.mode in ("RGB", "L") else picture.convert("RGB")
                    rgb.save(out, "JPEG", quality=_JPEG_QUALITY, optimize=True)
                elif extension == ".png":
                    keep = ("RGB", "RGBA", "L", "LA", "P", "1")
                    out_image = picture if picture.mode in keep else picture.convert("RGBA")
                    out_image.save(out, "PNG", optimize=True)
                else:  # scaled in its own format (a static GIF, a WebP kept as served)
                    picture.save(out, PILLOW_FORMATS[extension])
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


def _uses_alpha(image: Image.Image) -> bool:
    """Whether any pixel is less than fully opaque (an alpha channel that is all 255
    does not need PNG)."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        alpha = image.convert("RGBA").getchannel("A")
        return alpha.getextrema()[0] < 255
    return False


def _oriented(image: Image.Image) -> Image.Image:
    """The first frame, decoded, turned upright as its EXIF orientation says."""
    image.seek(0)
    turned = ImageOps.exif_transpose(image)
    if turned is image:
        turned = image.copy()
    return turned
