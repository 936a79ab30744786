"""What an image is, and whether it is whole.

:func:`sniff_image_type` names the type from the first bytes (never from
``Content-Type``); :func:`check_image` then decodes the whole file with Pillow, every
frame of an animation, so a PNG header followed by an HTML page, or a body cut short,
is refused instead of breaking the book. SVG is checked by :mod:`.svg` (safety, plus a
full XML parse).
"""

from __future__ import annotations

import io
import os
import re
import stat
import threading
import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from .errors import FetchError, one_line
from .svg import decode_svg, svg_problem

__all__ = ["DECODE_SLOTS", "MAX_FRAME_PIXELS", "PILLOW_FORMATS", "TYPES", "check_image",
           "read_image_file", "sniff_image_type"]

TYPES = {  # extension -> media type; also the order in which the cache is probed
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".svg": "image/svg+xml",
}
PILLOW_FORMATS = {".jpg": "JPEG", ".png": "PNG", ".gif": "GIF", ".webp": "WEBP",
                  ".avif": "AVIF"}
_AVIF_BRANDS = (b"avif", b"avis")

# Decompression bombs: Pillow refuses images over 2 × Image.MAX_IMAGE_PIXELS and only
# warns above it; Pillow's documentation suggests turning that warning into an error,
# which is what an unattended converter wants (a warning on stderr helps nobody).
warnings.simplefilter("error", Image.DecompressionBombWarning)
# All frames of an animation together may hold this many pixels (a GIF of 1,000 tiny
# frames is fine, 1,000 full-size ones take seconds to decode for nothing).
MAX_FRAME_PIXELS = 4 * Image.MAX_IMAGE_PIXELS
# Decoding holds the whole image in memory: at most two at once (the machines this runs
# on have few cores, and eight parallel downloads must not mean eight huge bitmaps).
DECODE_SLOTS = threading.BoundedSemaphore(2)
HEAD_BYTES = 64 * 1024  # bytes kept for sniffing; enough for an SVG prolog with comments

_RASTER_MAGIC = (
    (b"\xff\xd8\xff", ("image/jpeg", ".jpg")),
    (b"\x89PNG\r\n\x1a\n", ("image/png", ".png")),
    (b"GIF87a", ("image/gif", ".gif")),
    (b"GIF89a", ("image/gif", ".gif")),
)
_SVG_ROOT = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?svg[\s/>]")


def sniff_image_type(head: bytes) -> tuple[str, str] | None:
    """``(media_type, extension)`` from the first bytes of a file, or None.

    Raster types by their magic bytes; SVG when the text, after an optional BOM, XML
    declaration, comments, processing instructions and doctype, opens an ``<svg`` root.
    """
    for magic, kind in _RASTER_MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ("image/webp", ".webp")
    if _is_avif(head):
        return ("image/avif", ".avif")
    if _is_svg_text(decode_svg(head)):
        return ("image/svg+xml", ".svg")
    return None


def _is_avif(head: bytes) -> bool:
    """An ISO-BMFF ``ftyp`` box naming AVIF as its major or a compatible brand (HEIC
    and other HEIF files are not AVIF, and Pillow cannot decode them)."""
    if head[4:8] != b"ftyp" or len(head) < 16:
        return False
    size = min(int.from_bytes(head[:4], "big"), len(head))
    brands = [head[8:12]] + [head[n:n + 4] for n in range(16, size - 3, 4)]
    return any(brand in _AVIF_BRANDS for brand in brands)


def _is_svg_text(text: str) -> bool:
    # A linear scan rather than one big regex: no backtracking on hostile prologs.
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos].isspace():
            pos += 1
        if text.startswith("<?", pos):
            close = text.find("?>", pos + 2)
            if close < 0:
                return False
            pos = close + 2
        elif text.startswith("<!--", pos):
            close = text.find("-->", pos + 4)
            if close < 0:
                return False
            pos = close + 3
        elif text[pos : pos + 9].upper() == "<!DOCTYPE":
            close = text.find(">", pos)
            bracket = text.find("[", pos)
            if 0 <= bracket < close:  # internal subset: skip to its "]" first
                subset_end = text.find("]", bracket)
                close = text.find(">", subset_end) if subset_end >= 0 else -1
            if close < 0:
                return False
            pos = close + 1
        else:
            return _SVG_ROOT.match(text, pos) is not None


def check_image(source: Path | bytes, extension: str) -> None:
    """Raise :class:`FetchError` unless ``source`` (a file or its bytes) is a whole image
    of the type ``extension`` names: every frame decodes, within the pixel limits; an
    SVG parses as XML and holds nothing that runs or loads anything."""
    if extension == ".svg":
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        if problem := svg_problem(data):
            raise FetchError(f"unsafe SVG: contains {problem}", "unsafe SVG")
        return
    name = PILLOW_FORMATS[extension]
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    with DECODE_SLOTS:
        try:
            with Image.open(stream, formats=[name]) as image:
                width, height = image.size
                if width * height > Image.MAX_IMAGE_PIXELS:  # whatever warnings filters
                    # are in force (the one above can be reset, e.g. by a test runner)
                    raise FetchError(f"too many pixels: {width}×{height} (the limit is "
                                     f"{Image.MAX_IMAGE_PIXELS})", "too large")
                frames = getattr(image, "n_frames", 1)
                if width * height * frames > MAX_FRAME_PIXELS:
                    raise FetchError(f"too many pixels: {frames} × {width}×{height} "
                                     f"(the limit is {MAX_FRAME_PIXELS})", "too large")
                for index in range(frames):
                    image.seek(index)
                    image.load()
        except FetchError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise FetchError(f"too many pixels ({exc})", "too large") from None
        except UnidentifiedImageError:
            raise FetchError(f"not a valid {name} image", "corrupt") from None
        except Exception as exc:  # noqa: BLE001 - a damaged file can make Pillow's
            # decoders raise almost anything (OSError, SyntaxError, struct.error, …)
            detail = one_line(str(exc) or type(exc).__name__, 120)
            raise FetchError(f"not a complete {name} image ({detail})", "corrupt") from None


_FILE_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO"),
               (stat.S_ISSOCK, "a socket"))


def read_image_file(path: str | Path, max_bytes: int) -> tuple[bytes, str, str]:
    """``(bytes, media type, extension)`` of a local image file such as ``--cover``.

    Only a regular file is read (a FIFO would block, ``/dev/zero`` never ends), at most
    ``max_bytes`` of it, and it must decode like any downloaded image. FetchError says
    what is wrong, in one line.
    """
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise FetchError(exc.strerror or str(exc), "unreadable") from None
    try:
        mode = os.fstat(fd).st_mode
    except OSError as exc:
        os.close(fd)
        raise FetchError(exc.strerror or str(exc), "unreadable") from None
    if not stat.S_ISREG(mode):
        os.close(fd)
        what = next((name for test, name in _FILE_KINDS if test(mode)), "not a file")
        raise FetchError(f"not a regular file ({what})", "unreadable")
    with os.fdopen(fd, "rb") as handle:
        try:
            data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise FetchError(exc.strerror or str(exc), "unreadable") from None
    if len(data) > max_bytes:
        raise FetchError(f"too large: more than {max_bytes} bytes", "too large")
    kind = sniff_image_type(data[:HEAD_BYTES])
    if kind is None:
        raise FetchError("not a JPEG, PNG, GIF, WebP, AVIF or SVG image", "not an image")
    check_image(data, kind[1])
    return data, kind[0], kind[1]

