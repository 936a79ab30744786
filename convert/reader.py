"""Reader: bytes → raw front-matter mapping + body text. Knows nothing about HTML.

The steps are public so other readers (and tests) can reuse them:
:func:`decode` (bytes → text), :func:`split_front_matter` (text → YAML text + body) and
:func:`parse_front_matter` (YAML text → mapping, in :mod:`convert.front_matter`).
:func:`read_post` runs all three.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from convert.front_matter import ReadError, parse_front_matter
from convert.model import Diagnostic

__all__ = [
    "RawPost",
    "ReadError",
    "decode",
    "parse_front_matter",
    "read_post",
    "split_front_matter",
]

_STEP = "read"


@dataclass
class RawPost:
    #: Front-matter mapping as YAML typed it (``{}`` when there is none).
    metadata: dict[str, Any]
    #: Text after the front matter, newlines normalised to ``\n``.
    body: str
    #: Warnings about repairs and guesses (level ``"warning"``, step ``"read"``).
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: The encoding the bytes were decoded with, e.g. ``"utf-8"``, ``"gb18030"``.
    encoding: str = "utf-8"


def _warning(message: str, sample: str | None = None) -> Diagnostic:
    return Diagnostic(level="warning", step=_STEP, message=message, sample=sample)


# ---------------------------------------------------------------- decoding

# Longest BOM first: the UTF-32-LE BOM begins with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# charset-normalizer names a subset when it sees GB or Big5 text; decode with the
# superset so characters outside the subset still decode. For Big5, CP950 (the Windows
# form, what Taiwanese files are in practice) comes first: it agrees with plain Big5 where
# Big5-HKSCS differs (the ETEN kana at C6A1-C8FE); HKSCS catches Hong Kong characters.
_SUPERSETS: dict[str, tuple[str, ...]] = {
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "gb18030": ("gb18030",),
    "big5": ("cp950", "big5hkscs", "big5"),
    "cp950": ("cp950", "big5hkscs", "big5"),
    "big5hkscs": ("big5hkscs", "cp950", "big5"),
}

# Multi-byte East Asian codecs: when charset-normalizer names one of these we trust it.
_CJK_CODECS = frozenset({
    "gb2312", "gbk", "gb18030", "hz", "big5", "big5hkscs", "cp950", "cp932", "shift_jis",
    "shift_jis_2004", "shift_jisx0213", "euc_jp", "euc_jis_2004", "euc_jisx0213",
    "iso2022_jp", "iso2022_jp_2", "euc_kr", "cp949", "johab", "iso2022_kr",
})


def decode(data: bytes) -> tuple[str, str, list[Diagnostic]]:
    """Decode post bytes: ``(text, encoding, warnings)``; newlines are left as they are.

    UTF-8 (BOM stripped) first; UTF-16/32 only with a BOM; anything else is detected,
    decoded and reported in a warning. Raises :class:`ReadError` for binary data or
    bytes nothing decodes.
    """
    payload = data
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            payload = data[len(bom):]
            if encoding == "utf-8":
                break  # decoded below, with the damaged-UTF-8 handling
            try:
                return payload.decode(encoding), encoding, []
            except UnicodeDecodeError as exc:
                raise ReadError(f"cannot decode: {encoding.upper()} byte order mark but "
                                f"invalid {encoding.upper()} at byte {exc.start}") from None
    if b"\x00" in payload:
        raise ReadError("binary file (contains NUL bytes and no UTF-16/32 byte order mark)")
    try:
        return payload.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError:
        pass
    return _decode_legacy(payload)


def _decode_legacy(data: bytes) -> tuple[str, str, list[Diagnostic]]:
    # Mostly valid UTF-8 with a few bad bytes (a truncated or spliced file) is UTF-8:
    # a detector would pick a single-byte code page and garble every other character.
    # Legacy encodings give at most one accidental valid UTF-8 character per two invalid
    # sequences (measured: GB18030, Big5, Shift_JIS, EUC-KR/JP, CP1251/1252 on the
    # corpus), so four valid non-ASCII characters per invalid sequence is unmistakable.
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    good = sum(1 for ch in text if ord(ch) > 127) - text.count("\ufffd")
    if bad > 0 and good >= 4 * bad:
        return text, "utf-8", [_warning(f"invalid UTF-8: {bad} damaged byte sequence(s) "
                                        "replaced with U+FFFD")]

    guess = _detect(data)
    if guess in _CJK_CODECS:
        for encoding in _SUPERSETS.get(guess, (guess,)):
            decoded = _try_decode(data, encoding)
            if decoded is not None:
                return _legacy_result(decoded, encoding)

    # charset-normalizer judges by "mess" and is unreliable when non-ASCII bytes are few
    # (an English post with a few Chinese words, emoji, '?' for unencodable characters):
    # there it answers CP1250/CP1252 or nothing for GB18030 and Big5 input. Chinese is
    # this tool's main legacy case, so try both strictly and keep the one whose
    # characters are common in that encoding's own repertoire. The order cannot decide
    # by itself: Big5 bytes nearly always also decode as (garbled) GB18030.
    best: tuple[float, str, str] | None = None
    for family in ("gb18030", "big5"):
        for encoding in _SUPERSETS[family]:
            decoded = _try_decode(data, encoding)
            if decoded is not None:
                score = _commonness(decoded, family)
                if best is None or score > best[0]:
                    best = (score, decoded, encoding)
                break
    if best is not None and (best[0] >= 0.6 or guess is None):
        return _legacy_result(best[1], best[2])
    if guess is not None:
        decoded = _try_decode(data, guess)
        if decoded is not None:
            return _legacy_result(decoded, guess)
    if best is not None:
        return _legacy_result(best[1], best[2])
    raise ReadError("cannot decode: not UTF-8, and no known encoding fits")


def _detect(data: bytes) -> str | None:
    # Imported here: only non-UTF-8 input needs it, and it costs start-up time.
    try:
        from charset_normalizer import from_bytes

        matches = from_bytes(data)
        match = matches.best()
        if match is None:
            return None
        # With few non-ASCII bytes many encodings fit equally well and the first listed
        # wins (Johab, CP1006 or CP1250 for "café"). Then prefer CP1252, the most common
        # legacy encoding (and the web's default for unlabelled Latin text).
        score = (match.chaos, match.coherence)
        if any("cp1252" in m.could_be_from_charset for m in matches
               if (m.chaos, m.coherence) == score):
            return "cp1252"
        return codecs.lookup(match.encoding).name.replace("-", "_")
    except Exception:  # a detector failure is "no guess", never a crash
        return None


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _legacy_result(text: str, encoding: str) -> tuple[str, str, list[Diagnostic]]:
    name = codecs.lookup(encoding).name
    return text, name, [_warning(f"not UTF-8; decoded as {name.upper()}")]


def _commonness(text: str, encoding: str) -> float:
    """Share of non-ASCII characters that are everyday characters for ``encoding``.

    ``"gb18030"``: characters in GB2312. ``"big5"``: symbols and the level-1 (frequent)
    hanzi block A440–C67E. Emoji and general punctuation count for both.
    """
    chars = [ch for ch in text[:20000] if ord(ch) > 127]
    if not chars:
        return 1.0
    common = 0
    for ch in chars:
        code = ord(ch)
        if 0x2000 <= code <= 0x206F or 0xFE00 <= code <= 0xFE0F or 0x1F000 <= code <= 0x1FAFF:
            common += 1
            continue
        try:
            raw = ch.encode("gb2312" if encoding == "gb18030" else "big5")
        except UnicodeEncodeError:
            continue
        if encoding == "gb18030" or raw <= b"\xc6\x7e":
            common += 1
    return common / len(chars)


# ---------------------------------------------------------------- front matter

_OPEN = re.compile(r"---[ \t]*")
_CLOSE = re.compile(r"(?:---|\.\.\.)[ \t]*")


def _normalise_newlines(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


_BLANK = re.compile(r"\s*")


def _line_spans(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each line, without copying the text (bodies run to 20 MB)."""
    pos = 0
    while True:
        end = text.find("\n", pos)
        if end < 0:
            yield pos, len(text)
            return
        yield pos, end
        pos = end + 1


def _split(text: str) -> tuple[str | None, str, int, bool]:
    """``(yaml text or None, body, file line of the YAML's first line, unclosed?)``."""
    spans = enumerate(_line_spans(text))
    first = next(((i, pos, end) for i, (pos, end) in spans
                  if not _BLANK.fullmatch(text, pos, end)), None)
    if first is None:
        return None, text, 0, False
    start, pos, end = first
    if not _OPEN.fullmatch(text, pos, end):
        return None, text, 0, False
    yaml_start = end + 1
    for _, (pos, end) in spans:
        if _CLOSE.fullmatch(text, pos, end):
            return text[yaml_start:max(pos - 1, yaml_start)], text[end + 1:], start + 2, False
    return None, text, start + 1, True


def split_front_matter(text: str) -> tuple[str | None, str]:
    """Split ``text`` into ``(YAML text or None, body)``.

    Leading blank lines are skipped; the front matter opens with a ``---`` line and
    closes at the next ``---`` or ``...`` line (trailing spaces allowed). Without an
    opening line, or without a closing one, the whole text is body.
    """
    yaml_text, body, _, _ = _split(_normalise_newlines(text))
    return yaml_text, body


# ---------------------------------------------------------------- the whole step


def read_post(data: bytes) -> RawPost:
    """Decode ``data`` and split it into front-matter mapping and body."""
    text, encoding, diagnostics = decode(data)
    yaml_text, body, first_line, unclosed = _split(_normalise_newlines(text))
    metadata: dict[str, Any] = {}
    if unclosed:
        diagnostics.append(_warning(f"front matter opened on line {first_line} is never "
                                    "closed with '---'; read the whole file as body"))
    elif yaml_text is not None:
        metadata, warnings = parse_front_matter(yaml_text, first_line=first_line)
        diagnostics.extend(warnings)
    return RawPost(metadata=metadata, body=body, diagnostics=diagnostics, encoding=encoding)
