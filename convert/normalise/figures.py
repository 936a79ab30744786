"""Turn sites' own image-caption markup into ``<figure>``/``<figcaption>``.

Sites caption images with an element after the image's wrapper: jianshu's
``div.image-caption``, WordPress's ``p.wp-caption-text``, and so on. An element whose
class names it a caption (or that a site profile marks as one), right after an element
holding exactly one image and no text, becomes that image's figcaption.
"""

from __future__ import annotations

import re

from lxml import etree

from .context import StepContext, text_of

CAPTION_MARK = "data-newsconv-caption"
_CAPTION_CLASS = re.compile(r"(?:^|[\s_-])(?:caption|caption-text|img-desc|image-desc|pic-desc)"
                            r"(?:$|[\s_-])", re.I)
_MAX_CAPTION_CHARS = 300


def is_caption_element(el: etree._Element) -> bool:
    """A figcaption, an element marked as a caption, or one whose class says caption."""
    if el.get(CAPTION_MARK) is not None or el.tag == "figcaption":
        return True
    return bool(_CAPTION_CLASS.search(el.get("class") or ""))


# An image's wrapper is small; a bigger element is never one (and is not searched:
# scanning every caption's predecessor whole is quadratic on nested captions).
_MAX_WRAPPER_NODES = 30


def lone_image(el: etree._Element) -> etree._Element | None:
    """The only image in ``el`` (or ``el`` itself) when ``el`` holds no text."""
    if el.tag == "img":
        return el
    if el.tag == "figure" or len(el) == 0:  # no image inside a childless element
        return None
    images = []
    for count, node in enumerate(el.iter()):
        if count >= _MAX_WRAPPER_NODES:
            return None
        if node.tag == "img":
            images.append(node)
        text = node.text if isinstance(node.tag, str) else None
        tail = node.tail if node is not el else None
        if (text and text.strip()) or (tail and tail.strip()):
            return None
    return images[0] if len(images) == 1 else None


def attach_captions(root: etree._Element, ctx: StepContext) -> None:
    """Make caption elements that follow a lone image into that image's figcaption."""
    attached = 0
    for caption in list(root.iter(etree.Element)):
        if caption.getparent() is None or not is_caption_element(caption):
            continue
        if caption.tag == "figcaption" and any(a.tag == "figure" for a in caption.iterancestors()):
            continue
        text = " ".join(text_of(caption).split())
        if not text or len(text) > _MAX_CAPTION_CHARS:
            continue
        previous = caption.getprevious()
        while previous is not None and not isinstance(previous.tag, str):
            previous = previous.getprevious()
        if previous is None or (previous.tail and previous.tail.strip()):
            continue  # text between image and caption: not its caption
        image = lone_image(previous)
        if image is None:
            continue
        figure = etree.Element("figure")
        figure.append(etree.Element("img", dict(image.attrib)))
        figcaption = etree.SubElement(figure, "figcaption")
        figcaption.text = caption.text
        figcaption.extend(list(caption))  # moves the caption's inline markup along
        figure.tail = previous.tail
        previous.getparent().replace(previous, figure)
        if caption.tail and caption.tail.strip():
            figure.tail = (figure.tail or "") + caption.tail
        caption.getparent().remove(caption)
        attached += 1
    ctx.report("attach_captions", "made image captions into figure captions", attached)
