"""Code is exact: inside ``<pre>`` only highlighter markup is dropped, anything else is
code text as written, and the language is kept from every form sites use.

The corpus test applies the rule with its own small implementation (the standard
library's HTMLParser over the raw post body, no code from ``convert``) to every
``<pre>`` of every corpus post, and compares with the Markdown fences, the JSON
``code_block`` texts and the EPUB's ``<pre>`` texts.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from lxml import etree
from markdown_it import MarkdownIt

from convert.exporters.epub import EpubExporter
from convert.exporters.epub.options import EpubOptions
from convert.exporters.markdown import to_markdown
from convert.model import CodeBlock
from convert.model_json import document_to_dict
from convert.normalise import normalise
from convert.normalise.precode import protect_code
from convert.pipeline import load_path
from convert.reader import read_post

OFFLINE = EpubOptions(offline=True, cache_dir=Path("/nonexistent/newsconv-test-cache"))


def code_blocks(body: str) -> list[CodeBlock]:
    doc = normalise(read_post(("---\ntitle: t\n---\n" + body).encode()))
    return [b for b in doc.blocks if isinstance(b, CodeBlock)]


def only_code(body: str) -> CodeBlock:
    (block,) = code_blocks(body)
    return block


# --- the rule on the smallest inputs -------------------------------------------------

def test_vue_template_line_is_kept_exactly() -> None:
    line = '<span @click="goBack" class="cancel">取消</span>'
    assert only_code(f"<pre><code>{line}</code></pre>").text == line


def test_highlighter_spans_are_dropped_and_entities_decoded() -> None:
    body = ('<pre><code><span class="k">if</span> a &lt; <b style="x">b</b> &amp;&amp; c'
            '</code></pre>')
    assert only_code(body).text == "if a < b && c"


def test_highlighter_may_carry_data_and_href() -> None:
    body = '<pre><a href="https://e.x/" data-id="1">x</a><font class="c">y</font></pre>'
    assert only_code(body).text == "xy"


def test_any_other_attribute_makes_the_whole_block_text() -> None:
    body = '<pre><span class="k">if</span> <font color="red">x</font> &amp;</pre>'
    assert only_code(body).text == '<span class="k">if</span> <font color="red">x</font> &amp;'


def test_any_other_tag_makes_the_whole_block_text_spans_too() -> None:
    body = ('<pre><code class="xml"><span class="t">&lt;a&gt;</span>\n<b>1</b>\n<dependency/>'
            '</code></pre>')
    block = only_code(body)
    assert block.text == '<span class="t">&lt;a&gt;</span>\n<b>1</b>\n<dependency/>'
    assert block.language == "xml"


def test_comment_and_type_parameter_are_code_text() -> None:
    assert only_code("<pre>a <!-- c --> b</pre>").text == "a <!-- c --> b"
    assert only_code("<pre>Map<K, V> m; Foo<B> f;</pre>").text == "Map<K, V> m; Foo<B> f;"


def test_br_is_a_line_break_in_highlighted_code_only() -> None:
    assert only_code('<pre><span class="k">a</span><br>b</pre>').text == "a\nb"
    assert only_code("<pre>a<br><x>b</x></pre>").text == "a<br><x>b</x>"


def test_nothing_after_raw_markup_is_swallowed() -> None:
    blocks = normalise(read_post(
        b"---\ntitle: t\n---\n<pre><script>let a = 1</script><style>x</style></pre><p>after</p>"
    )).blocks
    assert isinstance(blocks[0], CodeBlock)
    assert blocks[0].text == "<script>let a = 1</script><style>x</style>"
    assert len(blocks) == 2


def test_protect_code_keeps_wrapper_and_escapes_inside() -> None:
    assert protect_code('<pre><code class="js"><i>x</i><p></code></pre>') == (
        '<pre><code class="js">&lt;i&gt;x&lt;/i&gt;&lt;p&gt;</code></pre>')
    assert protect_code('<pre><code class="js"><i>x</i></code></pre>') == (
        '<pre><code class="js"><i>x</i></code></pre>')


@pytest.mark.parametrize(("body", "language"), [
    ('<pre class="js">x</pre>', "js"),
    ('<pre><code class="xml">x</code></pre>', "xml"),
    ('<pre class="java">x</pre>', "java"),
    ('<pre class="code java">x</pre>', "java"),
    ('<pre class="hljs python">x</pre>', "python"),
    ('<pre class="brush: bash;">x</pre>', "bash"),
    ('<pre data-lang="go">x</pre>', "go"),
    ('<pre class="lang-rust">x</pre>', "rust"),
    ('<pre class="content">x</pre>', None),  # a class that names no language
    ('<pre class="box main">x</pre>', None),
    ('<pre class="xml language-html">x</pre>', "html"),  # the explicit form wins
])
def test_language_from_every_form(body: str, language: str | None) -> None:
    assert only_code(body).language == language


def test_bare_class_language_reaches_the_markdown_fence() -> None:
    doc = normalise(read_post(b'---\ntitle: t\n---\n<pre class="java">int a;</pre>'))
    assert "```java\nint a;\n```" in to_markdown(doc)


def test_highlighted_code_with_unclosed_tag_is_text() -> None:
    # "<b" never closed: no tag at all, so the block is text as written
    assert only_code('<pre><span class="k">if</span> a<b</pre>').text == (
        '<span class="k">if</span> a<b')


# --- the rule, applied independently to the whole corpus -----------------------------

HIGHLIGHT = {"a", "b", "code", "del", "em", "font", "i", "ins", "kbd", "mark", "s", "samp",
             "small", "span", "strong", "sub", "sup", "tt", "u", "var"}
PRE = re.compile(r"<pre\b[^>]*>(.*?)</pre\s*>", re.S | re.I)
# Copy-code buttons are site furniture that sites put inside <pre>; they are not code.
COPY_BUTTON = re.compile(r'<(span|button|div)\b[^>]*class="[^"]*\bcopy[^"]*"[^>]*>[^<]*</\1>')
WRAPPER = re.compile(r"\s*<code\b[^>]*>(.*)</code\s*>\s*\Z", re.S | re.I)


class _Reader(HTMLParser):
    """Collects text and <br>s, and notes any markup that is not highlighting."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.other = False

    def _plain(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        raw = re.match(r"</?([^\s/>]+)", self.get_starttag_text() or "<x")
        name = raw.group(1) if raw else ""
        if name != name.lower() and (len(name) == 1 or name != name.upper()):
            return False
        return (tag in HIGHLIGHT or tag == "br") and all(
            a in ("class", "style", "href") or a.startswith("data-") for a, _ in attrs)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._plain(tag, attrs):
            self.other = True
        elif tag == "br":
            self.parts.append("\x00")  # a line break, made once below

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag not in HIGHLIGHT:
            self.other = True

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_comment(self, data: str) -> None:
        self.other = True

    handle_decl = handle_pi = unknown_decl = handle_comment


def expected_code(raw: str) -> str:
    """The code text of one ``<pre>``'s raw content, by the rule."""
    wrapped = WRAPPER.match(COPY_BUTTON.sub("", raw))
    inner = wrapped.group(1) if wrapped else raw
    reader = _Reader()
    reader.feed(inner)
    reader.close()
    unclosed = re.search(r"<[A-Za-z/!?][^>]*\Z", inner)  # a tag never closed
    if reader.other or unclosed:
        text = inner
    else:
        # <br> is a line break, once even when a newline follows it
        text = re.sub("\x00(?=[\r\n])", "", "".join(reader.parts)).replace("\x00", "\n")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\n"):
        text = text[1:]
    return "\n".join(line.rstrip() for line in text.rstrip().split("\n"))


def corpus_codes(post: Path) -> list[str]:
    body = read_post(post.read_bytes()).body
    return [c for c in (expected_code(m.group(1)) for m in PRE.finditer(body)) if c.strip()]


def markdown_fences(markdown: str) -> list[str]:
    tokens = MarkdownIt("commonmark").parse(markdown)
    return [t.content.removesuffix("\n") for t in tokens if t.type in ("fence", "code_block")]


def json_codes(data: object) -> list[str]:
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            if value.get("type") == "code_block":
                found.append(value["text"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    return found


def epub_codes(epub: bytes) -> list[str]:
    codes: list[str] = []
    with zipfile.ZipFile(io.BytesIO(epub)) as book:
        for name in sorted(n for n in book.namelist() if "chapter" in n):
            tree = etree.fromstring(book.read(name))
            for pre in tree.iter("{http://www.w3.org/1999/xhtml}pre"):
                codes.append("".join(pre.itertext()))
    return codes


GOLDEN_INPUTS = sorted(Path(__file__).parent.glob("golden/*/input.*"))


def test_every_corpus_pre_is_exact_in_every_output(corpus: list[Path]) -> None:
    """Golden inputs too: they hold the raw-markup and bare-class cases."""
    checked = 0
    for post in [*corpus, *GOLDEN_INPUTS]:
        expected = corpus_codes(post)
        doc = load_path(post)
        data = json.loads(json.dumps(document_to_dict(doc)))
        outputs = {
            "md": markdown_fences(to_markdown(doc)),
            "json": json_codes(data),
            "epub": epub_codes(EpubExporter(OFFLINE).export([doc])),
        }
        for kind, codes in outputs.items():
            assert codes == expected, f"{post.name} ({kind})"
        checked += len(expected)
    assert checked >= 40  # corpus and golden inputs hold 40+: the test really ran
