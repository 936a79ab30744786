"""Image text that says nothing: sites' default captions and placeholder alt text.

Editors and CMSs fill in ``image``, ``图片``, ``图片来源于网络``, the uploaded file's name
(``IMG_1234.jpg``, ``pic61f74df.jpg``) or the picture's URL where the author wrote no
caption. Such text is no caption and no description: captions made of it are removed,
``alt`` and ``title`` holding it are dropped. A remaining ``title`` becomes the image's
caption when it has none (see the builder), unless it only repeats the post's title.
"""

from __future__ import annotations

import re

from lxml import etree

from .context import StepContext, remove_all_keeping_tails, text_of, text_sample
from .figures import CAPTION_MARK, is_caption_element, lone_image

# Whole texts (lower-cased, outer punctuation and brackets stripped) that name no picture.
_PLACEHOLDER_WORDS = frozenset({
    "image", "images", "img", "photo", "picture", "pic", "figure", "screenshot", "untitled",
    "图片", "圖片", "图", "圖", "配图", "配圖", "插图", "图像", "照片", "截图", "无标题",
    "图片描述", "在这里插入图片描述", "请添加图片描述", "这里写图片描述", "输入图片说明",
    "图片来源于网络", "图片来自网络", "图片来源网络", "图片源于网络", "图片来源：网络",
    "图片来源:网络", "图源网络", "图自网络", "網絡圖片", "图片来自互联网", "图片来源于互联网",
    "网络图片", "来源网络", "来源于网络", "来自网络",
})
_IMAGE_FILE = re.compile(
    r"[\w\-. ()\u3000-\u9fff]{0,120}\.(?:jpe?g|png|gif|webp|bmp|svg|heic|avif|tiff?)", re.I)
_URL = re.compile(r"(?:https?:)?//\S+|www\.\S+", re.I)
_OUTER = " \t\r\n\u00a0\u3000.,;:!?。，；：！？、·-—_()（）[]【】<>《》\"'“”‘’"


def is_placeholder_image_text(text: str | None) -> bool:
    """Whether an image's caption, ``alt`` or ``title`` is a site default, not words."""
    text = " ".join((text or "").split())
    core = text.strip(_OUTER).lower()
    if not core:
        return True
    return (core in _PLACEHOLDER_WORDS or _IMAGE_FILE.fullmatch(text.strip()) is not None
            or _URL.fullmatch(text.strip()) is not None)


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()).strip(_OUTER) == " ".join(b.split()).strip(_OUTER)


def _junk_caption(el: etree._Element, text: str | None = None) -> bool:
    """A caption (or a lone line right after a lone image) saying nothing; ``text`` is
    its text when already known."""
    if len(el) and next(el.iter("img"), None) is not None:
        return False
    return is_placeholder_image_text(text_of(el) if text is None else text)


def _follows_lone_image(el: etree._Element) -> bool:
    previous = el.getprevious()
    while previous is not None and not isinstance(previous.tag, str):
        previous = previous.getprevious()
    if previous is None or (previous.tail or "").strip():
        return False
    return lone_image(previous) is not None


def clean_image_text(root: etree._Element, ctx: StepContext) -> None:
    """Drop default captions and placeholder ``alt``/``title`` text of images."""
    post_title = str(ctx.metadata.get("title") or "")
    captions = []
    for el in root.iter("figcaption", "p", "div", "span", "small", "em", "i", "center"):
        marked = el.tag == "figcaption" or is_caption_element(el) or el.get(CAPTION_MARK)
        if not marked and not (el.tag in ("p", "small", "center", "span")
                               and _follows_lone_image(el)):
            continue
        if marked:
            junk = _junk_caption(el)
        else:  # its text is read once (a wrapper after an image may hold the article)
            text = text_of(el)
            junk = bool(text.strip()) and _junk_caption(el, text)
        if junk:
            captions.append(el)
    sample = text_sample(captions)
    remove_all_keeping_tails(captions)
    ctx.report("clean_image_text", "removed default image captions (\"image\", file names, "
               "\"图片来源于网络\")", len(captions), sample or None)
    dropped: list[str] = []
    for img in root.iter("img"):
        for attr in ("alt", "title"):
            value = img.get(attr)
            if value is None or not value.strip():
                continue
            if is_placeholder_image_text(value) or (
                    attr == "title" and post_title and _same_text(value, post_title)):
                dropped.append(value.strip())
                del img.attrib[attr]
    ctx.report("clean_image_text", "dropped placeholder image alt/title text (or a title "
               "repeating the post's)", len(dropped),
               " | ".join(dropped) or None)
