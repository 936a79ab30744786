"""Download images for the EPUB exporter into a persistent on-disk cache.

The exporter hands over the image URLs of the documents it is building and gets back,
for each URL that could be fetched, a :class:`CachedImage`: a file in the cache holding
the bytes exactly as served, with a type sniffed from those bytes. It then streams each
file from disk into the book, so memory stays bounded however many images there are.

Safety (the "safety" quality bar):

* only ``http`` and ``https`` URLs are fetched, and only ``http``/``https`` redirects are
  followed (at most :data:`MAX_REDIRECTS`);
* unless ``allow_private_hosts`` is set, a host is refused when any address it resolves
  to is loopback, private, link-local, multicast, reserved, unspecified or otherwise not
  globally routable; this is checked for the URL, for every redirect target, and again
  on the very addresses the socket connects to (see :func:`_connect_checked`), so DNS
  rebinding between the check and the connection cannot reach a private address;
* environment proxies are ignored: through a proxy the proxy would resolve the name and
  the address check above would mean nothing; the opener has no ``file:``, ``ftp:`` or
  ``data:`` handler at all;
* the type comes from the bytes (never from ``Content-Type``); SVGs that could run code
  or load anything are refused; bodies larger than ``max_bytes`` are refused while
  streaming.

Cache layout: ``<cache_dir>/<first 2 hex of sha256(url)>/<sha256(url)><ext>``. Files
are written to a temporary file in the same folder and renamed into place, so a crash,
Ctrl-C or a concurrent run never leaves a truncated entry under a final name. A cache
file whose first bytes do not match its extension (say, emptied by a power loss before
the data reached the disk) is treated as a miss and fetched again.

Written by hand on the standard library (urllib, http.client, ipaddress): no maintained
library does SSRF-safe, size-capped, type-sniffing downloads into a content cache, and
``requests``/``urllib3`` would add a dependency without removing most of this code.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import os
import re
import socket
import ssl
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

__all__ = [
    "ACCEPT",
    "MAX_REDIRECTS",
    "USER_AGENT",
    "CachedImage",
    "FetchError",
    "FetchOptions",
    "FetchStats",
    "ImageFetcher",
    "check_url_allowed",
    "sniff_image_type",
]

USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
ACCEPT = "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"
MAX_REDIRECTS = 5

_CHUNK = 64 * 1024  # bytes read from the socket (and written to disk) at a time
_HEAD = 64 * 1024  # bytes kept for sniffing; enough for an SVG prolog with comments
_SCHEMES = ("http", "https")
_TYPES = {  # extension -> media type; also the order in which the cache is probed
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}


# --------------------------------------------------------------------------- public data


@dataclass(frozen=True)
class FetchOptions:
    cache_dir: Path | None = None  # None → Path(platformdirs.user_cache_dir("newsconv")) / "images"
    offline: bool = False  # use only what the cache already holds; never touch the network
    allow_private_hosts: bool = False
    timeout: float = 20.0  # seconds, per request
    retries: int = 2  # extra attempts after a timeout, connection error, 429 or 5xx
    max_bytes: int = 20 * 1024 * 1024
    workers: int = 8  # parallel downloads

    def __post_init__(self) -> None:
        if not self.timeout > 0:
            raise ValueError(f"timeout must be positive, not {self.timeout!r}")
        if self.retries < 0:
            raise ValueError(f"retries must be 0 or more, not {self.retries!r}")
        if self.max_bytes < 1:
            raise ValueError(f"max_bytes must be positive, not {self.max_bytes!r}")
        if self.workers < 1:
            raise ValueError(f"workers must be 1 or more, not {self.workers!r}")


@dataclass(frozen=True)
class CachedImage:
    url: str
    path: Path  # the file in the cache (bytes exactly as served)
    media_type: str  # "image/jpeg" | "image/png" | "image/gif" | "image/webp" | "image/svg+xml"
    extension: str  # ".jpg" | ".png" | ".gif" | ".webp" | ".svg"
    size: int
    from_cache: bool  # True when this run did not download it


@dataclass
class FetchStats:
    downloaded: int = 0
    cached: int = 0
    failed: int = 0
    failures: dict[str, str] = field(default_factory=dict)  # url -> one-line reason


class FetchError(Exception):
    """Why one image could not be had, in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(_one_line(reason))


class _Retryable(FetchError):
    """A failure worth another attempt: timeout, connection error, 429, 5xx."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class _Forbidden(FetchError):
    """HTTP 403: worth exactly one more attempt, with a Referer."""


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------------------ sniffing

_RASTER_MAGIC = (
    (b"\xff\xd8\xff", ("image/jpeg", ".jpg")),
    (b"\x89PNG\r\n\x1a\n", ("image/png", ".png")),
    (b"GIF87a", ("image/gif", ".gif")),
    (b"GIF89a", ("image/gif", ".gif")),
)
_SVG_ROOT = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?svg[\s/>]")


def sniff_image_type(head: bytes) -> tuple[str, str] | None:
    """``(media_type, extension)`` from the first bytes of a file, or None.

    Raster types by their magic bytes; SVG when the text, after an optional BOM, XML
    declaration, comments, processing instructions and doctype, opens an ``<svg`` root.
    """
    for magic, kind in _RASTER_MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ("image/webp", ".webp")
    if _is_svg_text(_decode_svg(head)):
        return ("image/svg+xml", ".svg")
    return None


def _decode_svg(data: bytes) -> str:
    """Text good enough to look for ASCII markup in; never fails."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data[: len(data) & ~1].decode("utf-16", "replace")
    # UTF-8 without a BOM, or an ASCII-compatible legacy encoding: latin-1 maps every
    # byte to one character, so ASCII markup is found wherever it is.
    return data.decode("latin-1")


def _is_svg_text(text: str) -> bool:
    # A linear scan rather than one big regex: no backtracking on hostile prologs.
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos].isspace():
            pos += 1
        if text.startswith("<?", pos):
            close = text.find("?>", pos + 2)
            if close < 0:
                return False
            pos = close + 2
        elif text.startswith("<!--", pos):
            close = text.find("-->", pos + 4)
            if close < 0:
                return False
            pos = close + 3
        elif text[pos : pos + 9].upper() == "<!DOCTYPE":
            close = text.find(">", pos)
            bracket = text.find("[", pos)
            if 0 <= bracket < close:  # internal subset: skip to its "]" first
                subset_end = text.find("]", bracket)
                close = text.find(">", subset_end) if subset_end >= 0 else -1
            if close < 0:
                return False
            pos = close + 1
        else:
            return _SVG_ROOT.match(text, pos) is not None


# ------------------------------------------------------------------------- SVG safety

# A reference that leaves the file: any scheme (except an inline raster data: URI) or a
# protocol-relative "//host".
_EXTERNAL = r"(?!data:image/(?:png|jpe?g|gif|webp)[;,])(?:[a-z][a-z0-9+.-]*:|//)"
_EXTERNAL_RE = re.compile(_EXTERNAL)
_CSS_EXTERNAL_RE = re.compile(r"url\(\s*[\"']?\s*" + _EXTERNAL + r"|@import")
_SVG_RULES = (  # matched against lower-cased text with character references decoded
    (re.compile(r"<(?:[\w.-]+:)?script"), "a script element"),
    (re.compile(r"foreignobject"), "a foreignObject element"),
    (re.compile(r"<(?:[\w.-]+:)?handler"), "a handler element"),
    (re.compile(r"[\s\"'/](?:[\w.-]+:)?on[\w.-]+\s*="), "an event-handler attribute"),
    (
        re.compile(r"(?:^|[\s\"':])(?:href|src)\s*=\s*[\"']?\s*" + _EXTERNAL),
        "an external reference",
    ),
    (re.compile(r"url\(\s*[\"']?\s*" + _EXTERNAL), "an external reference"),
    (re.compile(r"@import"), "a CSS @import"),
    (re.compile(r"<!entity\s+%"), "a parameter entity"),
    (re.compile(r"<!entity\s+\S+\s+(?:system|public)\b"), "an external entity"),
)
_CHAR_REF = re.compile(r"&#(?:x([0-9a-f]{1,8})|([0-9]{1,10}));?")
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20]+")
_SCRIPT_SCHEMES = ("javascript:", "vbscript:")
_DANGEROUS_ELEMENTS = frozenset({"script", "foreignobject", "handler"})


def _char_ref(match: re.Match[str]) -> str:
    code = int(match[1], 16) if match[1] else int(match[2])
    return chr(code) if 0 < code < 0x110000 else ""


def svg_problem(data: bytes) -> str | None:
    """What makes an SVG unsafe to embed, or None.

    Two passes. A text scan (the literal patterns, after decoding ``&#…;`` references
    so ``&#106;avascript:`` is seen) catches them wherever they are; a parse with lxml
    (internal entities expanded, nothing loaded from outside) then looks at elements
    and attributes as a renderer would, which catches what entities or namespace
    prefixes assemble at parse time. Fail-safe: a false alarm only drops one image.
    """
    text = _CHAR_REF.sub(_char_ref, _decode_svg(data).lower())
    for pattern, what in _SVG_RULES:
        if pattern.search(text):
            return what
    squeezed = _CONTROL_OR_SPACE.sub("", text)
    if any(scheme in squeezed for scheme in _SCRIPT_SCHEMES):
        return "a script URL"
    return _svg_tree_problem(data)


def _svg_tree_problem(data: bytes) -> str | None:
    from lxml import etree  # imported here: only SVG downloads need it

    parser = etree.XMLParser(
        resolve_entities="internal", no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return f"malformed XML ({exc})"
    for element in root.iter():
        if not isinstance(element.tag, str):  # comment, processing instruction, entity
            continue
        name = etree.QName(element).localname.lower()
        if name in _DANGEROUS_ELEMENTS:
            return f"a {name} element"
        if name == "style" and _CSS_EXTERNAL_RE.search("".join(element.itertext()).lower()):
            return "an external reference"
        for key, value in element.attrib.items():
            attribute = etree.QName(key).localname.lower()
            squeezed = _CONTROL_OR_SPACE.sub("", value).lower()
            if attribute.startswith("on"):
                return "an event-handler attribute"
            if any(scheme in squeezed for scheme in _SCRIPT_SCHEMES):
                return "a script URL"
            if attribute in ("href", "src") and _EXTERNAL_RE.match(squeezed):
                return "an external reference"
            if _CSS_EXTERNAL_RE.search(value.lower()):
                return "an external reference"
    return None


# ----------------------------------------------------------------------- address checks


def _split_http_url(url: str) -> tuple[str, int]:
    """``(host, port)`` of an absolute http(s) URL; FetchError for anything else."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"invalid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise FetchError("not an absolute URL: only http and https URLs are fetched")
    if scheme not in _SCHEMES:
        raise FetchError(f"refused {scheme}: URL: only http and https URLs are fetched")
    host = parts.hostname
    if not host:
        raise FetchError("no host in the URL")
    return host, port or (443 if scheme == "https" else 80)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone ("%eth0")


def _address_problem(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address may not be fetched from without allow_private_hosts, or None."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is the IPv4 host itself
            return _address_problem(ip.ipv4_mapped)
        embedded = ip.sixtofour  # 2002:AABB:CCDD::/48 (6to4)
        if embedded is None and ip in _NAT64:  # 64:ff9b::a.b.c.d (NAT64)
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and (problem := _address_problem(embedded)):
            return f"{problem} (embedded in {ip})"
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        ("site-local", isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local),
        ("non-global", not ip.is_global),
    )
    for kind, hit in checks:
        if hit:
            return f"{kind} address {ip}"
    return None


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _refusal(host: str, problem: str) -> FetchError:
    shown = f"[{host}]" if ":" in host else host
    return FetchError(f"refused host {shown}: {problem} (private hosts are not allowed)")


def _resolve(host: str, port: int) -> list[tuple]:
    """``socket.getaddrinfo`` for a TCP connection, with one-line errors."""
    try:
        return socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve host {host}: {exc.strerror or exc}") from None
    except (UnicodeError, ValueError) as exc:
        raise FetchError(f"invalid host {host!r}: {exc}") from None


def check_url_allowed(url: str, allow_private_hosts: bool) -> None:
    """Raise FetchError unless ``url`` is an http(s) URL whose host may be fetched from.

    With ``allow_private_hosts`` False, the host (a name or a literal address) must
    resolve only to globally routable addresses: a single private, loopback,
    link-local, multicast, reserved or unspecified address (IPv4 or IPv6, including
    IPv4-mapped, 6to4 and NAT64 forms) is enough to refuse it.
    """
    host, port = _split_http_url(url)
    if allow_private_hosts:
        return
    try:
        addresses = [_ip(host)]  # a literal address: no lookup at all
    except ValueError:
        addresses = [_ip(info[4][0]) for info in _resolve(host, port)]
    for ip in addresses:
        if problem := _address_problem(ip):
            raise _refusal(host, problem)


def _connect_checked(
    address: tuple[str, int], timeout: float | None = None, source_address=None
) -> socket.socket:
    """Stand-in for ``socket.create_connection`` that refuses non-global addresses.

    DNS rebinding: a name can resolve to a public address when check_url_allowed asks
    and to 127.0.0.1 a moment later when the connection is made. To close that gap the
    connection resolves the name once, checks every address of that answer, and then
    connects to those very addresses (not to the name). TLS still verifies the
    certificate against the host name, because http.client wraps this socket with
    ``server_hostname=host``. What is left: a host that is public at connect time but
    proxies or redirects elsewhere itself; redirects are checked by the redirect
    handler, and server-side proxying is beyond what a client can see.
    """
    host, port = address
    infos = _resolve(host, port)
    for info in infos:
        if problem := _address_problem(_ip(info[4][0])):
            raise _refusal(host, problem)
    error: OSError | None = None
    for family, kind, proto, _canonical, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
    raise error or OSError(f"no address for {host}")


# ------------------------------------------------------------------------ urllib plumbing


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # http.client opens its socket through this attribute (3.10 to 3.13).
        self._create_connection = _connect_checked


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _connect_checked


class _CheckedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_CheckedHTTPConnection, req)


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(context=context)
        self._tls = context

    def https_open(self, req):
        return self.do_open(_CheckedHTTPSConnection, req, context=self._tls)


class _CheckedRedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follows at most MAX_REDIRECTS redirects, each to an allowed http(s) URL.

    urllib itself would follow redirects to ``ftp:`` and to any host; every target is
    put through check_url_allowed here before anything is sent to it.
    """

    # urllib's own limits sit one above ours, so our clearer message always comes first
    max_repeats = MAX_REDIRECTS + 1
    max_redirections = MAX_REDIRECTS + 1

    def __init__(self, allow_private_hosts: bool) -> None:
        super().__init__()
        self.allow_private_hosts = allow_private_hosts

    def http_error_302(self, req, fp, code, msg, headers):
        location = headers.get("location") or headers.get("uri")
        if location:
            target = urllib.parse.urljoin(req.full_url, location.strip())
            scheme = urllib.parse.urlsplit(target).scheme.lower()
            if scheme not in _SCHEMES:
                fp.close()
                raise FetchError(f"refused redirect to a {scheme or 'relative'}: URL")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        hops = sum(getattr(req, "redirect_dict", {}).values())
        if hops >= MAX_REDIRECTS:
            fp.close()
            raise FetchError(f"too many redirects (more than {MAX_REDIRECTS})")
        try:
            check_url_allowed(newurl, self.allow_private_hosts)
        except FetchError as exc:
            fp.close()
            raise FetchError(f"refused redirect to {newurl}: {exc}") from None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _build_opener(allow_private_hosts: bool) -> urllib.request.OpenerDirector:
    """An opener that speaks only http and https.

    Put together by hand rather than with ``build_opener``, which would add handlers for
    ``file:``, ``ftp:`` and ``data:`` URLs and one for the environment's proxies (through
    a proxy, the proxy resolves the name and the address check would mean nothing).
    """
    if allow_private_hosts:
        plain: urllib.request.BaseHandler = urllib.request.HTTPHandler()
        tls: urllib.request.BaseHandler = urllib.request.HTTPSHandler(
            context=ssl.create_default_context()
        )
    else:
        plain = _CheckedHTTPHandler()
        tls = _CheckedHTTPSHandler(ssl.create_default_context())
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.UnknownHandler(),  # any other scheme: URLError
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
        _CheckedRedirectHandler(allow_private_hosts),
        plain,
        tls,
    ):
        opener.add_handler(handler)
    return opener


_NOT_URL_SAFE = re.compile(r"[^\x21-\x7e]+")


def _request_url(url: str) -> str:
    """The URL as sent: without user info (an image needs no credentials, and urllib
    would take ``user:pw@host`` for a host name), with non-ASCII, spaces and controls in
    path and query percent-encoded."""
    parts = urllib.parse.urlsplit(url.strip())
    netloc = parts.netloc.rpartition("@")[2]
    if netloc == parts.netloc and not _NOT_URL_SAFE.search(url):
        return url

    def encode(text: str) -> str:
        return _NOT_URL_SAFE.sub(lambda m: urllib.parse.quote(m.group(), safe=""), text)

    return urllib.parse.urlunsplit(
        (parts.scheme, netloc, encode(parts.path), encode(parts.query), "")
    )


def _origin(url: str) -> str:
    """``scheme://host[:port]/`` of a URL, without any user info: the Referer we send."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme.lower()}://{netloc}/"


def _retry_after(headers) -> float | None:
    value = (headers or {}).get("Retry-After", "")
    try:
        return max(0.0, float(value.strip()))
    except (ValueError, AttributeError):
        return None  # missing, or an HTTP date: use our own backoff


def _content_length(headers) -> int | None:
    try:
        value = int(headers.get("Content-Length", ""))
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        reason = exc.reason
        return _describe(reason) if isinstance(reason, BaseException) else str(reason)
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# ------------------------------------------------------------------------------ fetcher

_DEFAULT_OPTIONS = FetchOptions()


def _cache_key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


class ImageFetcher:
    """Fetches images into the cache; safe to share between threads.

    ``_backoff`` (seconds, doubled per retry) and ``_max_backoff`` (a cap, also on a
    server's Retry-After) are instance attributes so tests can set them to zero.
    """

    def __init__(self, options: FetchOptions = _DEFAULT_OPTIONS) -> None:
        self.options = options
        if options.cache_dir is None:
            self.cache_dir = Path(platformdirs.user_cache_dir("newsconv")) / "images"
        else:
            self.cache_dir = Path(options.cache_dir).expanduser()
        self.stats = FetchStats()
        self._lock = threading.Lock()
        self._backoff = 0.5
        self._max_backoff = 5.0
        self._opener: urllib.request.OpenerDirector | None = None  # built on first use

    # ----------------------------------------------------------------- public methods

    def fetch_all(self, urls: Iterable[str]) -> dict[str, CachedImage]:
        """Fetch each distinct URL once, in parallel; returns the successes by URL.

        Failures are counted in ``stats`` and recorded in ``stats.failures``; nothing a
        URL or a server does makes this raise. The result keeps the input order.
        """
        unique = list(dict.fromkeys(urls))
        found: dict[str, CachedImage | None] = {}
        misses = []
        for url in unique:  # cache hits need no thread: look them up here
            try:
                _split_http_url(url)
                hit = self._lookup(url, _cache_key(url))
            except FetchError as exc:
                self._record_failure(url, str(exc))
                found[url] = None
                continue
            if hit is None:
                misses.append(url)
                continue
            with self._lock:
                self.stats.cached += 1
            found[url] = hit
        if misses:
            pool = ThreadPoolExecutor(
                max_workers=min(self.options.workers, len(misses)),
                thread_name_prefix="newsconv-fetch",
            )
            try:
                futures = [pool.submit(self._fetch_quietly, url) for url in misses]
                for url, future in zip(misses, futures, strict=True):
                    found[url] = future.result()
            except BaseException:  # Ctrl-C: drop queued downloads, leave running ones be
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            pool.shutdown()
        return {url: image for url in unique if (image := found.get(url)) is not None}

    def fetch(self, url: str) -> CachedImage:
        """One URL: from the cache, else from the network. Raises FetchError."""
        try:
            image = self._fetch(url)
        except FetchError as exc:
            self._record_failure(url, str(exc))
            raise
        with self._lock:
            if image.from_cache:
                self.stats.cached += 1
            else:
                self.stats.downloaded += 1
        return image

    # ---------------------------------------------------------------------- internals

    def _fetch_quietly(self, url: str) -> CachedImage | None:
        try:
            return self.fetch(url)
        except FetchError:
            return None  # already recorded
        except Exception as exc:  # a bug must not sink the whole book; say what it was
            self._record_failure(url, f"unexpected error: {_describe(exc)}")
            return None

    def _record_failure(self, url: str, reason: str) -> None:
        with self._lock:
            self.stats.failed += 1
            self.stats.failures[url] = _one_line(reason)

    def _fetch(self, url: str) -> CachedImage:
        _split_http_url(url)  # scheme and host, without any lookup
        key = _cache_key(url)
        hit = self._lookup(url, key)
        if hit is not None:
            return hit
        if self.options.offline:
            raise FetchError("not in the cache (offline)")
        check_url_allowed(url, self.options.allow_private_hosts)
        return self._download(url, key)

    def _lookup(self, url: str, key: str) -> CachedImage | None:
        folder = self.cache_dir / key[:2]
        for extension, media_type in _TYPES.items():
            path = folder / f"{key}{extension}"
            try:
                with path.open("rb") as handle:
                    head = handle.read(_HEAD if extension == ".svg" else 16)
                    size = os.fstat(handle.fileno()).st_size
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise FetchError(f"cannot read the cache file {path}: {exc}") from None
            kind = sniff_image_type(head)
            if kind is None or kind[1] != extension:
                # Not what we wrote (emptied by a crash, or edited): fetch it again.
                try:
                    path.unlink()
                except OSError:
                    pass
                continue
            return CachedImage(url, path, media_type, extension, size, from_cache=True)
        return None

    def _get_opener(self) -> urllib.request.OpenerDirector:
        # OpenerDirector keeps no per-request state: one is shared by all workers.
        with self._lock:
            if self._opener is None:
                self._opener = _build_opener(self.options.allow_private_hosts)
            return self._opener

    def _download(self, url: str, key: str) -> CachedImage:
        """Attempts with retries: 1 + ``retries`` for transient failures, plus one more
        with a Referer after a 403. Each attempt lasts about ``timeout`` at most (a
        single stalled read can add up to one more ``timeout``), and backoff sleeps are
        capped by ``_max_backoff``, so the total per URL is bounded."""
        request_url = _request_url(url)
        referer: str | None = None
        failures = 0
        while True:
            try:
                return self._attempt(request_url, url, key, referer)
            except _Forbidden as exc:
                if referer is None:
                    referer = _origin(url)  # hotlink protection: try once as "from the site"
                    continue
                raise FetchError(f"{exc} (also with a Referer)") from None
            except _Retryable as exc:
                if failures >= self.options.retries:
                    attempts = failures + 1
                    suffix = f" (after {attempts} attempts)" if attempts > 1 else ""
                    raise FetchError(f"{exc}{suffix}") from None
                delay = self._backoff * 2**failures
                if exc.retry_after is not None:
                    delay = max(delay, exc.retry_after)
                failures += 1
                time.sleep(min(delay, self._max_backoff))

    def _attempt(self, request_url: str, url: str, key: str, referer: str | None) -> CachedImage:
        headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": "identity"}
        if referer:
            headers["Referer"] = referer
        request = urllib.request.Request(request_url, headers=headers)
        timeout = self.options.timeout
        deadline = time.monotonic() + timeout
        try:
            response = self._get_opener().open(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            exc.close()
            status = f"HTTP {exc.code} {exc.reason}".rstrip()
            if exc.code == 403:
                raise _Forbidden(status) from None
            if exc.code == 429 or 500 <= exc.code <= 599:
                raise _Retryable(status, _retry_after(exc.headers)) from None
            raise FetchError(status) from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, ssl.SSLCertVerificationError):
                raise FetchError(f"TLS certificate not accepted: {_describe(reason)}") from None
            if isinstance(reason, socket.gaierror):
                raise FetchError(f"cannot resolve host: {_describe(reason)}") from None
            if isinstance(reason, OSError):
                raise _Retryable(f"connection failed: {_describe(reason)}") from None
            raise FetchError(_describe(exc)) from None
        except http.client.InvalidURL as exc:
            raise FetchError(f"invalid URL: {exc}") from None
        except (OSError, http.client.HTTPException) as exc:
            raise _Retryable(f"connection failed: {_describe(exc)}") from None
        except ValueError as exc:  # e.g. control characters http.client will not send
            raise FetchError(f"invalid URL: {exc}") from None
        with response:
            return self._store(response, url, key, deadline)

    def _store(self, response, url: str, key: str, deadline: float) -> CachedImage:
        """Stream the body to a temporary file, check it, rename it into the cache."""
        limit = self.options.max_bytes
        length = _content_length(response.headers)
        if length is not None and length > limit:
            raise FetchError(f"too large: {length} bytes (the limit is {limit})")
        folder = self.cache_dir / key[:2]
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, temp_name = tempfile.mkstemp(prefix=f".{key}.", suffix=".part", dir=folder)
        except OSError as exc:
            raise FetchError(f"cannot write to the cache {folder}: {exc}") from None
        temp: Path | None = Path(temp_name)
        try:
            head = bytearray()
            size = 0
            with os.fdopen(fd, "wb") as out:
                while True:
                    try:
                        chunk = response.read1(_CHUNK)  # what has arrived, so the
                        # deadline below is checked however slowly bytes trickle in
                    except (OSError, http.client.HTTPException) as exc:
                        raise _Retryable(f"download interrupted: {_describe(exc)}") from None
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > limit:
                        raise FetchError(f"too large: more than {limit} bytes")
                    if len(head) < _HEAD:
                        head += chunk[: _HEAD - len(head)]
                    try:
                        out.write(chunk)
                    except OSError as exc:
                        raise FetchError(f"cannot write to the cache {folder}: {exc}") from None
                    if time.monotonic() > deadline:
                        raise _Retryable("timed out (the body took too long)")
            if length is not None and size < length:
                raise _Retryable(f"truncated: {size} of {length} bytes")
            kind = sniff_image_type(bytes(head))
            if kind is None:
                raise FetchError("not a supported image type")
            media_type, extension = kind
            if extension == ".svg" and (problem := svg_problem(temp.read_bytes())):
                raise FetchError(f"unsafe SVG: contains {problem}")
            path = folder / f"{key}{extension}"
            try:
                os.replace(temp, path)
            except OSError as exc:
                raise FetchError(f"cannot write to the cache {folder}: {exc}") from None
            temp = None
        finally:  # any failure, Ctrl-C included: no partial file is left behind
            if temp is not None:
                try:
                    temp.unlink()
                except OSError:
                    pass
        return CachedImage(url, path, media_type, extension, size, from_cache=False)
