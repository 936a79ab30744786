"""Markdown output read back by a CommonMark parser (markdown-it-py) gives the
document's text and structure."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from convert.exporters.markdown import to_markdown
from convert.model import CONTAINER_INLINES as CONTAINERS
from convert.model import (
    Code,
    CodeBlock,
    Document,
    Emphasis,
    Figure,
    Heading,
    LineBreak,
    Link,
    ListBlock,
    Math,
    Metadata,
    Paragraph,
    Quote,
    Strong,
    Table,
    TableCell,
    Text,
    inline_text,
    iter_inlines,
)
from convert.pipeline import load_path

# CommonMark, GFM tables and strikethrough, and "$" math as GitHub and pandoc read it.
MD = MarkdownIt("commonmark").enable(["table", "strikethrough"]).use(
    dollarmath_plugin, double_inline=True)
_WS = re.compile(r"\s+")


def body_of(markdown: str) -> str:
    return markdown.split("---\n", 2)[2]


def rendered(markdown: str) -> lxml_html.HtmlElement:
    return lxml_html.fragment_fromstring(MD.render(body_of(markdown)) or "<p></p>",
                                         create_parent="div")


def squash(text: str) -> str:
    return _WS.sub("", text)


def markdown_tex(tex: str) -> str:
    """TeX as the Markdown holds it: ``<`` written as the same TeX ``\\lt`` (no reader
    without math support may see a tag start)."""
    return tex.replace("<", "\\lt")


def text_with_math(inlines: list) -> str:
    """The plain text of inlines, a formula counting as its TeX (what the math plug-in
    renders)."""
    return "".join(markdown_tex(node.tex) if isinstance(node, Math) else inline_text([node])
                   for node in iter_inlines(inlines) if not isinstance(node, CONTAINERS))


def model_text(blocks: list) -> str:
    parts = []
    for block in blocks:
        if isinstance(block, (Paragraph, Heading)):
            parts.append(text_with_math(block.children))
        elif isinstance(block, CodeBlock):
            parts.append(block.text)
        elif isinstance(block, ListBlock):
            parts.extend(model_text(item) for item in block.items)
        elif isinstance(block, Quote):
            parts.append(model_text(block.children))
        elif isinstance(block, Figure):
            parts.append(block.alt + text_with_math(block.caption))
        elif isinstance(block, Table):
            parts.extend(text_with_math(c.children) for row in block.rows for c in row)
    return "".join(parts)


def rendered_text(root: lxml_html.HtmlElement) -> str:
    for img in root.iter("img"):  # alt text is the image's text in the model too
        img.tail = (img.get("alt") or "") + (img.tail or "")
    # Embeds are links to their source, not text of the model: leave them out.
    return "".join(t for el in root if not el.text_content().startswith("▶")
                   for t in el.itertext())


def doc(*blocks) -> Document:
    return Document(Metadata(title="t"), list(blocks))


@pytest.mark.parametrize("text", [
    "a * b _c_ [link](x) `tick` <div> &amp; \\ back",
    "# not a heading", "1. not a list", "2) nor this", "- nor this", "+ nor this",
    "> not a quote", "---", "===", "~~~ not a fence", "```", "a|b", "<!-- x -->",
    "100.5 is a number", "*", "_", "![img](x)", "&copy;",
])
def test_special_characters_survive_as_text(text: str) -> None:
    root = rendered(to_markdown(doc(Paragraph([Text(text)]))))
    assert [el.tag for el in root] == ["p"], to_markdown(doc(Paragraph([Text(text)])))
    assert root[0].text_content() == text


def test_structure_round_trips() -> None:
    document = doc(
        Heading(2, [Text("Head "), Emphasis([Text("em")])]),
        Paragraph([Strong([Text("bold")]), Text(" and "), Code("co`de"), LineBreak(),
                   Link("https://x.org/a b(c)", [Text("link")])]),
        ListBlock(True, [[Paragraph([Text("one")])],
                         [Paragraph([Text("two")]), ListBlock(False, [[Paragraph([Text("n")])]])]],
                  start=3),
        Quote([Paragraph([Text("quoted")])]),
        CodeBlock("x = 1\n```\ny = 2", "python"),
        Figure("https://i/x.png", "alt", [Text("caption")]),
        Table([[TableCell([Text("h|1")], header=True), TableCell([Text("h2")], header=True)],
               [TableCell([Text("a")]), TableCell([Text("b")])]], header_rows=1),
    )
    root = rendered(to_markdown(document))
    assert [el.tag for el in root] == ["h2", "p", "ol", "blockquote", "pre", "p", "p", "table"]
    assert root[1].find("br") is not None
    assert root[1].find("a").get("href") == "https://x.org/a%20b%28c%29"
    assert root[2].get("start") == "3" and root[2].find(".//ul") is not None
    assert root[4].find("code").get("class") == "language-python"
    assert root[4].text_content() == "x = 1\n```\ny = 2\n"
    assert root[5].find("img").get("src") == "https://i/x.png"
    assert root[6].text_content() == "caption"
    assert [c.text_content() for c in root[7].iter("th")] == ["h|1", "h2"]


_PLAIN = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Zs")),
                 min_size=1).map(lambda s: s.strip())
# CommonMark's special characters, drawn on purpose: random text almost never makes
# ``_x_``, a leading ``*`` or ``1.``, so the escaping would go untested.
_INLINE_SPECIALS = ["*", "_", "`", "[", "]", "(", ")", "!", "<", ">", "&", "\\", "|", "~",
                    "#", "-", "+", ".", "=", ":", '"', "'", "**", "__", "``", "![",
                    "](", "<a>", "</p>", "<!--", "-->", "&amp;", "&#65;", "&copy;",
                    "http://x.org", "\\*", "\\_"]
_LINE_STARTS = ["#", "##", "######", ">", "-", "+", "*", "1.", "2)", "123456789.", "---",
                "***", "___", "===", "~~~", "```", "- [ ]", "> >", "|"]
_WORD_CHARS = st.text(st.sampled_from("ab1中 x"), min_size=1, max_size=3).map(str.strip)
_DELIMITED = st.tuples(st.sampled_from(["*", "_", "**", "__", "`", "``"]),
                       _WORD_CHARS.filter(bool)).map(lambda t: t[0] + t[1] + t[0])
_MARKUP = st.lists(st.one_of(st.sampled_from(_INLINE_SPECIALS), _WORD_CHARS, _DELIMITED),
                   min_size=1, max_size=6).map("".join).map(str.strip)
_FIRST = st.one_of(st.sampled_from(_LINE_STARTS), _MARKUP, _PLAIN)


@settings(max_examples=300, deadline=None)
@given(_FIRST.filter(bool),
       st.lists(st.one_of(_MARKUP, _DELIMITED, _PLAIN).filter(bool), max_size=4))
def test_any_words_round_trip(first: str, rest: list[str]) -> None:
    """Any text, CommonMark markup characters included, reads back as the same text."""
    text = " ".join([first, *rest])
    markdown = to_markdown(doc(Paragraph([Text(text)])))
    root = rendered(markdown)
    assert [el.tag for el in root] == ["p"], markdown
    assert root[0].text_content() == text, markdown


def test_double_tildes_survive_as_text() -> None:
    root = rendered(to_markdown(doc(Paragraph([Text("a ~~1~~ b")]))))
    assert root[0].text_content() == "a ~~1~~ b"


def test_corpus_markdown_renders_back_to_the_document_text(corpus: list[Path]) -> None:
    for post in corpus:
        document = load_path(post)
        markdown = to_markdown(document)
        got = squash(rendered_text(rendered(markdown)))
        want = squash(model_text(document.blocks))
        assert got == want, f"{post.name}: rendered Markdown text differs from the document"


_NAMES = st.sampled_from(["pre", "code", "p", "li", "ul", "div", "td"])


@st.composite
def _nested_html(draw: st.DrawFn, depth: int = 0) -> str:
    """Random nesting of a few tag names, with text between."""
    if depth >= 4 or draw(st.booleans()):
        return draw(st.sampled_from(["x", "", " y "]))
    name = draw(_NAMES)
    inner = "".join(draw(st.lists(_nested_html(depth + 1), max_size=3)))
    return f"<{name}>{inner}</{name}>"


@given(_nested_html(), _NAMES)
@settings(max_examples=60, deadline=None)
def test_fast_find_parent_answers_as_beautifulsoup(markup: str, name: str) -> None:
    """The exporter's tags find their ancestors by name as BeautifulSoup itself does."""
    from bs4 import BeautifulSoup, Tag

    from convert.exporters.markdown import _Tag

    soup = BeautifulSoup(f"<div>{markup}</div>", "lxml", element_classes={Tag: _Tag})
    tags = soup.find_all(True)
    assert all(isinstance(tag, _Tag) for tag in tags)
    for tag in tags:
        assert tag.find_parent(name) is Tag.find_parent(tag, name)
        assert tag.find_parent(name, class_="c") is Tag.find_parent(tag, name, class_="c")
