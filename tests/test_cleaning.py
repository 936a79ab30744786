"""The normaliser's cleaning rules, each on the smallest input that shows it.

Hidden text, ads and widgets, redirector links and proxies, lazy images, captions,
placeholder covers, site profiles and the ``newsconv check`` command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import html

from convert.model import (
    CodeBlock,
    Diagnostic,
    Embed,
    Figure,
    Image,
    Link,
    Paragraph,
    Table,
    Text,
    inline_text,
)
from convert.normalise import normalise
from convert.normalise.build import Builder, plain_text
from convert.normalise.hidden import contrast, parse_color, remove_hidden
from convert.normalise.html import parse_body
from convert.normalise.metadata import normalise_metadata
from convert.normalise.profiles import (
    ProfileError,
    SiteProfile,
    available_profiles,
    builtin_profiles,
    load_profile,
    parse_profile,
)
from convert.normalise.steps import STEPS, StepContext
from convert.normalise.urls import (
    is_placeholder_cover,
    strip_proxy,
    unwrap_redirect,
)
from convert.reader import RawPost

PROXY = "https://cors.zfour.workers.dev/?"


# ---------------------------------------------------------------- helpers


def clean(body: str, metadata: dict | None = None,
          profiles: tuple[SiteProfile, ...] = ()) -> tuple[list, list[Diagnostic]]:
    """Parse, run every cleaning step, build blocks; returns blocks and diagnostics."""
    root = parse_body(body)
    ctx = StepContext(metadata=dict(metadata or {}), profiles=profiles)
    for step in STEPS:
        step(root, ctx)
    return Builder().build(root), ctx.diagnostics


def build(body: str) -> list:
    return clean(body)[0]


def text(body: str) -> str:
    """The plain text left after cleaning."""
    return plain_text(build(body))


def changes(diagnostics: list[Diagnostic], step: str) -> list[Diagnostic]:
    return [d for d in diagnostics if d.step == step]


def links(blocks: list) -> list[Link]:
    return [n for b in blocks if isinstance(b, Paragraph) for n in b.children
            if isinstance(n, Link)]


def figures(blocks: list) -> list[Figure]:
    return [b for b in blocks if isinstance(b, Figure)]


def images(blocks: list) -> list[Figure | Image]:
    """Block figures and inline images, in order."""
    out: list[Figure | Image] = []
    for b in blocks:
        if isinstance(b, Figure):
            out.append(b)
        elif isinstance(b, Paragraph):
            out += [n for n in b.children if isinstance(n, Image)]
    return out


def image_src(body: str) -> list[str]:
    return [i.src for i in images(build(body))]


# ---------------------------------------------------------------- 1. hidden text


@pytest.mark.parametrize("hidden", [
    '<span style="display:none">SECRET</span>',
    '<span style="DISPLAY: none !important">SECRET</span>',
    '<span style="visibility:hidden">SECRET</span>',
    '<span style="font-size:0">SECRET</span>',
    '<span style="font-size:0px">SECRET</span>',
    '<span style="opacity:0">SECRET</span>',
    '<span hidden>SECRET</span>',
    '<font color="#F8F8F8">SECRET</font>',
    '<font color="F8F8F8">SECRET</font>',  # no '#': browsers still accept it
    '<span style="color:#fff">SECRET</span>',
    '<span style="color:rgb(250,250,250)">SECRET</span>',
    '<span style="color:whitesmoke">SECRET</span>',
    '<span style="color:rgba(0,0,0,0)">SECRET</span>',
    '<div style="display:none"><p>SECRET</p><p>SECRET</p></div>',
])
def test_hidden_text_removed_tail_kept(hidden: str) -> None:
    # (a <div> inside <p> closes the paragraph, so compare words, not layout)
    assert text(f"<p>before {hidden} after</p>").split() == ["before", "after"]


def test_hidden_input_removed() -> None:
    blocks, diagnostics = clean('<p>a<input type="hidden" name="t" value="SECRET">b</p>')
    assert plain_text(blocks) == "ab"
    assert changes(diagnostics, "drop_non_content")


def test_mitbbs_watermark_removed() -> None:
    body = '<p>第一段。<font color="#F8F8F8">Mitbbs.com</font></p><p>第二段。</p>'
    assert text(body) == "第一段。\n第二段。"


@pytest.mark.parametrize("visible", [
    '<span style="color:#999">grey</span>',
    '<font color="#999999">grey</font>',
    '<span style="color:#000">black</span>',
    '<span style="color:black">black</span>',
    '<font color="red">red</font>',
    '<span style="color:red">red</span>',
    '<span style="color:rgba(0,0,0,0.8)">dim black</span>',
    '<span style="background:#222;color:#fff">white on dark</span>',
    '<span style="background: url(x.png) #000 no-repeat; color: #fff">white on dark</span>',
    '<span style="font-size:12px">small</span>',
    '<span style="opacity:0.5">half</span>',
    '<span style="color:inherit">inherit</span>',
])
def test_visible_text_kept(visible: str) -> None:
    expected = "".join(html.fromstring(visible).itertext())
    assert text(f"<p>{visible}</p>") == expected


def test_white_text_on_dark_table_cell_kept() -> None:
    body = ('<table><tr><td bgcolor="#000"><span style="color:#fff">white on black</span>'
            '</td></tr></table>')
    assert "white on black" in text(body)


def test_white_text_in_dark_ancestor_kept() -> None:
    body = '<div style="background-color:#222"><p><span style="color:#fff">kept</span></p></div>'
    assert text(body) == "kept"


def test_translucent_background_blends_over_the_one_behind() -> None:
    body = ('<div style="background:#000"><span style="background:rgba(255,255,255,0.1);'
            'color:#fff">kept</span></div>')
    assert text(body) == "kept"


def test_light_text_on_light_ancestor_removed() -> None:
    body = ('<div style="background-color:#000"><div style="background:#fff">'
            '<p>a<span style="color:#fafafa">SECRET</span></p></div></div>')
    assert text(body) == "a"


@pytest.mark.parametrize("value, rgb, alpha", [
    ("#fff", (1.0, 1.0, 1.0), 1.0),
    ("#FFFFFF", (1.0, 1.0, 1.0), 1.0),
    ("F8F8F8", (248 / 255,) * 3, 1.0),
    ("#000", (0.0, 0.0, 0.0), 1.0),
    ("rgb(255, 0, 0)", (1.0, 0.0, 0.0), 1.0),
    ("rgb(100%, 0%, 0%)", (1.0, 0.0, 0.0), 1.0),
    ("rgba(0,0,0,0)", (0.0, 0.0, 0.0), 0.0),
    ("rgba(0 0 0 / 50%)", (0.0, 0.0, 0.0), 0.5),
    ("#00000080", (0.0, 0.0, 0.0), 128 / 255),
    ("whitesmoke", (245 / 255,) * 3, 1.0),
    (" Red ", (1.0, 0.0, 0.0), 1.0),
    ("transparent", (1.0, 1.0, 1.0), 0.0),
])
def test_parse_color(value: str, rgb: tuple, alpha: float) -> None:
    parsed = parse_color(value)
    assert parsed is not None
    assert parsed[0] == pytest.approx(rgb)
    assert parsed[1] == pytest.approx(alpha)


@pytest.mark.parametrize("value", ["", "inherit", "none", "#ggg", "rgb(a,b,c)", "rgb(1,2)",
                                   "notacolor"])
def test_parse_color_unknown(value: str) -> None:
    assert parse_color(value) is None


def test_contrast() -> None:
    white, black = (1.0, 1.0, 1.0), (0.0, 0.0, 0.0)
    assert contrast(black, white) == pytest.approx(21.0)
    assert contrast(white, black) == pytest.approx(21.0)  # symmetric
    assert contrast(white, white) == pytest.approx(1.0)
    f8 = parse_color("#F8F8F8")[0]
    grey = parse_color("#999")[0]
    assert contrast(f8, white) == pytest.approx(1.06, abs=0.01)
    assert contrast(grey, white) == pytest.approx(2.85, abs=0.01)


def test_remove_hidden_reports_count_and_sample() -> None:
    root = parse_body('<p>a<span style="display:none">one</span>b'
                      '<font color="#F8F8F8">Mitbbs.com</font></p>'
                      '<div hidden><span style="display:none">nested</span></div>')
    ctx = StepContext()
    remove_hidden(root, ctx)
    (diag,) = ctx.diagnostics
    assert (diag.level, diag.step) == ("change", "remove_hidden")
    assert diag.count == 3  # the nested one is inside a removed one
    assert diag.sample and "one" in diag.sample and "Mitbbs.com" in diag.sample
    assert "".join(root.itertext()) == "ab"


def test_remove_hidden_reports_nothing_when_nothing_hidden() -> None:
    ctx = StepContext()
    remove_hidden(parse_body('<p style="color:#333">text</p>'), ctx)
    assert ctx.diagnostics == []


def test_empty_font_size_declaration_is_not_zero() -> None:
    assert text('<p><span style="font-size:">keep me</span></p>') == "keep me"


def test_child_with_own_visible_colour_kept() -> None:
    body = '<p style="color:#fff">SECRET<span style="color:red">important</span></p>'
    assert text(body) == "important"


# ---------------------------------------------------------------- 2. ads and widgets


def test_mitbbs_ad_block_across_levels() -> None:
    body = ('<p>text<br><!--广告画开始--></p><div><table><tr><td>'
            '<ins class="adsbygoogle"></ins>AD</td></tr></table></div>'
            '<!--广告画结束--><p>after</p>')
    blocks, diagnostics = clean(body)
    assert plain_text(blocks) == "text\nafter"
    assert not [b for b in blocks if isinstance(b, Table)]
    (diag,) = changes(diagnostics, "remove_ad_blocks")
    assert diag.count == 1 and diag.sample == "AD"


def test_english_ad_comments() -> None:
    body = "<p>one</p><!-- ad start --><div>BUY NOW</div><p>CHEAP</p><!-- ad end --><p>two</p>"
    assert text(body) == "one\ntwo"


def test_ad_text_inside_start_parent_after_comment_removed() -> None:
    body = "<div>keep <!-- 广告开始 -->AD<p>AD</p><!-- 广告结束 --> kept too</div>"
    assert text(body) == "keep kept too"


@pytest.mark.parametrize("inside", ["<!--x-->", "<!--x--><div>AD</div><?pi x?>",
                                    "<div>AD<!--x--></div><!---->"])
def test_comments_inside_an_ad_block_go_with_it(inside: str) -> None:
    body = f"<p>one</p><!--广告开始-->{inside}<!--广告结束--><p>two</p>"
    assert text(body) == "one\ntwo"


@pytest.mark.parametrize("comment", ["header start", "load start", "start of article",
                                     "main content start"])
def test_other_start_comments_remove_nothing(comment: str) -> None:
    body = f"<p>one</p><!-- {comment} --><p>two</p><!-- ad end --><p>three</p>"
    assert text(body) == "one\ntwo\nthree"


def test_ad_start_without_end_removes_nothing() -> None:
    assert text("<p>one</p><!-- ad start --><p>two</p>") == "one\ntwo"


def test_copy_code_button_inside_code_removed_code_kept() -> None:
    blocks = build('<pre><code>print(1)<span class="copy-code-btn">复制代码</span></code></pre>')
    assert blocks == [CodeBlock("print(1)")]


@pytest.mark.parametrize("widget", [
    '<div class="share-bar"><a href="https://weibo.com/share">微博</a> 微信</div>',
    '<div id="social-share">分享 to Twitter</div>',
    '<div class="post-reward"><span>喜欢就打赏作者</span></div>',
    '<div class="dashang">赏</div>',
    '<div class="qrcode"><img src="https://x.org/qr.png"><p>扫码关注</p></div>',
    '<span>复制代码</span>',
    '<button>打赏</button>',
    '<a href="#">分享到：</a>',
    '<form action="/subscribe">Subscribe: <input name="email"></form>',
    '<ins class="adsbygoogle" data-ad-slot="1">AD</ins>',
    '<div class="ad">AD</div>',
])
def test_widgets_removed(widget: str) -> None:
    blocks = build(f"<p>before</p>{widget}<p>after</p>")
    assert plain_text(blocks) == "before\nafter"
    assert images(blocks) == []


@pytest.mark.parametrize("kept", [
    "<p>欢迎把这篇文章分享给朋友。</p>",
    "<p>他分享了自己的经历</p>",
    '<p class="shared-story">shared</p>',
    '<div class="header"><p>head</p></div>',
    '<p class="lead">lead</p>',
])
def test_article_text_about_sharing_kept(kept: str) -> None:
    assert text(kept) == "".join(html.fromstring(kept).itertext())


def test_widget_removal_reported() -> None:
    _, diagnostics = clean('<p>a</p><div class="share">微博</div>')
    (diag,) = changes(diagnostics, "remove_widgets")
    assert diag.count == 1 and diag.sample == "微博"


@pytest.mark.parametrize("body, expected", [
    ("<p>Click <b>Copy</b> to copy the link.</p>", "Click Copy to copy the link."),
    ("<p>点击<b>复制</b>按钮</p>", "点击复制按钮"),
])
def test_label_word_inside_a_sentence_kept(body: str, expected: str) -> None:
    assert text(body) == expected


# ---------------------------------------------------------------- 3. links


@pytest.mark.parametrize("href, target", [
    ("https://links.jianshu.com/go?to=https%3A%2F%2Fgithub.com%2Fa%2Fb",
     "https://github.com/a/b"),
    ("https://links.jianshu.com/go?to=https%253A%252F%252Fgithub.com%252Fa%253Fx%253D1",
     "https://github.com/a?x=1"),
    ("https://link.zhihu.com/?target=https%3A//www.python.org/", "https://www.python.org/"),
    ("https://link.zhihu.com/?target=http%3A%2F%2Fexample.org%2Fp",
     "http://example.org/p"),
    ("https://www.oschina.net/action/GoToLink?url=https%3A%2F%2Fgitee.com%2Fx",
     "https://gitee.com/x"),
    ("https://link.juejin.cn/?target=https%3A%2F%2Fvuejs.org", "https://vuejs.org"),
])
def test_redirector_links_unwrapped(href: str, target: str) -> None:
    assert unwrap_redirect(href) == target
    blocks, diagnostics = clean(f'<p><a href="{href}">link</a></p>')
    assert links(blocks) == [Link(target, [Text("link")])]
    assert changes(diagnostics, "unwrap_links")[0].message == "unwrapped redirector links"


@pytest.mark.parametrize("url", [
    "https://example.com/search?url=https://other.org/",
    "https://example.com/page?to=https%3A%2F%2Fother.org",
    "https://links.jianshu.com/go?to=not-a-url",
    "https://links.jianshu.com/go",
    "mailto:a@links.jianshu.com?to=https://x.org/",
    "javascript:go('https://links.jianshu.com/go?to=https://x.org')",
    "ftp://links.jianshu.com/go?to=https%3A%2F%2Fx.org",
    "/relative/go?to=https%3A%2F%2Fx.org",
])
def test_other_links_left_alone(url: str) -> None:
    assert unwrap_redirect(url) == url


def test_normal_link_with_url_parameter_unchanged_in_output() -> None:
    href = "https://example.com/search?url=https://other.org/"
    blocks, diagnostics = clean(f'<p><a href="{href}">s</a></p>')
    assert links(blocks) == [Link(href, [Text("s")])]
    assert changes(diagnostics, "unwrap_links") == []


@pytest.mark.parametrize("href", ["javascript:void(0)", "JavaScript:alert(1)",
                                  " javascript:x()", "vbscript:x", "data:text/html,x"])
def test_unsafe_links_dropped_text_kept(href: str) -> None:
    blocks = build(f'<p>a <a href="{href}">b</a> c</p>')
    assert links(blocks) == []
    assert plain_text(blocks) == "a b c"


def test_protocol_relative_link_becomes_https() -> None:
    assert links(build('<p><a href="//x.org/a">d</a></p>')) == [Link("https://x.org/a",
                                                                      [Text("d")])]


def test_protocol_relative_redirector_unwrapped() -> None:
    blocks = build('<p><a href="//link.zhihu.com/?target=https%3A//x.org/">d</a></p>')
    assert links(blocks)[0].href == "https://x.org/"


@pytest.mark.parametrize("url, expected", [
    (PROXY + "http://host/a.jpg", PROXY + "http://host/a.jpg"),  # https never downgraded
    ("http://cors.example.dev/?http://host/a.jpg", "http://host/a.jpg"),
    ("https://cors.example.dev?https://host/a.jpg", "https://host/a.jpg"),
    (PROXY + "//host/a.jpg", "https://host/a.jpg"),
    ("https://host/a.jpg?x=1", "https://host/a.jpg?x=1"),
    ("https://host/page?next=https://b", "https://host/page?next=https://b"),
])
def test_strip_proxy(url: str, expected: str) -> None:
    assert strip_proxy(url) == expected


def test_proxied_image_src_stripped() -> None:
    assert image_src(f'<img src="{PROXY}https://host/a.jpg">') == ["https://host/a.jpg"]


def test_proxied_video_src_and_poster_stripped() -> None:
    blocks, diagnostics = clean(f'<video src="{PROXY}https://host/v.mp4" '
                                f'poster="{PROXY}https://host/p.jpg"></video>')
    assert blocks == [Embed("https://host/v.mp4", "video", "", "https://host/p.jpg")]
    (diag,) = [d for d in changes(diagnostics, "unwrap_links") if "proxy" in d.message]
    assert diag.count == 2


def test_proxied_source_inside_video_stripped() -> None:
    blocks = build(f'<video><source src="{PROXY}https://host/v.mp4"></video>')
    assert [b.src for b in blocks if isinstance(b, Embed)] == ["https://host/v.mp4"]


# ---------------------------------------------------------------- 4. images


@pytest.mark.parametrize("attrs", [
    'data-original-src="//upload.example.com/a.png"',
    'data-original="https://upload.example.com/a.png"',
    'data-src="https://upload.example.com/a.png"',
    'data-actualsrc="https://upload.example.com/a.png"',
    '_src="https://upload.example.com/a.png"',
    'src="" data-src="https://upload.example.com/a.png"',
    'src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="https://upload.example.com/a.png"',
    'src="https://www.jianshu.com/p/undefined" '
    'data-original-src="https://upload.example.com/a.png"',
    'src="about:blank" data-original="https://upload.example.com/a.png"',
    'src="data:image/svg+xml;utf8,<svg/>" data-src="data:image/png;base64,AA==" '
    '_src="https://upload.example.com/a.png"',
])
def test_lazy_image_source_resolved(attrs: str) -> None:
    blocks, diagnostics = clean(f'<img {attrs} alt="the alt">')
    (figure,) = figures(blocks)
    assert figure.src == "https://upload.example.com/a.png"
    assert figure.alt == "the alt"
    assert changes(diagnostics, "resolve_image_sources")[0].count == 1


def test_lazy_attribute_precedence() -> None:
    body = ('<img data-src="https://x.org/small.png" '
            'data-original-src="https://x.org/original.png">')
    assert image_src(body) == ["https://x.org/original.png"]


@pytest.mark.parametrize("attr", ["srcset", "data-srcset"])
def test_srcset_largest_wins(attr: str) -> None:
    body = (f'<img {attr}="https://x.org/320.jpg 320w, https://x.org/1024.jpg 1024w, '
            f'https://x.org/640.jpg 640w">')
    assert image_src(body) == ["https://x.org/1024.jpg"]


def test_srcset_density_descriptors() -> None:
    body = ('<img src="data:image/gif;base64,AA==" srcset="https://x.org/1x.jpg, '
            'https://x.org/2x.jpg 2x, https://x.org/1.5x.jpg 1.5x">')
    assert image_src(body) == ["https://x.org/2x.jpg"]


def test_srcset_placeholder_candidate_skipped() -> None:
    body = '<img srcset="https://x.org/a.jpg 1x, https://x.org/p/undefined 2x">'
    assert image_src(body) == ["https://x.org/a.jpg"]


@pytest.mark.parametrize("srcset, expected", [
    ("data:image/gif;base64,R0lGODlhAQABAAAAACw=", []),
    ("https://x.org/a.jpg 1x, data:image/gif;base64,R0lGODlhAQABAAAAACw= 2x",
     ["https://x.org/a.jpg"]),
])
def test_srcset_data_url_with_comma(srcset: str, expected: list[str]) -> None:
    assert image_src(f'<img srcset="{srcset}">') == expected


def test_real_src_kept_over_srcset() -> None:
    body = '<img src="https://x.org/a.jpg" srcset="https://x.org/b.jpg 2x">'
    assert image_src(body) == ["https://x.org/a.jpg"]


@pytest.mark.parametrize("img", [
    "<img>",
    '<img src="">',
    '<img src="  ">',
    '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">',
    '<img src="https://www.jianshu.com/p/undefined">',
    '<img src="https://x.org/null">',
    '<img src="javascript:alert(1)">',
    '<img src="#">',
])
def test_image_without_real_source_dropped(img: str) -> None:
    blocks, diagnostics = clean(f"<p>a{img}b</p>")
    assert images(blocks) == []
    assert plain_text(blocks) == "ab"
    (diag,) = [d for d in changes(diagnostics, "resolve_image_sources")
               if d.message.startswith("dropped")]
    assert diag.count == 1


def test_dropped_image_keeps_alt_text() -> None:
    blocks, diagnostics = clean('<p>see <img src="" alt="the wiring diagram"> here</p>')
    assert "the wiring diagram" in plain_text(blocks)
    (diag,) = [d for d in changes(diagnostics, "resolve_image_sources")
               if d.message.startswith("dropped")]
    assert diag.sample == "the wiring diagram"


# ---------------------------------------------------------------- 5. captions


JIANSHU_IMAGE = ('<div class="image-package"><div class="image-container">'
                 '<div class="image-view"><img src="https://x/a.png"></div></div>'
                 '<div class="image-caption">说明</div></div>')


def test_jianshu_caption_attached() -> None:
    blocks, diagnostics = clean(JIANSHU_IMAGE)
    assert blocks == [Figure("https://x/a.png", "", [Text("说明")])]
    assert changes(diagnostics, "attach_captions")[0].count == 1


def test_jianshu_lazy_image_with_caption() -> None:
    body = JIANSHU_IMAGE.replace('src="https://x/a.png"',
                                 'data-original-src="//upload-images.jianshu.io/a.png"')
    assert build(body) == [Figure("https://upload-images.jianshu.io/a.png", "",
                                  [Text("说明")])]


def test_caption_after_text_and_image_not_attached() -> None:
    body = ('<div><p>look at this <img src="https://x/a.png"></p>'
            '<div class="image-caption">说明</div></div>')
    blocks = build(body)
    assert [f.caption for f in figures(blocks)] == [[]]
    assert blocks[-1] == Paragraph([Text("说明")])


def test_caption_after_two_images_not_attached() -> None:
    body = ('<div><img src="https://x/a.png"><img src="https://x/b.png"></div>'
            '<p class="caption">说明</p>')
    blocks = build(body)
    assert all(not f.caption for f in figures(blocks))
    assert "说明" in plain_text(blocks)


def test_caption_not_attached_across_text() -> None:
    body = '<div><img src="https://x/a.png"></div>between<p class="caption">说明</p>'
    blocks = build(body)
    assert all(not f.caption for f in figures(blocks))
    assert "between" in plain_text(blocks) and "说明" in plain_text(blocks)


def test_figcaption_inside_figure() -> None:
    body = '<figure><img src="https://x/a.png" alt="a"><figcaption>说明</figcaption></figure>'
    assert build(body) == [Figure("https://x/a.png", "a", [Text("说明")])]


def test_wordpress_caption_text() -> None:
    body = '<p><img src="https://x/a.png"></p><p class="wp-caption-text">A <b>cat</b></p>'
    (figure,) = build(body)
    assert isinstance(figure, Figure) and inline_text(figure.caption) == "A cat"


# ---------------------------------------------------------------- 6. covers


@pytest.mark.parametrize("cover", [
    "https://picsum.photos/400/300",
    "https://picsum.photos/seed/x/800/600?random=1",
    "https://www.jianshu.com/p/undefined",
    "https://www.zhihu.com/equation?tex=x%5E2",
    PROXY + "https://picsum.photos/200",
    "data:image/png;base64,AA==",
])
def test_placeholder_cover_ignored(cover: str) -> None:
    metadata, diagnostics = normalise_metadata({"title": "t", "headimg": cover}, "text")
    assert metadata.cover is None
    assert [d.message for d in diagnostics if d.level == "warning"] == [
        "placeholder cover ignored"]


@pytest.mark.parametrize("cover, expected", [
    (PROXY + "https://upload-images.jianshu.io/a.jpg", "https://upload-images.jianshu.io/a.jpg"),
    ("https://pic1.zhimg.com/v2-abc.jpg", "https://pic1.zhimg.com/v2-abc.jpg"),
    ("//cdn.example.com/cover.png", "https://cdn.example.com/cover.png"),
    ("https://example.com/img?tex=1", "https://example.com/img?tex=1"),
])
def test_real_cover_kept(cover: str, expected: str) -> None:
    metadata, diagnostics = normalise_metadata({"title": "t", "thumbnail": cover}, "text")
    assert metadata.cover == expected
    assert not [d for d in diagnostics if "cover" in d.message]


def test_is_placeholder_cover() -> None:
    assert is_placeholder_cover("https://www.picsum.photos/1")
    assert is_placeholder_cover("https://via.placeholder.com/150")
    assert not is_placeholder_cover("https://notpicsum.photos/1")
    assert not is_placeholder_cover("https://example.com/equation.png")


# ---------------------------------------------------------------- 7. site profiles


@pytest.fixture
def no_user_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the user config directory at an empty folder."""
    config = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    return config


BASE = {"name": "mine", "match": {"authors": ["Someone"]}}


@pytest.mark.parametrize("data, problem", [
    ({**BASE, "colour": "red"}, "unknown key 'colour'"),
    ({"match": {"authors": ["x"]}}, "'name' is required"),
    ({**BASE, "name": "  "}, "'name' is required"),
    ({"name": "mine"}, "'match' needs"),
    ({"name": "mine", "match": {}}, "'match' needs"),
    ({"name": "mine", "match": {"authors": []}}, "'match' needs"),
    ({"name": "mine", "match": {"sites": ["x"]}}, "'match' takes"),
    ({**BASE, "remove": ["div["]}, "bad CSS selector 'div['"),
    ({**BASE, "captions": ["p:nosuchpseudo"]}, "bad CSS selector"),
    ({**BASE, "remove_text": ["(unclosed"]}, "bad pattern '(unclosed'"),
    ({**BASE, "remove": [1, 2]}, "expected a string or a list of strings"),
    ({**BASE, "base_url": "www.example.com"}, "base_url must be an absolute http(s) URL"),
    (["name", "mine"], "a profile is a YAML mapping"),
    (None, "a profile is a YAML mapping"),
])
def test_parse_profile_errors_name_the_origin(data: object, problem: str) -> None:
    with pytest.raises(ProfileError) as info:
        parse_profile(data, "somewhere/mine.yaml")
    message = str(info.value)
    assert message.startswith("somewhere/mine.yaml: ")
    assert problem in message
    assert "\n" not in message


@pytest.mark.parametrize("content, problem", [
    ("name: [unclosed\n", "not valid YAML"),
    ("name: mine\nmatch: {authors: [x]}\nbogus: 1\n", "unknown key 'bogus'"),
    ("", "a profile is a YAML mapping"),
])
def test_load_profile_bad_file(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert str(info.value).startswith(f"{path}: ")
    assert problem in str(info.value)


def test_load_profile_missing_or_undecodable_file(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="nothere.yaml"):
        load_profile(tmp_path / "nothere.yaml")
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(ProfileError, match="latin1.yaml: not valid YAML"):
        load_profile(path)


CUSTOM = """\
name: example
description: example.com — a test profile
match:
  authors: [示例作者]
  categories: [示例分类]
  hosts: [example.com]
remove:
  - .promo
captions:
  - .pic-note
remove_text:
  - 'Example\\.com'
"""


@pytest.fixture
def custom(tmp_path: Path) -> SiteProfile:
    path = tmp_path / "example.yaml"
    path.write_text(CUSTOM, encoding="utf-8")
    return load_profile(path)


BODY = ('<p>正文</p><div class="promo">PROMO</div><p>Example.com</p>'
        '<p>访问 Example.com 了解</p>')


@pytest.mark.parametrize("metadata, image", [
    ({"author": "示例作者"}, "https://other.org/a.png"),
    ({"authors": ["别人", "示例作者"]}, "https://other.org/a.png"),
    ({"categories": ["新闻", "示例分类"]}, "https://other.org/a.png"),
    ({"categories": [["新闻", "示例分类"]]}, "https://other.org/a.png"),
    ({}, "https://example.com/a.png"),
    ({}, "https://img.cdn.EXAMPLE.com/a.png"),
    ({"link": "https://www.example.com/post/1"}, "https://other.org/a.png"),
])
def test_custom_profile_matches(custom: SiteProfile, metadata: dict, image: str) -> None:
    blocks, diagnostics = clean(f'{BODY}<img src="{image}">', metadata, (custom,))
    assert plain_text(blocks) == "正文\n访问 Example.com 了解"
    assert [d.message for d in diagnostics if d.step == "profile:example"] == [
        "removed site furniture", "removed site text", "applied site profile 'example'"]


@pytest.mark.parametrize("metadata, image", [
    ({"author": "别人", "categories": ["新闻"]}, "https://other.org/a.png"),
    ({}, "https://notexample.com/a.png"),
    ({}, "https://example.com.evil.org/a.png"),
    ({"categories": ["示例作者"]}, "https://other.org/a.png"),  # author name as category
])
def test_custom_profile_not_matched(custom: SiteProfile, metadata: dict, image: str) -> None:
    blocks, diagnostics = clean(f'{BODY}<img src="{image}">', metadata, (custom,))
    assert plain_text(blocks) == "正文\nPROMO\nExample.com\n访问 Example.com 了解"
    assert not [d for d in diagnostics if d.step.startswith("profile:")]


def test_profile_remove_text_whole_piece_only(custom: SiteProfile) -> None:
    body = ('<p>a<font>Example.com</font>b</p><p>c <i> Example.com </i></p>'
            '<p>Example.com!</p>')
    blocks, diagnostics = clean(body, {"author": "示例作者"}, (custom,))
    assert plain_text(blocks) == "ab\nc\nExample.com!"
    (diag,) = [d for d in diagnostics if d.message == "removed site text"]
    assert diag.count == 2 and diag.sample == "Example.com | Example.com"


def test_profile_caption_selector(custom: SiteProfile) -> None:
    body = '<div><img src="https://x.org/a.png"></div><div class="pic-note">说明</div>'
    assert build(body) != [Figure("https://x.org/a.png", "", [Text("说明")])]  # no profile
    blocks, _ = clean(body, {"author": "示例作者"}, (custom,))
    assert blocks == [Figure("https://x.org/a.png", "", [Text("说明")])]


def test_builtin_mitbbs_profile_on_real_shape() -> None:
    body = ('<p>新闻正文。<br>Mitbbs.com</p>'
            '<table><tr><td><ins class="adsbygoogle"></ins></td></tr></table><p>下一段。</p>')
    blocks, diagnostics = clean(body, {"author": "未名新闻"}, builtin_profiles())
    assert plain_text(blocks) == "新闻正文。\n下一段。"
    assert any(d.message == "applied site profile 'mitbbs'" for d in diagnostics)


def test_profile_base_url_resolves_relative_urls() -> None:
    profile = parse_profile({**BASE, "base_url": "https://www.example.com/news/"}, "p.yaml")
    body = ('<p><a href="/about">a</a> <a href="#top">t</a> <a href="mailto:x@y.org">m</a></p>'
            '<img src="img/a.png">')
    blocks, _ = clean(body, {"author": "Someone"}, (profile,))
    assert [link.href for link in links(blocks)] == ["https://www.example.com/about", "#top",
                                                    "mailto:x@y.org"]
    assert [f.src for f in figures(blocks)] == ["https://www.example.com/news/img/a.png"]


def test_post_url_wins_over_profile_base_url() -> None:
    profile = parse_profile({**BASE, "base_url": "https://profile.example/"}, "p.yaml")
    raw = RawPost(metadata={"title": "t", "author": "Someone",
                            "link": "https://post.example/2021/x.html"},
                  body='<p><a href="y.html">y</a></p>')
    doc = normalise(raw, profiles=(profile,))
    assert [link.href for link in links(doc.blocks)] == ["https://post.example/2021/y.html"]


def test_every_builtin_profile_parses_and_is_described() -> None:
    profiles = builtin_profiles()
    names = {p.name for p in profiles}
    assert {"jianshu", "juejin", "mitbbs", "zhihu", "sspai", "dribbble"} <= names
    assert len(names) == len(profiles)
    for profile in profiles:
        assert profile.description, profile.name
        assert profile.origin == f"built-in:{profile.name}.yaml"
        assert profile.authors or profile.categories or profile.hosts


def test_extra_profile_replaces_builtin_of_same_name(tmp_path: Path,
                                                      no_user_profiles: Path) -> None:
    path = tmp_path / "my-mitbbs.yaml"
    path.write_text("name: mitbbs\ndescription: mine\nmatch: {hosts: [mitbbs.example]}\n",
                    encoding="utf-8")
    builtin = available_profiles()
    replaced = available_profiles([path])
    assert [p.name for p in replaced].count("mitbbs") == 1
    (mine,) = [p for p in replaced if p.name == "mitbbs"]
    assert (mine.origin, mine.description, mine.hosts) == (str(path), "mine",
                                                          ("mitbbs.example",))
    assert {p.name for p in replaced} == {p.name for p in builtin}


def test_user_profile_folder_is_read(no_user_profiles: Path) -> None:
    folder = no_user_profiles / "newsconv" / "profiles"
    folder.mkdir(parents=True)
    (folder / "extra.yaml").write_text("name: extra\nmatch: {authors: [x]}\n", encoding="utf-8")
    assert "extra" in {p.name for p in available_profiles()}


def test_normalise_reports_applied_profile(custom: SiteProfile) -> None:
    raw = RawPost(metadata={"title": "t", "author": "示例作者"}, body="<p>正文</p>")
    doc = normalise(raw, profiles=(custom,))
    assert any(d.level == "change" and d.message == "applied site profile 'example'"
               for d in doc.diagnostics)
    doc = normalise(RawPost(metadata={"title": "t"}, body="<p>正文</p>"), profiles=(custom,))
    assert not any("applied site profile" in d.message for d in doc.diagnostics)


# ---------------------------------------------------------------- 8. newsconv check


WATERMARKED = """---
title: 水印
author: 某站
---
<p>第一段。<font color="#F8F8F8">Mitbbs.com</font></p><p>第二段。</p>
"""

EMPTY = """---
title: 空
---
<div><script>x()</script></div>
"""


def newsconv(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(home / "config")}
    return subprocess.run([sys.executable, "-m", "convert", *args], capture_output=True,
                          text=True, timeout=60, env=env, cwd=home)


def test_check_lists_hidden_text_removal(tmp_path: Path) -> None:
    post = tmp_path / "w.md"
    post.write_text(WATERMARKED, encoding="utf-8")
    run = newsconv("check", str(post), home=tmp_path)
    assert run.returncode == 0, run.stderr
    line = next(x for x in run.stdout.splitlines() if "remove_hidden" in x)
    assert "Mitbbs.com" in line

    run = newsconv("check", "--json", str(post), home=tmp_path)
    assert run.returncode == 0, run.stderr
    (report,) = json.loads(run.stdout)
    assert report["errors"] == []
    (change,) = [c for c in report["changes"] if c["step"] == "remove_hidden"]
    assert change["count"] == 1 and change["sample"] == "Mitbbs.com"


def test_check_empty_body_fails(tmp_path: Path) -> None:
    empty, good = tmp_path / "empty.md", tmp_path / "good.md"
    empty.write_text(EMPTY, encoding="utf-8")
    good.write_text(WATERMARKED, encoding="utf-8")
    run = newsconv("check", "--json", str(empty), str(good), home=tmp_path)
    assert run.returncode == 1
    reports = {Path(r["path"]).name: r for r in json.loads(run.stdout)}
    assert any("empty body" in e for e in reports["empty.md"]["errors"])
    assert reports["good.md"]["errors"] == []
    run = newsconv("check", str(empty), home=tmp_path)
    assert run.returncode == 1
    assert "error: empty body" in run.stdout


def test_profiles_command_lists_builtins(tmp_path: Path) -> None:
    run = newsconv("profiles", home=tmp_path)
    assert run.returncode == 0, run.stderr
    listed = {line.split()[0] for line in run.stdout.splitlines()
              if line.strip() and not line.startswith((" ", "("))}
    assert {"dribbble", "jianshu", "juejin", "mitbbs", "sspai", "zhihu"} <= listed
    assert "built-in:mitbbs.yaml" in run.stdout


@pytest.mark.parametrize("command", ["check", "profiles", "to-md"])
def test_bad_profile_file_is_usage_error(tmp_path: Path, command: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nmatch: {authors: [x]}\nremove: ['div[']\n", encoding="utf-8")
    post = tmp_path / "w.md"
    post.write_text(WATERMARKED, encoding="utf-8")
    args = ["--profile", str(bad)] + ([] if command == "profiles" else [str(post)])
    run = newsconv(command, *args, home=tmp_path)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and "bad CSS selector" in lines[0]
    assert run.stdout == ""



# ---------------------------------------------------------------- linear-time rewrites


def test_outermost_keeps_only_elements_not_inside_another() -> None:
    from convert.normalise.context import outermost

    root = html.fromstring("<div><p id=a><b id=b>x</b></p><p id=c><i id=d>y</i></p></div>")
    found = [root.get_element_by_id(i) for i in ("b", "a", "d")]
    assert [el.get("id") for el in outermost(found)] == ["a", "d"]


def test_iter_events_in_document_order() -> None:
    from convert.normalise.context import iter_events

    root = html.fromstring("<div>a<b>b</b>c<!--d-->e</div>")
    events = [(kind, el.tag if isinstance(el.tag, str) else "comment")
              for kind, el in iter_events(root)]
    assert events == [("start", "div"), ("text", "div"), ("start", "b"), ("text", "b"),
                      ("end", "b"), ("tail", "b"), ("start", "comment"), ("text", "comment"),
                      ("end", "comment"), ("tail", "comment"), ("end", "div")]


def test_several_ad_blocks_removed_in_one_walk() -> None:
    blocks, diagnostics = clean(
        "<div><p>one</p><!--广告开始--><p>ad 1</p><!--广告结束--><p>two</p>"
        "<section><!-- ad start -->ad 2 text<b>ad 2</b><!-- ad end -->three</section>"
        "<!--广告开始--><div><p>ad 3</p></div><!--广告结束--></div><p>four</p>")
    assert [inline_text(b.children) for b in blocks] == ["one", "two", "three", "four"]
    report = next(d for d in diagnostics if d.step == "remove_ad_blocks")
    assert report.count == 3 and "ad 1" in report.sample


@pytest.mark.parametrize("value", ["rgb(", "rgb(rgb(1,2,3)", "rgba(  10%  ,", "rgb(var(--x))"])
def test_colour_tokens_of_broken_rgb_values(value: str) -> None:
    from convert.normalise.hidden import _color_tokens

    tokens = _color_tokens(value)
    assert all(parse_color(t) is not None or t.isalpha() for t in tokens if "rgb" in t)
    assert _color_tokens("url(x.png) rgb(1, 2, 3) no-repeat #fff")[:2] == ["rgb(1, 2, 3)", "#fff"]


@pytest.mark.parametrize(("size", "zero"), [("0", True), ("0px", True), ("0.0em", True),
                                            (".0", True), ("00.", True), ("0.5px", False),
                                            ("10px", False), ("0" * 5000 + "1", False)])
def test_zero_font_size(size: str, zero: bool) -> None:
    from convert.normalise.hidden import _ZERO

    assert bool(_ZERO.match(size)) is zero


def test_background_carried_down_nested_elements() -> None:
    # White text on a dark background set three levels up is visible; on the light
    # half-transparent layer above white it is not.
    shown = ('<div style="background:#000"><div><div><font color="#fff">shown</font>'
             '</div></div></div>')
    hidden = ('<div style="background-color: rgba(250,250,250,0.5)"><span><font color="#fff">'
              'gone</font></span></div><p>kept</p>')
    assert [inline_text(b.children) for b in build(shown)] == ["shown"]
    assert [inline_text(b.children) for b in build(hidden)] == ["kept"]


def test_visible_colour_deep_inside_invisible_text_kept() -> None:
    body = ('<font color="#fefefe">mark<span>more mark<b><font color="#000">deep'
            '</font></b> tail mark</span> end mark</font>')
    assert [inline_text(b.children) for b in build(body)] == ["deep"]


def test_caption_after_a_big_element_is_not_its_images_caption() -> None:
    big = "<div>" + "<span></span>" * 40 + "<img src='https://e.x/a.png'></div>"
    blocks = build(big + "<p class='caption'>not a caption</p>")
    assert not any(isinstance(b, Figure) and b.caption for b in blocks)


def test_profile_matching_survives_self_containing_lists() -> None:
    from convert.normalise.profiles import _flat_strings

    loop: list = ["a"]
    loop.append(loop)
    assert _flat_strings(loop) == {"a"}
    assert _flat_strings([" x ", ["y", ["z"]]]) == {"x", "y", "z"}
