"""Reader: decoding, front-matter splitting, YAML loading and recovery."""

from __future__ import annotations

import codecs
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convert.normalise.language import _PAIRS
from convert.reader import (
    RawPost,
    ReadError,
    decode,
    parse_front_matter,
    read_post,
    split_front_matter,
)

POST = """
---
title: '白宫回应：中美双方不考虑重开总领事馆'
categories:
 - 新媒体
 - 未名新闻
author: 未名新闻
comments: false
date: 2021-03-26 08:08:57
---

<div>
<p>第一段。</p>
</div>
"""

# A Traditional Chinese post written for these tests (real Big5 text has no simplified
# characters, which Big5 cannot encode).
TRADITIONAL_POST = """
---
title: '臺灣颱風季節來臨，氣象局提醒民眾做好準備'
categories:
 - 新聞
 - 中央社
author: 中央社
date: Mon, 12 Jul 2021 08:06:30 GMT
---

<div>
<p>中央氣象局今天表示，今年第一個颱風可能在下週形成，並有機會影響臺灣。氣象專家說，
太平洋高壓的位置將決定颱風的路徑，民眾應密切注意最新消息，提前檢查門窗與排水設施。</p>
<p>根據過去十年的統計資料，每年平均有三到四個颱風侵襲臺灣，帶來豪雨與強風，
對農業、交通及電力系統都會造成影響。農委會也呼籲農民及早採收成熟的作物，
並加強農業設施的防護，以減少可能的損失。</p>
<p>交通部表示，如果颱風警報發布，高鐵與臺鐵將視情況調整班次，航空公司也可能取消部分航班。
旅客出發前應先確認交通資訊，避免在颱風期間前往山區或海邊。學校與機關是否停班停課，
將由各縣市政府依據風雨情況決定，並在前一天晚上公布。</p>
<p>專家同時提醒，氣候變遷使得極端天氣事件越來越頻繁，政府與民間都需要更完善的防災計畫。
各地方政府已經開始檢查抽水站與堤防，確保在豪雨來臨時能正常運作。</p>
</div>
"""


def corpus_post(corpus: list[Path], number: str) -> Path:
    return next(p for p in corpus if p.name.startswith(f"{number}-"))


def messages(post: RawPost) -> list[str]:
    return [d.message for d in post.diagnostics]


# ---------------------------------------------------------------- decoding


def test_plain_utf8() -> None:
    post = read_post(POST.encode())
    assert post.encoding == "utf-8"
    assert post.diagnostics == []
    assert post.metadata["title"] == "白宫回应：中美双方不考虑重开总领事馆"
    assert post.metadata["categories"] == ["新媒体", "未名新闻"]
    assert post.body == "\n<div>\n<p>第一段。</p>\n</div>\n"


def test_utf8_bom_is_stripped() -> None:
    post = read_post(codecs.BOM_UTF8 + POST.encode())
    assert post.encoding == "utf-8"
    assert post.diagnostics == []
    assert post.metadata["author"] == "未名新闻"
    # Also without leading blank line: the BOM must not hide the opening '---'.
    post = read_post(codecs.BOM_UTF8 + POST.lstrip().encode())
    assert post.metadata["author"] == "未名新闻"
    assert "\ufeff" not in post.body


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_with_bom(codec: str) -> None:
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE,
           "utf-32-le": codecs.BOM_UTF32_LE, "utf-32-be": codecs.BOM_UTF32_BE}[codec]
    post = read_post(bom + POST.encode(codec))
    assert post.encoding == codec
    assert post.metadata["title"] == "白宫回应：中美双方不考虑重开总领事馆"
    assert "\ufeff" not in post.body
    assert post.diagnostics == []


def test_gb18030_post_is_detected_and_named(corpus: list[Path]) -> None:
    text = corpus_post(corpus, "25").read_text(encoding="utf-8")
    post = read_post(text.encode("gb18030"))
    assert post.encoding == "gb18030"
    assert messages(post) == ["not UTF-8; decoded as GB18030"]
    assert post.metadata["title"] == "白宫回应：中美双方不考虑重开中美成都、休斯敦总领事馆"
    assert "白宫" in post.body


@pytest.mark.parametrize("number", ["04", "14", "20", "36"])
def test_gb18030_mostly_english_or_long_posts(corpus: list[Path], number: str) -> None:
    # 04 and 14 are English with a few Chinese words and emoji: charset-normalizer
    # alone calls them CP1250/CP1252.
    text = corpus_post(corpus, number).read_text(encoding="utf-8")
    decoded, encoding, warnings = decode(text.encode("gb18030"))
    assert encoding == "gb18030"
    assert decoded == text
    assert "GB18030" in warnings[0].message


def test_big5_post_is_detected_and_named() -> None:
    data = TRADITIONAL_POST.encode("big5")
    post = read_post(data)
    assert post.encoding in ("big5hkscs", "cp950", "big5")
    assert len(post.diagnostics) == 1
    assert post.diagnostics[0].message == f"not UTF-8; decoded as {post.encoding.upper()}"
    assert post.metadata["title"] == "臺灣颱風季節來臨，氣象局提醒民眾做好準備"
    assert "中央氣象局今天表示" in post.body


@pytest.mark.parametrize("number", ["06", "13", "25", "27", "36"])
def test_big5_corpus_posts(corpus: list[Path], number: str) -> None:
    # A corpus post made Traditional with the pair table; what Big5 still cannot encode
    # becomes '?'. charset-normalizer alone finds nothing for 25, 27 and 36.
    # 13 has kana, where Big5-HKSCS and CP950/Big5 disagree.
    to_traditional = {p[0]: p[1] for p in _PAIRS}
    text = corpus_post(corpus, number).read_text(encoding="utf-8")
    data = "".join(to_traditional.get(ch, ch) for ch in text).encode("big5", errors="replace")
    decoded, encoding, warnings = decode(data)
    assert encoding.startswith("big5") or encoding == "cp950"
    assert decoded == data.decode("big5")
    assert encoding.upper() in warnings[0].message


def test_cp1252_is_not_mistaken_for_chinese() -> None:
    text = ("<p>Le café était très animé ce soir-là, et les étudiants discutaient de "
            "leurs résumés. Über die Straße gehen, schöne Grüße aus München.</p>\n") * 5
    decoded, encoding, warnings = decode(text.encode("cp1252"))
    assert decoded == text
    assert encoding == "cp1252"
    assert warnings[0].message == "not UTF-8; decoded as CP1252"


@pytest.mark.parametrize("data", [b"<p>Le caf\xe9.</p>", b"<p>" + b"x" * 70_000 + b"\xe9</p>"])
def test_few_latin1_bytes_prefer_cp1252(data: bytes) -> None:
    # charset-normalizer alone names CP1006 (Urdu) or Johab (old Korean) here: every
    # encoding fits equally.
    decoded, encoding, _ = decode(data)
    assert encoding == "cp1252"
    assert decoded == data.decode("cp1252")


def test_damaged_utf8_stays_utf8() -> None:
    good = POST.encode()
    data = good[:40] + b"\xff" + good[40:] + "白宫".encode()[:-1]  # stray byte, cut char
    post = read_post(data)
    assert post.encoding == "utf-8"
    assert "白宫回应" in post.metadata["title"]
    assert any("invalid UTF-8" in m for m in messages(post))


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
    b"---\ntitle: x\n---\nbody\x00more",
    codecs.BOM_UTF8 + b"abc\x00def",
])
def test_binary_input_raises(data: bytes) -> None:
    with pytest.raises(ReadError, match="binary") as info:
        read_post(data)
    assert "\n" not in str(info.value)


def test_bad_utf16_raises_cannot_decode() -> None:
    with pytest.raises(ReadError, match="cannot decode"):
        read_post(codecs.BOM_UTF16_LE + b"a\x00\x00\xd8")  # lone surrogate


# ---------------------------------------------------------------- newlines and splitting


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_cr(newline: str) -> None:
    post = read_post(POST.replace("\n", newline).encode())
    assert post.metadata["categories"] == ["新媒体", "未名新闻"]
    assert "\r" not in post.body
    assert post.body == "\n<div>\n<p>第一段。</p>\n</div>\n"


def test_leading_blank_and_whitespace_lines() -> None:
    post = read_post(b"\n  \n\t\n---\ntitle: x\n---\nbody")
    assert post.metadata == {"title": "x"}
    assert post.body == "body"


def test_markers_with_trailing_spaces_and_dots_close() -> None:
    assert split_front_matter("---  \ntitle: x\n... \nbody\n") == ("title: x", "body\n")
    assert split_front_matter("--- \na: 1\n---\t\n") == ("a: 1", "")


def test_indented_or_decorated_marker_is_not_front_matter() -> None:
    for text in ("  ---\na: 1\n---\n", "----\na: 1\n---\n", "--- a\nb: 1\n---\n"):
        assert split_front_matter(text) == (None, text)


def test_no_front_matter_plain_html() -> None:
    html = "\n<html><body><p>Hello</p>\n<hr>\n---\n</body></html>\n"
    post = read_post(html.encode())
    assert post.metadata == {}
    assert post.body == html
    assert post.diagnostics == []


def test_unclosed_front_matter_is_body_with_warning() -> None:
    text = "\n---\ntitle: x\n<div>body</div>\n"
    post = read_post(text.encode())
    assert post.metadata == {}
    assert post.body == text
    assert messages(post) == ["front matter opened on line 2 is never closed with '---'; "
                              "read the whole file as body"]


@pytest.mark.parametrize("text", ["---\n---\nbody", "---\n\n   \n---\nbody",
                                  "---\n# only a comment\n---\nbody"])
def test_empty_front_matter(text: str) -> None:
    post = read_post(text.encode())
    assert post.metadata == {}
    assert post.body == "body"
    assert post.diagnostics == []


@pytest.mark.parametrize("yaml_text, kind", [("- a\n- b", "list"), ("just text", "string"),
                                              ("42", "int")])
def test_non_mapping_front_matter(yaml_text: str, kind: str) -> None:
    post = read_post(f"---\n{yaml_text}\n---\nbody".encode())
    assert post.metadata == {}
    assert post.body == "body"
    assert messages(post) == [f"front matter is not a mapping (a YAML {kind}); ignored"]


# ---------------------------------------------------------------- YAML


def test_unknown_keys_are_kept_as_yaml_typed_them() -> None:
    meta, warnings = parse_front_matter("title: x\nfoo: bar\ncomments: false\nweight: 3\n"
                                        "date: 2021-03-26 08:08:57")
    assert warnings == []
    assert meta == {"title": "x", "foo": "bar", "comments": False, "weight": 3,
                    "date": datetime(2021, 3, 26, 8, 8, 57)}


def test_yaml_11_traps_do_not_crash() -> None:
    meta, warnings = parse_front_matter("comments: no\ntime: 12:30:45\non: yes\n2: two")
    assert warnings == []
    assert meta["comments"] is False  # as PyYAML (YAML 1.1) types it
    assert meta["time"] == 45045
    assert meta["True"] is True  # non-string keys become strings
    assert meta["2"] == "two"


def test_yaml_is_loaded_safely() -> None:
    meta, warnings = parse_front_matter("title: !!python/object/apply:os.system ['echo hi']")
    assert isinstance(meta["title"], str)
    assert len(warnings) == 1


def test_multiline_quoted_title_folds(corpus: list[Path]) -> None:
    post = read_post(corpus_post(corpus, "11").read_bytes())
    assert post.diagnostics == []
    assert post.metadata["title"].startswith('@001_RSC_ " 摸点德鲁西拉投喂自己')


def test_broken_corpus_post_19(corpus: list[Path]) -> None:
    post = read_post(corpus_post(corpus, "19").read_bytes())
    meta = post.metadata
    assert meta["title"] == "BthI1stOpeC7Cwfの投稿イラスト"
    assert meta["categories"] == ["二次元", "1draw 深夜の真剣お絵描き 60 分一本勝負 - 投稿一览"]
    assert meta["comments"] is False
    assert meta["date"] == datetime(2021, 3, 22, 4, 50, 45)
    assert meta["thumbnail"] == "http://pbs.twimg.com/media/ExAW0IBVIAMVOoa.jpg"
    assert messages(post) == ["front matter is not valid YAML (did not find expected key, "
                              "line 3); recovered 6 keys line by line"]
    assert post.body.startswith("\n<div>")


def test_broken_corpus_post_39(corpus: list[Path]) -> None:
    post = read_post(corpus_post(corpus, "39").read_bytes())
    meta = post.metadata
    # The generator wrapped the raw title (its file name) in "..." without escaping.
    assert meta["title"] == "''Pass the Butter!\" DIY《瑞克和莫蒂》里的黄油机器人！"
    assert meta["categories"] == ["新媒体", "虎嗅", "首页资讯"]
    assert meta["date"] == "Thu, 14 Oct 2021 06:48:00 GMT"
    assert meta["comments"] is False
    assert len(post.diagnostics) == 1
    assert post.diagnostics[0].level == "warning" and post.diagnostics[0].step == "read"
    assert "recovered 7 keys line by line" in post.diagnostics[0].message


def test_recovery_rules() -> None:
    yaml_text = "\n".join([
        "# generated",
        "title: Note: a title",             # `: ` inside a plain scalar: invalid YAML
        "  that continues here",
        "tags:",
        "    - one",
        "    - 'two'",
        "    - 2021-01-02",
        "empty:",
        "count: 3",
        "when: 2021-02-30",                 # PyYAML raises ValueError on this date
        'quoted: "a "b" c"',
        "body: |",
        "  line one",
        "  line two",
    ])
    meta, warnings = parse_front_matter(yaml_text, first_line=10)
    assert meta["title"] == "Note: a title that continues here"
    assert meta["tags"] == ["one", "two", datetime(2021, 1, 2).date()]
    assert meta["empty"] is None
    assert meta["count"] == 3
    assert meta["when"] == "2021-02-30"
    assert meta["quoted"] == 'a "b" c'
    assert meta["body"] == "line one\nline two\n"
    assert len(warnings) == 1
    assert warnings[0].message.startswith("front matter is not valid YAML (")
    assert "line 11" in warnings[0].message
    assert warnings[0].message.endswith("recovered 7 keys line by line")


def test_impossible_date_falls_back_to_text() -> None:
    meta, warnings = parse_front_matter("title: x\ndate: 2021-02-30")
    assert meta == {"title": "x", "date": "2021-02-30"}
    assert "day is out of range" in warnings[0].message


# ---------------------------------------------------------------- the corpus


def test_every_corpus_post_reads(corpus: list[Path]) -> None:
    assert len(corpus) >= 42
    for path in corpus:
        post = read_post(path.read_bytes())
        assert post.encoding == "utf-8", path.name
        assert post.metadata.get("title"), path.name
        assert isinstance(post.metadata.get("categories"), list), path.name
        assert post.body.lstrip().startswith("<"), path.name
        assert "\r" not in post.body
        for diagnostic in post.diagnostics:
            assert diagnostic.level == "warning" and diagnostic.step == "read"
            assert path.name[:2] in ("19", "39"), (path.name, diagnostic.message)


# ---------------------------------------------------------------- properties


def _front_matter_bytes() -> st.SearchStrategy[bytes]:
    line = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
    return st.builds(
        lambda lines, body, enc: ("\n---\n" + "\n".join(lines) + "\n---\n" + body).encode(
            enc, errors="replace"),
        st.lists(st.one_of(line, st.builds(lambda k, v: f"{k}: {v}", line, line)),
                 max_size=8),
        line,
        st.sampled_from(["utf-8", "gb18030", "big5", "utf-16"]),
    )


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=400), _front_matter_bytes()))
def test_read_post_raises_only_read_error(data: bytes) -> None:
    try:
        post = read_post(data)
    except ReadError as exc:
        assert "\n" not in str(exc)
    else:
        assert isinstance(post.metadata, dict)
        assert all(isinstance(k, str) for k in post.metadata)
        assert "\r" not in post.body


# ---------------------------------------------------------------- hostile YAML


def test_aliases_within_the_budget_load() -> None:
    from convert.front_matter import load_yaml

    data = load_yaml("a: &a [x, y]\nb: [*a, *a]\n")
    assert data == {"a": ["x", "y"], "b": [["x", "y"], ["x", "y"]]}


def test_aliases_expanding_past_the_budget_are_a_read_error() -> None:
    from convert.front_matter import MAX_YAML_VALUES, load_yaml

    # 3 levels of 100 aliases each: 1,000,000 values from four short lines.
    bomb = "a: &a [" + ", ".join(["x"] * 100) + "]\n"
    bomb += "b: &b [" + ", ".join(["*a"] * 100) + "]\n"
    bomb += "c: [" + ", ".join(["*b"] * 100) + "]\n"
    with pytest.raises(ReadError, match=f"YAML aliases expand too far .over {MAX_YAML_VALUES:,}"):
        load_yaml(bomb)
    with pytest.raises(ReadError, match="YAML aliases expand too far"):
        read_post(f"---\n{bomb}title: t\n---\nbody".encode())


def test_self_containing_alias_is_a_read_error() -> None:
    for front in ("categories: &c [*c, *c]", "author: &m {name: *m}"):
        with pytest.raises(ReadError, match="alias refers to the value that contains it"):
            read_post(f"---\ntitle: t\n{front}\n---\nbody".encode())


def test_many_values_without_aliases_are_refused_too() -> None:
    from convert.front_matter import load_yaml

    with pytest.raises(ReadError, match="too many values"):
        load_yaml("tags: [" + ", ".join(["x"] * 100_001) + "]")


def test_recovery_keeps_values_of_long_lines_with_inner_spaces() -> None:
    yaml_text = "title: [\nsummary: a" + " " * 500 + "b   \ntags:\n - x  y  \n   more\n"
    mapping, warnings = parse_front_matter(yaml_text)
    assert mapping["summary"] == "a" + " " * 500 + "b"
    assert mapping["tags"] == ["x  y more"]
    assert len(warnings) == 1


def test_recovery_strips_nested_quote_pairs() -> None:
    # Not YAML on its own either: the matching quote pairs around it are taken off.
    nested = "\"'" * 2000 + "x" + "'\"" * 2000
    mapping, _ = parse_front_matter(f"title: [\nlong: {nested}\n")
    assert mapping["long"] == "x"


@pytest.mark.parametrize(("text", "expected"), [
    ("", (None, "")),
    ("\n \n", (None, "\n \n")),
    ("---\n---\nbody", ("", "body")),
    ("\n  \n---  \na: 1\nb: 2\n...\nbody\nmore", ("a: 1\nb: 2", "body\nmore")),
    ("---\na: 1\n---", ("a: 1", "")),
    ("---\nno close\nbody", (None, "---\nno close\nbody")),
    ("x\n---\na\n---\n", (None, "x\n---\na\n---\n")),
])
def test_split_front_matter_line_by_line(text: str, expected: tuple) -> None:
    assert split_front_matter(text) == expected
