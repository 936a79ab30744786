"""URL rules shared by the cleaning steps and the builder."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from ..links import clean_url, safe_url
from ..links import url_scheme as url_scheme


def split_url(url: str) -> SplitResult | None:
    """``urlsplit`` that returns None for what it cannot split (``http://[::1``)."""
    try:
        return urlsplit(url.strip())
    except ValueError:
        return None


def absolute_url(url: str) -> str:
    """``url`` as a browser reads it (see :func:`convert.links.clean_url`);
    protocol-relative ``//host/x`` becomes ``https://host/x``."""
    url = clean_url(url.strip())
    if url.startswith("//"):
        return "https:" + url
    return url


def is_safe_link(url: str) -> bool:
    """Whether a link target may appear in output: web and mail URLs, fragments, paths
    (:func:`convert.links.safe_url`, which refuses ``javascript:``, ``data:``,
    ``vbscript:`` and other schemes however they are disguised)."""
    return safe_url(url) is not None and split_url(url) is not None


def is_placeholder_image(url: str) -> bool:
    """An image ``src`` that is no real picture: empty, inline data, or ``undefined``."""
    url = url.strip()
    if not url or url.startswith("data:") or url in ("#", "about:blank"):
        return True
    if split_url(url) is None:  # not a URL at all (``http://[::1``)
        return True
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return (tail in ("undefined", "null") or url_scheme(url) not in (None, "http", "https")
            or safe_url(url) is None)


# Redirect services that wrap outbound links: host → query parameter holding the target.
# Any host named ``link.*``/``links.*`` or a path like ``/go``, ``/redirect``,
# ``GoToLink`` with one of the usual parameters counts too (see :func:`unwrap_redirect`).
REDIRECTORS = {
    "links.jianshu.com": "to",
    "link.zhihu.com": "target",
    "link.juejin.cn": "target",
    "www.oschina.net": "url",
    "oschina.net": "url",
    "link.csdn.net": "target",
}
_REDIRECT_PARAMS = ("to", "target", "url", "u", "redirect", "redirect_url", "link", "dest")
_REDIRECT_PATH = re.compile(r"/(?:go|goto|gotolink|redirect|jump|out|link)(?:/|$|\.)", re.I)


def _decoded_target(value: str) -> str | None:
    """A query value that is an absolute http(s) URL, decoded up to three times."""
    for _ in range(3):
        if re.match(r"^(?:https?:)?//", value, re.I):
            return absolute_url(value)
        decoded = unquote(value)
        if decoded == value:
            break
        value = decoded
    return None


def unwrap_redirect(url: str) -> str:
    """The real target of a redirector link, or ``url`` itself."""
    for _ in range(3):  # redirectors are sometimes nested
        parts = split_url(url)
        if parts is None or parts.scheme not in ("http", "https") or not parts.query:
            return url
        host = parts.netloc.lower()
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        names = [REDIRECTORS[host]] if host in REDIRECTORS else []
        if not names and (host.startswith(("link.", "links.")) or _REDIRECT_PATH.search(
                parts.path)):
            names = list(_REDIRECT_PARAMS)
        target = next((t for n in names if n in params
                       for t in [_decoded_target(params[n])] if t), None)
        if target is None or target == url:
            return url
        url = target
    return url


# A proxy that takes the real URL as its whole query: ``https://proxy/?http://real/x.jpg``.
_PROXY_PREFIX = re.compile(r"^(https?)://[^/?#]+/?\?(?=(?:https?:)?//)", re.I)

#: Hosts (and their subdomains) known to serve everything over https: a proxied
#: ``http://`` URL on one of them may be upgraded instead of downgrading the page.
HTTPS_HOSTS = frozenset({
    "hdslb.com", "bilibili.com", "bgm.tv", "sinaimg.cn", "qpic.cn", "zhimg.com",
    "jianshu.io", "byteimg.com", "ithome.com", "cnbetacdn.com", "sspai.com", "pawoo.net",
    "twimg.com", "githubusercontent.com", "github.com", "imgur.com", "wp.com",
    "medium.com", "googleusercontent.com", "ggpht.com", "ytimg.com", "cloudfront.net",
    "doubanio.com", "cls.cn", "wikimedia.org", "cdninstagram.com", "fbcdn.net",
})
_HTTPS_URL = re.compile(r"https://([^/?#\s\"'<>]+)", re.I)


def https_hosts(texts: Iterable[str]) -> frozenset[str]:
    """Hosts that ``texts`` (a post's HTML attributes, front matter) reach over https."""
    found = set()
    for text in texts:
        if "https://" not in text.lower():
            continue
        for host in _HTTPS_URL.findall(text):
            found.add(host.lower().split("@")[-1])
    return frozenset(found)


def _serves_https(netloc: str, known: frozenset[str]) -> bool:
    netloc = netloc.lower().split("@")[-1]
    if netloc in known:
        return True
    host, _, port = netloc.partition(":")
    if port and port != "443":
        return False  # a service on its own port: https there is not the same site
    return any(host == k or host.endswith("." + k) for k in (*known, *HTTPS_HOSTS)
               if ":" not in k)


def strip_proxy(url: str, https: frozenset[str] = frozenset()) -> str:
    """``https://cors.example.dev/?https://host/a.jpg`` → ``https://host/a.jpg``.

    An ``http://`` target behind an ``https://`` proxy becomes ``https://`` when its host
    is known to serve https (:data:`HTTPS_HOSTS`, or ``https``: hosts the post itself
    reaches over https); otherwise the proxied URL stays as it is, so that a page served
    over https never gets mixed content.
    """
    url = url.strip()
    match = _PROXY_PREFIX.match(url)
    if match is None:
        return url
    target = absolute_url(url[match.end():])
    if match.group(1).lower() == "https" and target.lower().startswith("http://"):
        parts = split_url(target)
        if parts is None or not _serves_https(parts.netloc, https):
            return url
        return "https://" + target[len("http://"):]
    return target


# Services that hand out random or blank placeholder pictures: never a post's cover.
PLACEHOLDER_IMAGE_HOSTS = frozenset({
    "picsum.photos", "via.placeholder.com", "placeholder.com", "placehold.co", "placehold.it",
    "dummyimage.com", "loremflickr.com", "placekitten.com", "fakeimg.pl", "lorempixel.com",
    "source.unsplash.com",
})


def is_placeholder_cover(url: str) -> bool:
    """A cover URL that is no real cover: a placeholder service, ``…/p/undefined``, or a
    rendered formula (``…/equation?tex=``)."""
    if is_placeholder_image(url):
        return True
    parts = split_url(url)
    if parts is None:
        return True
    host = parts.netloc.lower().split(":")[0]
    if host in PLACEHOLDER_IMAGE_HOSTS or host.removeprefix("www.") in PLACEHOLDER_IMAGE_HOSTS:
        return True
    return "tex=" in parts.query and "equation" in parts.path.lower()
