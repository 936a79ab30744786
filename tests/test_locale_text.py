"""Book chrome in the reader's language: the locale table, its choice by language tag,
and labels of images the book could not embed (never a file name or the post title)."""

from __future__ import annotations

import io
import re
import string
import zipfile
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convert import locale_text
from convert.exporters.epub import EpubExporter
from convert.exporters.epub.labels import image_link_text
from convert.exporters.epub.options import EpubOptions
from convert.exporters.markdown import to_markdown
from convert.model import Document, Embed, Figure, Image, Link, Metadata, Paragraph, Text

DAY = datetime(2024, 3, 5, 10, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(("tag", "row"), [
    ("zh", "zh-Hans"), ("zh-CN", "zh-Hans"), ("zh_CN", "zh-Hans"), ("zh-SG", "zh-Hans"),
    ("zh-Hans", "zh-Hans"), ("zh-TW", "zh-Hant"), ("zh-HK", "zh-Hant"), ("zh-MO", "zh-Hant"),
    ("zh-Hant", "zh-Hant"), ("zh-Hant-CN", "zh-Hant"), ("zh-Hans-HK", "zh-Hans"),
    ("ja", "ja"), ("ja-JP", "ja"), ("ko-KR", "ko"), ("en-GB", "en"), ("fr", "en"),
    ("und", "en"), ("", "en"), (None, "en"),
])
def test_locale_of(tag, row):
    assert locale_text.locale_of(tag) == row


def test_every_locale_has_every_phrase_with_the_same_fields():
    def fields(phrase: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(phrase) if name}

    english = locale_text._TEXTS["en"]
    for row in locale_text.LOCALES:
        table = locale_text._TEXTS[row]
        assert table.keys() == english.keys(), row
        for key, phrase in table.items():
            # a locale may leave out a field English has (month names) but add none
            assert fields(phrase) <= fields(english[key]) | {"y", "m", "d"}, (row, key)


@pytest.mark.parametrize(("lang", "day", "count", "empty"), [
    ("en", "5 March 2024", "3 posts", "(This post has no content.)"),
    ("zh-CN", "2024年3月5日", "3 篇文章", "（这篇文章没有正文。）"),
    ("zh-TW", "2024年3月5日", "3 篇文章", "（這篇文章沒有內文。）"),
    ("ja", "2024年3月5日", "3 件の記事", "（この記事には本文がありません。）"),
    ("ko", "2024년 3월 5일", "게시물 3개", "(이 게시물에는 본문이 없습니다.)"),
])
def test_dates_counts_and_notes(lang, day, count, empty):
    assert locale_text.day(lang, DAY) == day
    assert locale_text.post_count(lang, 3) == count
    assert locale_text.text(lang, "empty_post") == empty
    assert locale_text.post_count("en", 1) == "1 post"


# ---------------------------------------------------------------- image links


def test_image_link_says_what_and_where():
    src = "https://img.example.com/upload/pic61f74df40c507.jpg"
    assert image_link_text(src, "月台上的乘客", 3, "zh-CN") == \
        "[图片：月台上的乘客]（img.example.com）"
    # a file name, a URL or the post title says nothing: the image's number instead
    for alt in ("pic61f74df40c507.jpg", "IMG_2041.JPG", "https://x.example/a.png", "标题"):
        assert image_link_text(src, alt, 3, "zh-CN", "标题") == "[图片：第 3 张]（img.example.com）"
    assert image_link_text(src, "", 3, "zh-TW") == "[圖片：第 3 張]（img.example.com）"
    assert image_link_text(src, "", 2, "ja") == "[画像：2 枚目]（img.example.com）"
    assert image_link_text(src, "", 2, "en") == "[Image 2] (img.example.com)"
    assert image_link_text(src, "", None, "en", with_host=False) == "[Image]"
    long = "x" * 200
    assert len(image_link_text(src, long, 1, "en")) < 120


@given(st.from_regex(r"[A-Za-z0-9_-]{1,30}\.(jpg|png|gif|webp|JPG|jpeg)", fullmatch=True),
       st.integers(min_value=1, max_value=500))
def test_image_link_never_shows_a_file_name(name, number):
    src = f"https://cdn.example.net/a/{name}"
    for alt in ("", name):
        label = image_link_text(src, alt, number, "zh-Hans")
        assert name not in label
        assert f"第 {number} 张" in label and "cdn.example.net" in label


def chapter_of(doc: Document) -> str:
    data = EpubExporter(EpubOptions(offline=True)).export([doc])
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read("EPUB/chapter-0001.xhtml").decode()


def test_offline_book_labels_images_in_the_posts_language():
    title = "台北捷運新路線通車"
    blocks = [Paragraph([Text("a")]),
              Figure("https://img.example.tw/pic61f74df40c507.jpg", alt="pic61f74df40c507.jpg"),
              Figure("https://img.example.tw/b.jpg", alt=title),
              Paragraph([Link("https://example.tw/x", [Image("https://img.example.tw/c.png",
                                                              alt="c.png")])])]
    chapter = chapter_of(Document(Metadata(title=title, lang="zh-TW"), blocks))
    links = re.findall(r"<a [^>]*>([^<]*)</a>", chapter)
    assert links == ["[圖片：第 1 張]（img.example.tw）", "[圖片：第 2 張]（img.example.tw）",
                     "[圖片]"]  # an image inside a link: its label, not a second link
    assert "pic61f74df40c507" not in re.sub(r'href="[^"]*"', "", chapter)
    assert chapter.count(title) == 2  # <title> and <h1> only


def test_book_chrome_in_the_books_language():
    docs = [Document(Metadata(title=f"記事 {n}", lang="ja", date=DAY), []) for n in (1, 2)]
    data = EpubExporter(EpubOptions(offline=True)).export(docs)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        files = {n: zf.read(n).decode("utf-8", "replace") for n in zf.namelist()}
    assert "2 件の記事 · 2024年3月5日" in files["EPUB/title.xhtml"]
    assert "（この記事には本文がありません。）" in files["EPUB/chapter-0001.xhtml"]
    assert "<h2>目次</h2>" in files["EPUB/nav.xhtml"]
    assert "ニュース ダイジェスト（2024年3月5日）" in files["EPUB/content.opf"]


def test_embed_labels_in_markdown_follow_the_document():
    embed = Embed("https://player.example.com/v/1", kind="video")
    for lang, label in (("zh-CN", "视频："), ("zh-HK", "影片："), ("de", "Video: ")):
        markdown = to_markdown(Document(Metadata(title="t", lang=lang), [embed]))
        assert f"▶ {label}https://player.example.com/v/1" in markdown
