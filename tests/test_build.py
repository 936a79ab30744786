"""The normaliser's structure rules, each on the smallest input that shows it."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from convert.model import (
    CodeBlock,
    Embed,
    Emphasis,
    Figure,
    Heading,
    Image,
    LineBreak,
    Link,
    ListBlock,
    Paragraph,
    Quote,
    Rule,
    Strong,
    Table,
    Text,
    inline_text,
)
from convert.model_json import document_from_dict, document_to_dict, json_schema
from convert.normalise import normalise
from convert.normalise.build import Builder
from convert.normalise.html import parse_body, protect_code
from convert.normalise.steps import STEPS, StepContext
from convert.reader import RawPost

_SCHEMA = Draft202012Validator(json_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def build(body: str) -> list:
    root = parse_body(body)
    ctx = StepContext()
    for step in STEPS:
        step(root, ctx)
    return Builder().build(root)


def texts(blocks: list) -> list[str]:
    return [inline_text(b.children) for b in blocks if isinstance(b, (Paragraph, Heading))]


def test_text_outside_p_split_on_br_runs() -> None:
    blocks = build("<div>one<br><br>two<br>\n<br>three<br>four</div>")
    assert texts(blocks) == ["one", "two", "three\nfour"]


def test_text_outside_p_split_on_blank_lines() -> None:
    assert texts(build("<div>one\n\ntwo\nstill two</div>")) == ["one", "two still two"]


def test_blank_lines_inside_p_are_just_spaces() -> None:
    assert texts(build("<p>one\n\ntwo</p>")) == ["one two"]


def test_p_inside_span_and_empty_p_dropped() -> None:
    blocks = build('<span class="x"><p style="text-indent:2em">a</p><p></p><br><p> </p></span>')
    assert texts(blocks) == ["a"]


def test_no_space_between_cjk_at_line_break() -> None:
    assert texts(build("<p>中文\n文字 and\nEnglish\n中文</p>")) == ["中文文字 and English 中文"]


def test_cjk_join_across_inline_elements() -> None:
    blocks = build("<p>中文\n<b>粗体</b>\n文字</p>")
    assert inline_text(blocks[0].children) == "中文粗体文字"


def test_space_stays_outside_links() -> None:
    (para,) = build('<p>a name,\n<a href="http://x.org/"> link</a> end</p>')
    assert para.children == [Text("a name, "), Link("http://x.org/", [Text("link")]),
                             Text(" end")]


def test_indents_dropped() -> None:
    assert texts(build("<p>\u3000\u3000正文\u00a0</p>")) == ["正文"]


def test_braces_come_back() -> None:
    (code,) = build("<pre><code>&#123; a &#125;</code></pre>")
    assert code == CodeBlock("{ a }")


def test_code_keeps_raw_markup_and_nothing_after_is_swallowed() -> None:
    body = ("<pre><code class=\"language-xml\"><dependency>\n  <groupId>x</groupId>\n"
            "</dependency>\nList<User> u;\n<template><script>a<b</script></template>"
            "</code></pre><p>after</p>")
    blocks = build(body)
    assert blocks[0] == CodeBlock("<dependency>\n  <groupId>x</groupId>\n</dependency>\n"
                                  "List<User> u;\n<template><script>a<b</script></template>",
                                  "xml")
    assert texts(blocks[1:]) == ["after"]


def test_protect_code_keeps_highlighting_markup() -> None:
    assert protect_code('<pre><span class="k">if</span> a < b<br>c<-d</pre>') == (
        '<pre><span class="k">if</span> a &lt; b<br>c&lt;-d</pre>')


def test_br_in_pre_is_one_newline() -> None:
    (code,) = build("<pre>a<br>\nb<br>c</pre>")
    assert code.text == "a\nb\nc"


def test_code_language_from_classes() -> None:
    assert build('<pre class="hljs language-js">x</pre>')[0].language == "js"
    assert build('<pre class="brush: python;">x</pre>')[0].language == "python"
    assert build('<pre class="prettyprint">x</pre>')[0].language is None
    assert build('<pre><code class="lang-go">x</code></pre>')[0].language == "go"


def test_headings_and_inline_formatting() -> None:
    blocks = build("<h2>Title <em>x</em></h2><p><strong>b</strong> <i>i</i></p>")
    assert blocks[0] == Heading(2, [Text("Title "), Emphasis([Text("x")])])
    assert blocks[1] == Paragraph([Strong([Text("b")]), Text(" "), Emphasis([Text("i")])])


def test_nested_lists() -> None:
    (lst,) = build("<ol start='3'><li>a<ul><li>b</li></ul></li><li>c</li></ol>")
    assert lst.ordered and lst.start == 3
    assert lst.items[0] == [Paragraph([Text("a")]),
                            ListBlock(False, [[Paragraph([Text("b")])]])]
    assert lst.items[1] == [Paragraph([Text("c")])]


def test_quote_rule_and_embeds() -> None:
    blocks = build('<blockquote><p>q</p></blockquote><hr>'
                   '<iframe src="//player.bilibili.com/x" title="T"></iframe>'
                   '<video poster="p.jpg"><source src="https://v/x.mp4"></video>')
    assert blocks[0] == Quote([Paragraph([Text("q")])])
    assert blocks[1] == Rule()
    assert blocks[2] == Embed("https://player.bilibili.com/x", "iframe", "T")
    assert blocks[3] == Embed("https://v/x.mp4", "video", "", "p.jpg")


def test_figure_with_caption_and_image_splits_paragraph() -> None:
    blocks = build('<figure><img src="https://i/a.png" alt="A"><figcaption>Cap</figcaption>'
                   '</figure><p>before<img src="https://i/b.png">after</p>')
    assert blocks[0] == Figure("https://i/a.png", "A", [Text("Cap")])
    assert blocks[1:] == [Paragraph([Text("before")]), Figure("https://i/b.png"),
                          Paragraph([Text("after")])]


def test_lazy_image_source() -> None:
    blocks = build('<img src="data:image/gif;base64,R0lGOD" data-src="//cdn/x.png">'
                   '<img srcset="data:image/gif;base64,R0" data-srcset="//c/s.png 300w, '
                   '//c/l.png 800w">')
    assert [b.src for b in blocks] == ["https://cdn/x.png", "https://c/l.png"]


def test_data_table_and_layout_table() -> None:
    blocks = build("<table><thead><tr><th>h1</th><th>h2</th></tr></thead>"
                   "<tbody><tr><td colspan='2'>x <img src='https://i/c.png'></td></tr>"
                   "</tbody></table>"
                   "<table width='600'><tr><td><p>laid out</p></td></tr></table>")
    table = blocks[0]
    assert isinstance(table, Table) and table.header_rows == 1
    assert table.rows[1][0].colspan == 2
    assert table.rows[1][0].children == [Text("x "), Image("https://i/c.png")]
    assert texts(blocks[1:]) == ["laid out"]


def test_scripts_styles_comments_and_controls_dropped() -> None:
    blocks = build("<p>a<!-- c --><script>evil()</script><style>p{}</style>"
                   "<button>b</button>b</p><noscript>n</noscript>")
    assert texts(blocks) == ["ab"]


def test_javascript_links_keep_text_only() -> None:
    (para,) = build('<p><a href="javascript:alert(1)">click</a></p>')
    assert para.children == [Text("click")]


def test_line_breaks_trimmed_at_paragraph_edges() -> None:
    (para,) = build("<p><br>a<br><br></p>")
    assert para.children == [Text("a")]
    (para,) = build("<p>a<br>b</p>")
    assert para.children == [Text("a"), LineBreak(), Text("b")]


def test_empty_body_gives_no_blocks_and_a_warning() -> None:
    doc = normalise(RawPost({"title": "t"}, "  <div> <p></p> </div>"))
    assert doc.blocks == []
    assert any("empty" in d.message for d in doc.diagnostics)


def test_title_falls_back_to_heading_then_file_name() -> None:
    doc = normalise(RawPost({}, "<h1>Heading</h1><p>x</p>"), origin="f.md")
    assert doc.metadata.title == "Heading"
    doc = normalise(RawPost({}, "<p>x</p>"), origin="name.md")
    assert doc.metadata.title == "name"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(
    st.text(),
    st.sampled_from(["<p>", "</p>", "<br>", "<pre>", "</pre>", "<table><tr><td>", "</td>",
                     "<ul><li>", "</li>", "<img src='x'>", "<b>", "</b>", "<!--", "-->",
                     "<script>", "</script>", "<h2>", "<a href='javascript:x'>", "&#123;",
                     "<figure>", "<figcaption>", "<iframe src='//a'>", "\n\n", "中文\n"]),
), max_size=30))
def test_never_crashes_on_soup(parts: list[str]) -> None:
    """Whatever the soup, the normaliser gives a document the JSON schema accepts and that
    reads back unchanged: no node out of the model, no text the JSON cannot carry."""
    doc = normalise(RawPost({}, "".join(parts)))
    data = document_to_dict(doc)
    errors = [f"{e.message} at {list(e.path)}" for e in _SCHEMA.iter_errors(data)]
    assert errors == [], parts
    assert document_from_dict(json.loads(json.dumps(data))) == doc, parts


def test_unsplittable_urls_are_dropped_keeping_text() -> None:
    """Found by the hostile-posts book test: ``urlsplit`` raises on ``http://[::1``."""
    blocks = build('<p><a href="http://[::1">x</a><img src="http://[::1/a" alt="A">'
                   '<iframe src="http://[x"></iframe></p>')
    assert blocks == [Paragraph([Text("x[A]")])]


# ---------------------------------------------------------------- deep nesting


def test_protect_code_scans_unclosed_and_several_blocks() -> None:
    assert protect_code("<pre>a<x></pre>b<x><PRE class=c>d<y></PRE >") == (
        "<pre>a&lt;x&gt;</pre>b<x><PRE class=c>d&lt;y&gt;</PRE >")
    assert protect_code("<pre>a<x>" + "<pre>" * 100) == "<pre>a<x>" + "<pre>" * 100
    assert protect_code("<pre no end") == "<pre no end"


def test_limit_nesting_drops_only_the_runaway_tags() -> None:
    from convert.normalise.html import limit_nesting

    assert limit_nesting("<b><i><u>x</u></i></b>", limit=2) == "<b><i>x</i></b>"
    assert limit_nesting("<div><div><div>x</div>y</div></div>", limit=2) == (
        "<div><div><br>x<br>y</div></div>")
    # Void and self-closing elements do not open; comments are skipped whole.
    assert limit_nesting("<b><br><img src=x/><!--<i>--><i>x</i></b>", limit=2) == (
        "<b><br><img src=x/><!--<i>--><i>x</i></b>")
    # An end tag closes the innermost element of its name, and those inside it.
    assert limit_nesting("<div><p><b>x</div><i><u>y</u></i>", limit=3) == (
        "<div><p><b>x</div><i><u>y</u></i>")


def test_flatten_keeps_text_order_breaks_images_and_code() -> None:
    from lxml import etree

    from convert.normalise.depth import flatten_deep_nesting

    root = parse_body("<div><div><p>one<b>two</b></p><span>three<br>four</span>"
                      "<img src='https://e.x/i.png'>five<pre><code class='language-py'>"
                      "a<span>&lt;b</span><br>c</code></pre>six</div></div>")
    assert flatten_deep_nesting(root, max_depth=1) == 4  # div, p, b, span
    assert max(len(list(el.iterancestors())) for el in root.iter()) <= 4
    outer = root[0]
    # Markers where the inner <div> and the <p> start and end.
    assert [child.tag for child in outer] == ["div", "div", "div", "br", "img", "pre", "div"]
    assert etree.tostring(outer[5], encoding="unicode", with_tail=False) == (
        '<pre><code class="language-py">a&lt;b\nc</code></pre>')
    blocks = Builder().build(root)
    assert texts(blocks) == ["onetwo", "three\nfour", "five", "six"]
    code = next(b for b in blocks if isinstance(b, CodeBlock))
    assert (code.text, code.language) == ("a<b\nc", "py")


def test_flatten_leaves_shallow_trees_alone() -> None:
    from lxml import etree

    from convert.normalise.depth import flatten_deep_nesting

    root = parse_body("<div><ul><li><b>x</b></li></ul></div>")
    before = etree.tostring(root)
    assert flatten_deep_nesting(root, max_depth=4) == 0
    assert etree.tostring(root) == before


def test_adjacent_text_pieces_merged_once() -> None:
    from convert.normalise.text import prune_inlines

    single = Text("a")
    merged = prune_inlines([single, Strong([]), Text(""), LineBreak(), Text("b"), Text("c"),
                            Strong([Text("d"), Text("e")]), Text("f")])
    assert merged == [Text("a"), LineBreak(), Text("bc"), Strong([Text("de")]), Text("f")]
    assert merged[0] is single
