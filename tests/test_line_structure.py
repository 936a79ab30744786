"""No glued words: bodies written as plain text lines (no ``<p>``, no ``<br>``) keep a
separator at every source line break: a line or paragraph break after a CJK sentence
and around list-like lines, a space for a Latin soft wrap, nothing inside one wrapped
CJK sentence."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convert.model import Heading, Paragraph, inline_text
from convert.normalise import normalise
from convert.normalise.lines import Separator, line_separator
from convert.reader import read_post


def paragraphs(body: str) -> list[str]:
    doc = normalise(read_post(("---\ntitle: t\n---\n" + body).encode()))
    return [inline_text(b.children) for b in doc.blocks if isinstance(b, (Paragraph, Heading))]


def test_japanese_listing_keeps_its_lines() -> None:
    body = "<div>開催場所 高山市民文化会館\n開場 2021-11-14 12:45\n開演 2021-11-14 13:30</div>"
    assert paragraphs(body) == [
        "開催場所 高山市民文化会館\n開場 2021-11-14 12:45\n開演 2021-11-14 13:30"]


def test_cjk_sentence_lines_are_paragraphs() -> None:
    body = "<div>今天天气很好，我们去了公园。\n公园里有很多人在散步。\n晚上回家吃饭。</div>"
    assert paragraphs(body) == ["今天天气很好，我们去了公园。", "公园里有很多人在散步。",
                                "晚上回家吃饭。"]


def test_one_wrapped_cjk_sentence_is_joined_with_nothing() -> None:
    body = "<div>这是一个被编辑器按照固定宽度折行的很长的句子\n它在这里继续并且结束。</div>"
    assert paragraphs(body) == [
        "这是一个被编辑器按照固定宽度折行的很长的句子它在这里继续并且结束。"]


def test_wrap_after_a_comma_is_soft_even_when_short() -> None:
    assert paragraphs("<div>首先，\n我们安装软件。</div>") == ["首先，我们安装软件。"]


def test_latin_soft_wrap_is_a_space() -> None:
    body = "<div>This sentence was wrapped. It goes\non and ends here.\nAnd more.</div>"
    assert paragraphs(body) == ["This sentence was wrapped. It goes on and ends here. And more."]


@pytest.mark.parametrize("marker", ["・", "- ", "1. ", "2、", "（3）", "①", "一、", "● "])
def test_chinese_list_lines_keep_their_lines(marker: str) -> None:
    body = (f"<div>主要功能如下\n{marker}支持多种格式的转换功能\n{marker}自动清理网页中的广告内容"
            "</div>")
    assert paragraphs(body) == [
        f"主要功能如下\n{marker}支持多种格式的转换功能\n{marker}自动清理网页中的广告内容"]


def test_short_cjk_lines_without_markers_are_lines() -> None:
    assert paragraphs("<div>优点\n速度快\n体积小</div>") == ["优点\n速度快\n体积小"]


def test_whitespace_between_tags_is_no_line() -> None:
    # source formatting between elements, not a line the author wrote
    assert paragraphs("<div><b>甲</b>\n<b>乙</b></div>") == ["甲乙"]


def test_inside_p_html_whitespace_rules_stay() -> None:
    # an editor wraps CJK anywhere inside <p>: short lines and sentence ends join
    assert paragraphs("<p>优点\n速度快</p>") == ["优点速度快"]
    assert paragraphs("<p>第一句。\n第二句。</p>") == ["第一句。第二句。"]
    assert paragraphs("<p>a list:\n- one\n- two</p>") == ["a list: - one - two"]


def test_inside_p_list_items_are_not_glued_to_cjk() -> None:
    assert paragraphs("<p>功能如下\n・支持深色模式\n・优化启动</p>") == [
        "功能如下\n・支持深色模式\n・优化启动"]
    body = "<p>開催場所 高山市民文化会館\n開場 2021-11-14 12:45</p>"
    assert paragraphs(body) == ["開催場所 高山市民文化会館\n開場 2021-11-14 12:45"]
    # one field-like line next to prose is no listing
    assert paragraphs("<p>中文\n文字 and</p>") == ["中文文字 and"]


def test_lines_around_inline_markup_are_judged_by_their_whole_text() -> None:
    body = "<div><b>開催場所</b> 高山市民文化会館\n開場 2021-11-14 12:45</div>"
    assert paragraphs(body) == ["開催場所 高山市民文化会館\n開場 2021-11-14 12:45"]


@pytest.mark.parametrize(("before", "after", "kind"), [
    ("开始了。", "然后", Separator.PARAGRAPH),
    ("会場 大ホール", "開場 13:00", Separator.LINE),
    ("地点：礼堂", "时间：下午", Separator.LINE),
    ("很长很长的一句话在这里被折行了但是还没有结束", "继续", Separator.SOFT),
    ("A line that ends.", "Next one", Separator.SOFT),
    ("", "anything", Separator.SOFT),
])
def test_line_separator(before: str, after: str, kind: Separator) -> None:
    assert line_separator(before, after) is kind


# --- property: random plain-line bodies ----------------------------------------------

# Han and kana without numerals or 第 (which make list markers), and Latin words.
_HAN = ("的是在有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发"
        "年动同工也能下过子说产种面而方后多定行学法所民得经")
_KANA = ("あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほ"
         "まみむめもやゆよらりるれろわをんアイウエオカキクケコ")
_CJK = st.text(alphabet=_HAN + _KANA, min_size=1, max_size=1)
_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=8)


def _cjk_run(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.lists(_CJK, min_size=min_size, max_size=max_size).map("".join)


def _latin_run(min_words: int, max_words: int = 10) -> st.SearchStrategy[str]:
    return st.lists(_WORD, min_size=min_words, max_size=max_words).map(" ".join)


# (kind, text): the kind says what a reader expects at the line's ends. A field is a
# short "label value" line (a listing entry), not a paragraph that opens with a label.
_LINES = st.one_of(
    st.tuples(st.just("cjk_sentence"),
              st.builds(lambda s, p: s + p, _cjk_run(2, 30), st.sampled_from("。！？"))),
    st.tuples(st.just("cjk_wrap"), _cjk_run(20, 40)),
    st.tuples(st.just("latin_wrap"), _latin_run(4)),
    st.tuples(st.just("latin_sentence"), _latin_run(2).map(lambda s: s + ".")),
    st.tuples(st.just("list"), st.builds(lambda m, s: m + s,
                                         st.sampled_from(["・", "- ", "1. ", "（2）", "①", "● "]),
                                         st.one_of(_cjk_run(2, 20), _latin_run(1)))),
    st.tuples(st.just("field"), st.builds(lambda k, v: k + " " + v, _cjk_run(2, 4),
                                          st.one_of(_cjk_run(1, 10), _latin_run(1, 3),
                                                    st.just("2021-11-14 12:45")))),
)


def _expected_separator(before: tuple[str, str], after: tuple[str, str]) -> str:
    """What a reader expects between two source lines, from how they were made."""
    if {before[0], after[0]} & {"list", "field"} or before[0] == "cjk_sentence":
        return "\n"  # a line or a paragraph break (both are compared as "\n")
    if before[0] == "cjk_wrap" and after[0] in ("cjk_wrap", "cjk_sentence"):
        return ""  # one CJK sentence wrapped: nothing between its characters
    return " "  # a Latin word on either side: a space


@given(st.lists(_LINES, min_size=2, max_size=8), st.booleans())
def test_no_glued_words_across_source_lines(lines: list[tuple[str, str]],
                                            wrapped: bool) -> None:
    text = "\n".join(line for _, line in lines)
    body = f"<div>{text}</div>" if wrapped else text
    got = "\n".join(paragraphs(body))
    expected = lines[0][1]
    for before, after in zip(lines, lines[1:], strict=False):
        expected += _expected_separator(before, after) + after[1]
    assert got == expected
