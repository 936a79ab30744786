"""No script anywhere (issue 7, items 1 and 2): hostile links and attribute values.

Each output is checked the way its consumer reads it: EPUB XHTML with an HTML5 parser
(html5lib, as a reading system's web view would), Markdown rendered by markdown-it-py
with raw HTML on and its own link filter off (a permissive static-site generator), and
then parsed the same way, JSON by every URL field. A URL is judged by the scheme a
browser sees after stripping C0 controls and spaces and removing tabs and newlines.

The concrete cases from the issue run the CLI in a subprocess; the hypothesis tests
draw links and attribute values from an XSS-vector grammar, in Documents built from the
model (as a loaded ``.json`` can hold anything) and in post HTML through the normaliser.
"""

from __future__ import annotations

import html
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import html5lib
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from markdown_it import MarkdownIt

from convert.exporters.epub import EpubExporter
from convert.exporters.epub.options import EpubOptions
from convert.exporters.json import to_json
from convert.exporters.markdown import to_markdown
from convert.links import safe_url
from convert.model import (
    Code,
    CodeBlock,
    Document,
    Embed,
    Figure,
    Heading,
    Image,
    Link,
    ListBlock,
    Math,
    Metadata,
    Paragraph,
    Quote,
    Table,
    TableCell,
    Text,
)
from convert.model_json import SchemaError, document_from_dict, document_to_dict, json_schema
from convert.normalise import normalise
from convert.reader import RawPost
from convert.render import render_blocks

# ---------------------------------------------------------------- the browser's view

_C0_OR_SPACE = "".join(chr(c) for c in range(0x21))
_SAFE_SCHEMES = {None, "http", "https", "mailto"}
_BANNED_TAGS = {"script", "iframe", "frame", "frameset", "form", "object", "embed", "applet",
                "base"}
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "data", "background",
                   "cite", "xlink:href"}
SCHEMA = Draft202012Validator(json_schema())


def browser_scheme(url: str) -> str | None:
    """The scheme the WHATWG URL parser reads (lower case), None for a relative URL."""
    url = re.sub("[\t\n\r]", "", url.strip(_C0_OR_SPACE))
    match = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):", url)
    return match.group(1).lower() if match else None


def html_hazards(markup: str, where: str) -> list[str]:
    """Script elements, event handlers and unsafe URLs an HTML5 parser finds."""
    found = []
    tree = html5lib.parse(markup, namespaceHTMLElements=False)
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.rsplit("}", 1)[-1].lower()
        if tag in _BANNED_TAGS:
            found.append(f"{where}: <{tag}> element")
        if tag == "meta" and "http-equiv" in {k.lower() for k in el.attrib}:
            found.append(f"{where}: <meta http-equiv>")
        for name, value in el.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on"):
                found.append(f"{where}: <{tag} {local}=...> event handler")
            if local in _URL_ATTRIBUTES or name.lower().endswith("}href"):
                if browser_scheme(value) not in _SAFE_SCHEMES:
                    found.append(f"{where}: <{tag} {local}={value!r}>")
    return found


MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
# markdown-it refuses javascript: links itself; a site generator may not, so the output
# alone must be safe.
MARKDOWN.validateLink = lambda url: True


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    assert text.startswith("---\n"), text[:80]
    header, _, body = text[4:].partition("\n---\n")
    return yaml.safe_load(header) or {}, body


def markdown_hazards(text: str, where: str = "markdown") -> list[str]:
    meta, body = split_front_matter(text)
    found = html_hazards(MARKDOWN.render(body), where)
    if browser_scheme(str(meta.get("cover") or "")) not in _SAFE_SCHEMES:
        found.append(f"{where}: front matter cover {meta['cover']!r}")
    return found


def json_hazards(data: Any, where: str = "json") -> list[str]:
    found = []
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key in ("href", "src", "poster", "cover") and isinstance(value, str) \
                        and browser_scheme(value) not in _SAFE_SCHEMES:
                    found.append(f"{where}: {key} {value!r}")
                if key != "extra":  # front matter the model does not know, verbatim
                    stack.append(value)
    return found


def epub_hazards(book: bytes) -> list[str]:
    found = []
    with zipfile.ZipFile(io.BytesIO(book)) as zf:
        for name in zf.namelist():
            if name.endswith((".xhtml", ".html", ".svg")):
                found += html_hazards(zf.read(name).decode("utf-8"), name)
    return found


def build_epub(docs: list[Document], cache: Path) -> bytes:
    return EpubExporter(EpubOptions(offline=True, cache_dir=cache, group_by="none")
                        ).export(docs)


def all_hazards(docs: list[Document], cache: Path, epub: bool = True) -> list[str]:
    found = []
    for doc in docs:
        found += markdown_hazards(to_markdown(doc))
        data = json.loads(to_json(doc))
        found += json_hazards(data)
        errors = [e.message for e in SCHEMA.iter_errors(data)]
        assert not errors, errors
    if epub:
        found += epub_hazards(build_epub(docs, cache))
    return found


# ---------------------------------------------------------------- the CLI, case by case


def newsconv(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "convert", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def convert_all(source: Path, tmp: Path) -> dict[str, Any]:
    """Run to-md, to-json and to-epub over one input; the outputs and runs."""
    md, js, book = tmp / "out.md", tmp / "out.json", tmp / "out.epub"
    runs = {
        "md": newsconv("to-md", source, "-o", md),
        "json": newsconv("to-json", source, "-o", js),
        "epub": newsconv("to-epub", source, "-o", book, "--offline", "--cache-dir",
                         tmp / "cache"),
    }
    for fmt, run in runs.items():
        assert run.returncode == 0, (fmt, run.stderr)
        assert "Traceback" not in run.stderr, run.stderr
    return {"md": md.read_text("utf-8"), "json": json.loads(js.read_text("utf-8")),
            "epub": book.read_bytes(), "runs": runs}


def assert_no_script(out: dict[str, Any]) -> None:
    hazards = markdown_hazards(out["md"]) + json_hazards(out["json"]) + \
        epub_hazards(out["epub"])
    assert not hazards, hazards


def write_post(tmp: Path, body: str, front: str = "title: hostile") -> Path:
    post = tmp / "post.md"
    post.write_text(f"---\n{front}\n---\n\n{body}\n", encoding="utf-8")
    return post


def write_document(tmp: Path, doc: Document | dict[str, Any]) -> Path:
    path = tmp / "doc.json"
    data = document_to_dict(doc) if isinstance(doc, Document) else doc
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_control_character_before_the_scheme(tmp_path: Path) -> None:
    """Issue 7.1: ``&#1;javascript:`` and ``java&#9;script:`` hid the scheme."""
    post = write_post(tmp_path, '<p>see <a href="&#1;javascript:alert(1)">first</a> and '
                      '<a href="java&#9;script:alert(2)">second</a> and '
                      '<a href="https://example.com/ok">third</a>.</p>')
    out = convert_all(post, tmp_path)
    assert_no_script(out)
    assert "javascript" not in out["md"] and "javascript" not in json.dumps(out["json"])
    # the text stays; a safe link beside them is kept
    assert "see first and second and [third](https://example.com/ok)." in out["md"]
    links = [n for n in _nodes(out["json"]) if n.get("type") == "link"]
    assert [link["href"] for link in links] == ["https://example.com/ok"]


def _nodes(data: Any) -> list[dict[str, Any]]:
    stack, out = [data], []
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            out.append(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return out


def _json_doc(*blocks: Any, **metadata: Any) -> dict[str, Any]:
    """A serialised document as a hostile user would write it (bypassing the model)."""
    data = document_to_dict(Document(Metadata(title="hostile", **metadata)))
    data["blocks"] = list(blocks)
    return data


def _link(href: str, text: str = "click") -> dict[str, Any]:
    return {"type": "link", "href": href, "title": None,
            "children": [{"type": "text", "text": text}]}


def test_ordered_list_start_from_a_json_document_is_refused(tmp_path: Path) -> None:
    """Issue 7.2: ``<ol start=""><script>`` — the loader checks the type."""
    doc = _json_doc({"type": "list", "ordered": True, "start": '"><script>alert(1)</script>',
                     "items": [[{"type": "paragraph",
                                 "children": [{"type": "text", "text": "x"}]}]]})
    source = write_document(tmp_path, doc)
    for command, extra in (("to-md", []), ("to-json", []), ("to-epub", ["--offline"])):
        run = newsconv(command, source, "-o", tmp_path / f"out-{command}", *extra)
        assert run.returncode == 1, (command, run.stderr)
        lines = run.stderr.strip().splitlines()
        assert any("list.start" in line and "doc.json" in line for line in lines), lines
        assert "Traceback" not in run.stderr


def test_render_escapes_attribute_values_whatever_their_type() -> None:
    """A Document built in Python is not type-checked: render escapes anyway."""
    breakout = '"><script>alert(1)</script><b x="'
    xhtml = render_blocks([
        ListBlock(True, [[Paragraph([Text("x")])]], start=breakout),  # type: ignore[arg-type]
        Paragraph([Link(f"https://example.com/{breakout}", [Text("a")], title=breakout),
                   Image(f"/{breakout}", alt=breakout)]),
        Figure(f"https://example.com/{breakout}", alt=breakout),
        CodeBlock("x", language=breakout),
        Embed(f"https://example.com/{breakout}", "video", title=breakout),
    ])
    assert not html_hazards(xhtml, "render"), xhtml
    assert "<script>" not in xhtml and "<b " not in xhtml


@pytest.mark.parametrize("language", ["js`<b>", "```", "py\n<script>alert(1)</script>",
                                      "x` onerror=alert(1)"])
def test_fence_language_cannot_end_the_fence(tmp_path: Path, language: str) -> None:
    """Issue 7.2: a backtick in the info string made the fence no fence at all."""
    code = "<script>alert(1)</script>\n```\n~~~\n````` `x`"
    source = write_document(tmp_path, _json_doc(
        {"type": "code_block", "text": code, "language": language}))
    out = convert_all(source, tmp_path)
    assert_no_script(out)
    html = MARKDOWN.render(split_front_matter(out["md"])[1])
    tree = html5lib.parse(html, namespaceHTMLElements=False)
    blocks = tree.findall(".//pre/code")
    assert [b.text for b in blocks] == [code + "\n"]  # the code, whole, in one block


def test_script_links_in_a_json_document(tmp_path: Path) -> None:
    """Issue 7.2: the Markdown exporter never filtered a loaded document's links."""
    hostile = ["javascript:alert(1)", "\x01javascript:alert(2)", "java\tscript:alert(3)",
               "JaVaScRiPt:alert(4)", "&#x6A;avascript:alert(5)", "vbscript:msgbox(6)",
               "data:text/html,<script>alert(7)</script>", "javascript\\:alert(8)",
               " \x00javascript:javascript:alert(9)"]
    blocks = [{"type": "paragraph", "children": [_link(h, f"text{i}") for i, h in
                                                  enumerate(hostile)]}]
    blocks += [
        {"type": "figure", "src": "data:text/html,<script>alert(1)</script>", "alt": "fig",
         "caption": [{"type": "text", "text": "the caption"}]},
        {"type": "paragraph", "children": [
            {"type": "image", "src": "javascript:alert(1)", "alt": "inline alt"}]},
        {"type": "embed", "src": "vbscript:x", "kind": "video", "title": "the video",
         "poster": "javascript:alert(1)"},
        {"type": "embed", "src": "https://example.com/v", "kind": "iframe", "title": "ok",
         "poster": "javascript:alert(1)"},
    ]
    source = write_document(tmp_path, _json_doc(*blocks, cover="javascript:alert(1)"))
    out = convert_all(source, tmp_path)
    assert_no_script(out)
    for i in range(len(hostile)):  # every link's text is kept
        assert f"text{i}" in out["md"]
    for text in ("the caption", "inline alt", "the video"):
        assert text in out["md"], text
        assert text in json.dumps(out["json"], ensure_ascii=False), text
    assert "cover" not in split_front_matter(out["md"])[0]
    assert out["json"]["metadata"]["cover"] is None
    (warning,) = [d for d in out["json"]["diagnostics"] if d["step"] == "safe_links"]
    assert warning["level"] == "warning" and warning["count"] == len(hostile) + 5


def test_json_output_of_a_safe_document_is_unchanged(tmp_path: Path) -> None:
    """Sanitising costs nothing on a clean document: to-json gives it back as it was."""
    doc = Document(Metadata(title="ok", cover="https://example.com/c.png"), [
        Paragraph([Link("https://example.com/a?b=1&c=2", [Text("a")], "t"),
                   Link("#frag", [Text("f")]), Link("mailto:a@example.com", [Text("m")]),
                   Link("../relative/page.html", [Text("r")])]),
        Figure("https://example.com/i.png", "alt"),
        Embed("https://example.com/v", "video", "v", "https://example.com/p.png"),
    ])
    source = write_document(tmp_path, doc)
    run = newsconv("to-json", source, "-o", tmp_path / "out.json")
    assert run.returncode == 0, run.stderr
    assert json.loads((tmp_path / "out.json").read_text("utf-8")) == document_to_dict(doc)


def test_images_with_script_sources_in_post_html(tmp_path: Path) -> None:
    post = write_post(
        tmp_path,
        '<p>a<img src="&#1;javascript:alert(1)" alt="one">b</p>'
        '<figure><img src="data:text/html;base64,PHNjcmlwdD4=" alt="two"></figure>'
        '<iframe src="java&#10;script:alert(3)" title="three"></iframe>'
        '<video src="https://example.com/v.mp4" poster="vbscript:x"></video>'
        '<p><a href="https://example.com/x" title="t&quot; onmouseover=&quot;alert(1)">'
        'titled</a></p>',
        front="title: hostile\ncover: \"\\x01javascript:alert(1)\"\nlang: '\"><script>'")
    out = convert_all(post, tmp_path)
    assert_no_script(out)
    assert "titled" in out["md"]


def test_loader_rejects_scalars_of_the_wrong_type() -> None:
    base = document_to_dict(Document(Metadata("t"), [
        Heading(1, [Link("https://x.org/", [Text("x")])]),
        Table([[TableCell([Text("c")])]]), CodeBlock("c", "py")]))
    for path, bad in [(("blocks", 0, "level"), "1"), (("blocks", 1, "rows", 0, 0, "colspan"),
                                                      "2"),
                      (("blocks", 1, "header_rows"), True), (("blocks", 2, "language"), 5),
                      (("blocks", 0, "children", 0, "href"), None),
                      (("metadata", "authors"), ["a", 1]), (("metadata", "lang"), ["en"])]:
        data = json.loads(json.dumps(base))
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = bad
        with pytest.raises(SchemaError, match=re.escape(path[-1])):
            document_from_dict(data)


# ---------------------------------------------------------------- the rule itself


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "\x01javascript:alert(1)",
    " \x00\x1fjavascript:x", "java\tscript:x", "java\nscript:x", "java\rscript:x",
    "&#x6A;avascript:x", "&#106avascript:x", "&#0000106;avascript:x", "javascript&colon;x",
    "&amp;#x6A;avascript:x", "&Tab;javascript:x", "javascript\\:x", "java\u200bscript:x",
    "%6Aavascript:x", "javascript%3Ax", "java%09script:x", "vbscript:x",
    "data:text/html,<script>alert(1)</script>", "data:image/svg+xml,<svg onload=x>",
    "file:///etc/passwd", "ftp://example.com/", "C:\\x", "weird:thing", "", " \t\n",
    "javascript:javascript:alert(1)", "&#1;javascript:alert(1)",
    # decodings combined: a reference then a percent-escape, and the reverse
    "javascrip&#0000116;%3Aalert(1)", "javascrip&#116;%3Ax", "%26%23106;avascript:x",
    "javascript&#x5c;:x",
])
def test_unsafe_urls_are_refused(url: str) -> None:
    assert safe_url(url) is None


@pytest.mark.parametrize(("url", "cleaned"), [
    ("https://example.com/a?b=1&c=2", "https://example.com/a?b=1&c=2"),
    ("  HTTP://Example.com/x\t\n ", "http://Example.com/x"),
    ("ht\ttps://example.com/", "https://example.com/"),
    ("http://example.com/a\x01b", "http://example.com/a%01b"),
    ("mailto:a@example.com", "mailto:a@example.com"), ("#top", "#top"),
    ("/a/b:c", "/a/b:c"), ("../x.html", "../x.html"),
    ("//cdn.example.com/a", "//cdn.example.com/a"),
    ("https://example.com/?q=javascript:alert(1)", "https://example.com/?q=javascript:alert(1)"),
])
def test_safe_urls_are_cleaned_as_a_browser_reads_them(url: str, cleaned: str) -> None:
    assert safe_url(url) == cleaned


def test_markdown_destinations_read_back_exactly() -> None:
    """A character reference or backslash in a URL is not decoded by the Markdown reader."""
    doc = Document(Metadata("t"), [Paragraph([
        Link("https://example.com/?a=1&amp;b=2&#x41;", [Text("ref")]),
        Link("https://example.com/a\\b", [Text("slash")], title='say "hi" \\'),
    ])])
    html_out = MARKDOWN.render(split_front_matter(to_markdown(doc))[1])
    hrefs = [a.get("href") for a in html5lib.parse(html_out, namespaceHTMLElements=False)
             .iter("a")]
    assert hrefs == ["https://example.com/?a=1&amp;b=2&#x41;", "https://example.com/a%5Cb"]
    assert 'title="say &quot;hi&quot; \\"' in html_out


# ---------------------------------------------------------------- the XSS grammar

_SCRIPT_SCHEMES = ["javascript", "vbscript", "data"]
_PAYLOADS = ["alert(1)", "text/html,<script>alert(1)</script>",
             "text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "javascript:alert(1)",
             "//%0Aalert(1)", "alert`1`", ""]
_INVISIBLE = ["\t", "\n", "\r", "\x00", "\x01", "\x0b", "\x1f", " ", "\u200b", "\u00ad",
              "\ufeff", "\u00a0"]


@st.composite
def _obfuscated_char(draw: st.DrawFn, char: str) -> str:
    code = ord(char)
    how = draw(st.sampled_from(["plain", "plain", "case", "hex", "dec", "zeros", "named",
                                "percent", "backslash", "invisible"]))
    if how == "case":
        return char.swapcase()
    if how == "hex":
        return draw(st.sampled_from([f"&#x{code:x};", f"&#X{code:X};", f"&#x{code:x}"]))
    if how == "dec":
        return draw(st.sampled_from([f"&#{code};", f"&#{code}"]))
    if how == "zeros":
        return f"&#{code:07d};"
    if how == "named":
        return {":": draw(st.sampled_from(["&colon;", "&#58;"]))}.get(char, char)
    if how == "percent":
        return f"%{code:02X}"
    if how == "backslash":
        return "\\" + char if not char.isalnum() else char
    if how == "invisible":
        return draw(st.sampled_from(_INVISIBLE)) + char
    return char


@st.composite
def hostile_urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(_SCRIPT_SCHEMES)) + ":"
    written = "".join(draw(_obfuscated_char(c)) for c in scheme)
    prefix = draw(st.sampled_from(["", " ", "\x01", "\x00 \t", "&#1;", "&#x20;", "&Tab;",
                                   "&NewLine;", "javascript:", "JAVASCRIPT&colon;"]))
    return prefix + written + draw(st.sampled_from(_PAYLOADS))


safe_urls = st.sampled_from(["https://example.com/a?b=1&c=2", "http://example.org/",
                             "mailto:a@example.com", "#top", "/relative/path",
                             "//cdn.example.com/x.png", "HTTPS://EXAMPLE.COM/UP"])
urls = st.one_of(hostile_urls(), safe_urls)

_BREAKOUTS = ['"><script>alert(1)</script>', "' onmouseover='alert(1)",
              '" onerror="alert(1)', "</code></pre><script>alert(1)</script>",
              "`<script>alert(1)</script>", "```\n<script>alert(1)</script>\n```",
              "]]><script>alert(1)</script>", "--><script>alert(1)</script>",
              "\n\n<script>alert(1)</script>\n\n", "<img src=x onerror=alert(1)>",
              "<iframe src=javascript:alert(1)>", "\\", '"', "`", "~~~", "&#60;script&#62;",
              "<svg onload=alert(1)>", "[x](javascript:alert(1))", "<javascript:alert(1)>",
              "<form action=javascript:alert(1)><button>x</button></form>"]
attributes = st.lists(st.one_of(st.sampled_from(_BREAKOUTS), st.text(max_size=4)),
                      min_size=1, max_size=4).map("".join)


@st.composite
def hostile_documents(draw: st.DrawFn) -> Document:
    def url() -> str:
        return draw(urls)

    def attr() -> str:
        return draw(attributes)

    blocks = [
        Paragraph([Text(attr()), Link(url(), [Text("link text")], title=attr()),
                   Image(url(), alt=attr()), Code(attr())]),
        Figure(url(), alt=attr(), caption=[Link(url(), [Text(attr())])]),
        Embed(url(), draw(st.sampled_from(["iframe", "video", "audio"])), attr(), url()),
        CodeBlock(attr(), language=attr()),
        ListBlock(True, [[Paragraph([Link(url(), [Text("item")])])]],
                  start=draw(st.integers(-5, 10**6))),
        Table([[TableCell([Link(url(), [Image(url(), attr())])], header=True,
                          colspan=draw(st.integers(1, 3)))]], header_rows=1,
              caption=[Text(attr())]),
        Quote([Heading(draw(st.integers(1, 6)), [Link(url(), [Text(attr())], attr())])]),
    ]
    meta = Metadata(title=attr(), authors=[attr()], categories=[attr()], lang=attr(),
                    cover=url(), source=attr())
    return Document(meta, blocks)


def test_grammar_draws_what_browsers_run() -> None:
    """The grammar's unsafe URLs are unsafe: decoded by an HTML parser they run."""
    url = "&#1;java&#x09;script&colon;alert(1)"
    tree = html5lib.parse(f'<a href="{url}">x</a>', namespaceHTMLElements=False)
    assert browser_scheme(tree.find(".//a").get("href")) == "javascript"
    assert safe_url(url) is None


@settings(derandomize=True, max_examples=150, deadline=None)
@given(docs=st.lists(hostile_documents(), min_size=1, max_size=3))
def test_no_script_in_markdown_or_json_of_any_document(docs: list[Document],
                                                       tmp_path_factory) -> None:
    cache = tmp_path_factory.mktemp("cache")
    assert not all_hazards(docs, cache, epub=False)


@settings(derandomize=True, max_examples=40, deadline=None)
@given(docs=st.lists(hostile_documents(), min_size=4, max_size=6))
def test_no_script_in_the_epub_of_any_document(docs: list[Document],
                                               tmp_path_factory) -> None:
    assert not epub_hazards(build_epub(docs, tmp_path_factory.mktemp("cache")))


@st.composite
def hostile_posts(draw: st.DrawFn) -> RawPost:
    """Post HTML whose attributes come from the grammar (entities decoded by lxml)."""
    def url() -> str:
        return draw(urls).replace('"', "&quot;")

    def attr() -> str:
        return draw(attributes).replace("&", "&amp;").replace('"', "&quot;")

    body = (
        f'<p>t <a href="{url()}" title="{attr()}">link</a> '
        f'<img src="{url()}" alt="{attr()}"> <code>{attr().replace("<", "&lt;")}</code></p>'
        f'<figure><img src="{url()}" alt="{attr()}"><figcaption>'
        f'<a href="{url()}">cap</a></figcaption></figure>'
        f'<iframe src="{url()}" title="{attr()}"></iframe>'
        f'<video src="{url()}" poster="{url()}"></video>'
        f'<ol start="{attr()}"><li><a href="{url()}">item</a></li></ol>'
        f'<pre><code class="language-{attr()}">{attr().replace("<", "&lt;")}</code></pre>'
        f'<table><tr><th colspan="{attr()}"><a href="{url()}">cell</a></th></tr></table>'
    )
    meta = {"title": draw(attributes), "cover": draw(urls), "lang": draw(attributes),
            "author": draw(attributes)}
    return RawPost(meta, body)


@settings(derandomize=True, max_examples=100, deadline=None)
@given(post=hostile_posts())
def test_no_script_from_hostile_post_html(post: RawPost, tmp_path_factory) -> None:
    doc = normalise(post, origin="post.md", profiles=[])
    assert not all_hazards([doc], tmp_path_factory.mktemp("cache"), epub=False)


@settings(derandomize=True, max_examples=20, deadline=None)
@given(posts=st.lists(hostile_posts(), min_size=3, max_size=5))
def test_no_script_in_the_epub_of_hostile_posts(posts: list[RawPost],
                                                tmp_path_factory) -> None:
    docs = [normalise(p, origin=f"p{i}.md", profiles=[]) for i, p in enumerate(posts)]
    assert not epub_hazards(build_epub(docs, tmp_path_factory.mktemp("cache")))


@settings(derandomize=True, max_examples=300, deadline=None)
@given(url=st.one_of(hostile_urls(), safe_urls, st.text(max_size=30)))
def test_safe_url_is_idempotent_and_never_lets_a_script_scheme_through(url: str) -> None:
    safe = safe_url(url)
    if safe is None:
        return
    assert safe_url(safe) == safe
    # whatever decoding a consumer applies, the scheme is an allowed one
    for reading in (safe, html.unescape(safe), unquote(safe), html.unescape(unquote(safe)),
                    unquote(html.unescape(safe))):
        assert browser_scheme(reading) in _SAFE_SCHEMES, (url, reading)


HOSTILE_TEX = [
    r"\href{javascript:alert(1)}{click}", r"\style{background:url(https://evil/t.png)}{x}",
    r"\class{x}{y}", r"\cssId{a}{b}", "<img src=x onerror=alert(1)>", "<script>alert(1)</script>",
    "a](javascript:alert(1)) [b", "[a]: javascript:alert(1)", "<https://evil/>",
]


@pytest.mark.parametrize("tex", HOSTILE_TEX)
@pytest.mark.parametrize("display", [False, True])
def test_no_script_through_tex(tex: str, display: bool, tmp_path: Path) -> None:
    # TeX is untrusted: a .json document or a page's math markup carries any text
    doc = Document(Metadata(title="t"), [
        Paragraph([Text("x ["), Math(tex, display), Text("](javascript:alert(2)) y")]),
        Paragraph([Math("[a", False), Text("](javascript:alert(3))")])])
    assert all_hazards([doc], tmp_path) == []
    markdown = to_markdown(doc)
    assert "<img" not in markdown and "<script" not in markdown and "<https" not in markdown
    with zipfile.ZipFile(io.BytesIO(build_epub([doc], tmp_path))) as zf:
        chapter = zf.read("EPUB/chapter-0001.xhtml").decode()
    assert not re.search(r"<m\w+[^>]*\s(?:href|style|class|id)=", chapter), chapter


def test_the_normaliser_says_what_it_refused() -> None:
    from convert.normalise import normalise
    from convert.reader import read_post

    doc = normalise(read_post(b'<p><a href="java&#9;script:alert(1)">one</a> and '
                              b'<a href="https://example.com/">two</a></p>'))
    [note] = [d for d in doc.diagnostics if d.step == "safe_links"]
    assert note.level == "change" and note.count == 1 and "could run a script" in note.message
    clean = normalise(read_post(b'<p><a href="https://example.com/">two</a></p>'))
    assert not [d for d in clean.diagnostics if d.step == "safe_links"]
