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
from convert.normalise.urls import is_placeholder_cover, strip_proxy

__all__ = ["detect_language", "normalise_language_tag", "normalise_metadata", "parse_date"]

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


# ---------------------------------------------------------------- language tags

# BCP 47 syntax (RFC 5646) with the subtags people write in front matter; case is
# canonicalised (language lower, Script title, REGION upper). A full registry check
# would need langcodes + language_data; syntax plus a few aliases covers front matter.
_TAG = re.compile(
    r"(?P<lang>[a-z]{2,3})"
    r"(?:-(?P<script>[a-z]{4}))?"
    r"(?:-(?P<region>[a-z]{2}|\d{3}))?"
    r"(?P<rest>(?:-(?:[a-z\d]{5,8}|\d[a-z\d]{3}))*(?:-[a-wyz\d](?:-[a-z\d]{2,8})+)*"
    r"(?:-x(?:-[a-z\d]{1,8})+)?)",
    re.I,
)
_MAX_TAG_CHARS = 100  # real tags are short; the pattern is not matched against pages
_TAG_ALIASES = {
    "iw": "he", "in": "id", "ji": "yi",  # deprecated ISO 639 codes
    "zh-chs": "zh-Hans", "zh-cht": "zh-Hant",  # .NET names
}


def normalise_language_tag(value: str) -> str | None:
    """``"zh_CN"`` → ``"zh-CN"``, ``"EN-us"`` → ``"en-US"``; not a language tag → None."""
    if not isinstance(value, str) or len(value) > _MAX_TAG_CHARS:
        return None
    tag = value.strip()
    # POSIX locales: "en_US.UTF-8", "de_DE@euro".
    tag = re.split(r"[.@]", tag, maxsplit=1)[0].replace("_", "-")
    if tag.lower() in _TAG_ALIASES:
        return _TAG_ALIASES[tag.lower()]
    match = _TAG.fullmatch(tag)
    if not match:
        return None
    lang = match["lang"].lower()
    lang = _TAG_ALIASES.get(lang, lang)
    if lang in ("und", "mul", "zxx", "mis"):  # "undetermined" etc. say nothing
        return None
    parts = [lang]
    if match["script"]:
        parts.append(match["script"].title())
    if match["region"]:
        parts.append(match["region"].upper())
    if match["rest"]:
        parts.append(match["rest"].lower().lstrip("-"))
    return "-".join(parts)


# ---------------------------------------------------------------- language detection

# Frequent characters that exist in only one of the two Chinese scripts, as
# "simplified+traditional" pairs. Hand-written because no small, well-kept library does
# this (OpenCC and friends convert text; they do not classify it). Every simplified
# character here is outside Big5 and every traditional one outside GB2312, so neither
# occurs in ordinary text of the other script (tests/test_metadata.py checks this).
_SIMPLIFIED_TRADITIONAL = """
们們 这這 说說 国國 会會 时時 来來 为為 个個 发發 对對 经經 过過 现現 还還 没沒 进進 动動
问問 题題 关關 应應 样樣 开開 学學 实實 长長 东東 两兩 从從 间間 门門 业業 产產 点點 电電
车車 书書 见見 觉覺 难難 头頭 义義 无無 师師 华華 报報 纪紀 级級 线線 结結 给給 统統 组組
终終 维維 编編 约約 红紅 练練 细細 织織 绝絕 续續 总總 设設 计計 记記 让讓 论論 识識 话話
请請 读讀 调調 谈談 语語 认認 议議 该該 试試 视視 规規 观觀 亲親 资資 费費 贵貴 买買 卖賣
员員 质質 负負 责責 财財 货貨 购購 务務 办辦 劳勞 势勢 变變 边邊 达達 运運 远遠 选選 连連
钱錢 银銀 铁鐵 错錯 钟鐘 键鍵 链鏈 阅閱 闻聞 闭閉 队隊 阳陽 阴陰 际際 陆陸 险險 随隨 页頁
项項 顺順 须須 领領 频頻 风風 飞飛 马馬 鱼魚 鸟鳥 龙龍 齐齊 岁歲 历歷 压壓 广廣 库庫 庆慶
帮幫 币幣 带帶 归歸 当當 录錄 张張 态態 恶惡 战戰 护護 择擇 拥擁 换換 执執 扩擴 扫掃 挥揮
损損 数數 断斷 旧舊 显顯 术術 杂雜 权權 条條 标標 检檢 楼樓 欢歡 汉漢 汤湯 测測 济濟 浅淺
满滿 灯燈 热熱 爱愛 状狀 独獨 环環 画畫 疗療 盖蓋 监監 盘盤 础礎 积積 称稱 稳穩 穷窮 竞競
笔筆 节節 类類 纸紙 罗羅 职職 联聯 脑腦 脸臉 艺藝 药藥 获獲 虽雖 补補 装裝 讯訊 许許 证證
评評 词詞 译譯 误誤 课課 谁誰 谢謝 转轉 软軟 轻輕 较較 输輸 违違 迟遲 邮郵 释釋 针針 钢鋼
锁鎖 阵陣 韩韓 顾顧 预預 饭飯 馆館 验驗 鲜鮮 麦麥 黄黃 龄齡 传傳 伤傷 众眾 伟偉 块塊
"""
_PAIRS = _SIMPLIFIED_TRADITIONAL.split()
_SIMPLIFIED = re.compile("[" + "".join(p[0] for p in _PAIRS) + "]")
_TRADITIONAL = re.compile("[" + "".join(p[1] for p in _PAIRS) + "]")

# Letters by script. U+30FB (katakana middle dot) and U+30FC (prolonged sound mark) are
# left out of kana: Chinese text uses them too. Character class contents: single
# characters and ranges only (the counting table below is built from them).
_SCRIPT_CLASSES = {
    "hangul": "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af",
    "kana": "\u3040-\u309f\u30a0-\u30fa\u30fd-\u30ff\u31f0-\u31ff\uff66-\uff9d",
    "han": "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f",
    "latin": "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff",
    "cyrillic": "\u0400-\u04ff\u0500-\u052f",
    "greek": "\u0370-\u03ff\u1f00-\u1fff",
    "arabic": "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff",
    "hebrew": "\u0590-\u05ff",
    "thai": "\u0e00-\u0e7f",
}
_SCRIPTS = {name: re.compile(f"[{chars}]") for name, chars in _SCRIPT_CLASSES.items()}
_SCRIPT_LANG = {"latin": "en", "cyrillic": "ru", "greek": "el", "arabic": "ar",
                "hebrew": "he", "thai": "th"}
_SAMPLE = 5000
#: Below these counts the text says nothing about its language.
MIN_CJK = 20
MIN_LETTERS = 40


def _class_ranges(chars: str) -> list[tuple[int, int]]:
    """``"A-Za"`` → ``[(65, 90), (97, 97)]``: the ranges of a character class's contents."""
    out, i = [], 0
    while i < len(chars):
        if i + 2 < len(chars) and chars[i + 1] == "-":
            out.append((ord(chars[i]), ord(chars[i + 2])))
            i += 3
        else:
            out.append((ord(chars[i]), ord(chars[i])))
            i += 1
    return out


# Counting letters by script with one regex per script scans the text nine times and
# makes a string per letter. Instead one str.translate maps each character of the Basic
# Multilingual Plane to a code for its script (simplified- and traditional-only Han
# characters get codes of their own; "\0" for the rest), and str.count counts codes.
# Characters beyond the BMP are left as they are by the translation and counted by the
# regexes (only they, and they are few). The codes are ASCII control characters: the
# translated text holds nothing else but those characters beyond the BMP.
_OTHER = "\0"
_CODES = {name: chr(1 + i) for i, name in enumerate([*_SCRIPT_CLASSES, "simplified",
                                                      "traditional"])}
_BMP = 0x10000
_ABOVE_BMP = re.compile("[\U00010000-\U0010ffff]")


def _script_table() -> str | None:
    """The translation table, or None if the scripts overlap (each character would then
    count for several, which one code cannot say: the regexes count instead)."""
    table = [_OTHER] * _BMP
    for name, chars in _SCRIPT_CLASSES.items():
        for low, high in _class_ranges(chars):
            for point in range(low, min(high, _BMP - 1) + 1):
                if table[point] != _OTHER:
                    return None
                table[point] = _CODES[name]
    for name, index in (("simplified", 0), ("traditional", 1)):
        for pair in _PAIRS:
            point = ord(pair[index])
            if table[point] != _CODES["han"]:
                return None  # outside Han, or in both sets
            table[point] = _CODES[name]
    return "".join(table)


_TABLE = _script_table()


def _script_counts(sample: str) -> tuple[dict[str, int], int, int]:
    """Letters of each script in ``sample``, and its simplified- and traditional-only
    Han characters (counted among the Han letters too)."""
    if _TABLE is None:
        counts = {name: len(rx.findall(sample)) for name, rx in _SCRIPTS.items()}
        return counts, len(_SIMPLIFIED.findall(sample)), len(_TRADITIONAL.findall(sample))
    codes = sample.translate(_TABLE)
    counts = {name: codes.count(_CODES[name]) for name in _SCRIPT_CLASSES}
    simplified = codes.count(_CODES["simplified"])
    traditional = codes.count(_CODES["traditional"])
    counts["han"] += simplified + traditional
    if not codes.isascii():  # characters beyond the BMP, left as they were
        above = "".join(_ABOVE_BMP.findall(codes))
        for name, rx in _SCRIPTS.items():
            counts[name] += len(rx.findall(above))
    return counts, simplified, traditional


def detect_language(text: str) -> str | None:
    """Guess a BCP 47 tag from the script of the first ~5000 characters of ``text``.

    Script counting, not a language model: Hangul → ko, kana → ja, Han → zh-Hans or
    zh-Hant (zh when no character tells), Latin → en, Cyrillic → ru, and so on.
    CJK wins when it is at least 20% of the letters (Chinese tech posts are full of
    English words). Too little text to tell (fewer than :data:`MIN_CJK` CJK characters,
    or :data:`MIN_LETTERS` letters of another script) → None: ``20話`` is no language.
    """
    sample = text[:_SAMPLE]
    counts, simplified, traditional = _script_counts(sample)
    cjk = counts["hangul"] + counts["kana"] + counts["han"]
    total = sum(counts.values())
    if total == 0:
        return None
    if cjk and cjk * 5 >= total:
        if cjk < MIN_CJK:
            return None
        if counts["hangul"] * 2 >= cjk:
            return "ko"
        if counts["kana"] * 10 >= cjk:
            return "ja"
        if simplified > traditional:
            return "zh-Hans"
        if traditional > simplified:
            return "zh-Hant"
        return "zh"
    script = max(_SCRIPT_LANG, key=lambda name: counts[name])
    if counts[script] < MIN_LETTERS:
        return None
    return _SCRIPT_LANG[script]
