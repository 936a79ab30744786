"""Math is math: formulas in editor and renderer markup become Math nodes holding their
TeX exactly; Markdown writes ``$…$`` / ``$$…$$`` with nothing escaped inside; the book
shows MathML with the TeX as ``alttext`` and stays epubcheck-clean."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from epubchecker import problems
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from convert.exporters.epub import EpubExporter
from convert.exporters.epub.options import EpubOptions
from convert.exporters.markdown import to_markdown
from convert.model import Code, Document, Math, Metadata, Paragraph, Table, TableCell, Text
from convert.normalise import normalise
from convert.reader import RawPost

MD = MarkdownIt("commonmark").enable(["table", "strikethrough"]).use(
    dollarmath_plugin, double_inline=True)
CHI = "\\chi^{2}=\\sum_{i=1}^{c}"


def inlines_of(body: str) -> list:
    doc = normalise(RawPost({"title": "t"}, body))
    return [node for block in doc.blocks for node in getattr(block, "children", [])]


def math_of(body: str) -> list[Math]:
    return [node for node in inlines_of(body) if isinstance(node, Math)]


# ---------------------------------------------------------------- recognised markup


@pytest.mark.parametrize(("body", "expected"), [
    ('<p><span class="vditor-math">\\chi^&#123;2&#125;=\\sum_{i=1}^{c}</span></p>',
     [Math(CHI)]),
    ('<p><span class="math inline">\\(x_1\\)</span></p>', [Math("x_1")]),
    ('<p><span class="math display">\\[x_1\\]</span></p>', [Math("x_1", display=True)]),
    ('<div class="math">a+b</div>', [Math("a+b", display=True)]),
    ('<p><span class="latex">$a$</span></p>', [Math("a")]),
    ('<p><span class="katex"><span class="katex-mathml"><math><semantics><mi>a</mi>'
     '<annotation encoding="application/x-tex">a_{1}</annotation></semantics></math></span>'
     '<span class="katex-html" aria-hidden="true">a1</span></span></p>', [Math("a_{1}")]),
    ('<p><span class="katex-display"><span class="katex"><math display="block"><semantics>'
     '<annotation encoding="application/x-tex">\\int f</annotation></semantics></math>'
     '<span class="katex-html">∫f</span></span></span></p>', [Math("\\int f", display=True)]),
    ('<p><math><semantics><mi>x</mi><annotation encoding="application/x-tex">x</annotation>'
     '</semantics></math></p>', [Math("x")]),
    ('<p><span class="MathJax_Preview">x</span><span class="MathJax">x</span>'
     '<script type="math/tex">x^2</script></p>', [Math("x^2")]),
    ('<script type="math/tex; mode=display">\n\\sum k\n</script>',
     [Math("\\sum k", display=True)]),
    ('<p>集合 <img src="https://www.zhihu.com/equation?tex=%5Cmathbb%7BR%7D" '
     'alt="\\mathbb&#123;R&#125;" eeimg="1"> 上</p>', [Math("\\mathbb{R}")]),
    ('<p><img src="https://www.zhihu.com/equation?tex=x%5E2+%2B+1"></p>', [Math("x^2 + 1")]),
])
def test_formula_markup_becomes_math(body: str, expected: list[Math]) -> None:
    assert math_of(body) == expected


def test_rendered_formula_text_is_dropped_and_the_sentence_kept() -> None:
    inlines = inlines_of('<p>see <span class="katex"><math><semantics><mi>e</mi>'
                         '<annotation encoding="application/x-tex">e</annotation></semantics>'
                         '</math><span class="katex-html">RENDERED</span></span> here</p>')
    assert inlines == [Text("see "), Math("e"), Text(" here")]


@pytest.mark.parametrize("body", [
    "<p>It costs $5 and $6, or $x$ dollars.</p>",
    '<p><span class="mathematics">not math</span></p>',
    '<p><span class="math-section-title">Chapter</span></p>',
    '<pre><code class="language-latex">\\documentclass{article}</code></pre>',
    '<p><code class="language-math">x^2</code></p>',
    '<p><span class="math">text <b>with</b> markup</span></p>',
    '<p><img src="https://example.com/math.png" alt="x^2"></p>',
    '<p><img src="http://[::1/equation?tex=x" alt="x"></p>',
])
def test_ordinary_text_and_code_are_never_math(body: str) -> None:
    assert math_of(body) == []


# ---------------------------------------------------------------- Markdown


def md_body(*inlines) -> str:
    doc = Document(Metadata(title="t"), [Paragraph(list(inlines))])
    return to_markdown(doc).split("---\n", 2)[2].strip()


def test_markdown_writes_tex_unescaped_between_dollars() -> None:
    written = md_body(Text("a "), Math(CHI), Text(" b"), Math("x_*", display=True))
    assert written == f"a ${CHI}$ b$$x_*$$"
    rendered = MD.render(written)
    assert f'<span class="math inline">{CHI}</span>' in rendered
    assert '<div class="math inline">x_*</div>' in rendered


@pytest.mark.parametrize(("text", "expected"), [
    ("It costs $5.", "It costs $5."),
    ("$5 and $6", "$5 and \\$6"),
    ("from $a$ to", "from $a\\$ to"),
])
def test_dollars_in_text_are_escaped_only_where_math_would_open(text: str,
                                                                 expected: str) -> None:
    written = md_body(Text(text))
    assert written == expected
    assert "math" not in MD.render(written)


def test_bars_of_tex_in_a_table_cell_do_not_split_the_row() -> None:
    doc = Document(Metadata(title="t"), [Table([[TableCell([Text("h")], header=True)],
                                                [TableCell([Math("|a|")])]], header_rows=1)])
    rendered = MD.render(to_markdown(doc).split("---\n", 2)[2])
    assert '<td><span class="math inline">|a|</span></td>' in rendered


def test_tex_that_would_end_the_math_early_is_code() -> None:
    written = md_body(Math("a $ b"))
    assert "math" not in MD.render(written)
    assert "a $ b" in MD.render(written)


_TEXT_WITH_DOLLARS = st.lists(st.sampled_from(["$", "$$", "5", "x", " ", "a b", "\\", "`"]),
                              min_size=1, max_size=8).map("".join).map(str.strip).filter(bool)


@settings(max_examples=200, deadline=None)
@given(_TEXT_WITH_DOLLARS)
def test_dollar_text_never_becomes_math(text: str) -> None:
    written = md_body(Text(text), Text(" and "), Code("$x$"))
    rendered = MD.render(written)
    assert "math" not in rendered, written
    root = etree.fromstring(f"<div>{rendered}</div>")
    assert " ".join("".join(root.itertext()).split()) == " ".join(
        f"{text} and $x$".split()), written


# ---------------------------------------------------------------- EPUB


def book_of(tmp_path: Path, *inlines) -> tuple[bytes, EpubExporter]:
    exporter = EpubExporter(EpubOptions(offline=True, cache_dir=tmp_path / "cache"))
    doc = Document(Metadata(title="m", lang="en"), [Paragraph(list(inlines))])
    return exporter.export([doc]), exporter


def test_book_shows_mathml_with_tex_as_alttext_and_passes_epubcheck(tmp_path: Path) -> None:
    data, exporter = book_of(tmp_path, Text("so "), Math(CHI), Text(" and "),
                             Math("a < b", display=True))
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        chapter = book.read("EPUB/chapter-0001.xhtml").decode()
        opf = book.read("EPUB/content.opf").decode()
    root = etree.fromstring(chapter.encode())
    maths = root.findall(".//{http://www.w3.org/1998/Math/MathML}math")
    assert [m.get("alttext") for m in maths] == [CHI, "a < b"]
    assert [m.get("display") for m in maths] == ["inline", "block"]
    assert 'href="chapter-0001.xhtml"' in opf
    item = next(line for line in opf.split("<item ") if "chapter-0001.xhtml" in line)
    assert 'properties="mathml"' in item
    path = tmp_path / "math.epub"
    path.write_bytes(data)
    assert problems(path) == []
    assert exporter.notes == [] or all("formulas" not in n for n in exporter.notes)


def test_tex_latex2mathml_cannot_read_is_shown_as_code_with_a_note(tmp_path: Path) -> None:
    data, exporter = book_of(tmp_path, Text("broken "), Math("\\frac{1}{"))
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        chapter = book.read("EPUB/chapter-0001.xhtml").decode()
        opf = book.read("EPUB/content.opf").decode()
    assert '<code class="tex">\\frac{1}{</code>' in chapter
    assert "mathml" not in opf
    assert any(n.startswith("formulas: 1 not readable") for n in exporter.notes)
    path = tmp_path / "broken.epub"
    path.write_bytes(data)
    assert problems(path) == []


def test_huge_or_deeply_nested_tex_is_shown_as_code(tmp_path: Path) -> None:
    data, exporter = book_of(tmp_path, Math("x+" * 4000), Math("{" * 3000 + "x" + "}" * 3000))
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        chapter = book.read("EPUB/chapter-0001.xhtml").decode()
    assert chapter.count('<code class="tex">') == 2
    assert any(n.startswith("formulas: 2 not readable") for n in exporter.notes)


def test_golden_math_books_pass_epubcheck(tmp_path: Path) -> None:
    from convert.pipeline import load_path

    golden = Path(__file__).parent / "golden"
    docs = [load_path(case / "input.md") for case in sorted(golden.glob("7[1-4]-*"))]
    assert len(docs) == 4
    path = tmp_path / "golden-math.epub"
    options = EpubOptions(offline=True, cache_dir=tmp_path / "cache")
    path.write_bytes(EpubExporter(options).export(docs))
    assert problems(path) == []


def test_math_survives_json_and_converts_to_the_same_markdown() -> None:
    from convert.model_json import document_from_dict, document_to_dict
    from convert.pipeline import load_path

    for case in sorted((Path(__file__).parent / "golden").glob("7[1-4]-*")):
        doc = load_path(case / "input.md")
        again = document_from_dict(document_to_dict(doc))
        assert again.blocks == doc.blocks
        assert to_markdown(again) == to_markdown(doc) == (case / "expected.md").read_text(
            encoding="utf-8")
