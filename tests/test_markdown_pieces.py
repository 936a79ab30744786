"""A long paragraph converted in pieces cut at its line breaks
(:mod:`convert.exporters.markdown_pieces`) gives the Markdown of the whole paragraph
converted at once, byte for byte."""

from __future__ import annotations

import sys
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import block as any_block

from convert.exporters import markdown
from convert.exporters.markdown import to_markdown
from convert.exporters.markdown_escape import MAX_PARSED_BLOCK
from convert.exporters.markdown_pieces import strip_line_ends
from convert.model import (
    Code,
    Document,
    Emphasis,
    Image,
    LineBreak,
    Link,
    ListBlock,
    Math,
    Metadata,
    Paragraph,
    Quote,
    Strikeout,
    Strong,
    Text,
)
from convert.render import RenderOptions, iter_split_blocks

WHOLE = sys.maxsize  # a piece size no paragraph reaches: converted at once

# Characters that are markup somewhere (at a line start, before or after a break, in a
# run), CJK text and punctuation (flanking), and spaces of several kinds.
_ALPHABET = st.sampled_from(list("*_`\\[]()<>!#+-.=~|$&:;/ 1aZ\t\n") + [
    "中", "文", "，", "：", "「", "」", "（", "）", "\u3000", "\xa0", "&amp;", "1.", "- ",
    "# ", "> ", "**", "__", "~~", "http://x.y", "<b>", "&#1;"])
_texts = st.lists(_ALPHABET, max_size=12).map("".join)
_leaves = st.one_of(
    st.builds(Text, _texts),
    st.builds(Text, _texts),
    st.just(LineBreak()),
    st.just(LineBreak()),
    st.builds(Code, _texts),
    st.builds(Math, _texts, st.booleans()),
    st.builds(Image, src=st.sampled_from(["a.png", "javascript:x", "", "b c.png"]),
              alt=_texts),
)


def _containers(children: st.SearchStrategy) -> st.SearchStrategy:
    kids = st.lists(children, max_size=4)  # a line break inside a span is no seam
    return st.one_of(
        st.builds(Strong, kids),
        st.builds(Emphasis, kids),
        st.builds(Strikeout, kids),
        st.builds(Link, href=st.sampled_from(["http://x.y/", "javascript:x", "a b"]),
                  children=kids, title=st.none() | _texts),
    )


_inline = st.recursive(_leaves, _containers, max_leaves=6)


_edges = st.lists(st.sampled_from(list("\\*_ !#.-1中：「」") + ["1.", "**"]), min_size=1,
                  max_size=3).map("".join)  # a special character beside a break


@st.composite
def paragraphs(draw: st.DrawFn) -> Paragraph:
    """Paragraphs below and above MAX_PARSED_BLOCK characters: a random line (a run of
    inlines, a break at its end and perhaps within), repeated, CJK filler here and
    there."""
    unit = [*draw(st.lists(st.one_of(_inline, st.builds(Text, _edges)), min_size=1,
                           max_size=10)),
            Text(draw(_edges)), LineBreak()]
    times = draw(st.sampled_from([2, 150, 400, 40, 1]))
    filler = Text("中文" * draw(st.sampled_from([2100, 0, 30])))
    children = []
    for k in range(times):
        children.extend(unit)
        if k % 7 == draw(st.integers(min_value=0, max_value=6)):
            children.append(filler)
    if draw(st.booleans()):
        children.pop()  # the break at the end is no seam
    return Paragraph(children)


def _doc(blocks: list) -> Document:
    return Document(Metadata(title="t"), blocks)


@settings(max_examples=200, deadline=None)
@given(paragraphs(), st.integers(min_value=1, max_value=400))
def test_pieces_give_the_whole_paragraphs_markdown(paragraph: Paragraph, piece: int
                                                   ) -> None:
    doc = _doc([paragraph])
    assert to_markdown(doc, piece=piece) == to_markdown(doc, piece=WHOLE)


@settings(max_examples=25, deadline=None)
@given(paragraphs(), st.integers(min_value=1, max_value=400),
       st.lists(any_block, max_size=2), st.lists(any_block, max_size=2))
def test_a_split_paragraph_among_other_blocks(paragraph: Paragraph, piece: int,
                                              before: list, after: list) -> None:
    doc = _doc([*before, paragraph, *after])
    try:
        whole = to_markdown(doc, piece=WHOLE)
    except UnicodeEncodeError:  # a lone surrogate in a block: lxml refuses it
        with pytest.raises(UnicodeEncodeError):
            to_markdown(doc, piece=piece)
        return
    assert to_markdown(doc, piece=piece) == whole


def _thread(lines: int) -> Paragraph:
    """A BBS thread: lines of text with markup characters at both ends of each line,
    joined by line breaks."""
    children = []
    for k in range(lines):
        children.extend([Text(f"* {k}. 回复_x_ "), Strong([Text("**要**")]), Text(" #\\"),
                         LineBreak()])
    return Paragraph(children[:-1])


def test_a_long_thread_is_split_and_reads_the_same() -> None:
    paragraph = _thread(2000)
    items = iter_split_blocks([paragraph], 4096, RenderOptions())
    split = next(items)
    assert not isinstance(split, str)
    pieces = list(split)  # before the next item: it finishes the paragraph
    assert next(items, None) is None
    assert len(pieces) > 10
    assert pieces[0].endswith("<br/></p>") and pieces[-1].startswith("<p><br/>")
    assert all(p.startswith("<p><br/>") and p.endswith("<br/></p>") for p in pieces[1:-1])
    doc = _doc([paragraph])
    whole = to_markdown(doc, piece=WHOLE)
    assert len(whole) > MAX_PARSED_BLOCK
    assert to_markdown(doc) == whole
    assert to_markdown(doc, piece=4096) == whole


def test_a_short_split_paragraph_is_resolved_whole() -> None:
    # Below the parser's budget the escapes are settled by the parser over the whole
    # paragraph: "1." at a line start is a list marker only where it starts a line.
    doc = _doc([_thread(3)])
    whole = to_markdown(doc, piece=WHOLE)
    assert to_markdown(doc, piece=1) == whole


def test_only_top_level_paragraphs_are_split() -> None:
    # A paragraph in a quote or a list item is converted with its block, whole.
    paragraph = _thread(2000)
    blocks = [Quote([paragraph]), ListBlock(False, [[paragraph]])]
    items = list(iter_split_blocks(blocks, 4096, RenderOptions()))
    assert len(items) == 2 and all(isinstance(item, str) for item in items)


def test_a_paragraph_without_breaks_is_one_block() -> None:
    paragraph = Paragraph([Text("中" * 10_000), Strong([Text("x"), LineBreak(), Text("y")])])
    assert list(iter_split_blocks([paragraph], 16, RenderOptions())) == [
        "<p>" + "中" * 10_000 + "<strong>x<br/>y</strong></p>"]


@given(st.text(st.sampled_from(["\n", " ", "a", "\u3000", "\t", "\x85", "中"])),
       st.integers(min_value=0, max_value=8))
def test_line_ends_are_stripped_a_run_of_lines_at_a_time(text: str, at_once: int) -> None:
    assert strip_line_ends(text, at_once) == "\n".join(
        line.rstrip() for line in text.split("\n"))


def test_a_converted_tree_is_taken_apart() -> None:
    # A dead BeautifulSoup tree would wait for the cyclic collector (which runs rarely
    # beside a long document's objects): the converter empties its nodes instead.
    from bs4 import BeautifulSoup

    made = []

    class Keeping(BeautifulSoup):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            made.extend([self, *self.descendants])

    converter = markdown._converter()
    saved = markdown.BeautifulSoup
    markdown.BeautifulSoup = Keeping
    try:
        assert converter.convert("<p>a<br/><em>b</em></p>") == "a\\\n*b*"
    finally:
        markdown.BeautifulSoup = saved
    assert len(made) == 8  # the soup, html, body, p, "a", br, em, "b"
    assert not any(node.__dict__ for node in made)


def test_a_split_paragraph_needs_a_pieces_memory_not_the_paragraphs() -> None:
    # Whole, this paragraph's BeautifulSoup tree peaks at 7 MB of Python objects; in
    # pieces of 4 KB of XHTML, the peak is about that of its Markdown (0.1 MB), a few
    # copies of it.
    doc = _doc([_thread(1500)])
    tracemalloc.start()
    try:
        markdown_text = to_markdown(doc, piece=4096)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(markdown_text) > 50_000
    assert peak < 1.5 * 2**20, peak
