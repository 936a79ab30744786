"""Accessibility of the book's structure: headings without gaps under the chapter title,
landmarks and guide, NCX depth and play order, package language and direction, and
schema.org accessibility metadata true to the images the book shows."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from imageserver import image_server
from lxml import etree
from strategies import blocks as any_blocks

from convert.exporters.epub import EpubExporter
from convert.exporters.epub.accessibility import ImageCensus, accessibility_metadata
from convert.exporters.epub.options import EpubOptions
from convert.exporters.epub.outline import relevel_headings
from convert.model import Document, Figure, Heading, ListBlock, Metadata, Paragraph, Quote, Text

NS = {
    "x": "http://www.w3.org/1999/xhtml",
    "opf": "http://www.idpf.org/2007/opf",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
    "epub": "http://www.idpf.org/2007/ops",
}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


def H(level: int, text: str = "") -> Heading:  # noqa: N802 - reads like the node
    return Heading(level, [Text(text or f"h{level}")])


def post(title: str, blocks=None, **meta) -> Document:
    return Document(Metadata(title=title, **meta), blocks or [Paragraph([Text(title)])])


def export(docs, **options) -> dict[str, bytes]:
    data = EpubExporter(EpubOptions(offline=True, **options)).export(docs)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def levels(blocks) -> list[int]:
    out = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append(block.level)
        elif isinstance(block, Quote):
            out += levels(block.children)
        elif isinstance(block, ListBlock):
            for item in block.items:
                out += levels(item)
    return out


# ---------------------------------------------------------------- headings


def test_headings_start_below_the_title_and_skip_no_level():
    blocks = [H(4), H(6), H(5), H(3), H(4), H(1)]
    # h4 → 2; h6 under it → 3; h5 (deeper than h4, shallower than h6) → 3; h3 opens a
    # new top section → 2; h4 under h3 → 3; h1 → 2
    assert levels(relevel_headings(blocks)) == [2, 3, 3, 2, 3, 2]


def test_headings_in_quotes_and_lists_are_counted_in_reading_order():
    blocks = [H(3), Quote([H(5)]), ListBlock(False, [[H(6)]])]
    assert levels(relevel_headings(blocks)) == [2, 3, 4]


def test_deep_outline_stops_at_h6_and_unchanged_blocks_are_the_same_objects():
    deep = [H(n) for n in (1, 2, 3, 4, 5, 6, 6)]
    assert levels(relevel_headings(deep)) == [2, 3, 4, 5, 6, 6, 6]
    already = [H(2), Paragraph([Text("x")]), H(3)]
    assert relevel_headings(already) is already


@given(any_blocks)
@settings(max_examples=200, deadline=None)
def test_relevelled_headings_never_skip_a_level(blocks):
    new = levels(relevel_headings(blocks))
    old = levels(blocks)
    assert len(new) == len(old)
    previous = 1  # the chapter title
    for level in new:
        assert 2 <= level <= min(previous + 1, 6) or level == 6 == previous
        previous = level
    # a deeper source heading directly after another is never placed above it
    for i in range(1, len(old)):
        if old[i] > old[i - 1]:
            assert new[i] >= new[i - 1]


def test_chapter_headings_in_the_book():
    files = export([post("Post", [H(3, "first"), H(5, "deeper"), H(4, "sibling")])])
    chapter = files["EPUB/chapter-0001.xhtml"].decode()
    assert "<h2>first</h2>" in chapter and "<h3>deeper</h3>" in chapter
    assert "<h3>sibling</h3>" in chapter and "<h4>" not in chapter


# ---------------------------------------------------------------- nav, NCX, package


def grouped_book() -> dict[str, bytes]:
    day = datetime(2024, 1, 1, tzinfo=timezone.utc)
    docs = [post(f"{source} {n}", source=source, date=day)
            for source in ("Alpha", "Beta") for n in (1, 2)]
    docs.append(post("Gamma 1", source="Gamma", date=day))
    return export(docs)


def test_ncx_depth_and_play_order():
    ncx = etree.fromstring(grouped_book()["EPUB/toc.ncx"])
    depth = ncx.find("ncx:head/ncx:meta[@name='dtb:depth']", NS)
    assert depth.get("content") == "2"  # sections holding chapters
    points = ncx.findall(".//ncx:navPoint", NS)
    orders = [int(p.get("playOrder")) for p in points]
    srcs = [p.find("ncx:content", NS).get("src") for p in points]
    # the section and its first chapter lead to one file: one play order
    assert srcs == ["chapter-0001.xhtml", "chapter-0001.xhtml", "chapter-0002.xhtml",
                    "chapter-0003.xhtml", "chapter-0003.xhtml", "chapter-0004.xhtml",
                    "chapter-0005.xhtml"]
    assert orders == [1, 1, 2, 3, 3, 4, 5]


def test_flat_toc_has_depth_one():
    ncx = etree.fromstring(export([post("a"), post("b")])["EPUB/toc.ncx"])
    assert ncx.find("ncx:head/ncx:meta[@name='dtb:depth']", NS).get("content") == "1"
    assert [p.get("playOrder") for p in ncx.findall(".//ncx:navPoint", NS)] == ["1", "2"]


def test_landmarks_and_guide():
    files = export([post("一", lang="zh-CN"), post("二", lang="zh-CN")])
    nav = etree.fromstring(files["EPUB/nav.xhtml"])
    landmarks = nav.find(".//x:nav[@epub:type='landmarks']", NS)
    marks = [(a.get(EPUB_TYPE), a.get("href"), a.text) for a in landmarks.iter(
        "{http://www.w3.org/1999/xhtml}a")]
    assert marks == [("cover", "cover.xhtml", "封面"), ("toc", "nav.xhtml", "目录"),
                     ("bodymatter", "chapter-0001.xhtml", "一")]
    opf = etree.fromstring(files["EPUB/content.opf"])
    guide = [(r.get("type"), r.get("href")) for r in opf.iterfind("opf:guide/opf:reference",
                                                                     NS)]
    assert guide == [("cover", "cover.xhtml"), ("toc", "nav.xhtml"),
                     ("text", "chapter-0001.xhtml")]
    # the cover landmark is the cover page, which has that id in the manifest
    assert opf.find("opf:manifest/opf:item[@href='cover.xhtml']", NS).get("id") == "cover-page"
    assert nav.find(".//x:nav[@epub:type='toc']/x:h2", NS).text == "目录"


def test_package_language_and_direction():
    opf = etree.fromstring(export([post("a", lang="en-GB")])["EPUB/content.opf"])
    assert (opf.get(XML_LANG), opf.get("dir")) == ("en-GB", "ltr")
    opf = etree.fromstring(export([post("مرحبا", lang="ar")])["EPUB/content.opf"])
    assert (opf.get(XML_LANG), opf.get("dir")) == ("ar", "rtl")


# ---------------------------------------------------------------- metadata


def schema(files: dict[str, bytes]) -> dict[str, list[str]]:
    opf = etree.fromstring(files["EPUB/content.opf"])
    found: dict[str, list[str]] = {}
    for meta in opf.iterfind("opf:metadata/opf:meta[@property]", NS):
        name = meta.get("property")
        if name.startswith("schema:"):
            found.setdefault(name[7:], []).append(meta.text)
    return found


def test_census_claims_alternative_text_only_when_every_image_has_it():
    census = ImageCensus()
    census.add_post([Figure("https://a.example/1.png", alt="A cat"),
                     Paragraph([Text("x")])], lambda src: "images/1.png")
    meta = accessibility_metadata(census)
    assert ("schema:accessibilityFeature", "alternativeText") in meta
    assert ("schema:accessModeSufficient", "textual") in meta
    # an alt that is a file name or the post title says nothing: not a text alternative
    for alt in ("pic61f74df40c507.jpg", "The post"):
        census = ImageCensus()
        census.add_post([Figure("https://a.example/pic61f74df40c507.jpg", alt=alt)],
                        lambda src: "images/1.jpg", post_title="The post")
        meta = dict((k, v) for k, v in accessibility_metadata(census)
                    if k != "schema:accessibilityFeature")
        features = [v for k, v in accessibility_metadata(census)
                    if k == "schema:accessibilityFeature"]
        assert "alternativeText" not in features
        assert "1 image has no text alternative (alt text) of the 1 shown" in \
            meta["schema:accessibilitySummary"]
        assert ("schema:accessModeSufficient", "textual") not in accessibility_metadata(census)


def test_metadata_of_a_book_with_embedded_images(tmp_path):
    with image_server() as server:
        described = Figure(f"{server.base}/a.png", alt="A red square")
        bare = Figure(f"{server.base}/b.png")
        gone = Figure(f"{server.base}/missing/c.png", alt="lost")  # 404
        data = EpubExporter(EpubOptions(allow_private_hosts=True, cache_dir=tmp_path)).export(
            [post("Pictures", [described, bare, gone])])
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        meta = schema({"EPUB/content.opf": zf.read("EPUB/content.opf")})
    assert meta["accessMode"] == ["textual", "visual"]
    assert meta["accessModeSufficient"] == ["textual,visual"]
    assert meta["accessibilityHazard"] == ["none"]
    assert "alternativeText" not in meta["accessibilityFeature"]
    assert {"tableOfContents", "structuralNavigation", "readingOrder"} <= set(
        meta["accessibilityFeature"])
    summary = meta["accessibilitySummary"][0]
    # the cover (alt: the title) and a.png are described, b.png is not; c.png a link
    assert "1 image has no text alternative (alt text) of the 3 shown" in summary
    assert "1 image is not included in the book" in summary


def test_metadata_of_a_book_without_pictures():
    meta = schema(export([post("Words only")]))
    assert "alternativeText" in meta["accessibilityFeature"]  # the cover's alt is the title
    assert meta["accessModeSufficient"] == ["textual,visual", "textual"]
    assert "Every image shown has a text alternative." in meta["accessibilitySummary"][0]


def test_summary_says_it_is_english_in_a_chinese_book():
    opf = etree.fromstring(export([post("一", lang="zh-CN")])["EPUB/content.opf"])
    assert opf.get(XML_LANG) == "zh-CN"
    summary = opf.find("opf:metadata/opf:meta[@property='schema:accessibilitySummary']", NS)
    assert summary.get(XML_LANG) == "en"


@given(st.lists(st.sampled_from(["", "alt", "x.png"]), max_size=6),
       st.lists(st.booleans(), max_size=6))
def test_census_counts_every_image_once(alts, embedded):
    figures = [Figure(f"https://a.example/{i}.png", alt=alt) for i, alt in enumerate(alts)]
    shown = {f.src for f, e in zip(figures, embedded, strict=False) if e}
    census = ImageCensus()
    census.add_post(figures, lambda src: "x.png" if src in shown else None)
    assert census.embedded + census.linked == len(figures)
    assert census.undescribed == sum(1 for f in figures if f.src in shown and f.alt != "alt")
