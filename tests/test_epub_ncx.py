"""The NCX written as text is byte for byte the NCX ebooklib builds as a tree, with the
depth, language and playOrder edits newsconv made to it by parsing it again."""

from __future__ import annotations

from ebooklib import epub
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from convert.exporters.epub.ncx import ncx_bytes

_NCX = "http://www.daisy.org/z3986/2005/ncx/"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def reference_ncx(book: epub.EpubBook) -> bytes:
    """ebooklib's NCX, then the edits as they were made before (a second tree)."""
    writer = epub.EpubWriter("unused.epub", book)
    root = etree.fromstring(epub.EpubWriter._get_ncx(writer))
    ns = {"n": _NCX}
    orders: dict[str, int] = {}
    depth = 0
    for point in root.iterfind(".//n:navPoint", ns):
        depth = max(depth, sum(1 for _ in point.iterancestors(f"{{{_NCX}}}navPoint")) + 1)
        src = point.find("n:content", ns).get("src", "").split("#", 1)[0]
        point.set("playOrder", str(orders.setdefault(src, len(orders) + 1)))
    for meta in root.iterfind("n:head/n:meta[@name='dtb:depth']", ns):
        meta.set("content", str(max(depth, 1)))
    root.set(_XML_LANG, book.language)
    return etree.tostring(root.getroottree(), encoding="utf-8", xml_declaration=True,
                          pretty_print=True)


# Titles with what needs escaping (no characters XML cannot hold: lxml refuses them).
_titles = st.text(alphabet=st.sampled_from(list("ab &<>\"'\t中#")), max_size=8)


@st.composite
def books(draw: st.DrawFn) -> epub.EpubBook:
    book = epub.EpubBook()
    book.set_identifier(draw(st.sampled_from(["urn:uuid:1", 'id&"<x>'])))
    book.set_title(draw(_titles))
    book.set_language(draw(st.sampled_from(["zh", "en", "zh-Hant"])))
    pages = []
    for n in range(draw(st.integers(0, 6))):
        page = epub.EpubHtml(uid=f"chapter-{n}", file_name=f"chapter-{n}.xhtml",
                             title=draw(_titles))
        pages.append(page)
    toc: list = []
    rest = list(pages)
    while rest:
        take = draw(st.integers(1, len(rest)))
        group, rest = rest[:take], rest[take:]
        shape = draw(st.sampled_from(["flat", "section", "empty-href", "page-section",
                                      "link", "anchor"]))
        if shape == "flat":
            toc.extend(group)
        elif shape == "section":
            toc.append((epub.Section(draw(_titles), href=group[0].file_name), group))
        elif shape == "empty-href":  # takes its first entry's target
            toc.append((epub.Section(draw(_titles)), group))
        elif shape == "page-section":
            toc.append((group[0], group[1:]))
        elif shape == "link":
            toc.append(epub.Link(group[0].file_name, draw(_titles), f"link-{len(toc)}"))
        else:  # two points into one file: one playOrder
            toc.append(epub.Link(group[0].file_name + "#a", draw(_titles), f"a-{len(toc)}"))
            toc.extend(group)
    book.toc = toc
    return book


@given(books())
@settings(max_examples=200, deadline=None)
def test_ncx_text_is_the_edited_ebooklib_ncx(book: epub.EpubBook) -> None:
    assert ncx_bytes(book) == reference_ncx(book)


def test_sections_count_in_the_depth_and_share_play_order_with_their_first_page() -> None:
    book = epub.EpubBook()
    book.set_identifier("x")
    book.set_title("T")
    book.set_language("en")
    a = epub.EpubHtml(uid="a", file_name="a.xhtml", title="A")
    b = epub.EpubHtml(uid="b", file_name="b.xhtml", title="B")
    book.toc = [(epub.Section("S", href="a.xhtml"), [a, b])]
    root = etree.fromstring(ncx_bytes(book))
    ns = {"n": _NCX}
    assert root.find("n:head/n:meta[@name='dtb:depth']", ns).get("content") == "2"
    orders = [p.get("playOrder") for p in root.iterfind(".//n:navPoint", ns)]
    assert orders == ["1", "1", "2"]
