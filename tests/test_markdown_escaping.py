"""Escaping is minimal and exact: a backslash is written only where a CommonMark parser
(markdown-it-py) would otherwise read markup, and the text always reads back."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html
from markdown_it import MarkdownIt

from convert.exporters.markdown import to_markdown
from convert.model import (
    Document,
    Heading,
    Link,
    ListBlock,
    Metadata,
    Paragraph,
    Strong,
    Table,
    TableCell,
    Text,
)
from convert.pipeline import load_path

MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def body(*blocks) -> str:
    return to_markdown(Document(Metadata(title="t"), list(blocks))).split("---\n", 2)[2].lstrip()


def needless_backslashes(markdown: str) -> list[str]:
    """Each backslash whose removal leaves the rendering unchanged, with its context."""
    base = MD.render(markdown)
    found = []
    for i, char in enumerate(markdown):
        if char == "\\" and MD.render(markdown[:i] + markdown[i + 1:]) == base:
            found.append(markdown[max(0, i - 20): i + 20])
    return found


@pytest.mark.parametrize(("blocks", "expected"), [
    ([Paragraph([Text("call pthread_cond_wait now")])], "call pthread_cond_wait now\n"),
    ([Heading(3, [Text("1. 软件的安装")])], "### 1. 软件的安装\n"),
    ([Paragraph([Link("https://x.org/?client_id=1", [Text("client_id here")])])],
     "[client_id here](https://x.org/?client_id=1)\n"),
    ([Paragraph([Text("1.")]), Paragraph([Text("见 1.")])], "1\\.\n\n见 1.\n"),
    ([Paragraph([Text("a [note] b")])], "a [note] b\n"),
    ([Paragraph([Text("a [note](x) b")])], "a [note\\](x) b\n"),
    ([Paragraph([Text("C:\\Windows and \\*")])], "C:\\Windows and \\\\*\n"),
    ([Paragraph([Text("_one_ and *two*")])], "_one\\_ and *two\\*\n"),
    ([Paragraph([Text("5 * 3 = 15, 2<3, R&D")])], "5 * 3 = 15, 2<3, R&D\n"),
    ([Paragraph([Text("a <b> &amp; c")])], "a \\<b> \\&amp; c\n"),
    ([Paragraph([Text("wow!"), Link("https://x.org", [Text("x")])])],
     "wow\\![x](https://x.org)\n"),
    ([Heading(2, [Text("C #")])], "## C \\#\n"),
    ([ListBlock(False, [[Paragraph([Text("1. first")])]])], "- 1\\. first\n"),
    ([Paragraph([Strong([Text("io_uring")]), Text("_x")])], "**io_uring**_x\n"),
])
def test_escapes_only_what_a_parser_would_read(blocks: list, expected: str) -> None:
    markdown = body(*blocks)
    assert markdown == expected
    assert needless_backslashes(markdown) == []


def test_table_cell_pipes_stay_escaped() -> None:
    markdown = body(Table([[TableCell([Text("a|b")], header=True)],
                           [TableCell([Text("c_d|e")])]], header_rows=1))
    assert "a\\|b" in markdown and "c_d\\|e" in markdown
    assert needless_backslashes(markdown) == []


def test_every_backslash_in_the_corpus_markdown_is_needed(corpus: list[Path]) -> None:
    needless = {}
    for post in corpus:
        markdown = to_markdown(load_path(post)).split("---\n", 2)[2]
        if found := needless_backslashes(markdown):
            needless[post.name] = found
    assert needless == {}


_SPECIALS = st.sampled_from(["*", "_", "`", "[", "]", "(", ")", "!", "<", ">", "&", "\\", "|",
                             "~", "#", "-", "+", ".", "=", "1.", "&amp;", "<a>", " ", "x",
                             "中", "。", "\n"])
_TEXT = st.lists(_SPECIALS, min_size=1, max_size=10).map("".join).map(str.strip).filter(bool)


def _text_of(markdown: str, wrap: str) -> str:
    root = lxml_html.fragment_fromstring(MD.render(markdown), create_parent="div")
    return root.find(f".//{wrap}").text_content()


@settings(max_examples=300, deadline=None)
@given(_TEXT, st.sampled_from(["p", "h2", "li", "td"]))
def test_any_text_in_any_block_reads_back_with_only_needed_backslashes(
        text: str, where: str) -> None:
    one_line = " ".join(text.split())
    block = {
        "p": lambda: Paragraph([Text(text)]),
        "h2": lambda: Heading(2, [Text(one_line)]),
        "li": lambda: ListBlock(False, [[Paragraph([Text(one_line)])]]),
        "td": lambda: Table([[TableCell([Text(one_line)], header=True)]], header_rows=1),
    }[where]()
    markdown = body(block)
    tag = "th" if where == "td" else where
    got = _text_of(markdown, tag)
    want = one_line if where != "p" else text
    assert " ".join(got.split()) == " ".join(want.split()), markdown
    assert needless_backslashes(markdown) == [], markdown
