"""Choosing posts by date, category and source, and telling when two posts are one.

Both work on a converted :class:`~convert.model.Document`'s metadata and text, so they
judge what the user will see (normalised dates, site names), not raw front matter.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported lazily: the command line reads options before any model
    from .model import Document, Metadata

_RELATIVE = re.compile(r"(\d+)\s*([hdwmy])", re.IGNORECASE)
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


class SelectionError(ValueError):
    """A filter option that cannot be understood; the message names the option."""


def parse_when(text: str, option: str, now: datetime, end_of_day: bool = False) -> datetime:
    """An aware datetime from ``2021-11-07``, ``2021-11-07T08:00``, or a time ago like
    ``12h``, ``7d``, ``2w``, ``3m`` (30 days), ``1y`` (365 days). A bare date means the
    start of that day (UTC), or its end when ``end_of_day`` (so ``--until`` includes it)."""
    value = text.strip()
    relative = _RELATIVE.fullmatch(value)
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2).lower()
        delta = (timedelta(hours=amount) if unit == "h"
                 else timedelta(days=amount * _UNIT_DAYS[unit]))
        return now - delta
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = date.fromisoformat(value)
            moment = datetime.combine(day, time.max if end_of_day else time.min)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SelectionError(f"{option} {text}: give a date like 2021-11-07, "
                             "2021-11-07T08:00 or a time ago like 7d, 2w, 12h") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


@dataclass(frozen=True)
class Selection:
    """Which posts a run takes; an empty selection takes every post."""

    since: datetime | None = None
    until: datetime | None = None
    categories: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    keep_undated: bool = False

    def __bool__(self) -> bool:
        return bool(self.since or self.until or self.categories or self.sources)

    def why_not(self, meta: Metadata) -> str | None:
        """None when the post is taken, else the reason it is left out."""
        if self.since or self.until:
            if meta.date is None:
                if not self.keep_undated:
                    return "no date (--keep-undated keeps it)"
            else:
                moment = meta.date if meta.date.tzinfo else meta.date.replace(
                    tzinfo=timezone.utc)
                if self.since and moment < self.since:
                    return "older than --since"
                if self.until and moment > self.until:
                    return "newer than --until"
        if self.categories:
            wanted = {_fold(c) for c in self.categories}
            if not wanted & {_fold(c) for c in meta.categories}:
                return "not in --category"
        if self.sources:
            wanted = {_fold(s) for s in self.sources}
            if not wanted & {_fold(s) for s in (meta.source, *meta.authors) if s}:
                return "not from --source"
        return None


_URL_KEYS = ("link", "url", "permalink", "source_url")


def identities(doc: Document) -> list[str]:
    """Keys under which two copies of one article meet: its web address, when the post
    gives one, and its title with its whole text (whitespace and letter case folded)."""
    keys = []
    for key in _URL_KEYS:
        value = doc.metadata.extra.get(key)
        if isinstance(value, str) and value.strip().lower().startswith(("http://", "https://")):
            url = value.strip().split("#", 1)[0].rstrip("/")
            keys.append("url:" + re.sub(r"^https?://(www\.)?", "", url, flags=re.I).lower())
            break
    text = " ".join(_texts(doc))
    folded = re.sub(r"\s+", " ", _fold(f"{doc.metadata.title}\n{text}"))
    keys.append("text:" + hashlib.sha256(folded.encode("utf-8")).hexdigest())
    return keys


def _texts(doc: Document) -> Iterator[str]:
    from .model import CodeBlock, block_inlines, inline_text, iter_blocks

    for block in iter_blocks(doc.blocks):
        if isinstance(block, CodeBlock):
            yield block.text
        for run in block_inlines(block):
            yield inline_text(run)


class DuplicateFinder:
    """Remembers the posts seen; :meth:`first_copy` tells whether one was seen before.

    Each key is kept as a 16-byte digest (a run remembers two keys for each of
    hundreds of thousands of posts; a chance collision is one in 2**64 among 2**32)."""

    def __init__(self) -> None:
        self._seen: dict[bytes, str] = {}

    def first_copy(self, keys: Sequence[str], name: str) -> str | None:
        """The name of the earlier post with one of ``keys``, or None (and ``name`` is
        remembered as the first copy)."""
        digests = [hashlib.blake2b(key.encode("utf-8", "surrogatepass"),
                                   digest_size=16).digest() for key in keys]
        for digest in digests:
            if digest in self._seen:
                return self._seen[digest]
        for digest in digests:
            self._seen[digest] = name
        return None
