"""Metadata normaliser: dates, authors, categories, cover, language, source, extra."""

from __future__ import annotations

import html
import json
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convert.model import Metadata
from convert.normalise.language import _PAIRS, detect_language, normalise_language_tag
from convert.normalise.metadata import normalise_metadata, parse_date
from convert.reader import read_post

UTC = timezone.utc


def norm(raw: dict[str, Any], text: str = "") -> tuple[Metadata, list[str]]:
    meta, diagnostics = normalise_metadata(raw, text)
    for d in diagnostics:
        assert d.level == "warning" and d.step == "metadata"
    return meta, [d.message for d in diagnostics]


# ---------------------------------------------------------------- title, authors


def test_title_whitespace_collapsed() -> None:
    meta, _ = norm({"title": "  @001_RSC_ \"\n摸点\u3000德鲁西拉\n\n  投喂 \u00a0 "})
    assert meta.title == '@001_RSC_ " 摸点 德鲁西拉 投喂'


@pytest.mark.parametrize("value, expected", [(None, ""), (2021, "2021"), (False, "False")])
def test_title_missing_or_not_a_string(value: Any, expected: str) -> None:
    assert norm({"title": value})[0].title == expected
    assert norm({})[0].title == ""


@pytest.mark.parametrize("raw, expected", [
    ({"author": " 知乎 "}, ["知乎"]),
    ({"authors": ["A", " B ", "", None, "A", "B"]}, ["A", "B"]),
    ({"author": "A", "authors": ["B", "A"]}, ["A", "B"]),
    ({"author": {"name": "Ann", "email": "a@x"}}, ["Ann"]),
    ({"author": None}, []),
    ({}, []),
])
def test_authors(raw: dict[str, Any], expected: list[str]) -> None:
    assert norm(raw)[0].authors == expected


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize("value, expected", [
    # The corpus's three shapes (Invalid Date below).
    ("Sun, 07 Nov 2021 04:21:12 GMT", datetime(2021, 11, 7, 4, 21, 12, tzinfo=UTC)),
    (datetime(2021, 3, 26, 8, 8, 57), datetime(2021, 3, 26, 8, 8, 57, tzinfo=UTC)),
    # Other shapes.
    ("2021-11-07T04:21:12Z", datetime(2021, 11, 7, 4, 21, 12, tzinfo=UTC)),
    ("2021-11-07T04:21:12.5z", datetime(2021, 11, 7, 4, 21, 12, 500000, tzinfo=UTC)),
    ("2021-11-07T12:21:12+08:00",
     datetime(2021, 11, 7, 12, 21, 12, tzinfo=timezone(timedelta(hours=8)))),
    ("2021-11-07 12:21:12 -0530",
     datetime(2021, 11, 7, 12, 21, 12, tzinfo=timezone(-timedelta(hours=5, minutes=30)))),
    ("2021-11-07 04:21:12", datetime(2021, 11, 7, 4, 21, 12, tzinfo=UTC)),
    ("2021-11-07", datetime(2021, 11, 7, tzinfo=UTC)),
    ("2021/11/07 04:21", datetime(2021, 11, 7, 4, 21, tzinfo=UTC)),
    ("2021/11/07 04:21:12", datetime(2021, 11, 7, 4, 21, 12, tzinfo=UTC)),
    ("Sun, 07 Nov 2021 12:21:12 +0800",
     datetime(2021, 11, 7, 12, 21, 12, tzinfo=timezone(timedelta(hours=8)))),
    ("Sun, 07 Nov 2021 04:21:12 -0000", datetime(2021, 11, 7, 4, 21, 12, tzinfo=UTC)),
    (date(2021, 11, 7), datetime(2021, 11, 7, tzinfo=UTC)),
    (datetime(2021, 11, 7, 12, 0, tzinfo=timezone(timedelta(hours=8))),
     datetime(2021, 11, 7, 12, 0, tzinfo=timezone(timedelta(hours=8)))),
])
def test_parse_date_shapes(value: Any, expected: datetime) -> None:
    parsed = parse_date(value)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is not None
    assert parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("value", [
    "Invalid Date", "", "   ", "yesterday", "2021-13-01", "2021-02-30", "2021-11-07T25:00",
    "2021-11-07T04:21+25:00", "1 2 3 4", "Nov", 1636258872, 1636258872.0, True, None,
    ["2021-11-07"], "2021-11-07" + " " * 200 + "x",
])
def test_parse_date_rejects(value: Any) -> None:
    assert parse_date(value) is None


def test_invalid_date_warns_and_keeps_raw() -> None:
    meta, warnings = norm({"title": "t", "date": "Invalid Date"})
    assert meta.date is None
    assert meta.date_raw == "Invalid Date"
    assert warnings == ["unparseable date 'Invalid Date'"]


def test_epoch_number_is_not_a_date() -> None:
    meta, warnings = norm({"date": 1636258872})
    assert meta.date is None
    assert meta.date_raw == "1636258872"
    assert warnings == ["unparseable date '1636258872'"]


def test_date_raw_and_fallback_keys() -> None:
    meta, warnings = norm({"date": datetime(2021, 3, 26, 8, 8, 57)})
    assert meta.date_raw == "2021-03-26T08:08:57"
    assert warnings == []
    meta, _ = norm({"pubDate": "Sun, 07 Nov 2021 04:21:12 GMT", "created": "2020-01-01"})
    assert meta.date == datetime(2021, 11, 7, 4, 21, 12, tzinfo=UTC)
    assert meta.date_raw == "Sun, 07 Nov 2021 04:21:12 GMT"
    assert meta.extra == {"created": "2020-01-01"}  # a different value is not lost
    meta, _ = norm({"date": None, "published": date(2020, 5, 1)})
    assert meta.date == datetime(2020, 5, 1, tzinfo=UTC)
    assert meta.date_raw == "2020-05-01"
    meta, warnings = norm({"title": "no date"})
    assert (meta.date, meta.date_raw, warnings) == (None, None, [])


# ---------------------------------------------------------------- categories, cover


@pytest.mark.parametrize("value, expected", [
    (["新媒体", " IT 之家 ", "热榜"], ["新媒体", "IT 之家", "热榜"]),
    ("Photos", ["Photos"]),
    ([["a", "b"], ["a", "c"]], ["a", "b", "c"]),  # Hexo hierarchies, flattened
    (["x", None, "", "  ", 2021], ["x", "2021"]),
    (None, []),
    ([], []),
])
def test_categories(value: Any, expected: list[str]) -> None:
    assert norm({"categories": value})[0].categories == expected
    assert norm({})[0].categories == []


def test_cover_key_order_and_protocol_relative() -> None:
    raw = {"image": "https://img/4.png", "cover": "https://img/3.png",
           "thumbnail": "  //img/2.png ", "headimg": ""}
    meta, _ = norm(raw)
    assert meta.cover == "https://img/2.png"
    # Empty headimg and the chosen thumbnail are consumed; differing ones kept.
    assert meta.extra == {"image": "https://img/4.png", "cover": "https://img/3.png"}
    assert norm({"headimg": "a.png", "thumbnail": "b.png"})[0].cover == "a.png"
    assert norm({"thumbnail": None, "cover": 3, "image": "i.png"})[0].cover == "i.png"
    assert norm({})[0].cover is None


def test_same_valued_cover_aliases_are_not_extra() -> None:
    meta, _ = norm({"headimg": "https://x/a.jpg", "thumbnail": "https://x/a.jpg"})
    assert meta.cover == "https://x/a.jpg"
    assert meta.extra == {}


# ---------------------------------------------------------------- language


@pytest.mark.parametrize("value, expected", [
    ("zh_CN", "zh-CN"), ("EN-us", "en-US"), ("en", "en"), (" fr ", "fr"),
    ("zh-hant-tw", "zh-Hant-TW"), ("ZH-HANS", "zh-Hans"), ("en_US.UTF-8", "en-US"),
    ("de_DE@euro", "de-DE"), ("es-419", "es-419"), ("iw", "he"), ("zh-CHS", "zh-Hans"),
    ("sl-rozaj-biske", "sl-rozaj-biske"), ("en-x-private", "en-x-private"),
    ("", None), ("english", None), ("zh-", None), ("12", None), ("und", None),
    ("en--US", None), ("中文", None), ("True", None),
])
def test_normalise_language_tag(value: str, expected: str | None) -> None:
    assert normalise_language_tag(value) == expected


def test_lang_from_front_matter_or_detected() -> None:
    assert norm({"lang": "zh_CN"}, "English text here")[0].lang == "zh-CN"
    assert norm({"language": "EN-us"})[0].lang == "en-US"
    meta, warnings = norm({"lang": "klingon!"},
                          "这是一段中文文本，我们来测试一下语言的检测是否正确。")
    assert meta.lang == "zh-Hans"
    assert warnings == ["invalid language tag 'klingon!'; detecting the language from the text"]
    assert norm({}, "")[0].lang is None


ZH_HANS = "这是一个关于国家经济发展的报道，我们认为这个问题很重要。记者说，会议时间还没有确定。"
ZH_HANT = "這是一個關於國家經濟發展的報導，我們認為這個問題很重要。記者說，會議時間還沒有確定。"
JA = "今日はとても良い天気ですね。東京の桜が満開になりました。週末に花見に行きましょう。"
KO = "오늘은 날씨가 정말 좋네요. 서울의 벚꽃이 만개했습니다. 주말에 꽃구경 가요."
EN = "The quick brown fox jumps over the lazy dog. This is an English sentence."


@pytest.mark.parametrize("text, expected", [
    (ZH_HANS, "zh-Hans"),
    (ZH_HANT, "zh-Hant"),
    (JA, "ja"),
    (KO, "ko"),
    (EN, "en"),
    ("Привет, как дела? Это русский текст." * 3, "ru"),
    ("مرحبا بكم في هذا النص العربي" * 3, "ar"),
    ("שלום עולם, זה טקסט בעברית" * 3, "he"),
    ("สวัสดีครับ นี่คือข้อความภาษาไทย" * 3, "th"),
    ("中文" * 10, "zh"),  # no character tells the script
    ("中文", None),  # too little text to tell
    ("20話😢", None),
    ("Hossein Derakhshan", None),  # a name is no language
    # Chinese tech post full of English words: CJK wins at >= 20% of the letters.
    ("在Kubernetes集群中使用kubectl delete namespace删除操作时，namespace一直处于"
     "Terminating状态，下面给出解决方案。", "zh-Hans"),
    # Mostly English with a Chinese name: English.
    (EN * 3 + " 张三", "en"),
    # Chinese quoting a Japanese name keeps Chinese; 5% kana is not Japanese.
    (ZH_HANS * 3 + "の", "zh-Hans"),
    ("", None),
    ("12345 !!! ... 😀 ✌️", None),
])
def test_detect_language(text: str, expected: str | None) -> None:
    assert detect_language(text) == expected


def test_detect_language_looks_at_the_start_only() -> None:
    # Only the start is read, so a long post costs no more than a short one (its speed
    # is measured in bench/bench_metadata.py, not asserted here).
    text = ZH_HANS * 200 + EN * 2000  # ~ 9,000 + 146,000 characters
    assert detect_language(text) == "zh-Hans"
    assert detect_language(ZH_HANS * 200 + "한국어" * 50_000) == "zh-Hans"


def test_simplified_traditional_table_is_clean() -> None:
    # Each simplified form must be unencodable in Big5 and each traditional form in
    # GB2312: then neither occurs in ordinary text of the other script.
    assert len(_PAIRS) >= 150
    assert len(set(_PAIRS)) == len(_PAIRS)
    for pair in _PAIRS:
        simplified, traditional = pair
        with pytest.raises(UnicodeEncodeError):
            simplified.encode("big5")
        with pytest.raises(UnicodeEncodeError):
            traditional.encode("gb2312")


# ---------------------------------------------------------------- source, extra


def test_source_rule() -> None:
    raw = {"author": "IT 之家", "categories": ["新媒体", "IT 之家", "热榜"]}
    assert norm(raw)[0].source == "IT 之家"
    assert norm({"author": "Ann", "categories": ["a", "b"]})[0].source is None
    assert norm({"source": " Reuters ", "author": "IT 之家",
                 "categories": ["IT 之家"]})[0].source == "Reuters"
    assert norm({"site": "Example"})[0].source == "Example"
    assert norm({})[0].source is None


def test_extra_keeps_unknown_keys_json_safe() -> None:
    loop: list[Any] = []
    loop.append(loop)  # YAML `a: &x [*x]`
    raw = {
        "title": "t", "comments": False, "weight": 3, "ratio": 0.5, "nan": float("nan"),
        "updated": datetime(2021, 1, 2, 3, 4, 5), "day": date(2021, 1, 2),
        "tags": ["a", date(2021, 1, 2), {"k": datetime(2021, 1, 2)}],
        "blob": b"\x00\x01", "set": {"b", "a"}, "loop": loop, 3: "three",
    }
    meta, _ = norm(raw)
    assert meta.extra["comments"] is False
    assert meta.extra["weight"] == 3
    assert meta.extra["nan"] == "nan"
    assert meta.extra["updated"] == "2021-01-02T03:04:05"
    assert meta.extra["day"] == "2021-01-02"
    assert meta.extra["tags"] == ["a", "2021-01-02", {"k": "2021-01-02T00:00:00"}]
    assert meta.extra["blob"] == "AAE="
    assert meta.extra["set"] == ["a", "b"]
    assert meta.extra["3"] == "three"
    assert "title" not in meta.extra
    json.dumps(meta.extra, allow_nan=False)


def test_billion_laughs_stays_bounded() -> None:
    level: Any = ["lol"] * 10
    for _ in range(9):
        level = [level] * 10  # 10**10 leaves if walked naively
    # a naive walk of 10**10 leaves never returns: finishing at all is the check
    meta, _ = norm({"categories": level, "author": level, "x": level})
    json.dumps(meta.extra)
    assert meta.categories == ["lol"]


# ---------------------------------------------------------------- the corpus


def plain_text(body: str) -> str:
    # Roughly what the cleaner hands on: no code, style or script, tags dropped.
    body = re.sub(r"(?is)<(pre|code|style|script)\b.*?</\1>", " ", body)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def test_every_corpus_post(corpus: list[Path]) -> None:
    for path in corpus:
        raw = read_post(path.read_bytes())
        title = str(raw.metadata.get("title", ""))
        meta, diagnostics = normalise_metadata(raw.metadata, title + "\n" + plain_text(raw.body))
        name = path.name
        assert meta.title, name
        assert meta.date_raw, name
        messages = [d.message for d in diagnostics if d.message != "placeholder cover ignored"]
        if raw.metadata["date"] == "Invalid Date":
            assert meta.date is None, name
            assert messages == ["unparseable date 'Invalid Date'"]
        else:
            assert meta.date is not None and meta.date.tzinfo is not None, name
            assert messages == [], name
        cover = str(raw.metadata.get("headimg") or raw.metadata.get("thumbnail") or "")
        if "picsum.photos" in cover or cover.endswith("/p/undefined") or "equation?" in cover:
            assert meta.cover is None, name
        elif cover:
            # a proxy goes unless that would downgrade an https page to http
            assert meta.cover and ("cors.zfour" not in meta.cover
                                   or "?http://" in meta.cover), name
        assert len(meta.categories) == 3 or name.startswith("19-"), name
        assert meta.authors == [raw.metadata["author"]], name
        assert meta.source == meta.authors[0], name
        assert meta.lang in ("zh-Hans", "ja", "en") or (
            meta.lang is None and len("".join(plain_text(raw.body).split())) < 100
        ), (name, meta.lang)
        assert meta.extra == {"comments": False}, name
        json.dumps(meta.extra)


def test_corpus_languages(corpus: list[Path]) -> None:
    langs = {}
    for path in corpus:
        raw = read_post(path.read_bytes())
        text = str(raw.metadata["title"]) + "\n" + plain_text(raw.body)
        langs[path.name[:2]] = normalise_metadata(raw.metadata, text)[0].lang
    assert langs["14"] == "en"  # Paul Graham
    assert langs["13"] == "ja"
    assert langs["19"] is None  # a title of 7 CJK characters and a picture: too little
    assert langs["03"] == "zh-Hans"  # Chinese Kubernetes how-to, English commands
    assert langs["25"] == "zh-Hans"


# ---------------------------------------------------------------- properties

_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30),
                     st.dates(), st.datetimes())
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4), max_leaves=12)
_keys = st.one_of(
    st.sampled_from(["title", "author", "authors", "date", "published", "pubDate", "created",
                     "categories", "headimg", "thumbnail", "cover", "image", "lang",
                     "language", "source", "site", "comments"]),
    st.text(max_size=10),
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_keys, _values, max_size=10), st.text(max_size=200))
def test_normalise_metadata_never_raises(raw: dict[str, Any], text: str) -> None:
    meta, diagnostics = normalise_metadata(raw, text)
    assert isinstance(meta.title, str)
    assert all(isinstance(a, str) and a for a in meta.authors)
    assert all(isinstance(c, str) and c for c in meta.categories)
    assert meta.date is None or meta.date.tzinfo is not None
    json.dumps(meta.extra, allow_nan=False)
    for d in diagnostics:
        assert d.level == "warning" and d.step == "metadata"
