"""The book's cover: ``--cover`` (a file or URL), else the first post cover that can be
had, else one drawn here.

The drawn cover is a PNG (Pillow), not an SVG: Kindle (calibre's AZW3, Send-to-Kindle)
takes a cover only from a raster image. It shows the title in a font the machine has
that holds every character of it (``--cover-font``, else fontconfig's best match for
the book's language, checked to cover the title); when no such font is found, the
same design is drawn without the title, and the cover still looks intended. The same
title, fonts and Pillow give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from ebooklib import epub
from PIL import Image, ImageDraw, ImageFont

from ...fetch import CachedImage, FetchError, ImageFetcher, read_image_file
from .images import BookImages
from .pages import FileItem
from .text import Post

__all__ = ["cover_item", "find_cover", "find_font", "generated_cover_png"]

WIDTH, HEIGHT = 1200, 1800  # 2:3, the shape of most e-reader covers
_PAPER, _INK, _MUTED = (244, 239, 230), (29, 29, 31), (96, 96, 100)
# Closing punctuation never starts a line (CJK line-breaking rule, kinsoku).
_NO_LINE_START = "，。、：；！？）」』》〉】”’,.;:!?)"
_FC_LANGS = {"zh": "zh-cn", "zh-hans": "zh-cn", "zh-cn": "zh-cn", "zh-sg": "zh-cn",
             "zh-hant": "zh-tw", "zh-tw": "zh-tw", "zh-hk": "zh-hk", "zh-mo": "zh-hk"}


def find_cover(given: str | None, documents: Sequence[Post], fetcher: ImageFetcher
               ) -> tuple[str | None, CachedImage | None]:
    """``(URL it came from, image)``: ``--cover`` (file or URL), else the first post
    cover that can be fetched and is a raster image; ``(None, None)`` when there is
    none. A bad ``--cover`` raises ValueError (the book is not made)."""
    if given:
        if given.startswith(("http://", "https://")):
            try:
                return given, fetcher.fetch(given)
            except (FetchError, ValueError) as exc:
                raise ValueError(f"--cover {given}: {exc}") from None
        try:
            data, media_type, extension = read_image_file(given, fetcher.options.max_bytes)
        except FetchError as exc:
            raise ValueError(f"--cover {given}: {exc}") from None
        return None, CachedImage(f"file:{given}", Path(given), media_type, extension,
                                 len(data), from_cache=True)
    for doc in documents:
        url = doc.metadata.cover
        if not url:
            continue
        try:
            image = fetcher.fetch(url)
        except (FetchError, ValueError):
            continue
        if image.extension != ".svg":  # Kindle and calibre take only a raster cover
            return url, image
    return None, None


def cover_item(cover: CachedImage | None, images: BookImages, title: str, subtitle: str,
               lang: str, font: str | None) -> epub.EpubItem:
    """The cover picture as a book item (id ``cover-image``), prepared for the device
    like any image; drawn when there is none or it cannot be prepared."""
    prepared = images.prepare(cover) if cover is not None else None
    if prepared is not None:
        return FileItem(uid="cover-image", file_name="images/cover" + prepared.extension,
                        media_type=prepared.media_type, path=str(prepared.path))
    return epub.EpubItem(uid="cover-image", file_name="images/cover.png",
                         media_type="image/png",
                         content=generated_cover_png(title, subtitle, lang, font))


# ---------------------------------------------------------------- fonts


def _fc_escape(value: str) -> str:
    return "".join("\\" + ch if ch in "\\:=,-" else ch for ch in value)


def find_font(text: str, lang: str) -> tuple[str, int] | None:
    """``(font file, face index)`` of an installed font that holds every character of
    ``text``, preferring a serif for ``lang``; None when fontconfig is missing or no
    font covers the text."""
    if shutil.which("fc-match") is None or shutil.which("fc-list") is None:
        return None
    chars = sorted({ord(ch) for ch in text if not ch.isspace()})
    if not chars:
        return None
    charset = " ".join(f"{code:x}" for code in chars)
    primary = lang.lower()
    fc_lang = _FC_LANGS.get(primary) or _FC_LANGS.get(primary.split("-")[0]) \
        or primary.split("-")[0]
    pattern = f"serif:charset={charset}" + (f":lang={fc_lang}" if fc_lang != "und" else "")
    try:
        found = subprocess.run(["fc-match", "-f", "%{file}\t%{index}", pattern],
                               capture_output=True, text=True, timeout=20).stdout
        path, _, index = found.partition("\t")
        if not path:
            return None
        # fc-match always answers; fc-list says whether that face holds every character
        check = subprocess.run(
            ["fc-list", "-f", "%{file}\n",
             f":charset={charset}:file={_fc_escape(path)}:index={int(index or 0)}"],
            capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return (path, int(index or 0)) if check.strip() else None


def _font(spec: tuple[str, int] | None, size: int) -> ImageFont.FreeTypeFont | None:
    if spec is None:
        return None
    try:
        return ImageFont.truetype(spec[0], size, index=spec[1])
    except OSError:
        return None


# ---------------------------------------------------------------- drawing


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, max_lines: int) -> list[str]:
    """Lines of at most ``width`` pixels: at spaces, or anywhere in a long unspaced run
    (CJK, a URL), never before closing punctuation; "…" ends a title cut short."""
    lines, line = [], ""
    for word in text.replace(" ", " \x00").split("\x00"):
        if font.getlength(line + word) <= width:
            line += word
            continue
        if line.strip() and font.getlength(word) <= width:
            lines.append(line.rstrip())
            line = word
            continue
        for ch in word:
            if font.getlength(line + ch) > width and line.strip() \
                    and ch not in _NO_LINE_START:
                lines.append(line.rstrip())
                line = ""
            line += ch
    if line.strip():
        lines.append(line.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:-1] + "…"
    return lines


def _accent(title: str) -> tuple[int, int, int]:
    """A muted colour of the title's own (books of a shelf differ at a glance)."""
    r, g, b = hashlib.sha256(title.encode("utf-8", "surrogatepass")).digest()[:3]
    return (60 + r % 90, 60 + g % 90, 60 + b % 90)


def generated_cover_png(title: str, subtitle: str, lang: str = "und",
                        font_file: str | None = None) -> bytes:
    """A typographic cover: a frame, a colour band, the title and a subtitle line.
    Without a font that holds the title, the band and frame alone (no tofu boxes)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), _PAPER)
    draw = ImageDraw.Draw(image)
    accent = _accent(title)
    draw.rectangle((60, 60, WIDTH - 60, HEIGHT - 60), outline=_INK, width=6)
    draw.rectangle((60, 1180, WIDTH - 60, 1260), fill=accent)
    spec = (font_file, 0) if font_file else find_font(title + "…", lang)
    title_font = _font(spec, 96)
    if title_font is not None:
        rows = _wrap(title, title_font, WIDTH - 280, 6)
        y = 640 - 64 * len(rows)
        for row in rows:
            draw.text((WIDTH // 2, y), row, font=title_font, fill=_INK, anchor="ma")
            y += 128
    else:  # no font for the title: an ornament where it would be
        for n in range(3):
            draw.line((300, 480 + 80 * n, WIDTH - 300, 480 + 80 * n), fill=accent,
                      width=10 - 3 * n)
    small = _font(find_font(subtitle + "newsconv", lang), 48) if not font_file else \
        _font(spec, 48)
    if small is not None:
        draw.text((WIDTH // 2, 1320), subtitle, font=small, fill=_MUTED, anchor="ma")
        draw.text((WIDTH // 2, HEIGHT - 160), "newsconv", font=small, fill=_MUTED,
                  anchor="ma")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
