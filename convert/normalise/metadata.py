"""Metadata normaliser: the reader's raw front-matter mapping → :class:`Metadata`.

Handles the shapes real generators write: RFC 2822 / ISO / naive dates and the literal
``Invalid Date``, ``author`` vs ``authors``, nested Hexo category lists, several cover
keys, POSIX-style language tags, and keys the model does not know (kept in ``extra``).
"""

from __future__ import annotations

import base64
import email.utils
import math
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

from convert.model import Diagnostic, Metadata
from convert.normalise.language import detect_language, normalise_language_tag
from convert.normalise.urls import is_placeholder_cover, strip_proxy

__all__ = ["normalise_metadata", "parse_date"]

_STEP = "metadata"

# Alias groups, first key wins.
_AUTHOR_KEYS = ("author", "authors")
_DATE_KEYS = ("date", "published", "pubDate", "created")
_CATEGORY_KEYS = ("categories",)
_COVER_KEYS = ("headimg", "thumbnail", "cover", "image")
_LANG_KEYS = ("lang", "language")
_SOURCE_KEYS = ("source", "site")

# Malicious or looping YAML (aliases: `a: &x [*x]`, "billion laughs") must not hang or
# blow up the walks below: they stop after this many nodes or this depth.
_MAX_NODES = 10_000
_MAX_DEPTH = 20


def _warning(message: str, sample: str | None = None) -> Diagnostic:
    return Diagnostic(level="warning", step=_STEP, message=message, sample=sample)


def normalise_metadata(raw: Mapping[str, Any], text: str, https: frozenset[str] = frozenset(),
                       fallback_lang: str | None = None) -> tuple[Metadata, list[Diagnostic]]:
    """Build :class:`Metadata` from a raw front-matter mapping.

    ``text`` is sample text of the post (title + body plain text), used to detect the
    language when the front matter names none; ``https`` the hosts the post reaches over
    https (a proxied cover on one keeps https); ``fallback_lang`` the language when the
    front matter names none and the text is too short to tell (a site profile's).
    Returns the metadata and warnings.
    """
    diagnostics: list[Diagnostic] = []
    consumed: set[str] = {"title"}

    title = _clean_text(_as_text(raw.get("title")))

    authors = _unique(_strings(raw.get(k) for k in _AUTHOR_KEYS))
    consumed.update(_AUTHOR_KEYS)

    date_key = _first_key(raw, _DATE_KEYS, lambda v: v is not None and v != "")
    parsed: datetime | None = None
    date_raw: str | None = None
    if date_key is not None:
        value = raw[date_key]
        date_raw = _raw_date_string(value)
        parsed = parse_date(value)
        if parsed is None:
            shown = date_raw if len(date_raw) <= 80 else date_raw[:77] + "..."
            diagnostics.append(_warning(f"unparseable date {shown!r}", sample=shown))
    consumed.update(_aliases_used(raw, _DATE_KEYS, date_key))

    categories = _unique(_strings(raw.get(k) for k in _CATEGORY_KEYS))
    consumed.update(_CATEGORY_KEYS)

    cover_key = _first_key(raw, _COVER_KEYS, lambda v: isinstance(v, str) and bool(v.strip()))
    cover = strip_proxy(_fix_url(raw[cover_key].strip()), https) if cover_key is not None else None
    if cover is not None and is_placeholder_cover(cover):
        diagnostics.append(_warning("placeholder cover ignored", sample=cover))
        cover = None
    consumed.update(_aliases_used(raw, _COVER_KEYS, cover_key))

    lang: str | None = None
    lang_key = _first_key(raw, _LANG_KEYS, lambda v: v is not None and v != "")
    if lang_key is not None:
        lang = normalise_language_tag(str(raw[lang_key]))
        if lang is None:
            diagnostics.append(_warning(f"invalid language tag {str(raw[lang_key])[:40]!r}; "
                                        "detecting the language from the text"))
    if lang is None:
        lang = detect_language(text) or fallback_lang
    consumed.update(_aliases_used(raw, _LANG_KEYS, lang_key))

    source: str | None = None
    source_key = _first_key(raw, _SOURCE_KEYS, lambda v: bool(_clean_text(_as_text(v))))
    if source_key is not None:
        source = _clean_text(_as_text(raw[source_key]))
    else:
        # The corpus generator's pattern: author == the site == second category.
        source = next((a for a in authors if a in categories), None)
    consumed.update(_aliases_used(raw, _SOURCE_KEYS, source_key))

    budget = [_MAX_NODES]
    extra = {str(k): _json_safe(v, budget, 0) for k, v in raw.items() if str(k) not in consumed}

    metadata = Metadata(title=title, authors=authors, date=parsed, date_raw=date_raw,
                        categories=categories, cover=cover, lang=lang, source=source,
                        extra=extra)
    return metadata, diagnostics


# ---------------------------------------------------------------- helpers


def _first_key(raw: Mapping[str, Any], keys: tuple[str, ...], usable: Any) -> str | None:
    for key in keys:
        if key in raw and usable(raw[key]):
            return key
    return None


def _aliases_used(raw: Mapping[str, Any], keys: tuple[str, ...], chosen: str | None
                  ) -> set[str]:
    """Alias keys that carry nothing beyond the chosen one: empty or the same value.

    An alias with a different value (say a ``thumbnail`` unlike ``headimg``) is kept
    in ``extra`` so nothing is lost.
    """
    chosen_value = raw[chosen] if chosen is not None else None
    used = set()
    for key in keys:
        if key not in raw:
            continue
        value = raw[key]
        if key == chosen or value is None or value == "" or value == [] or _same(value,
                                                                                 chosen_value):
            used.add(key)
    return used


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.strip() == b.strip()
    try:
        return bool(a == b)
    except Exception:  # exotic values comparing badly are simply "not the same"
        return False


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(_strings([value]))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def _clean_text(text: str) -> str:
    # Collapse every whitespace run (newlines of multi-line YAML titles, nbsp, U+3000).
    return " ".join(text.split())


def _strings(values: Iterable[Any]) -> list[str]:
    """Flatten str / scalar / nested lists into stripped, non-empty strings."""
    out: list[str] = []
    budget = [_MAX_NODES]

    def walk(value: Any, depth: int) -> None:
        budget[0] -= 1
        if budget[0] < 0 or depth > _MAX_DEPTH or value is None:
            return
        if isinstance(value, (list, tuple, set, frozenset)):
            for item in value:
                walk(item, depth + 1)
            return
        if isinstance(value, dict):
            # Jekyll-style {name: ..., email: ...}: the name alone, else every value.
            items = [value["name"]] if "name" in value else list(value.values())
            for item in items:
                walk(item, depth + 1)
            return
        text = _clean_text(_as_text(value))
        if text:
            out.append(text)

    for value in values:
        walk(value, 0)
    return out


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _fix_url(url: str) -> str:
    return "https:" + url if url.startswith("//") else url


def _json_safe(value: Any, budget: list[int], depth: int) -> Any:
    """``value`` as JSON-ready data (str keys; dates as ISO strings; no NaN)."""
    budget[0] -= 1
    if budget[0] < 0 or depth > _MAX_DEPTH:
        return None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):  # YAML !!binary
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {str(k): _json_safe(v, budget, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v, budget, depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):  # YAML !!set
        return sorted(str(v) for v in value)
    return str(value)


# ---------------------------------------------------------------- dates

# ISO 8601 and the generator's "YYYY-MM-DD HH:MM:SS" / "YYYY/MM/DD HH:MM": parsed here
# rather than with datetime.fromisoformat, which on Python 3.10 rejects "Z", "+0800"
# and fractions that are not 3 or 6 digits.
_ISO = re.compile(
    r"(?P<y>\d{4})(?P<sep>[-/])(?P<mo>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
    r"(?:(?:[Tt]|[ \t]+)(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d+))?)?)?"
    r"[ \t]*(?P<tz>[Zz]|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?"
)
# RFC 2822 needs a month name; email.utils also accepts some odd all-digit strings.
_MONTH_NAME = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", re.I)


def _raw_date_string(value: Any) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def parse_date(value: Any) -> datetime | None:
    """A timezone-aware datetime from a front-matter date value, or None.

    Accepts YAML datetimes and dates, ISO 8601 strings (``Z`` or offsets), ``YYYY-MM-DD
    HH:MM:SS``, ``YYYY/MM/DD HH:MM[:SS]`` and RFC 2822. Naive values are taken as UTC.
    Numbers are not dates (an epoch guess would be silently wrong as often as right).
    """
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 100:
        return None
    match = _ISO.fullmatch(text)
    if match:
        return _from_iso_match(match)
    if _MONTH_NAME.search(text):
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if parsed is None:
            return None
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)
    return None


def _from_iso_match(match: re.Match[str]) -> datetime | None:
    tz_text = match["tz"]
    if tz_text is None or tz_text in ("Z", "z", "UTC", "GMT"):
        tz = timezone.utc
    else:
        sign = -1 if tz_text[0] == "-" else 1
        digits = tz_text[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:] or 0)
        if hours > 23 or minutes > 59:
            return None
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    fraction = (match["f"] or "")[:6].ljust(6, "0")
    try:
        return datetime(int(match["y"]), int(match["mo"]), int(match["d"]),
                        int(match["h"] or 0), int(match["mi"] or 0), int(match["s"] or 0),
                        int(fraction), tzinfo=tz)
    except ValueError:  # month 13, 30 February, hour 25 ...
        return None
