"""The words a book or a Markdown file adds around the posts, in the reader's language.

A small table, not a translation framework: the book chrome (contents heading, title
page lines, "posts", embed and image-link labels, the empty-post note, dates) in
English, Simplified and Traditional Chinese, Japanese and Korean. Any other language,
and a missing one, reads English. :func:`locale_of` maps a BCP 47 tag to a row of the
table (``zh-CN`` → ``zh-Hans``, ``zh-TW``/``zh-HK`` → ``zh-Hant``, ``ja-JP`` → ``ja``).
"""

from __future__ import annotations

from datetime import datetime

LOCALES = ("en", "zh-Hans", "zh-Hant", "ja", "ko")

_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "labelled": "{label}: {value}",
        "image_numbered": "[Image {n}]",
        "image_bare": "[Image]",
        "title_span": "{title}, {span}",
        "contents": "Contents",
        "landmarks": "Landmarks",
        "cover": "Cover",
        "title_page": "Title page",
        "posts_one": "{n} post",
        "posts": "{n} posts",
        "digest": "{source} digest",
        "news": "News",
        "et_al": "{names} et al.",
        "other": "Other",
        "uncategorised": "Uncategorised",
        "undated": "Undated",
        "empty_post": "(This post has no content.)",
        "video": "Video",
        "audio": "Audio",
        "embed": "Embedded content",
        "image_link": "[Image: {label}]",
        "host": " ({host})",
        "day": "{d} {month_name} {y}",
        "range": "{a} – {b}",
        "list_sep": ", ",
    },
    "zh-Hans": {
        "labelled": "{label}：{value}",
        "image_numbered": "[图片：第 {n} 张]",
        "image_bare": "[图片]",
        "title_span": "{title}（{span}）",
        "contents": "目录",
        "landmarks": "导航",
        "cover": "封面",
        "title_page": "书名页",
        "posts_one": "{n} 篇文章",
        "posts": "{n} 篇文章",
        "digest": "{source}文摘",
        "news": "新闻",
        "et_al": "{names} 等",
        "other": "其他",
        "uncategorised": "未分类",
        "undated": "无日期",
        "empty_post": "（这篇文章没有正文。）",
        "video": "视频",
        "audio": "音频",
        "embed": "嵌入内容",
        "image_link": "[图片：{label}]",
        "host": "（{host}）",
        "day": "{y}年{m}月{d}日",
        "range": "{a}至{b}",
        "list_sep": "、",
    },
    "zh-Hant": {
        "labelled": "{label}：{value}",
        "image_numbered": "[圖片：第 {n} 張]",
        "image_bare": "[圖片]",
        "title_span": "{title}（{span}）",
        "contents": "目錄",
        "landmarks": "導覽",
        "cover": "封面",
        "title_page": "書名頁",
        "posts_one": "{n} 篇文章",
        "posts": "{n} 篇文章",
        "digest": "{source}文摘",
        "news": "新聞",
        "et_al": "{names} 等",
        "other": "其他",
        "uncategorised": "未分類",
        "undated": "無日期",
        "empty_post": "（這篇文章沒有內文。）",
        "video": "影片",
        "audio": "音訊",
        "embed": "嵌入內容",
        "image_link": "[圖片：{label}]",
        "host": "（{host}）",
        "day": "{y}年{m}月{d}日",
        "range": "{a}至{b}",
        "list_sep": "、",
    },
    "ja": {
        "labelled": "{label}：{value}",
        "image_numbered": "[画像：{n} 枚目]",
        "image_bare": "[画像]",
        "title_span": "{title}（{span}）",
        "contents": "目次",
        "landmarks": "ランドマーク",
        "cover": "表紙",
        "title_page": "扉",
        "posts_one": "{n} 件の記事",
        "posts": "{n} 件の記事",
        "digest": "{source} ダイジェスト",
        "news": "ニュース",
        "et_al": "{names} ほか",
        "other": "その他",
        "uncategorised": "未分類",
        "undated": "日付なし",
        "empty_post": "（この記事には本文がありません。）",
        "video": "動画",
        "audio": "音声",
        "embed": "埋め込みコンテンツ",
        "image_link": "[画像：{label}]",
        "host": "（{host}）",
        "day": "{y}年{m}月{d}日",
        "range": "{a}～{b}",
        "list_sep": "、",
    },
    "ko": {
        "labelled": "{label}: {value}",
        "image_numbered": "[이미지 {n}]",
        "image_bare": "[이미지]",
        "title_span": "{title}, {span}",
        "contents": "목차",
        "landmarks": "랜드마크",
        "cover": "표지",
        "title_page": "속표지",
        "posts_one": "게시물 {n}개",
        "posts": "게시물 {n}개",
        "digest": "{source} 다이제스트",
        "news": "뉴스",
        "et_al": "{names} 외",
        "other": "기타",
        "uncategorised": "미분류",
        "undated": "날짜 없음",
        "empty_post": "(이 게시물에는 본문이 없습니다.)",
        "video": "동영상",
        "audio": "오디오",
        "embed": "삽입된 콘텐츠",
        "image_link": "[이미지: {label}]",
        "host": " ({host})",
        "day": "{y}년 {m}월 {d}일",
        "range": "{a} ~ {b}",
        "list_sep": ", ",
    },
}

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_HANT_REGIONS = {"tw", "hk", "mo"}


def locale_of(lang: str | None) -> str:
    """The row of the table for a language tag; ``en`` for any other language."""
    if not lang:
        return "en"
    subtags = lang.strip().replace("_", "-").lower().split("-")
    primary = subtags[0]
    if primary in ("zh", "cmn", "yue", "lzh"):
        if "hant" in subtags:
            return "zh-Hant"
        if "hans" in subtags:
            return "zh-Hans"
        return "zh-Hant" if _HANT_REGIONS & set(subtags[1:]) or primary == "yue" \
            else "zh-Hans"
    if primary in ("ja", "jpn"):
        return "ja"
    if primary in ("ko", "kor"):
        return "ko"
    return "en"


def text(lang: str | None, key: str, **values: object) -> str:
    """The phrase ``key`` in the language of ``lang``, its ``{fields}`` filled in."""
    return _TEXTS[locale_of(lang)][key].format(**values)


def post_count(lang: str | None, n: int) -> str:
    """"3 posts", "3 篇文章" …"""
    return text(lang, "posts_one" if n == 1 else "posts", n=n)


def day(lang: str | None, moment: datetime) -> str:
    """A calendar day as readers of the language write it (``2021年9月13日``)."""
    return text(lang, "day", y=f"{moment.year:04d}", m=moment.month, d=moment.day,
                month_name=_MONTHS[moment.month - 1])


def day_range(lang: str | None, first: str, last: str) -> str:
    """Two already formatted days as a span; one when they are the same."""
    return first if first == last else text(lang, "range", a=first, b=last)


def joined(lang: str | None, names: list[str]) -> str:
    return text(lang, "list_sep").join(names)
