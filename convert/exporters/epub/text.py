"""Text, language tags and dates as an EPUB needs them."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Protocol

from ...model import Metadata
from ...render import XML_INVALID

XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>'

#: ``dcterms:modified`` (and zip entry time) when neither SOURCE_DATE_EPOCH nor any
#: post date is known.
FALLBACK_MODIFIED = datetime(2000, 1, 1, tzinfo=timezone.utc)

_YEAR_1000 = datetime(1000, 1, 1, tzinfo=timezone.utc)


class Post(Protocol):
    """What titles, order, groups and the title page read of a post: a Document, or
    the metadata a book keeps of one while its blocks wait on disk."""

    @property
    def metadata(self) -> Metadata: ...

    @property
    def origin(self) -> str | None: ...


# ---------------------------------------------------------------- text and tags

# XML 1.0 forbids XML_INVALID (render.escape removes the same set); lone surrogates cannot
# be encoded at all, so they become U+FFFD.
_SURROGATE = re.compile("[\ud800-\udfff]")
_SPACES = re.compile(r"\s+")


def fix_surrogates(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text)


def clean_text(text: str | None) -> str:
    """One line of metadata text, safe for lxml (which rejects XML-invalid chars)."""
    if not text:
        return ""
    text = XML_INVALID.sub("", fix_surrogates(str(text)))
    return _SPACES.sub(" ", text).strip()


# Well-formed BCP 47 (RFC 5646 'langtag' without extensions/private use): epubcheck
# rejects a malformed dc:language, and lang must equal xml:lang in every chapter.
_LANGTAG = re.compile(
    r"(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"
    r"(?:-[A-Za-z]{4})?"
    r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
)
_RTL_LANGS = {"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ps", "sd", "syr", "ug", "ur", "yi"}


def norm_lang(tag: str | None) -> str | None:
    """A well-formed language tag, or None ('zh_CN' becomes 'zh-CN')."""
    if not tag:
        return None
    tag = tag.strip().replace("_", "-")
    return tag if _LANGTAG.fullmatch(tag) else None


def is_rtl(lang: str) -> bool:
    return lang.split("-", 1)[0].lower() in _RTL_LANGS


# ---------------------------------------------------------------- dates


def utc(value: datetime) -> datetime:
    """Aware UTC datetime; a naive one is taken to be UTC already."""
    if value.tzinfo is not None:
        try:
            return value.astimezone(timezone.utc)
        except OverflowError:  # year 1 or 9999 shifted out of range: keep the wall time
            pass
    return value.replace(tzinfo=timezone.utc)


def modified_time(documents: Sequence[Post]) -> datetime:
    """The book's dcterms:modified: SOURCE_DATE_EPOCH, else the newest post, else 2000."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
        except (ValueError, OverflowError, OSError):
            pass  # malformed: ignored, as most reproducible-build tools do
    dates = [utc(d.metadata.date) for d in documents if d.metadata.date is not None]
    # ebooklib formats it with strftime, which does not pad years before 1000
    return max(max(dates), _YEAR_1000) if dates else FALLBACK_MODIFIED


def day_string(moment: datetime) -> str:
    """YYYY-MM-DD (strftime does not zero-pad years before 1000 everywhere)."""
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"


def zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    """A zip entry time (the format holds 1980-2107 only)."""
    moment = min(max(moment, datetime(1980, 1, 1, tzinfo=timezone.utc)),
                 datetime(2107, 12, 31, 23, 59, 58, tzinfo=timezone.utc))
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


