"""Bold and italic keep the author's span where CommonMark's flanking rules allow it;
where they fail, the fewest edge punctuation characters move out, never one bracket of
a pair; HTML tags only when nothing else works. Each case is read back by markdown-it-py:
the <strong> covers exactly the intended text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html
from markdown_it import MarkdownIt

from convert.exporters.markdown import to_markdown
from convert.exporters.markdown_emphasis import delimit, is_punctuation
from convert.model import (
    Code,
    Document,
    Emphasis,
    Link,
    Metadata,
    Paragraph,
    Strikeout,
    Strong,
    Text,
)

MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def markdown_of(*inlines) -> str:
    doc = Document(Metadata(title="t"), [Paragraph(list(inlines))])
    return to_markdown(doc).split("---\n", 2)[2].strip()


def read_back(markdown: str) -> lxml_html.HtmlElement:
    return lxml_html.fragment_fromstring(MD.render(markdown), create_parent="div")[0]


@pytest.mark.parametrize(("before", "bold", "after", "markdown", "strong"), [
    # the rules allow the span: kept exactly
    ("", "特性：", "", "**特性：**", "特性："),
    ("说", "重点", "在后", "说**重点**在后", "重点"),
    ("见：", "「重要」", "。", "见：**「重要」**。", "「重要」"),
    ("。", "《书名》", "，", "。**《书名》**，", "《书名》"),
    ("", "（注）", "。", "**（注）**。", "（注）"),
    # the closing run fails (punctuation, then a letter): the colon moves out
    ("", "特性：", "在", "**特性**：在", "特性"),
    ("", "「重要」：", "然后", "**「重要」**：然后", "「重要」"),
    # a run fails where a bracket is: the bracket pair moves out whole
    ("见", "「重要」", "。", "见「**重要**」。", "重要"),
    ("", "（注）", "后", "（**注**）后", "注"),
    ("在", "「重要」", "后", "在「**重要**」后", "重要"),
    ("看", "《三体》", "吧", "看《**三体**》吧", "三体"),
    ("有", "“引号”", "的", "有“**引号**”的", "引号"),
    ("前", "（注意）", "后", "前（**注意**）后", "注意"),
    ("在", "「重要」：", "后", "在「**重要**」：后", "重要"),
    # a pair that cannot move whole: the author's span as an HTML tag
    ("前", "（注意）很重要", "后", "前<strong>（注意）很重要</strong>后", "（注意）很重要"),
    ("前", "很重要（注意）", "后", "前<strong>很重要（注意）</strong>后", "很重要（注意）"),
])
def test_bold_next_to_cjk_punctuation(before: str, bold: str, after: str, markdown: str,
                                      strong: str) -> None:
    inlines = [Text(before)] if before else []
    inlines.append(Strong([Text(bold)]))
    if after:
        inlines.append(Text(after))
    written = markdown_of(*inlines)
    assert written == markdown
    paragraph = read_back(written)
    assert [el.text_content() for el in paragraph.iter("strong")] == [strong]
    assert paragraph.text_content() == before + bold + after


def test_markup_next_to_emphasis_counts_as_punctuation() -> None:
    # "[" of the link after the bold is punctuation: the colon stays inside
    written = markdown_of(Strong([Text("特性：")]), Link("https://x.org", [Text("链接")]))
    assert written == "**特性：**[链接](https://x.org)"
    assert read_back(written).find("strong").text_content() == "特性："


def test_code_span_inside_bold_never_moves() -> None:
    written = markdown_of(Text("用"), Strong([Code("ls")]), Text("看"))
    paragraph = read_back(written)
    assert paragraph.find("strong").text_content() == "ls"
    assert paragraph.find(".//code").text == "ls"


def test_italic_and_strikeout_follow_the_same_rules() -> None:
    written = markdown_of(Text("在"), Emphasis([Text("「书」")]), Text("里"), Text("和"),
                          Strikeout([Text("「删」")]), Text("掉"))
    assert written == "在「*书*」里和「~~删~~」掉"
    paragraph = read_back(written)
    assert paragraph.find("em").text_content() == "书"
    assert paragraph.find("s").text_content() == "删"


def test_delimit_on_the_smallest_inputs() -> None:
    assert delimit("a", "", "", "**", "strong") == "**a**"
    assert delimit("「a」", "x", "y", "**", "strong") == "「**a**」"
    assert delimit("「」", "x", "y", "**", "strong") == "<strong>「」</strong>"
    assert delimit("a」", "x", "y", "**", "strong") == "**a**」"


_CJK_PIECES = st.sampled_from(["在", "重要", "「", "」", "《", "》", "（", "）", "：", "，",
                               "。", "“", "”", "a", "1", " ", "!", "(", ")"])
_PIECE = st.lists(_CJK_PIECES, min_size=1, max_size=6).map("".join)


@settings(max_examples=300, deadline=None)
@given(_PIECE, _PIECE.map(str.strip).filter(bool), _PIECE)
def test_bold_never_loses_text_and_never_splits_a_pair(before: str, bold: str,
                                                       after: str) -> None:
    written = markdown_of(Text(before), Strong([Text(bold)]), Text(after))
    paragraph = read_back(written)
    assert " ".join(paragraph.text_content().split()) == " ".join(
        (before + bold + after).split()), written
    strongs = [el.text_content() for el in paragraph.iter("strong")]
    assert len(strongs) == 1, written
    # what is bold is the author's span, or it with edge punctuation moved out
    bold = " ".join(bold.split())
    inner = strongs[0]
    starts = [i for i in range(len(bold) - len(inner) + 1)
              if bold.startswith(inner, i) and _only_punctuation(bold[:i])
              and _only_punctuation(bold[i + len(inner):])]
    assert starts, written
    start, end = starts[0], starts[0] + len(inner)
    for i, j in _pairs(bold):
        assert (start <= i < end) == (start <= j < end), written


def _only_punctuation(text: str) -> bool:
    return all(is_punctuation(ch) or ch.isspace() for ch in text)


def _pairs(text: str) -> list[tuple[int, int]]:
    pairs, open_at = [], {}
    for i, ch in enumerate(text):
        for opening, closing in ("「」", "《》", "（）", "“”", "()"):
            if ch == opening:
                open_at.setdefault(opening, []).append(i)
            elif ch == closing and open_at.get(opening):
                pairs.append((open_at[opening].pop(), i))
    return pairs
