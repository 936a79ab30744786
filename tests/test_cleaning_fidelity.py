"""Fidelity rules of the normaliser, second round (issue 9), each on the smallest input.

Default image captions and placeholder alt text, https kept when a proxy is stripped,
widgets judged by wording and place, style-only bold and profile headings, short-text
language, the source link a profile removes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cleaning import clean

from convert.exporters import ExportOptions
from convert.exporters.json import JsonExporter
from convert.exporters.markdown import MarkdownExporter
from convert.model import Diagnostic, Figure, Paragraph, inline_text
from convert.normalise import normalise
from convert.normalise.build import plain_text
from convert.normalise.imagetext import is_placeholder_image_text
from convert.normalise.metadata import normalise_metadata
from convert.normalise.profiles import ProfileError, SiteProfile, parse_profile
from convert.normalise.urls import https_hosts, strip_proxy
from convert.pipeline import load_bytes
from convert.reader import RawPost


def changes(diagnostics: list[Diagnostic], step: str) -> list[Diagnostic]:
    return [d for d in diagnostics if d.step == step]


def _figure(body: str, title: str = "The post") -> tuple[Figure, list]:
    blocks, diagnostics = clean(body, {"title": title})
    figures = [b for b in blocks if isinstance(b, Figure)]
    assert len(figures) == 1, blocks
    return figures[0], blocks


# ---------------------------------------------------------------- image text


@pytest.mark.parametrize("junk", ["image", "Image ", "图片", "图片来源于网络", "（图片来自网络）",
                                  "IMG_1234.jpg", "pic61f74df.jpg", "image.png",
                                  "https://img.example.com/a.png", "在这里插入图片描述", ""])
def test_placeholder_image_text(junk: str) -> None:
    assert is_placeholder_image_text(junk)


@pytest.mark.parametrize("words", ["A cat on a mat", "图片来源：新华社", "模块依赖",
                                   "image of a cat", "Figure 3: results"])
def test_real_image_text(words: str) -> None:
    assert not is_placeholder_image_text(words)


def test_default_figcaption_and_alt_dropped() -> None:
    figure, _ = _figure('<figure><img src="http://a/x.jpg" alt="IMG_1234.jpg">'
                        "<figcaption>pic61f74df.jpg</figcaption></figure>")
    assert figure.alt == "" and figure.caption == []


def test_default_caption_line_after_image_removed() -> None:
    _, blocks = _figure('<p><img src="http://a/x.jpg" alt="image"></p><p>图片来源于网络</p>'
                        "<p>正文</p>")
    assert [inline_text(b.children) for b in blocks if isinstance(b, Paragraph)] == ["正文"]


def test_same_words_in_article_text_kept() -> None:
    _, blocks = _figure('<p><img src="http://a/x.jpg"></p><p>image is a word; 图片来源于网络</p>')
    assert any(isinstance(b, Paragraph) for b in blocks)


def test_site_caption_class_with_file_name_removed() -> None:
    figure, blocks = _figure('<div><img src="http://a/x.jpg"></div>'
                             '<div class="image-caption">image.png</div>')
    assert figure.caption == [] and len(blocks) == 1


def test_title_becomes_caption_when_none() -> None:
    figure, _ = _figure('<img src="http://a/x.jpg" title="A cat on a mat" alt="img">')
    assert inline_text(figure.caption) == "A cat on a mat" and figure.alt == ""


def test_title_repeating_post_title_is_no_caption() -> None:
    figure, blocks = _figure('<img src="http://a/x.jpg" title="The post">')
    assert figure.caption == []
    assert changes(clean('<img src="http://a/x.jpg" title="The post">',
                         {"title": "The post"})[1], "clean_image_text")


def test_real_caption_wins_over_title() -> None:
    figure, _ = _figure('<figure><img src="http://a/x.jpg" title="hover text">'
                        "<figcaption>Real caption</figcaption></figure>")
    assert inline_text(figure.caption) == "Real caption"


def test_dropped_image_placeholder_alt_leaves_no_text() -> None:
    blocks, _ = clean('<p>text<img src="" alt="image"></p>')
    assert inline_text(blocks[0].children) == "text"


# ---------------------------------------------------------------- https kept


PROXY = "https://cors.example.dev/?"


@pytest.mark.parametrize("url, known, expected", [
    (PROXY + "http://i1.hdslb.com/a.jpg", frozenset(), "https://i1.hdslb.com/a.jpg"),  # listed
    (PROXY + "http://img.host.org/a.jpg", frozenset({"img.host.org"}),
     "https://img.host.org/a.jpg"),  # the post reaches it over https elsewhere
    (PROXY + "http://img.host.org/a.jpg", frozenset(), PROXY + "http://img.host.org/a.jpg"),
    (PROXY + "http://www.mitbbs.com:8080/a.jpg", frozenset({"mitbbs.com"}),
     PROXY + "http://www.mitbbs.com:8080/a.jpg"),  # own port: https there is unknown
    ("http://cors.example.dev/?http://img.host.org/a.jpg", frozenset(),
     "http://img.host.org/a.jpg"),  # an http page: nothing to downgrade
    (PROXY + "https://img.host.org/a.jpg", frozenset(), "https://img.host.org/a.jpg"),
])
def test_strip_proxy_never_downgrades(url: str, known: frozenset, expected: str) -> None:
    assert strip_proxy(url, known) == expected


def test_proxied_image_upgraded_when_post_uses_https_for_its_host() -> None:
    blocks, diagnostics = clean(f'<p><a href="https://img.host.org/">x</a></p>'
                                f'<img src="{PROXY}http://img.host.org/a.jpg">')
    assert [b.src for b in blocks if isinstance(b, Figure)] == ["https://img.host.org/a.jpg"]
    (diag,) = changes(diagnostics, "resolve_image_sources")
    assert "proxy" in diag.message and "lazy" not in diag.message


def test_https_hosts_found_in_text() -> None:
    assert https_hosts(['<a href="https://A.org/x">', "http://b.org", PROXY + "https://c.org/"]
                       ) == {"a.org", "cors.example.dev", "c.org"}


def test_proxied_cover_keeps_https() -> None:
    meta, _ = normalise_metadata({"title": "t", "cover": PROXY + "http://i0.hdslb.com/c.jpg"},
                                 "text")
    assert meta.cover == "https://i0.hdslb.com/c.jpg"
    meta, _ = normalise_metadata({"title": "t", "cover": PROXY + "http://x.org/c.jpg"}, "text")
    assert meta.cover == PROXY + "http://x.org/c.jpg"


# ---------------------------------------------------------------- calls to action

ARTICLE = "<p>正文第一段，讲的是这件事的来龙去脉。</p><p>正文第二段，结论。</p>"


def _texts(blocks: list) -> list[str]:
    return [inline_text(getattr(b, "children", [])) for b in blocks]


def test_reward_title_at_tail_removed_whole() -> None:
    blocks, diagnostics = clean(ARTICLE + '<div class="box-7"><p>给作者打赏，鼓励TA抓紧创作！</p>'
                                '<p><a href="#">¥</a></p></div>')
    assert _texts(blocks) == ["正文第一段，讲的是这件事的来龙去脉。", "正文第二段，结论。"]
    (diag,) = changes(diagnostics, "remove_calls_to_action")
    assert diag.count == 1 and "打赏" in diag.sample


def test_app_download_block_with_qr_image_removed() -> None:
    blocks, _ = clean(ARTICLE + '<div><p><img src="http://a/qr.png"></p>'
                      "<p>海量资讯、精准解读，尽在新浪财经APP</p></div>")
    assert not any(isinstance(b, Figure) for b in blocks) and len(blocks) == 2


def test_related_posts_heading_and_its_links_removed() -> None:
    blocks, _ = clean(ARTICLE + '<h3>相关阅读</h3><ul><li><a href="/a">另一篇文章</a></li>'
                      '<li><a href="/b">第三篇文章</a></li></ul>')
    assert len(blocks) == 2


def test_share_this_at_head_removed() -> None:
    blocks, _ = clean('<p>Share this: <a href="/t">Twitter</a> <a href="/f">Facebook</a></p>'
                      "<p>The article starts here and goes on for a while.</p>")
    assert _texts(blocks) == ["The article starts here and goes on for a while."]


def test_scan_prompt_beside_qr_image_removed_mid_article() -> None:
    blocks, _ = clean('<p>第一段。</p><p><img src="http://a/qr.png"></p><p>扫码关注公众号</p>'
                      "<p>第二段。</p>")
    assert _texts(blocks) == ["第一段。", "第二段。"]


@pytest.mark.parametrize("body", [
    "<p>第一段。</p><p>关注公众号</p><p>第二段。</p>",  # mid-article, no QR code: words
    ARTICLE + "<p>有读者问我为什么不开打赏，也不让大家关注公众号：我觉得写作的回报不该是这些东西，"
              "而是和读者之间的交流。这篇文章就写到这里，下次再聊聊这个话题背后的经济学。</p>",
    "<p>Buy me a coffee, she said, and I did; the rest of this story is about that coffee.</p>"
    "<p>More of the story.</p>",  # a long paragraph is the article's, edge or not
    '<p>第一段。</p><p><img src="http://a/photo.jpg"></p><p>分享到朋友圈的照片</p><p>第二段。</p>',
])
def test_same_words_in_article_text_stay(body: str) -> None:
    blocks, diagnostics = clean(body)
    assert not changes(diagnostics, "remove_calls_to_action")


def test_references_before_a_share_line_stay() -> None:
    blocks, _ = clean(ARTICLE + '<ul><li><a href="/ref">参考资料一</a></li></ul>'
                      '<p>分享到：<a href="/w">微博</a></p>')
    assert _texts(blocks)[-1] == "" or isinstance(blocks[-1], object)
    assert len(blocks) == 3  # the article's two paragraphs and its reference list


def test_photo_beside_share_line_stays() -> None:
    blocks, _ = clean('<div><p><img src="http://a/photo.jpg"></p><p>Share this</p></div>')
    assert [type(b) for b in blocks] == [Figure]


@pytest.mark.parametrize("body", [
    "<p>扫码支付在中国越来越普遍。</p>",  # the post is about it: its one line is no widget
    "<p>I tip the author of this blog.</p>",
    "<div><p>Share this</p></div>",
])
def test_a_post_that_is_only_its_call_keeps_it(body: str) -> None:
    blocks, _ = clean(body)
    assert [type(b) for b in blocks] == [Paragraph]


def test_a_fact_about_qr_codes_at_the_end_stays() -> None:
    blocks, _ = clean("<p>日本的发明很多，这里介绍其中一种，它如今随处可见。</p>"
                      "<p>二维码是日本电装公司在1994年发明的。</p>")
    assert len(blocks) == 2


# ---------------------------------------------------------------- style-only structure


@pytest.mark.parametrize("body", [
    '<p>a <span style="font-weight: bold">b</span> c</p>',
    '<p>a <span style="FONT-WEIGHT:700">b</span> c</p>',
    '<p>a <span style="color:red; font-weight: 600 !important">b</span> c</p>',
    '<p>a <font cms-style="font-L strong-Bold">b</font> c</p>',
    '<p>a <span style="font-weight:bolder">b</span> c</p>',
])
def test_style_bold_is_strong(body: str) -> None:
    (paragraph,), diagnostics = clean(body)
    assert [type(c).__name__ for c in paragraph.children] == ["Text", "Strong", "Text"]
    assert inline_text(paragraph.children[1].children) == "b"
    assert changes(diagnostics, "bold_from_style")


@pytest.mark.parametrize("body", [
    '<p>a <span style="font-weight: normal">b</span> c</p>',
    '<p>a <span style="font-weight: 500">b</span> c</p>',
    '<p>a <span data-style="boldly">b</span> c</p>',
])
def test_other_weights_are_not_bold(body: str) -> None:
    (paragraph,), _ = clean(body)
    assert [type(c).__name__ for c in paragraph.children] == ["Text"]


def test_bold_paragraph_content_wrapped() -> None:
    (paragraph,), _ = clean('<p style="font-weight:bold">一、<a href="https://x.org/">安装</a></p>')
    (strong,) = paragraph.children
    assert type(strong).__name__ == "Strong" and inline_text(strong.children) == "一、安装"


def test_style_bold_in_code_stays_code() -> None:
    (code,), _ = clean('<pre><span style="font-weight:bold">int</span> x;</pre>')
    assert code.text == "int x;"


def _profile(**keys: object) -> SiteProfile:
    return parse_profile({"name": "t", "match": {"hosts": ["example.org"]}, **keys}, "test")


def test_profile_headings_make_subheadings() -> None:
    profile = _profile(headings={".text-sm-title": 3})
    blocks, diagnostics = clean('<p class="text-sm-title">小标题</p><p>正文</p>',
                                {"link": "https://example.org/a"}, (profile,))
    assert type(blocks[0]).__name__ == "Heading" and blocks[0].level == 3
    assert any("subheadings" in d.message for d in diagnostics)


@pytest.mark.parametrize("headings", [{".x": 7}, {".x": "two"}, ["h2"], {"p[": 2}])
def test_profile_bad_headings_refused(headings: object) -> None:
    with pytest.raises(ProfileError, match="headings"):
        _profile(headings=headings)


def test_profile_lang_used_when_text_too_short() -> None:
    profile = _profile(lang="ja_JP")
    assert profile.lang == "ja-JP"
    raw = RawPost({"title": "20話😢", "link": "https://example.org/a"}, "<p>20話😢</p>")
    assert normalise(raw, profiles=(profile,)).metadata.lang == "ja-JP"
    assert normalise(raw, profiles=()).metadata.lang is None
    long_text = "<p>" + "这是一段足够长的中文文本，用来判断语言。" * 3 + "</p>"
    raw = RawPost({"title": "t", "link": "https://example.org/a"}, long_text)
    assert normalise(raw, profiles=(profile,)).metadata.lang == "zh-Hans"


def test_profile_bad_lang_refused() -> None:
    with pytest.raises(ProfileError, match="lang"):
        _profile(lang="not a tag!")


# ---------------------------------------------------------------- small ones


def test_rules_at_the_edges_dropped_inner_kept() -> None:
    raw = RawPost({"title": "t"}, "<hr><p>a</p><hr><p>b</p><hr><hr>")
    doc = normalise(raw, profiles=())
    assert [type(b).__name__ for b in doc.blocks] == ["Paragraph", "Rule", "Paragraph"]
    assert any("horizontal rules" in d.message and d.count == 3 for d in doc.diagnostics)


def test_link_back_removed_by_profile_kept_as_source_url() -> None:
    profile = _profile(remove=[".view-more"])
    body = ('<p>正文</p><div class="view-more"><a href="https://www.example.org/q/1">查看讨论</a>'
            '<a href="https://ads.other.net/x">广告</a></div>')
    doc = normalise(RawPost({"title": "t", "categories": ["x"], "cover":
                             "https://img.example.org/c.jpg"}, body), profiles=(profile,))
    assert doc.metadata.extra["source_url"] == "https://www.example.org/q/1"
    assert "查看讨论" not in plain_text(doc.blocks)
    markdown = MarkdownExporter(ExportOptions()).export([doc]).decode()
    assert "source_url: https://www.example.org/q/1" in markdown.split("\n---\n")[0].splitlines()
    assert load_bytes(JsonExporter(ExportOptions()).export([doc]), "d.json").metadata.extra[
        "source_url"] == "https://www.example.org/q/1"


def test_front_matter_link_wins_over_removed_link() -> None:
    profile = _profile(remove=[".view-more"])
    body = '<p>正文</p><div class="view-more"><a href="https://www.example.org/q/1">x</a></div>'
    doc = normalise(RawPost({"title": "t", "link": "https://example.org/a/9"}, body),
                    profiles=(profile,))
    assert "source_url" not in doc.metadata.extra


def test_link_to_another_site_is_no_source() -> None:
    profile = _profile(remove=[".ad"])
    body = '<p>正文</p><div class="ad"><a href="https://ads.other.net/x">广告</a></div>'
    doc = normalise(RawPost({"title": "t", "cover": "https://example.org/c.jpg"}, body),
                    profiles=(profile,))
    assert "source_url" not in doc.metadata.extra


def test_check_words_each_image_change_apart() -> None:
    _, diagnostics = clean(f'<img src="{PROXY}https://img.host.org/a.jpg">'
                           '<img src="data:," data-src="https://img.host.org/b.jpg">')
    messages = sorted(d.message for d in changes(diagnostics, "resolve_image_sources"))
    assert len(messages) == 2
    assert "proxy" in messages[0] and "lazy" in messages[1]


def test_to_md_on_a_folder_of_to_json_output(tmp_path: Path) -> None:
    post = tmp_path / "post.md"
    post.write_text("---\ntitle: T\n---\n<p>Hello world</p>\n", encoding="utf-8")
    run = [sys.executable, "-m", "convert"]
    subprocess.run([*run, "to-json", str(post), "-o", str(tmp_path / "json") + "/"], check=True,
                   capture_output=True)
    result = subprocess.run([*run, "to-md", str(tmp_path / "json"),
                             "-o", str(tmp_path / "md") + "/"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    (out,) = (tmp_path / "md").glob("*.md")
    assert "Hello world" in out.read_text(encoding="utf-8")


def test_hero_photo_before_share_line_at_head_stays() -> None:
    blocks, _ = clean('<p><img src="http://a/hero.jpg"></p><p>Share this</p>'
                      "<p>The article starts here and goes on for a while.</p>")
    assert [type(b).__name__ for b in blocks] == ["Figure", "Paragraph"]


def test_code_at_the_edge_is_never_a_call_to_action() -> None:
    blocks, diagnostics = clean("<p>正文第一段。</p><pre>// 扫码登录\nlogin()</pre>")
    assert not changes(diagnostics, "remove_calls_to_action")


def test_b_with_normal_weight_is_not_bold() -> None:
    (paragraph,), _ = clean('<b style="font-weight:normal;" id="docs-internal-guid-1">'
                            "<p>plain <b>bold</b></p></b>")
    assert [type(c).__name__ for c in paragraph.children] == ["Text", "Strong"]


_CTA_WORDS = ["打赏", "赞赏", "鼓励作者", "关注公众号", "下载新浪财经APP", "扫码",
              "Buy me a coffee", "Share this", "相关阅读", "相关文章"]
_ARTICLE_CHARS = "这是文章的正文内容我们讨论问题"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet=_ARTICLE_CHARS, min_size=45, max_size=80),
                          st.sampled_from(_CTA_WORDS), st.integers(0, 45)),
                min_size=1, max_size=6))
def test_call_to_action_words_inside_article_paragraphs_stay(paragraphs: list) -> None:
    """However many paragraphs carry such words, wherever: long paragraphs all stay."""
    texts = [text[:at] + word + text[at:] for text, word, at in paragraphs]
    blocks, diagnostics = clean("".join(f"<p>{t}</p>" for t in texts))
    assert not changes(diagnostics, "remove_calls_to_action")
    assert [inline_text(b.children) for b in blocks] == texts


def test_inline_article_text_beside_blocks_counts_as_article() -> None:
    body = ("<div><b>Article text written in a bold run, outside any paragraph.</b>"
            "<p>关注公众号</p><p>第二段。</p></div>")
    blocks, diagnostics = clean(body)
    assert not changes(diagnostics, "remove_calls_to_action")
