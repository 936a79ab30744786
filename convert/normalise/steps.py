"""Cleaning steps: small, named transformations of the parsed HTML tree.

Each step takes the ``<body>`` element and a :class:`StepContext`, changes the tree in
place and reports what it removed or rewrote through ``ctx.report``. :data:`STEPS` is
the ordered list the normaliser runs; a new rule is a new function added there.
"""

from __future__ import annotations

from urllib.parse import urljoin

from lxml import etree

from .calltoaction import remove_calls_to_action
from .context import Step, StepContext, outermost, remove_all_keeping_tails, text_sample
from .figures import attach_captions
from .hidden import remove_hidden
from .imagetext import clean_image_text, is_placeholder_image_text
from .math import find_math
from .noise import remove_ad_blocks, remove_widgets
from .profiles import apply_site_profiles
from .styled import bold_from_style
from .urls import (
    absolute_url,
    https_hosts,
    is_placeholder_image,
    strip_proxy,
    unwrap_redirect,
    url_scheme,
)

__all__ = ["STEPS", "Step", "StepContext"]

# Elements that never hold readable article content.
_NON_CONTENT_TAGS = (
    "script", "style", "noscript", "template", "head", "title", "meta", "link", "base",
    "input", "select", "textarea", "button", "option", "datalist", "svg", "canvas",
)


def drop_non_content(root: etree._Element, ctx: StepContext) -> None:
    """Drop comments, processing instructions, scripts, styles and form controls."""
    comments = [c for c in root.iter(etree.Comment, etree.ProcessingInstruction)]
    remove_all_keeping_tails(comments)
    ctx.report("drop_non_content", "removed HTML comments", len(comments))
    removed = list(root.iter(*_NON_CONTENT_TAGS))
    # Report first: a removed element's text is gone afterwards.
    sample = text_sample(removed)
    remove_all_keeping_tails(outermost(removed))  # the others go with them
    ctx.report("drop_non_content", "removed script, style and form elements",
               len(removed), sample or None)


# Attributes sites use for the real image URL when ``src`` is a lazy-load placeholder,
# most specific first.
_LAZY_SRC_ATTRS = ("data-original-src", "data-original", "data-actualsrc", "data-src",
                   "data-lazy-src", "_src", "data-url")
_SRCSET_ATTRS = ("data-srcset", "srcset")


def srcset_candidates(value: str) -> list[tuple[str, str]]:
    """``(url, descriptor)`` pairs of a srcset, parsed as the HTML standard does: a URL
    runs to whitespace (commas inside it, as in ``data:`` URLs, belong to it)."""
    out, pos, n = [], 0, len(value)
    while pos < n:
        while pos < n and (value[pos].isspace() or value[pos] == ","):
            pos += 1
        start = pos
        while pos < n and not value[pos].isspace():
            pos += 1
        url = value[start:pos]
        descriptor = ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            end = value.find(",", pos)
            end = n if end < 0 else end
            descriptor, pos = value[pos:end].strip(), end + 1
        if url:
            out.append((url, descriptor))
    return out


def _largest_from_srcset(value: str) -> str | None:
    """The URL with the largest width (or density) descriptor in a srcset value."""
    best: tuple[float, str] | None = None
    for url, descriptor in srcset_candidates(value):
        size = 1.0
        if descriptor[:-1].replace(".", "", 1).isdigit():
            size = float(descriptor[:-1])
        if is_placeholder_image(url):
            continue
        if best is None or size > best[0]:
            best = (size, url)
    return best[1] if best else None


def post_https_hosts(root: etree._Element, ctx: StepContext) -> frozenset[str]:
    """Hosts the post's markup and front matter reach over https (found once)."""
    if ctx.https_hosts is None:
        texts = [v for el in root.iter(etree.Element) for v in el.values()]
        texts += [v for v in ctx.metadata.values() if isinstance(v, str)]
        ctx.https_hosts = https_hosts(texts)
    return ctx.https_hosts


def resolve_image_sources(root: etree._Element, ctx: StepContext) -> None:
    """Put each image's real URL in ``src``; drop images that have none."""
    lazy = proxied = dropped = 0
    dropped_alts: list[str] = []
    dropped_images = []
    known_https = post_https_hosts(root, ctx)
    for img in list(root.iter("img")):
        src = (img.get("src") or "").strip()
        real = None if is_placeholder_image(src) else src
        if real is None:
            for attr in _LAZY_SRC_ATTRS:
                value = (img.get(attr) or "").strip()
                if value and not is_placeholder_image(value):
                    real = value
                    break
        if real is None:
            for attr in _SRCSET_ATTRS:
                real = _largest_from_srcset(img.get(attr) or "")
                if real:
                    break
        if real is None:
            alt = " ".join((img.get("alt") or "").split())
            if alt and not is_placeholder_image_text(alt):  # the picture is gone; its
                img.tail = f"[{alt}]" + (img.tail or "")  # description stays in the text
                dropped_alts.append(alt)
            dropped_images.append(img)
            dropped += 1
            continue
        if real != src:
            lazy += 1
        absolute = absolute_url(real)
        real = strip_proxy(absolute, known_https)
        if real != absolute:
            proxied += 1
        img.set("src", real)
    remove_all_keeping_tails(dropped_images)
    ctx.report("resolve_image_sources", "took lazy-loaded image URLs from data attributes", lazy)
    ctx.report("resolve_image_sources", "removed CORS-proxy prefixes from image URLs", proxied)
    ctx.report("resolve_image_sources", "dropped images without a usable URL (alt text kept)",
               dropped, " | ".join(dropped_alts) or None)


def unwrap_links(root: etree._Element, ctx: StepContext) -> None:
    """Links through redirectors point at their target; proxied media at the original."""
    unwrapped = proxied = 0
    known_https = post_https_hosts(root, ctx)
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if href:
            target = unwrap_redirect(absolute_url(href))
            if target != absolute_url(href):
                a.set("href", target)
                unwrapped += 1
    for el in root.iter("video", "audio", "source", "iframe", "embed"):
        for attr in ("src", "poster"):
            value = el.get(attr)
            if value and strip_proxy(value, known_https) != value:
                el.set(attr, strip_proxy(value, known_https))
                proxied += 1
    ctx.report("unwrap_links", "unwrapped redirector links", unwrapped)
    ctx.report("unwrap_links", "removed proxy prefixes from media URLs", proxied)


_URL_ATTRS = {"a": ("href",), "img": ("src",), "iframe": ("src",), "video": ("src", "poster"),
              "audio": ("src",), "source": ("src",), "embed": ("src",)}


def resolve_relative_urls(root: etree._Element, ctx: StepContext) -> None:
    """Make relative links and media URLs absolute against the post's base URL."""
    if not ctx.base_url:
        return
    resolved = 0
    for el in root.iter(*_URL_ATTRS):
        for attr in _URL_ATTRS[el.tag]:
            value = (el.get(attr) or "").strip()
            if value and not value.startswith("#") and url_scheme(value) is None \
                    and not value.startswith("//"):
                el.set(attr, urljoin(ctx.base_url, value))
                resolved += 1
    ctx.report("resolve_relative_urls", f"made relative URLs absolute against {ctx.base_url}",
               resolved)


#: The steps the normaliser runs, in order.
STEPS: list[Step] = [
    find_math,  # before scripts (MathJax's TeX) and hidden text (KaTeX's MathML) go
    remove_ad_blocks,  # needs the comments that drop_non_content removes
    drop_non_content,
    remove_hidden,
    bold_from_style,  # after hidden text is gone (it reads the same style attributes)
    remove_widgets,
    resolve_image_sources,
    remove_calls_to_action,  # after images without a real URL are gone
    apply_site_profiles,  # after image URLs are real: profiles match on image hosts
    resolve_relative_urls,  # a profile may give the base URL
    unwrap_links,  # after relative redirector links are absolute
    clean_image_text,  # after profiles mark captions, before captions are attached
    attach_captions,
]
