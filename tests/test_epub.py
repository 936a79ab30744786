"""The EPUB exporter: valid (epubcheck: 0 errors, 0 warnings), reproducible, faithful.

Documents are built directly from the model classes. epubcheck takes a few seconds per
book, so one book holding every case is checked once (``book`` fixture) and the other
tests read that book's files.
"""

from __future__ import annotations

import hashlib
import io
import random
import re
import subprocess
import sys
import uuid
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from epubchecker import problems_of_books
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from lxml import etree

from convert.exporters import get_exporter
from convert.exporters.epub import EpubExporter, chapter_title
from convert.exporters.epub.options import EpubOptions
from convert.model import (
    Code,
    CodeBlock,
    Document,
    Embed,
    Emphasis,
    Figure,
    Heading,
    Image,
    LineBreak,
    Link,
    ListBlock,
    Metadata,
    Paragraph,
    Quote,
    Rule,
    Strikeout,
    Strong,
    Subscript,
    Superscript,
    Table,
    TableCell,
    Text,
)

NS = {
    "x": "http://www.w3.org/1999/xhtml",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
    "epub": "http://www.idpf.org/2007/ops",
}
A = "{http://www.w3.org/1999/xhtml}a"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>'

#: Everything a scraped post can throw at XML: controls XML forbids, markup, entities,
#: CDATA end, non-BMP emoji, RTL text with a bidi override, U+FFFD, a noncharacter.
HOSTILE = (
    "ctl\x00\x01\x08\x0b\x0c\x1f\x7f\x85 <b>bold?</b> & &amp; &#x41; ]]> "
    "😀🇺🇳𝄞 שלום עולם \u202eمرحبا\u202c \ufffd \ufffe\uffff end"
)
#: HOSTILE as it must read in the book: XML-invalid characters gone, the rest kept.
HOSTILE_SHOWN = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "", HOSTILE)
CODE = '<script>alert("x")</script>\n  if (a && b) { x = "]]>"; }\n\t<dependency/>\n'
UTC = timezone.utc


def T(text: str) -> Text:  # noqa: N802 - reads like the node it builds
    return Text(text)


# ---------------------------------------------------------------- documents


def kitchen_sink() -> Document:
    """Every block kind and every inline kind."""
    inlines = [
        T("plain "), Strong([T("strong "), Emphasis([T("strong-em")])]), T(" "),
        Emphasis([T("em")]), T(" "), Strikeout([T("struck")]), T(" x"),
        Superscript([T("2")]), T(" H"), Subscript([T("2")]), T("O "), Code("a < b && c"),
        LineBreak(), Link("https://example.com/a?b=1&c=2", [T("a link")], title='say "hi"'),
        T(" "), Image("https://img.example.com/inline.png", "inline alt"), T(" "),
        Image("https://img.example.com/no-alt.gif"), LineBreak(), T("after break"),
    ]
    blocks = [Heading(level, [T(f"Heading level {level}")]) for level in range(1, 7)]
    blocks += [
        Paragraph(inlines),
        ListBlock(False, [
            [Paragraph([T("bullet one")])],
            [Paragraph([T("bullet two")]),
             ListBlock(True, [[Paragraph([T("nested three")])], [Paragraph([T("nested four")])]],
                       start=3)],
            [Paragraph([T("para one")]), Paragraph([T("para two")])],
        ]),
        ListBlock(True, [[Paragraph([T("only item")])]]),
        Quote([Paragraph([T("quoted")]), Quote([Paragraph([T("quoted twice")])])]),
        CodeBlock(CODE, "javascript"),
        CodeBlock("no language"),
        Figure("https://img.example.com/figure.jpg", "figure alt",
               [T("A caption with "), Link("https://example.com/credit", [T("credit")])]),
        Figure("https://img.example.com/bare.webp"),
        Table(
            rows=[
                [TableCell([T("Wide header")], header=True, colspan=2),
                 TableCell([T("H3")], header=True)],
                [TableCell([T("r1c1")]), TableCell([Strong([T("r1c2")])]),
                 TableCell([Image("https://img.example.com/cell.png", "cell image")], rowspan=2)],
                [TableCell([T("r2c1")], header=True), TableCell([Code("r2c2")])],
            ],
            header_rows=1,
            caption=[T("Table caption")],
        ),
        Rule(),
        Embed("https://www.youtube.com/embed/abc", "iframe", "A video"),
        Embed("//player.example.com/v/1", "video"),
        Embed("https://media.example.com/a.mp3", "audio", poster="https://img.example.com/p.jpg"),
    ]
    return Document(
        Metadata(
            title="Kitchen sink",
            authors=["Ann Author", "Bob Writer"],
            date=datetime(2024, 3, 5, 18, 30, tzinfo=timezone(timedelta(hours=8))),
            categories=["Tech", "Testing"],
            lang="en",
            source="Example News",
        ),
        blocks,
        origin="kitchen-sink.md",
    )


def hostile() -> Document:
    """Hostile text everywhere text can go, and links an EPUB cannot hold."""
    return Document(
        Metadata(
            title="Hostile " + HOSTILE,
            authors=["Eve \x01" + HOSTILE],
            date=datetime(2024, 3, 6, 1, 2, 3),  # naive: taken as UTC
            categories=[HOSTILE, "  "],
            lang="ar",
            source="Src " + HOSTILE,
        ),
        [
            Heading(2, [T(HOSTILE)]),
            Paragraph([T(HOSTILE), Strong([T(HOSTILE)]), Code(HOSTILE)]),
            CodeBlock(HOSTILE + "\n" + CODE, 'lang "quoted" <x>'),
            Paragraph([
                Link("/relative/path", [T("relative")]), T(" | "),
                Link("javascript:alert(1)", [T("script link")]), T(" | "),
                Link("#fragment", [T("fragment")]), T(" | "),
                Link("http://exa mple.com/", [T("bad host")]), T(" | "),
                Link("//cdn.example.com/x y", [T("protocol-relative")]), T(" | "),
                Link("https://例子.测试/路径?q=é#a#b", [T("idn")]), T(" | "),
                Link("https://example.com/%zz", [T("bad percent")]), T(" | "),
                Link("mailto:someone@example.com", [T("mail")]), T(" | "),
                Link("https://outer.example.com/", [
                    T("outer "), Link("https://inner.example.com/", [T("inner")]),
                    T(" "), Image("https://img.example.com/in-link.png", "in link"),
                ], title=HOSTILE),
                T(" | "), Image("data:image/png;base64,AAAA", "data alt"),
                Image("relative.png", ""),
            ]),
            Figure("javascript:alert(1)", "figure alt", [T(HOSTILE)]),
            Figure("relative.jpg", "relative alt"),
            Figure("relative.jpg"),
            Embed("javascript:alert(1)", "video"),
            Table([[TableCell([T(HOSTILE)], header=True, colspan=5000)],
                   [TableCell([T(HOSTILE)], rowspan=10**6)]], header_rows=1, caption=[T(HOSTILE)]),
        ],
        origin="hostile.md",
    )


def empty() -> Document:
    return Document(Metadata(title="Nothing here", lang="en"), [])


def untitled() -> Document:
    return Document(Metadata(title="  \x00 ", lang="de"), [Paragraph([T("Ohne Titel.")])],
                    origin="2024-03-01-ohne-titel.md")


def nameless() -> Document:
    return Document(Metadata(lang="fr"), [Paragraph([T("Sans titre ni origine.")])])


def other_langs() -> list[Document]:
    return [
        Document(Metadata(title="中文文章", lang="zh-Hans", authors=["张三"],
                          date=datetime(2024, 3, 1, tzinfo=UTC)),
                 [Paragraph([T("这是一段中文，用于检查行高与标点。")])]),
        Document(Metadata(title="日本語の記事", lang="ja"),
                 [Paragraph([T("これは日本語の段落です。")])]),
        Document(Metadata(title="Underscore tag", lang="zh_TW"), [Paragraph([T("zh_TW")])]),
        Document(Metadata(title="Bad tag", lang="not a language!"), [Paragraph([T("x")])]),
        Document(Metadata(title="No tag"), [Paragraph([T("y")])]),
    ]


def all_documents() -> list[Document]:
    return [kitchen_sink(), hostile(), empty(), untitled(), nameless(), *other_langs()]


# ---------------------------------------------------------------- helpers


def export(docs, **options) -> bytes:
    return EpubExporter(EpubOptions(**options)).export(docs)


def epubcheck_problems(path: Path) -> list[str]:
    """Every fatal error, error and warning epubcheck reports for the book (checked in the
    session's one epubcheck JVM)."""
    return problems_of_books([path])[path]


def check(data: bytes, path: Path) -> None:
    path.write_bytes(data)
    problems = epubcheck_problems(path)
    assert not problems, "epubcheck:\n" + "\n".join(problems)


def files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def xml(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def chapters(data: bytes) -> list[etree._Element]:
    book = files(data)
    names = sorted(n for n in book if re.fullmatch(r"EPUB/chapter-\d{4}\.xhtml", n))
    return [xml(book[n]) for n in names]


def opf(data: bytes) -> etree._Element:
    return xml(files(data)["EPUB/content.opf"])


def dc(data: bytes, name: str) -> list[str]:
    return [el.text for el in opf(data).iterfind(f".//dc:{name}", NS)]


def modified(data: bytes) -> str:
    return opf(data).find(".//opf:meta[@property='dcterms:modified']", NS).text


def text_of(el: etree._Element) -> str:
    return "".join(el.itertext())


# ---------------------------------------------------------------- the big book


@pytest.fixture(scope="module")
def book() -> bytes:
    # a flat table of contents, in input order (grouping has its own tests)
    return export(all_documents(), group_by="none", offline=True)


def test_epubcheck_clean(book, tmp_path):
    check(book, tmp_path / "book.epub")


def test_single_empty_document_is_valid(tmp_path):
    # ebooklib 0.20 raises "Document is empty" on an empty chapter
    data = export([Document(Metadata())])
    check(data, tmp_path / "empty.epub")
    (chapter,) = chapters(data)
    assert chapter.find(".//x:h1", NS).text == "Untitled"
    assert chapter.find(".//x:p[@class='empty-note']", NS) is not None
    assert dc(data, "title") == ["Untitled"]


def test_registered_and_described():
    assert get_exporter("epub") is EpubExporter
    assert EpubExporter.name == "epub"
    assert EpubExporter.file_extension == ".epub"
    assert EpubExporter.media_type == "application/epub+zip"
    assert EpubExporter.collection is True
    assert EpubExporter.description


def test_no_documents_is_an_error():
    with pytest.raises(ValueError, match="at least one"):
        export([])


def test_zip_layout(book):
    with zipfile.ZipFile(io.BytesIO(book)) as zf:
        infos = zf.infolist()
    first = infos[0]
    assert first.filename == "mimetype"
    assert first.compress_type == zipfile.ZIP_STORED
    assert first.extra == b""
    assert book[30:38] == b"mimetype"  # at offset 30 of the file, as the OCF spec wants
    assert book[38:58] == b"application/epub+zip"
    # images are compressed already: stored as they are; everything else deflated
    assert all(i.compress_type == (zipfile.ZIP_STORED if i.filename.endswith(".png")
                                   else zipfile.ZIP_DEFLATED) for i in infos[1:])
    assert {i.date_time for i in infos} == {(2024, 3, 6, 1, 2, 2)}  # newest post, 2 s steps
    names = [i.filename for i in infos]
    assert len(names) == len(set(names))
    expected = [f"EPUB/chapter-{n:04d}.xhtml" for n in range(1, len(all_documents()) + 1)]
    assert [n for n in names if "chapter-" in n] == expected


def test_every_xml_file_has_the_declaration_and_parses(book):
    for name, data in files(book).items():
        if name.endswith((".xhtml", ".opf", ".ncx", ".xml")):
            assert data.startswith(DECLARATION), name
            xml(data)  # well-formed


def test_no_remote_images_or_scripts(book):
    for name, data in files(book).items():
        text = data.decode("utf-8", "replace")
        assert not re.search(r"<img\b[^>]*\bsrc\s*=\s*[\"']?(https?:)?//", text, re.I), name
        assert "<script" not in text, name
        assert "javascript:" not in text.lower(), name


def test_nav_and_ncx_list_every_chapter(book):
    docs = all_documents()
    titles = [chapter_title(d) for d in docs]
    hrefs = [f"chapter-{n:04d}.xhtml" for n in range(1, len(docs) + 1)]
    nav = xml(files(book)["EPUB/nav.xhtml"])
    links = nav.findall(".//x:nav[@epub:type='toc']//x:a", NS)
    assert [text_of(a) for a in links] == titles
    assert [a.get("href") for a in links] == hrefs
    ncx = xml(files(book)["EPUB/toc.ncx"])
    assert [t.text for t in ncx.findall(".//ncx:navLabel/ncx:text", NS)] == titles
    assert [c.get("src") for c in ncx.findall(".//ncx:content", NS)] == hrefs
    # the NCX and the package agree on the identifier (epubcheck NCX-001)
    uid = ncx.find(".//ncx:meta[@name='dtb:uid']", NS).get("content")
    assert dc(book, "identifier") == [uid]


def test_chapter_titles_fall_back():
    assert titles_of([untitled(), nameless()]) == ["2024-03-01-ohne-titel", "Untitled"]
    assert chapter_title(Document(Metadata(title=" A\n title "))) == "A title"
    assert chapter_title(Document(Metadata(), origin="dir\\post.name.md")) == "post.name"


def titles_of(docs) -> list[str]:
    return [text_of(c.find(".//x:h1", NS)) for c in chapters(export(docs))]


def test_spine_starts_with_cover_title_nav_and_keeps_order(book):
    spine = [i.get("idref") for i in opf(book).iterfind(".//opf:spine/opf:itemref", NS)]
    chapters = [f"chapter-{n:04d}" for n in range(1, len(all_documents()) + 1)]
    assert spine == ["cover-page", "title-page", "nav", *chapters]
    assert opf(book).find(".//opf:spine", NS).get("toc") == "ncx"


def test_chapter_languages(book):
    # book language: the most common valid tag; 'en' (2) beats the others (1 each)
    assert dc(book, "language") == ["en"]
    expected = ["en", "ar", "en", "de", "fr", "zh-Hans", "ja", "zh-TW", "en", "en"]
    found = [(c.get("lang"), c.get(XML_LANG)) for c in chapters(book)]
    assert found == [(lang, lang) for lang in expected]
    assert chapters(book)[1].get("dir") == "rtl"


def test_stylesheet_linked_from_every_chapter(book):
    book_files = files(book)
    css = book_files["EPUB/style.css"].decode()
    assert "line-height: 1.7" in css
    assert "max-width: 100%" in css
    assert "pre-wrap" in css
    assert "justify" not in css
    manifest = {i.get("href"): i.get("media-type") for i in opf(book).iterfind(".//opf:item", NS)}
    assert manifest["style.css"] == "text/css"
    for chapter in chapters(book):
        links = chapter.findall(".//x:head/x:link[@rel='stylesheet']", NS)
        assert [link.get("href") for link in links] == ["style.css"]


# ---------------------------------------------------------------- chapter content


def test_header_byline_and_categories(book):
    chapter = chapters(book)[0]
    header = chapter.find(".//x:body/x:header", NS)
    assert text_of(header.find("x:h1", NS)) == "Kitchen sink"
    byline = header.find("x:p[@class='byline']", NS)
    # 18:30 at +08:00 is 10:30 UTC; the source is text, not a link
    assert text_of(byline) == "Ann Author, Bob Writer · 5 March 2024 10:30 · Example News"
    assert byline.find("x:time", NS).get("datetime") == "2024-03-05T10:30Z"
    assert byline.find(".//x:a", NS) is None
    assert text_of(header.find("x:p[@class='categories']", NS)) == "Tech · Testing"
    assert chapter.find(".//x:head/x:title", NS).text == "Kitchen sink"


def test_no_byline_when_nothing_is_known(book):
    header = chapters(book)[4].find(".//x:header", NS)
    assert [el.tag.split("}")[1] for el in header] == ["h1"]


def test_every_block_kind_is_rendered(book):
    body = chapters(book)[0].find(".//x:body", NS)
    # post headings shift down one level under the chapter's h1, capped at h6
    levels = [el.tag.split("}")[1] for el in body if re.fullmatch(r"h\d", el.tag.split("}")[1])]
    assert levels == ["h2", "h3", "h4", "h5", "h6", "h6"]
    for path in ("x:p/x:strong/x:em", "x:p/x:em", "x:p/x:del", "x:p/x:sup", "x:p/x:sub",
                 "x:p/x:code", "x:p/x:br", "x:ul/x:li/x:ol[@start='3']",
                 "x:blockquote/x:blockquote",
                 "x:pre/x:code[@class='language-javascript']", "x:figure/x:figcaption/x:a",
                 "x:table/x:caption", "x:table/x:thead/x:tr/x:th[@colspan='2']",
                 "x:table/x:tbody/x:tr/x:td[@rowspan='2']", "x:table/x:tbody/x:tr/x:th", "x:hr",
                 "x:p[@class='embed']/x:a"):
        assert body.find(path, NS) is not None, path
    link = body.find("x:p/x:a[@title]", NS)
    assert (link.get("href"), link.get("title")) == ("https://example.com/a?b=1&c=2", 'say "hi"')
    # images become links to their URL (no remote <img> in an EPUB)
    hrefs = [a.get("href") for a in body.iter(A)]
    for url in ("https://img.example.com/inline.png", "https://img.example.com/figure.jpg",
                "https://img.example.com/cell.png", "https://player.example.com/v/1"):
        assert url in hrefs
    assert body.find(".//x:img", NS) is None


def test_code_block_text_is_exact(book):
    # ebooklib's own chapter writer pretty-prints and would indent inside <pre>
    codes = chapters(book)[0].findall(".//x:pre/x:code", NS)
    assert [c.text for c in codes] == [CODE, "no language"]
    raw = files(book)["EPUB/chapter-0001.xhtml"].decode()
    assert "&lt;script&gt;" in raw and "]]&gt;" in raw


def test_hostile_text_survives(book):
    chapter = chapters(book)[1]
    assert text_of(chapter.find(".//x:h1", NS)) == "Hostile " + " ".join(HOSTILE_SHOWN.split())
    assert text_of(chapter.find(".//x:h2", NS)) == HOSTILE_SHOWN  # the first post heading is h2
    assert text_of(chapter.find(".//x:pre/x:code", NS)) == HOSTILE_SHOWN + "\n" + CODE
    paragraph = chapter.find(".//x:body/x:p", NS)
    assert text_of(paragraph) == HOSTILE_SHOWN * 3
    for sample in ("😀", "𝄞", "שלום", "مرحبا", "\ufffd", "]]>", "<b>bold?</b>", "&amp;"):
        assert sample in text_of(paragraph)


def test_links_an_epub_cannot_hold_keep_their_text(book):
    chapter = chapters(book)[1]
    body = chapter.find(".//x:body", NS)
    hrefs = [a.get("href") for a in body.iter(A)]
    assert hrefs == [
        "https://cdn.example.com/x%20y",
        "https://xn--fsqu00a.xn--0zwm56d/%E8%B7%AF%E5%BE%84?q=%C3%A9#a%23b",
        "https://example.com/%25zz",
        "mailto:someone@example.com",
        "https://outer.example.com/",
    ]
    assert body.find(".//x:a//x:a", NS) is None  # no link inside a link
    text = text_of(body)
    for label in ("relative", "script link", "fragment", "bad host", "inner", "in link",
                  "data alt", "relative alt", "▶ Video"):
        assert label in text
    # a figure with no usable URL keeps its caption (not its alt), or its alt
    assert "figure alt" not in text
    assert "relative.jpg" not in text and "AAAA" not in text


def test_empty_document_gets_a_note(book):
    chapter = chapters(book)[2]
    assert text_of(chapter.find(".//x:h1", NS)) == "Nothing here"
    assert chapter.find(".//x:body/x:p[@class='empty-note']", NS) is not None


# ---------------------------------------------------------------- book metadata


def dated(title: str, day: int, source: str | None = None, authors=()) -> Document:
    return Document(Metadata(title=title, date=datetime(2024, 1, day, 12, tzinfo=UTC),
                             source=source, authors=list(authors)),
                    [Paragraph([T(title)])])


def test_book_title():
    assert dc(export([kitchen_sink()]), "title") == ["Kitchen sink"]
    assert dc(export([untitled()]), "title") == ["2024-03-01-ohne-titel"]
    one_source = [dated("a", 3, "Wire"), dated("b", 1, "Wire"), dated("c", 2)]
    assert dc(export(one_source), "title") == ["Wire digest, 1 January 2024 – 3 January 2024"]
    two = [dated("a", 3), dated("b", 1, "Wire"), dated("c", 2, "Other")]
    assert dc(export(two), "title") == ["News digest, 1 January 2024 – 3 January 2024"]
    assert dc(export([dated("a", 3), dated("b", 3)]), "title") == ["News digest, 3 January 2024"]
    assert dc(export([nameless(), empty()]), "title") == ["News digest"]
    assert dc(export(two, title="My \x01 book"), "title") == ["My book"]


def test_book_authors():
    assert dc(export([kitchen_sink()]), "creator") == ["Ann Author", "Bob Writer"]
    four = [dated("a", 1, authors=["A", "B"]), dated("b", 2, authors=["B", "C", "D"])]
    assert dc(export(four), "creator") == ["A, B, C et al."]
    assert dc(export(four[:1]), "creator") == ["A", "B"]
    assert dc(export([nameless()]), "creator") == ["newsconv"]
    assert dc(export(four, author="Editor"), "creator") == ["Editor"]
    ids = [el.get("id") for el in opf(export(four[:1])).iterfind(".//dc:creator", NS)]
    assert len(ids) == len(set(ids))


def test_book_language():
    assert dc(export([nameless(), untitled(), untitled()]), "language") == ["de"]
    assert dc(export([Document(Metadata(lang="zh_CN"))]), "language") == ["zh-CN"]
    assert dc(export([Document(Metadata())]), "language") == ["und"]
    assert dc(export([Document(Metadata(lang="???"))]), "language") == ["und"]
    data = export([nameless(), Document(Metadata())], lang="pt-BR")
    assert dc(data, "language") == ["pt-BR"]
    # a chapter without a language of its own takes the book's
    assert [c.get("lang") for c in chapters(data)] == ["fr", "pt-BR"]


def test_identifier_is_derived_from_content():
    (first,) = dc(export([kitchen_sink(), empty()]), "identifier")
    assert first.startswith("urn:uuid:")
    assert uuid.UUID(first.removeprefix("urn:uuid:")).version == 5
    assert dc(export([kitchen_sink(), empty()]), "identifier") == [first]
    # book-level options do not change which posts the book holds
    assert dc(export([kitchen_sink(), empty()], title="Other"), "identifier") == [first]
    assert dc(export([empty(), kitchen_sink()]), "identifier") != [first]
    changed = kitchen_sink()
    changed.blocks[6] = Paragraph([T("changed")])
    assert dc(export([changed, empty()]), "identifier") != [first]


# ---------------------------------------------------------------- reproducibility


def test_byte_identical_without_source_date_epoch(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    docs = all_documents()
    first = export(docs)
    assert export(all_documents()) == first
    assert modified(first) == "2024-03-06T01:02:03Z"  # the newest post


def test_byte_identical_with_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = export(all_documents())
    assert export(all_documents()) == first
    assert modified(first) == "2023-11-14T22:13:20Z"
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2023, 11, 14, 22, 13, 20)}
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert export(all_documents()) != first


def test_modified_falls_back_to_a_fixed_date(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    data = export([nameless()])
    assert modified(data) == "2000-01-01T00:00:00Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "not a number")
    assert export([nameless()]) == data


def test_extreme_dates(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    east, west = timezone(timedelta(hours=5)), timezone(timedelta(hours=-5))
    early = Document(Metadata(title="early", date=datetime(1, 1, 1, tzinfo=east)))
    late = Document(Metadata(title="late", date=datetime(9999, 12, 31, 23, tzinfo=west)))
    assert modified(export([early])) == "1000-01-01T00:00:00Z"  # clamped: ebooklib's strftime
    data = export([early, late])
    assert modified(data) == "9999-12-31T23:00:00Z"
    assert dc(data, "title") == ["News digest, 1 January 0001 – 31 December 9999"]
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2107, 12, 31, 23, 59, 58)}
    times = [c.find(".//x:time", NS).get("datetime") for c in chapters(data)]
    assert times == ["0001-01-01T00:00Z", "9999-12-31T23:00Z"]


def test_reproducible_across_processes(monkeypatch):
    """Nothing in the output depends on the process (hash seeds, ids, clocks)."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    script = (
        f"import sys, hashlib; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
        "import test_epub as t; "
        "print(hashlib.sha256(t.export(t.all_documents())).hexdigest())"
    )
    digests = {
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                       check=True, env={"PYTHONHASHSEED": seed}).stdout.strip()
        for seed in ("1", "2")
    }
    assert digests == {hashlib.sha256(export(all_documents())).hexdigest()}


# ---------------------------------------------------------------- random input


def random_url(rnd: random.Random) -> str:
    pools = [
        "".join(map(chr, range(0x20, 0x7F))),
        "".join(map(chr, range(0x250))),
        "".join(map(chr, range(0x4E00, 0x4F00))) + "abc-.",
        "abcxyz0123456789-._~%:@[]!$&'()*+,;=/?#",
        None,  # any code point
    ]

    def chunk(size: int) -> str:
        pool = rnd.choice(pools)
        n = rnd.randint(0, size)
        if pool is None:
            return "".join(chr(rnd.choice([rnd.randrange(0xD800), rnd.randrange(0xE000, 0x110000)]))
                           for _ in range(n))
        return "".join(rnd.choice(pool) for _ in range(n))

    host = ".".join(rnd.choice(["", "xn--"]) + chunk(6) for _ in range(rnd.randint(1, 3)))
    return (rnd.choice(["http://", "https://", "HTTPS://", "//", "mailto:"]) + host
            + rnd.choice(["", ":", f":{rnd.randint(0, 70000)}"]) + rnd.choice(["", "/"])
            + chunk(10) + rnd.choice(["", "?" + chunk(8)]) + rnd.choice(["", "#" + chunk(8)]))


def test_thousands_of_random_urls_give_valid_links(tmp_path):
    """epubcheck parses every href (RSC-020): one book with 3000 random URLs."""
    rnd = random.Random(20240306)
    links = [Link(random_url(rnd), [T(f"[{n}]")]) for n in range(3000)]
    data = export([Document(Metadata(title="URLs"), [Paragraph(links)])])
    check(data, tmp_path / "urls.epub")
    kept = chapters(data)[0].findall(".//x:a", NS)
    assert len(kept) > 600  # most URLs that look usable are kept, as links
    assert all(a.get("href").isascii() for a in kept)


# ---------------------------------------------------------------- property test

_NASTY = list("<>&\"'\x00\x01\x0b\x1f\x7f\x85\u200b\u202e\ufeff\ufffd\ufffe\uffff😀𝄞שم中 \n\t]")
texts = st.one_of(
    st.text(max_size=30),
    st.text(st.characters(exclude_categories=()), max_size=10),  # incl. lone surrogates
    st.text(st.sampled_from(_NASTY), max_size=20),
)
urls = st.one_of(
    st.sampled_from([
        "https://example.com/", "http://example.com/a b?c=d&e#f#g", "//cdn.example.com/x.png",
        "/relative", "relative.png", "#top", "javascript:alert(1)", "mailto:a@example.com",
        "data:image/png;base64,AAAA", "", "http://[::1]/", "http://[bad/", "https://例子.测试/é",
        "https://x.com/%zz", "http://u:p@h.example:8080/p", "http://h.example:99999/",
        "ftp://example.com/", "https://a..b/", "http://-/",
    ]),
    texts,
    texts.map(lambda s: "https://example.com/" + s),
    texts.map(lambda s: "http://" + s),
)
inlines = st.recursive(
    st.one_of(
        st.builds(Text, texts),
        st.builds(Code, texts),
        st.just(LineBreak()),
        st.builds(Image, urls, texts),
    ),
    lambda kids: st.one_of(
        *(st.builds(cls, st.lists(kids, max_size=3))
          for cls in (Strong, Emphasis, Strikeout, Superscript, Subscript)),
        st.builds(Link, urls, st.lists(kids, max_size=3), st.none() | texts),
    ),
    max_leaves=12,
)
runs = st.lists(inlines, max_size=4)
cells = st.builds(TableCell, runs, st.booleans(), st.integers(-1, 3), st.integers(-1, 3))
blocks = st.recursive(
    st.one_of(
        st.builds(Paragraph, runs),
        st.builds(Heading, st.integers(-2, 9), runs),
        st.builds(CodeBlock, texts, st.none() | texts),
        st.builds(Figure, urls, texts, runs),
        st.builds(Table, st.lists(st.lists(cells, max_size=3), max_size=3), st.integers(0, 3),
                  runs),
        st.builds(Embed, urls, st.sampled_from(["iframe", "video", "audio", "other"]), texts),
        st.just(Rule()),
    ),
    lambda kids: st.one_of(
        st.builds(Quote, st.lists(kids, max_size=3)),
        st.builds(ListBlock, st.booleans(), st.lists(st.lists(kids, max_size=2), max_size=3),
                  st.integers(-5, 5)),
    ),
    max_leaves=8,
)
metadata = st.builds(
    Metadata,
    title=texts,
    authors=st.lists(texts, max_size=4),
    date=st.none() | st.datetimes(timezones=st.none() | st.timezones()),
    categories=st.lists(texts, max_size=3),
    lang=st.none() | st.sampled_from(["en", "zh-Hans", "he", "ar", "x", "en_US", "??", ""]),
    source=st.none() | texts,
)
documents = st.builds(Document, metadata, st.lists(blocks, max_size=5),
                      origin=st.none() | texts)


def test_random_documents_give_valid_epub(tmp_path: Path) -> None:
    """Hypothesis builds books of random documents, always the same ones (seeded: a red
    run is reproducible); epubcheck checks them all in one JVM afterwards. No shrinking:
    the epubcheck messages in the failure name the offending markup."""
    books: list[Path] = []

    @settings(max_examples=30, deadline=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate])
    @given(st.lists(documents, min_size=1, max_size=4))
    def build(docs: list[Document]) -> None:
        book = tmp_path / f"random-{len(books)}.epub"
        book.write_bytes(EpubExporter().export(docs))
        books.append(book)

    build()
    assert len(books) == 30
    for book, found in problems_of_books(books).items():
        assert not found, f"{book.name}: epubcheck:\n" + "\n".join(found)


# ---------------------------------------------------------------- images from the cache


def _old_cache_entry(cache: Path, url: str, extension: str, data: bytes) -> None:
    """A cache file as versions before full decoding wrote it: ``<key><ext>``."""
    key = hashlib.sha256(url.encode()).hexdigest()
    (cache / key[:2]).mkdir(parents=True, exist_ok=True)
    (cache / key[:2] / f"{key}{extension}").write_bytes(data)


def _png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("verbose", [False, True])
def test_only_whole_images_are_embedded_and_the_rest_counted(tmp_path, verbose):
    cache = tmp_path / "cache"
    good, corrupt, missing = (f"https://img.example.com/{name}"
                              for name in ("good.png", "corrupt.png", "missing.jpg"))
    _old_cache_entry(cache, good, ".png", _png(30, 20))
    _old_cache_entry(cache, corrupt, ".png", _png(30, 20)[:33] + b"<html>gone</html>")
    doc = Document(Metadata(title="Pictures"), [Figure(good), Figure(corrupt), Figure(missing)])
    exporter = EpubExporter(EpubOptions(offline=True, cache_dir=cache,
                                          extra={"verbose": verbose}))
    data = exporter.export([doc])
    assert exporter.notes[0] == ("images (offline): 1 of 3 embedded (0 downloaded, "
                                 "1 from the cache), 2 shown as links: 2 not in the cache")
    assert exporter.notes[1:] == ([f"image {corrupt}: not in the cache (offline)",
                                   f"image {missing}: not in the cache (offline)"]
                                  if verbose else [])
    book = files(data)
    assert len([n for n in book if n.startswith("EPUB/images/") and "cover" not in n]) == 1
    chapter = book["EPUB/chapter-0001.xhtml"].decode()
    assert f'<a href="{corrupt}">' in chapter and f'<a href="{missing}">' in chapter
    check(data, tmp_path / "pictures.epub")


def test_fetch_timeout_is_the_fetchers_deadline(monkeypatch, tmp_path):
    import convert.exporters.epub as epub_exporter

    seen = []

    class Recording(epub_exporter.ImageFetcher):
        def __init__(self, options):
            seen.append(options)
            super().__init__(options)

    monkeypatch.setattr(epub_exporter, "ImageFetcher", Recording)
    export([Document(Metadata(title="x"))], offline=True, cache_dir=tmp_path, fetch_timeout=7.5)
    export([Document(Metadata(title="x"))], offline=True, cache_dir=tmp_path)
    assert [options.deadline for options in seen] == [7.5, 120.0]
