"""The image fetcher: safe (schemes, private hosts, redirects, SVG), bounded, cached.

Every download goes to a ThreadingHTTPServer on 127.0.0.1 started here; an autouse
fixture makes any connection to another host, and any DNS lookup of a real name, fail
the test, so nothing here sends packets beyond loopback. Private-address refusals are
checked on literal addresses (no connection is attempted) or with a faked resolver.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import ipaddress
import os
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image

from convert import fetch
from convert.fetch import (
    ACCEPT,
    MAX_REDIRECTS,
    USER_AGENT,
    CachedImage,
    FetchError,
    FetchOptions,
    FetchStats,
    ImageFetcher,
    check_url_allowed,
    guard,
    sniff_image_type,
)
from convert.fetch import cache as cache_module
from convert.fetch import fetcher as fetcher_module

# ------------------------------------------------------------------------------ payloads


def make_png(width: int = 3, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\xff\x80\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def pillow_image(format: str, frames: int = 1, **params: object) -> bytes:
    """A small image written by Pillow: decodes completely, every frame."""
    pictures = [Image.new("RGB", (6, 4), (40 * i, 90, 200 - 30 * i)) for i in range(frames)]
    out = io.BytesIO()
    if frames > 1:
        params.update(save_all=True, append_images=pictures[1:])
    pictures[0].save(out, format, **params)
    return out.getvalue()


PNG = make_png()
JPEG = pillow_image("JPEG")
GIF87 = pillow_image("GIF").replace(b"GIF89a", b"GIF87a", 1)  # one frame, no extensions
GIF89 = pillow_image("GIF", frames=3, duration=100, loop=0)
WEBP = pillow_image("WEBP", frames=2, duration=100)
SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- drawn by hand -->\n'
    b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
    b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4">'
    b'<rect width="4" height="4" fill="red"/></svg>\n'
)
EVIL_SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><svg></svg><p>not an image</p></body></html>"
SMALL_LIMIT = 2000  # max_bytes in the size tests


def bomb_png(width: int, height: int) -> bytes:
    """A PNG header declaring ``width`` × ``height`` pixels, with almost no data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(1000))) + chunk(b"IEND", b""))


BIG_PNG = make_png(60, 40)
# Bodies that start like an image and are not one (served without Content-Length, so
# only decoding can tell); the reason each gives starts with the text beside it.
CORRUPT = {
    "png-then-html": PNG[:33] + HTML,
    "png-signature-then-html": PNG[:8] + HTML,
    "png-cut": BIG_PNG[: len(BIG_PNG) // 2],
    "jpeg-cut": JPEG[: len(JPEG) // 2],
    "gif-cut": GIF89[:-40],
    "webp-cut": WEBP[:-30],
}
CORRUPT_REASONS = {
    "png-then-html": "not a complete PNG image",
    "png-signature-then-html": "not a complete PNG image",
    "png-cut": "not a complete PNG image",
    "jpeg-cut": "not a complete JPEG image",
    "gif-cut": "not a complete GIF image",
    "webp-cut": "not a complete WEBP image",
}

# ------------------------------------------------------------------------- test server


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.counts: Counter[str] = Counter()
            self.headers: dict[str, list[dict[str, str]]] = {}
            self.barrier = threading.Barrier(3, timeout=5)
            self.finished: Counter[str] = Counter()  # bodies the server wrote to the end
            self.release = threading.Event()  # lets stalled handlers go


def _send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    content_type: str = "application/octet-stream",
    headers: dict[str, str] | None = None,
    length: int | None = None,
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body) if length is None else length))
    handler.end_headers()
    handler.wfile.write(body)


def _redirect(handler: BaseHTTPRequestHandler, location: str, status: int = 302) -> None:
    _send(handler, status, b"", "text/plain", {"Location": location})


def _png(handler, n):
    _send(handler, 200, PNG, "text/html")  # a lying Content-Type: the bytes decide


def _stream(handler, n):  # no Content-Length: the body ends when the connection closes
    handler.send_response(200)
    handler.send_header("Content-Type", "image/png")
    handler.end_headers()
    for _ in range(400):  # 26 MB: more than socket buffers hold, so only a client
        handler.wfile.write(PNG + bytes(64 * 1024))  # that reads it all lets this end
    handler.server.state.finished[handler.path] += 1


def _corrupt(handler, n):  # no Content-Length: the body ends when the connection closes
    handler.send_response(200)
    handler.send_header("Content-Type", "image/png")
    handler.end_headers()
    handler.wfile.write(CORRUPT[handler.path.rsplit("/", 1)[1]])


def _stall(handler, n):  # accepts the request, then says nothing until released
    handler.server.state.release.wait(timeout=30)
    _png(handler, n)


def _stall_body(handler, n):  # headers and a few bytes, then nothing until released
    handler.send_response(200)
    handler.send_header("Content-Length", str(len(PNG)))
    handler.end_headers()
    handler.wfile.write(PNG[:20])
    handler.wfile.flush()
    handler.server.state.release.wait(timeout=30)
    handler.wfile.write(PNG[20:])


def _chunked(handler, n):  # Transfer-Encoding: chunked, in small pieces
    body = PNG + (bytes(SMALL_LIMIT) if "big" in handler.path else b"")
    handler.protocol_version = "HTTP/1.1"
    handler.send_response(200)
    handler.send_header("Transfer-Encoding", "chunked")
    handler.send_header("Connection", "close")
    handler.end_headers()
    for start in range(0, len(body), 100):
        piece = body[start : start + 100]
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
    handler.wfile.write(b"0\r\n\r\n")


def _truncated(handler, n):
    _send(handler, 200, PNG[:40], "image/png", length=len(PNG) + 500)


def _slow_once(handler, n):
    if n == 1:
        time.sleep(1.0)
    _png(handler, n)


def _drip(handler, n):  # every piece comes quickly, the whole body does not
    handler.send_response(200)
    handler.send_header("Content-Length", str(len(PNG)))
    handler.end_headers()
    step = len(PNG) // 16 + 1  # 16 pieces, 0.1 s apart
    for start in range(0, len(PNG), step):
        handler.wfile.write(PNG[start : start + step])
        handler.wfile.flush()
        time.sleep(0.1)


def _hotlink(handler, n):
    expected = f"http://127.0.0.1:{handler.server.server_port}/"
    if handler.headers.get("Referer") == expected:
        _png(handler, n)
    else:
        _send(handler, 403, b"no hotlinking", "text/plain")


def _barrier(handler, n):
    try:
        handler.server.state.barrier.wait()
    except threading.BrokenBarrierError:
        _send(handler, 500, b"requests did not overlap", "text/plain")
        return
    _png(handler, n)


def _chain(handler, n):
    hops = int(handler.path.rsplit("/", 1)[1])
    if hops == 0:
        _png(handler, n)
    else:
        _redirect(handler, f"/chain/{hops - 1}")


ROUTES: dict[str, Callable[[BaseHTTPRequestHandler, int], None]] = {
    "/img.png": _png,
    "/图片 1.png": _png,
    "/img.jpg": lambda h, n: _send(h, 200, JPEG, "image/png"),
    "/img87.gif": lambda h, n: _send(h, 200, GIF87, "image/gif"),
    "/img.gif": lambda h, n: _send(h, 200, GIF89, "image/jpeg"),
    "/img.webp": lambda h, n: _send(h, 200, WEBP, "application/octet-stream"),
    "/img.svg": lambda h, n: _send(h, 200, SVG, "text/plain"),
    "/evil.svg": lambda h, n: _send(h, 200, EVIL_SVG, "image/svg+xml"),
    "/page.html": lambda h, n: _send(h, 200, HTML, "image/png"),
    "/missing": lambda h, n: _send(h, 404, b"not found", "text/plain"),
    "/flaky": lambda h, n: _send(h, 500, b"oops") if n == 1 else _png(h, n),
    "/down": lambda h, n: _send(h, 503, b"down"),
    "/busy": lambda h, n: (
        _send(h, 429, b"", headers={"Retry-After": "0"}) if n == 1 else _png(h, n)
    ),
    "/busy-long": (
        lambda h, n: _send(h, 429, b"", headers={"Retry-After": "3600"}) if n == 1 else _png(h, n)
    ),
    "/hotlink": _hotlink,
    "/forbidden": lambda h, n: _send(h, 403, b"no"),
    "/redirect": lambda h, n: _redirect(h, "/img.png"),
    "/redirect-301": lambda h, n: _redirect(h, "/img.gif", 301),
    "/redirect-308": lambda h, n: _redirect(h, "/img.gif", 308),
    "/redirect-file": lambda h, n: _redirect(h, "file:///etc/passwd"),
    "/redirect-ftp": lambda h, n: _redirect(h, "ftp://127.0.0.1/img.png"),
    "/redirect-js": lambda h, n: _redirect(h, "javascript:alert(1)"),
    "/redirect-private": lambda h, n: _redirect(h, "http://10.0.0.1/img.png"),
    "/redirect-metadata": lambda h, n: _redirect(h, "http://169.254.169.254/latest/meta-data"),
    "/redirect-loop": lambda h, n: _redirect(h, "/redirect-loop"),
    "/big": lambda h, n: _send(h, 200, PNG + bytes(SMALL_LIMIT), "image/png"),
    "/big-stream": _stream,
    "/chunked": _chunked,
    "/chunked-big": _chunked,
    "/truncated": _truncated,
    "/stall": _stall,
    "/stall-body": _stall_body,
    "/slow-once": _slow_once,
    "/drip": _drip,
}


class _Handler(BaseHTTPRequestHandler):
    server_version = "TestImages/1.0"

    def do_GET(self) -> None:  # the name http.server calls
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        state: _State = self.server.state
        with state.lock:
            state.counts[path] += 1
            count = state.counts[path]
            state.headers.setdefault(path, []).append(dict(self.headers))
        if path.startswith("/chain/"):
            route = _chain
        elif path.startswith("/barrier/"):
            route = _barrier
        elif path.startswith("/corrupt/"):
            route = _corrupt
        else:
            route = ROUTES.get(path, lambda h, n: _send(h, 404, b"no route"))
        try:
            route(self, count)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout, size limit): expected here

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # the default 5 makes parallel clients wait for SYN retries

    def server_bind(self) -> None:
        # HTTPServer.server_bind would call socket.getfqdn(): a reverse DNS lookup.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class Site:
    def __init__(self, server: _Server) -> None:
        self.server = server
        self.state: _State = server.state
        self.base = f"http://127.0.0.1:{server.server_port}"

    def url(self, path: str) -> str:
        return self.base + path

    def count(self, path: str) -> int:
        with self.state.lock:
            return self.state.counts[path]

    def headers(self, path: str) -> list[dict[str, str]]:
        with self.state.lock:
            return list(self.state.headers.get(path, []))


@pytest.fixture(scope="module")
def _running_server() -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = _State()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=2)


@pytest.fixture
def site(_running_server: _Server) -> Iterator[Site]:
    _running_server.state.reset()
    yield Site(_running_server)
    _running_server.state.release.set()  # stalled handlers end with the test


# -------------------------------------------------------------------- network safety net

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def _parses_as_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%")[0])
        return True
    except ValueError:
        pass
    try:
        socket.inet_aton(host)  # "127.1", "2130706433", "0x7f000001": parsed, not looked up
        return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def network_guard(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Fail the test on a connection to anything but loopback, or a real DNS lookup.

    Returns the set of host names a connection may go to; a test may add to it.
    """
    allowed = set(LOOPBACK_HOSTS)
    real_connect = http.client.HTTPConnection.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: http.client.HTTPConnection) -> None:
        if self.host not in allowed:
            raise AssertionError(f"the test tried to connect to {self.host}")
        real_connect(self)

    def getaddrinfo(host, *args, **kwargs):
        if host != "localhost" and not _parses_as_address(str(host)):
            raise AssertionError(f"the test tried to look up {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(http.client.HTTPConnection, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return allowed


def _fake_resolver(monkeypatch: pytest.MonkeyPatch, answers: Callable[[str, int], list[str]]):
    """Replace socket.getaddrinfo with answers(host, call_number) -> address strings."""
    calls: Counter[str] = Counter()

    def getaddrinfo(host, port, *args, **kwargs):
        calls[host] += 1
        result = []
        for address in answers(host, calls[host]):
            if ":" in address:
                result.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
            else:
                result.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
        if not result:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return result

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return calls


# ------------------------------------------------------------------------------ helpers


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def make_fetcher(cache: Path) -> Callable[..., ImageFetcher]:
    def make(**options) -> ImageFetcher:
        settings = {"cache_dir": cache, "allow_private_hosts": True, "timeout": 3.0}
        settings.update(options)
        fetcher = ImageFetcher(FetchOptions(**settings))
        fetcher._backoff = 0.0  # retries without waiting: the tests stay fast
        return fetcher

    return make


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def failure(fetcher: ImageFetcher, url: str) -> str:
    with pytest.raises(FetchError) as info:
        fetcher.fetch(url)
    reason = str(info.value)
    assert "\n" not in reason
    assert fetcher.stats.failures[url] == reason
    return reason


# ----------------------------------------------------------------------------- sniffing

SNIFF_CASES = [
    (PNG, ("image/png", ".png")),
    (JPEG, ("image/jpeg", ".jpg")),
    (b"\xff\xd8\xff\xdb", ("image/jpeg", ".jpg")),
    (GIF87, ("image/gif", ".gif")),
    (GIF89, ("image/gif", ".gif")),
    (WEBP, ("image/webp", ".webp")),
    (SVG, ("image/svg+xml", ".svg")),
    (b"<svg/>", ("image/svg+xml", ".svg")),
    (b"\xef\xbb\xbf  \n<svg xmlns='http://www.w3.org/2000/svg'>", ("image/svg+xml", ".svg")),
    ("<?xml version='1.0'?><svg>".encode("utf-16"), ("image/svg+xml", ".svg")),
    (b"<!-- a -->\n<!-- b --><?pi x?><svg\n>", ("image/svg+xml", ".svg")),
    (b'<!DOCTYPE svg [<!ENTITY a "x">]><svg>', ("image/svg+xml", ".svg")),
    (b"<svg:svg xmlns:svg='http://www.w3.org/2000/svg'/>", ("image/svg+xml", ".svg")),
    (HTML, None),
    (b"<html><svg></svg></html>", None),
    (b"<?xml version='1.0'?><rss/>", None),
    (b"<svgfoo/>", None),
    (b"<!-- never closed <svg>", None),
    (b"plain text", None),
    (b"", None),
    (b"GIF8", None),
    (b"\x89PNG", None),
    (b"BM\x36\x00\x00\x00", None),  # BMP: not supported
    (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),
    (b"\x00\x00\x00\x1cftypavif", None),  # AVIF: not supported
    (b"%PDF-1.7", None),
]


@pytest.mark.parametrize(("head", "expected"), SNIFF_CASES)
def test_sniff_image_type(head: bytes, expected: tuple[str, str] | None) -> None:
    assert sniff_image_type(head) == expected


UNSAFE_SVGS = [
    b"<svg><script>alert(1)</script></svg>",
    b"<svg><SCRIPT>alert(1)</SCRIPT></svg>",
    b"<svg xmlns:s='http://www.w3.org/2000/svg'><s:script>x</s:script></svg>",
    b"<svg><foreignObject><div/></foreignObject></svg>",
    b'<svg onload="alert(1)"/>',
    b'<svg><rect width="1" onclick = "x()"/></svg>',
    b'<svg><image href="http://example.com/a.png"/></svg>',
    b"<svg xmlns:xlink='http://www.w3.org/1999/xlink'><image xlink:href='https://e.com/a'/></svg>",
    b'<svg><image href="//example.com/a.png"/></svg>',
    b'<svg><use href=" HTTP://example.com/s.svg#a"/></svg>',
    b'<svg><image href="file:///etc/passwd"/></svg>',
    b'<svg><image href="data:image/svg+xml;base64,PHN2Zz4="/></svg>',
    b'<svg><rect style="fill: url(http://example.com/p.svg#g)"/></svg>',
    b"<svg><style>rect { fill: url( 'https://e.com/x' ) }</style></svg>",
    b"<svg><style>@import 'x.css';</style></svg>",
    b'<svg><a href="javascript:alert(1)"><rect/></a></svg>',
    b'<svg><a href="java\tscript:alert(1)"><rect/></a></svg>',
    b'<svg><a href="&#106;avascript:alert(1)"><rect/></a></svg>',
    b'<svg><set attributeName="href" to="javascript:alert(1)"/></svg>',
    b'<?xml-stylesheet href="http://example.com/s.css"?><svg/>',
    b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>',
    b'<!DOCTYPE svg [<!ENTITY % p SYSTEM "http://e.com/p.dtd"> %p;]><svg/>',
    # only visible after the parser expands the entities: caught by the tree pass
    b'<!DOCTYPE svg [<!ENTITY a "java"><!ENTITY b "script:">]>'
    b'<svg><a href="&a;&b;alert(1)"><rect/></a></svg>',
    b'<!DOCTYPE svg [<!ENTITY u "http://example.com/a.png">]><svg><image href="&u;"/></svg>',
    b"<svg><rect></svg>",  # malformed: refused rather than guessed at
]

SAFE_SVGS = [
    SVG,
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
    b'<defs><linearGradient id="g"/></defs><rect style="fill:url(#g)"/>'
    b'<use xlink:href="#g"/><image href="data:image/png;base64,iVBORw0KGgo="/>'
    b'<image href="picture.png"/><text>Turn it on, carefully</text></svg>',
    # Inkscape metadata: RDF resources are not loaded by renderers
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
    b' xmlns:cc="http://creativecommons.org/ns#"><metadata><rdf:RDF><cc:Work rdf:about="">'
    b'<cc:license rdf:resource="http://creativecommons.org/licenses/by/4.0/"/>'
    b"</cc:Work></rdf:RDF></metadata></svg>",
    # Illustrator-style internal entities
    b'<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "svg11.dtd" ['
    b'<!ENTITY ns_svg "http://www.w3.org/2000/svg">]><svg xmlns="&ns_svg;"><rect/></svg>',
]


@pytest.mark.parametrize("svg", UNSAFE_SVGS)
def test_unsafe_svg_is_refused(svg: bytes) -> None:
    assert sniff_image_type(svg) == ("image/svg+xml", ".svg")
    assert fetch.svg_problem(svg) is not None


@pytest.mark.parametrize("svg", SAFE_SVGS)
def test_safe_svg_is_accepted(svg: bytes) -> None:
    assert sniff_image_type(svg) == ("image/svg+xml", ".svg")
    assert fetch.svg_problem(svg) is None


# ------------------------------------------------------------------- URL and host checks


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/a.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "javascript:alert(1)",
        "gopher://example.com/",
        "mailto:a@example.com",
        "//example.com/a.png",
        "/a.png",
        "",
        "http:///a.png",
        "http://[::1/a.png",
        "http://example.com:99999/a.png",
    ],
)
@pytest.mark.parametrize("allow_private_hosts", [False, True])
def test_non_http_urls_are_refused(url: str, allow_private_hosts: bool) -> None:
    with pytest.raises(FetchError):
        check_url_allowed(url, allow_private_hosts)


PRIVATE_LITERALS = [
    "http://10.0.0.1/a.png",
    "http://192.168.1.1/a.png",
    "http://172.16.5.4/a.png",
    "http://127.0.0.1/a.png",
    "http://127.1/a.png",
    "http://2130706433/a.png",
    "http://0x7f000001/a.png",
    "http://169.254.169.254/latest/meta-data/",
    "http://0.0.0.0/a.png",
    "http://100.64.0.1/a.png",
    "http://192.0.2.10/a.png",
    "http://224.0.0.1/a.png",
    "http://240.0.0.1/a.png",
    "http://255.255.255.255/a.png",
    "http://[::1]/a.png",
    "http://[::]/a.png",
    "http://[fe80::1]/a.png",
    "http://[fe80::1%25eth0]/a.png",
    "http://[fc00::1]/a.png",
    "http://[fd12:3456::1]/a.png",
    "http://[ff02::1]/a.png",
    "http://[2001:db8::1]/a.png",
    "http://[::ffff:127.0.0.1]/a.png",
    "http://[::ffff:10.0.0.1]/a.png",
    "http://[::ffff:169.254.169.254]/a.png",
    "http://[2002:7f00:1::]/a.png",  # 6to4 around 127.0.0.1
    "http://[64:ff9b::a00:1]/a.png",  # NAT64 around 10.0.0.1
    "https://user:pw@10.0.0.1:8443/a.png",
]


@pytest.mark.parametrize("url", PRIVATE_LITERALS)
def test_private_literal_hosts_are_refused_without_connecting(url: str, cache: Path) -> None:
    with pytest.raises(FetchError, match="refused host"):
        check_url_allowed(url, allow_private_hosts=False)
    check_url_allowed(url, allow_private_hosts=True)  # allowed when told so
    fetcher = ImageFetcher(FetchOptions(cache_dir=cache))
    with pytest.raises(FetchError, match="refused host"):
        fetcher.fetch(url)  # the network guard fixture proves nothing was connected to
    assert fetcher.stats.failed == 1
    assert files_in(cache) == []


@pytest.mark.parametrize(
    "url",
    [
        "http://8.8.8.8/a.png",
        "https://1.1.1.1:8443/a.png",
        "http://[2606:4700:4700::1111]/a.png",
        "http://[::ffff:8.8.8.8]/a.png",
    ],
)
def test_public_literal_hosts_are_allowed(url: str) -> None:
    check_url_allowed(url, allow_private_hosts=False)  # only checked: nothing is fetched


def test_a_name_is_refused_when_any_address_is_private(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {
        "public.test": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
        "mixed.test": ["93.184.216.34", "10.1.2.3"],
        "mixed6.test": ["93.184.216.34", "fd00::1"],
        "mapped.test": ["::ffff:127.0.0.1"],
    }
    calls = _fake_resolver(monkeypatch, lambda host, n: answers.get(host, []))
    check_url_allowed("https://public.test/a.png", False)
    with pytest.raises(FetchError, match=r"refused host mixed\.test: private address 10\.1\.2\.3"):
        check_url_allowed("https://mixed.test/a.png", False)
    with pytest.raises(FetchError, match="fd00::1"):
        check_url_allowed("https://mixed6.test/a.png", False)
    with pytest.raises(FetchError, match="loopback"):
        check_url_allowed("https://mapped.test/a.png", False)
    with pytest.raises(FetchError, match=r"cannot resolve host nowhere\.test"):
        check_url_allowed("https://nowhere.test/a.png", False)
    # allow_private_hosts: no lookup at all
    check_url_allowed("https://other.test/a.png", True)
    assert calls["other.test"] == 0


def test_localhost_by_name_is_refused() -> None:
    with pytest.raises(FetchError, match="loopback"):
        check_url_allowed("http://localhost/a.png", allow_private_hosts=False)


@pytest.mark.parametrize("url", ["http://127.0.0.1./a.png", "http://localhost./a.png",
                                 "http://LocalHost/a.png", "http://img.localhost/a.png",
                                 "http://10.0.0.1./a.png"])
@pytest.mark.parametrize("via_proxy", [False, True])
def test_trailing_dots_and_localhost_names_are_refused_even_for_a_proxy(
        url: str, via_proxy: bool) -> None:
    # a proxy resolves names itself: these must be refused before anything is sent
    with pytest.raises(FetchError, match="refused host"):
        check_url_allowed(url, allow_private_hosts=False, via_proxy=via_proxy)


def test_the_loopback_test_server_is_refused_by_default(site: Site, cache: Path) -> None:
    fetcher = ImageFetcher(FetchOptions(cache_dir=cache))
    reason = failure(fetcher, site.url("/img.png"))
    assert "loopback address 127.0.0.1" in reason
    assert site.count("/img.png") == 0
    assert fetcher.stats == FetchStats(failed=1, failures={site.url("/img.png"): reason},
                                       kinds={site.url("/img.png"): "refused"})


def test_dns_rebinding_is_caught_at_connect_time(
    site: Site, cache: Path, monkeypatch: pytest.MonkeyPatch, network_guard: set[str]
) -> None:
    # The name is public when checked, loopback when the connection resolves it.
    # Connecting goes through the guarded connection, whose own lookup says 127.0.0.1.
    network_guard.add("rebind.test")
    calls = _fake_resolver(
        monkeypatch, lambda host, n: ["93.184.216.34"] if n == 1 else ["127.0.0.1"]
    )
    port = site.server.server_port
    fetcher = ImageFetcher(FetchOptions(cache_dir=cache, retries=0))
    reason = failure(fetcher, f"http://rebind.test:{port}/img.png")
    assert reason.startswith("refused host rebind.test: loopback address 127.0.0.1")
    assert calls["rebind.test"] == 2
    assert site.count("/img.png") == 0


@pytest.mark.parametrize(
    "connection", [guard._CheckedHTTPConnection, guard._CheckedHTTPSConnection]
)
def test_guarded_connections_refuse_loopback(site: Site, connection) -> None:
    conn = connection("127.0.0.1", site.server.server_port, timeout=1)
    with pytest.raises(FetchError, match="loopback address 127.0.0.1"):
        conn.connect()
    assert conn.sock is None
    conn.close()


@pytest.mark.parametrize("allow_private_hosts", [False, True])
@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://127.0.0.1/a.png", "data:image/png;base64,iVBORw0KGgo="]
)
def test_the_opener_speaks_only_http(allow_private_hosts: bool, url: str) -> None:
    opener = guard.build_opener(allow_private_hosts)
    with pytest.raises(urllib.error.URLError, match="unknown url type"):
        opener.open(url, timeout=1)


@pytest.fixture
def trust_test_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat 127.0.0.1 (only) as public, so the guarded code path talks to the server."""
    real = guard._address_problem

    def problem(ip):
        return None if ip == ipaddress.ip_address("127.0.0.1") else real(ip)

    monkeypatch.setattr(guard, "_address_problem", problem)


def test_guarded_path_downloads_from_an_allowed_host(
    site: Site, cache: Path, trust_test_server: None
) -> None:
    fetcher = ImageFetcher(FetchOptions(cache_dir=cache))
    assert fetcher.fetch(site.url("/redirect")).path.read_bytes() == PNG


@pytest.mark.parametrize(
    ("path", "target"),
    [("/redirect-private", "10.0.0.1"), ("/redirect-metadata", "169.254.169.254")],
)
def test_redirect_to_a_private_address_is_refused(
    site: Site, cache: Path, trust_test_server: None, path: str, target: str
) -> None:
    fetcher = ImageFetcher(FetchOptions(cache_dir=cache))
    reason = failure(fetcher, site.url(path))
    assert reason.startswith(f"refused redirect to http://{target}/")
    assert f"refused host {target}" in reason
    assert site.count(path) == 1


def test_redirect_handler_checks_each_target() -> None:
    handler = guard._CheckedRedirectHandler(allow_private_hosts=False)
    request = urllib.request.Request("http://93.184.216.34/a.png")
    for target in ("http://10.0.0.1/x", "http://[::1]/x", "ftp://8.8.8.8/x", "file:///x"):
        with pytest.raises(FetchError, match="refused redirect"):
            handler.redirect_request(request, io.BytesIO(), 302, "Found", {}, target)
    allowed = handler.redirect_request(request, io.BytesIO(), 302, "Found", {}, "http://8.8.8.8/b")
    assert allowed.full_url == "http://8.8.8.8/b"
    request.redirect_dict = {"http://8.8.8.8/1": 3, "http://8.8.8.8/2": MAX_REDIRECTS - 3}
    with pytest.raises(FetchError, match="too many redirects"):
        handler.redirect_request(request, io.BytesIO(), 302, "Found", {}, "http://8.8.8.8/b")
    lenient = guard._CheckedRedirectHandler(allow_private_hosts=True)
    redirected = lenient.redirect_request(
        urllib.request.Request("http://8.8.8.8/a"), io.BytesIO(), 302, "Found", {}, "http://[::1]/"
    )
    assert redirected.full_url == "http://[::1]/"


# ----------------------------------------------------------------------------- downloads


@pytest.mark.parametrize(
    ("path", "body", "media_type", "extension"),
    [
        ("/img.png", PNG, "image/png", ".png"),
        ("/img.jpg", JPEG, "image/jpeg", ".jpg"),
        ("/img87.gif", GIF87, "image/gif", ".gif"),
        ("/img.gif", GIF89, "image/gif", ".gif"),
        ("/img.webp", WEBP, "image/webp", ".webp"),
        ("/img.svg", SVG, "image/svg+xml", ".svg"),
    ],
)
def test_download_each_type(
    site: Site, cache: Path, make_fetcher, path: str, body: bytes, media_type: str, extension: str
) -> None:
    url = site.url(path)
    image = make_fetcher().fetch(url)
    key = hashlib.sha256(url.encode()).hexdigest()
    assert image == CachedImage(
        url=url,
        path=cache / key[:2] / f"{key}.ok{extension}",
        media_type=media_type,
        extension=extension,
        size=len(body),
        from_cache=False,
    )
    assert image.path.read_bytes() == body
    assert files_in(cache) == [image.path]


def test_request_headers(site: Site, make_fetcher) -> None:
    make_fetcher().fetch(site.url("/img.png"))
    [headers] = site.headers("/img.png")
    assert headers["User-Agent"] == USER_AGENT
    assert headers["Accept"] == ACCEPT
    assert "Referer" not in headers


def test_non_ascii_url_is_sent_percent_encoded(site: Site, make_fetcher) -> None:
    url = site.url("/图片 1.png")
    image = make_fetcher().fetch(url)
    assert image.url == url
    assert image.path.name.startswith(hashlib.sha256(url.encode()).hexdigest())
    assert site.count("/图片 1.png") == 1


def test_environment_proxies_follow_curls_rules(
    site: Site, make_fetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (tests/test_proxy.py fetches through a real loopback proxy.) Any use of these
    # unreachable proxies would fail the fetch: HTTP_PROXY in upper case is not read for
    # http URLs (curl's "httpoxy" rule), https_proxy is for https URLs only, and
    # no_proxy sends the loopback site past http_proxy.
    for name in ("HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.setenv(name, "http://10.9.9.9:3128")
    for name in ("http_proxy", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert make_fetcher().fetch(site.url("/img.png")).size == len(PNG)
    monkeypatch.setenv("http_proxy", "http://10.9.9.9:3128")
    monkeypatch.setenv("no_proxy", "localhost,127.0.0.1")
    assert make_fetcher().fetch(site.url("/img.png?second")).size == len(PNG)
    assert site.count("/img.png") == 2  # both reached the site directly


def test_user_info_is_not_sent(site: Site, make_fetcher) -> None:
    url = site.url("/img.png").replace("http://", "http://user:secret@")
    image = make_fetcher().fetch(url)
    assert image.url == url and image.size == len(PNG)
    [headers] = site.headers("/img.png")
    assert "Authorization" not in headers


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/page.html", "not a supported image type"),
        ("/evil.svg", "unsafe SVG: contains a script element"),
        ("/missing", "HTTP 404 Not Found"),
    ],
)
def test_refused_content_leaves_nothing(
    site: Site, cache: Path, make_fetcher, path: str, expected: str
) -> None:
    fetcher = make_fetcher()
    assert failure(fetcher, site.url(path)) == expected
    assert site.count(path) == 1  # not retried
    assert files_in(cache) == []


def test_retry_after_server_error(site: Site, make_fetcher) -> None:
    fetcher = make_fetcher(retries=1)
    assert fetcher.fetch(site.url("/flaky")).path.read_bytes() == PNG
    assert site.count("/flaky") == 2
    assert fetcher.stats == FetchStats(downloaded=1)


def test_retry_after_429(site: Site, make_fetcher) -> None:
    assert make_fetcher(retries=1).fetch(site.url("/busy")).size == len(PNG)
    assert site.count("/busy") == 2


@pytest.mark.parametrize("retries", [0, 2])
def test_retries_are_bounded(site: Site, cache: Path, make_fetcher, retries: int) -> None:
    reason = failure(make_fetcher(retries=retries), site.url("/down"))
    assert reason.startswith("HTTP 503")
    assert site.count("/down") == retries + 1
    assert ("after 3 attempts" in reason) == (retries == 2)
    assert files_in(cache) == []


def test_backoff_doubles_and_is_capped(
    site: Site, make_fetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps: list[float] = []
    fetcher = make_fetcher(retries=3)
    monkeypatch.setattr(fetcher.cancellation, "sleep", sleeps.append)
    fetcher._backoff, fetcher._max_backoff = 0.25, 0.75
    with pytest.raises(FetchError):
        fetcher.fetch(site.url("/down"))
    assert sleeps == [0.25, 0.5, 0.75]
    sleeps.clear()
    fetcher.fetch(site.url("/busy-long"))  # Retry-After: 3600 is capped too
    assert sleeps == [0.75]
    defaults = ImageFetcher()
    assert defaults._backoff <= 1 and defaults._max_backoff <= 10


def test_403_is_retried_once_with_a_referer(site: Site, make_fetcher) -> None:
    fetcher = make_fetcher(retries=0)  # the Referer attempt is not a "retry"
    assert fetcher.fetch(site.url("/hotlink")).path.read_bytes() == PNG
    first, second = site.headers("/hotlink")
    assert "Referer" not in first
    assert second["Referer"] == site.base + "/"
    assert second["User-Agent"] == USER_AGENT


def test_403_twice_fails(site: Site, make_fetcher) -> None:
    reason = failure(make_fetcher(), site.url("/forbidden"))
    assert reason == "HTTP 403 Forbidden (also with a Referer)"
    assert site.count("/forbidden") == 2


@pytest.mark.parametrize(
    ("path", "final"), [("/redirect", "/img.png"), ("/redirect-308", "/img.gif")]
)
def test_redirect_is_followed(site: Site, make_fetcher, path: str, final: str) -> None:
    image = make_fetcher().fetch(site.url(path))
    assert image.url == site.url(path)  # keyed and reported by the URL asked for
    assert site.count(path) == 1 and site.count(final) == 1


def test_redirect_chain_limit(site: Site, make_fetcher) -> None:
    fetcher = make_fetcher()
    assert fetcher.fetch(site.url(f"/chain/{MAX_REDIRECTS}")).size == len(PNG)
    reason = failure(fetcher, site.url(f"/chain/{MAX_REDIRECTS + 1}"))
    assert reason == f"too many redirects (more than {MAX_REDIRECTS})"
    assert "too many redirects" in failure(fetcher, site.url("/redirect-loop"))
    assert site.count("/redirect-loop") == MAX_REDIRECTS + 1


@pytest.mark.parametrize(
    ("path", "scheme"),
    [("/redirect-file", "file"), ("/redirect-ftp", "ftp"), ("/redirect-js", "javascript")],
)
def test_redirect_to_another_scheme_is_refused(
    site: Site, cache: Path, make_fetcher, path: str, scheme: str
) -> None:
    reason = failure(make_fetcher(), site.url(path))
    assert reason == f"refused redirect to a {scheme}: URL"
    assert files_in(cache) == []


def test_content_length_over_the_limit(site: Site, cache: Path, make_fetcher) -> None:
    reason = failure(make_fetcher(max_bytes=SMALL_LIMIT), site.url("/big"))
    assert reason == f"too large: {len(PNG) + SMALL_LIMIT} bytes (the limit is {SMALL_LIMIT})"
    assert site.count("/big") == 1
    assert files_in(cache) == []


def test_streamed_body_over_the_limit(site: Site, cache: Path, make_fetcher) -> None:
    fetcher = make_fetcher(max_bytes=100 * 1024)
    assert failure(fetcher, site.url("/big-stream")) == f"too large: more than {100 * 1024} bytes"
    # stopped early: the server could not write the whole 26 MB to a client that left
    assert site.state.finished["/big-stream"] == 0
    assert files_in(cache) == []
    assert make_fetcher(max_bytes=len(PNG)).fetch(site.url("/img.png")).size == len(PNG)


def test_chunked_body(site: Site, cache: Path, make_fetcher) -> None:
    fetcher = make_fetcher(max_bytes=SMALL_LIMIT)
    assert fetcher.fetch(site.url("/chunked")).path.read_bytes() == PNG
    assert failure(fetcher, site.url("/chunked-big")) == f"too large: more than {SMALL_LIMIT} bytes"
    assert len(files_in(cache)) == 1


def test_truncated_body_fails(site: Site, cache: Path, make_fetcher) -> None:
    reason = failure(make_fetcher(retries=1), site.url("/truncated"))
    assert reason == f"truncated: 40 of {len(PNG) + 500} bytes (after 2 attempts)"
    assert files_in(cache) == []


def test_slow_server_times_out(site: Site, cache: Path, make_fetcher) -> None:
    # the server holds its answer until the test ends: only the timeout ends the wait
    reason = failure(make_fetcher(timeout=0.3, retries=0), site.url("/stall"))
    assert reason == "connection failed: timed out"
    assert site.count("/stall") == 1
    assert files_in(cache) == []


def test_timeout_is_retried(site: Site, make_fetcher) -> None:
    image = make_fetcher(timeout=0.3, retries=1).fetch(site.url("/slow-once"))
    assert image.size == len(PNG)
    assert site.count("/slow-once") == 2


def test_body_that_trickles_past_the_timeout(site: Site, cache: Path, make_fetcher) -> None:
    # every piece comes within the timeout; the reason shows the attempt's own clock
    # stopped it (had the whole 1.6 s body been read, the download would have succeeded)
    reason = failure(make_fetcher(timeout=0.35, retries=0), site.url("/drip"))
    assert reason == "timed out (the body took too long)"
    assert files_in(cache) == []


def test_unreachable_port_is_a_retryable_connection_error(make_fetcher) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    fetcher = make_fetcher(retries=1)
    reason = failure(fetcher, f"http://127.0.0.1:{port}/a.png")
    assert reason.startswith("connection failed: ") and reason.endswith("(after 2 attempts)")


# ---------------------------------------------------------------------------------- cache


def test_second_fetch_comes_from_the_cache(site: Site, cache: Path, make_fetcher) -> None:
    url = site.url("/img.png")
    fetcher = make_fetcher()
    first = fetcher.fetch(url)
    second = fetcher.fetch(url)
    assert not first.from_cache and second.from_cache
    assert second.path == first.path and second.size == len(PNG)
    assert second.media_type == "image/png"
    assert site.count("/img.png") == 1
    assert fetcher.stats == FetchStats(downloaded=1, cached=1)
    # a later run (a new fetcher) finds it too, even with the network guard on
    again = ImageFetcher(FetchOptions(cache_dir=cache)).fetch(url)
    assert again.from_cache and site.count("/img.png") == 1


def test_offline_uses_only_the_cache(
    site: Site, cache: Path, make_fetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    svg_url = site.url("/img.svg")
    make_fetcher().fetch(svg_url)

    def no_network(*args, **kwargs):
        raise AssertionError("offline mode touched the network")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(http.client.HTTPConnection, "connect", no_network)
    offline = ImageFetcher(FetchOptions(cache_dir=cache, offline=True))
    hit = offline.fetch(svg_url)
    assert hit.from_cache and hit.media_type == "image/svg+xml"
    miss = "https://images.example.com/not-cached.png"
    assert failure(offline, miss) == "not in the cache (offline)"
    results = offline.fetch_all([svg_url, miss, "file:///etc/passwd"])
    assert list(results) == [svg_url]
    assert offline.stats.cached == 2 and offline.stats.failed == 3
    assert offline.stats.failures[miss] == "not in the cache (offline)"
    assert "only http and https" in offline.stats.failures["file:///etc/passwd"]
    assert site.count("/img.svg") == 1


def test_damaged_cache_file_is_fetched_again(site: Site, make_fetcher) -> None:
    url = site.url("/img.png")
    fetcher = make_fetcher()
    path = fetcher.fetch(url).path
    path.write_bytes(b"")  # what a power cut before the data reached the disk can leave
    image = fetcher.fetch(url)
    assert not image.from_cache and image.path.read_bytes() == PNG
    assert site.count("/img.png") == 2


def test_interrupted_write_leaves_no_file(
    site: Site, cache: Path, make_fetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cache_module.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        make_fetcher().fetch(site.url("/img.png"))
    assert files_in(cache) == []
    monkeypatch.undo()
    assert not make_fetcher().fetch(site.url("/img.png")).from_cache


def test_download_streams_to_disk_in_chunks(
    site: Site, make_fetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetcher_module, "CHUNK", 16)
    monkeypatch.setattr(fetcher_module, "HEAD_BYTES", 8)
    image = make_fetcher().fetch(site.url("/img.png"))
    assert image.path.read_bytes() == PNG


def test_default_cache_dir_comes_from_platformdirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetcher_module.platformdirs, "user_cache_dir",
                        lambda app: str(tmp_path / app))
    assert ImageFetcher().cache_dir == tmp_path / "newsconv" / "images"
    assert ImageFetcher(FetchOptions(cache_dir=tmp_path / "c")).cache_dir == tmp_path / "c"


@pytest.mark.parametrize(
    "options", [{"timeout": 0}, {"retries": -1}, {"max_bytes": 0}, {"workers": 0}]
)
def test_nonsense_options_are_refused(options: dict) -> None:
    with pytest.raises(ValueError):
        FetchOptions(**options)


# ------------------------------------------------------------------------------ fetch_all


def test_fetch_all_fetches_each_url_once(site: Site, make_fetcher) -> None:
    png, gif, svg = site.url("/img.png"), site.url("/img.gif"), site.url("/img.svg")
    missing, html = site.url("/missing"), site.url("/page.html")
    urls = [png, gif, png, svg, missing, "ftp://example.com/x.png", png, html, gif, missing]
    fetcher = make_fetcher(workers=4)
    results = fetcher.fetch_all(urls)
    assert list(results) == [png, gif, svg]
    assert all(isinstance(image, CachedImage) for image in results.values())
    for path in ("/img.png", "/img.gif", "/img.svg", "/missing", "/page.html"):
        assert site.count(path) == 1, path
    assert fetcher.stats.downloaded == 3 and fetcher.stats.cached == 0
    assert fetcher.stats.failed == 3
    assert fetcher.stats.failures == {
        missing: "HTTP 404 Not Found",
        "ftp://example.com/x.png": "refused ftp: URL: only http and https URLs are fetched",
        html: "not a supported image type",
    }
    assert fetcher.fetch_all([]) == {}


def test_fetch_all_runs_in_parallel(site: Site, make_fetcher) -> None:
    # each request waits at a 3-party barrier: this only succeeds if 3 run at once
    urls = [site.url(f"/barrier/{i}") for i in range(3)]
    fetcher = make_fetcher(workers=3, retries=0)
    assert list(fetcher.fetch_all(urls)) == urls, fetcher.stats.failures


def test_fetch_all_never_raises(site: Site, make_fetcher, monkeypatch: pytest.MonkeyPatch) -> None:
    fetcher = make_fetcher()
    real = fetcher._fetch

    def buggy(url: str) -> CachedImage:
        if url.endswith("/bug.png"):
            raise RuntimeError("boom")
        return real(url)

    monkeypatch.setattr(fetcher, "_fetch", buggy)
    urls = ["", "not a url", "http://[::1", "javascript:alert(1)", site.url("/bug.png")]
    results = fetcher.fetch_all([*urls, site.url("/img.png")])
    assert list(results) == [site.url("/img.png")]
    assert fetcher.stats.failed == len(urls)
    assert set(fetcher.stats.failures) == set(urls)
    assert fetcher.stats.failures[site.url("/bug.png")] == "unexpected error: RuntimeError: boom"
    assert all("\n" not in reason for reason in fetcher.stats.failures.values())


def test_stats_add_up_under_concurrency(site: Site, make_fetcher) -> None:
    good = [site.url(f"/img.png?n={i}") for i in range(24)]
    bad = [site.url(f"/missing?n={i}") for i in range(12)]
    fetcher = make_fetcher(workers=8)
    fetcher.fetch_all(good[:8])  # these are cache hits below
    fetcher.stats = FetchStats()
    results = fetcher.fetch_all(good + bad)
    assert list(results) == good
    assert sum(image.from_cache for image in results.values()) == 8
    assert fetcher.stats.downloaded == 16 and fetcher.stats.cached == 8
    assert fetcher.stats.failed == 12 and set(fetcher.stats.failures) == set(bad)
    assert site.count("/img.png") == 24 and site.count("/missing") == 12


# ------------------------------------------------------------------ whole images only


@pytest.mark.parametrize("name", sorted(CORRUPT))
def test_an_image_that_does_not_decode_is_refused(
    site: Site, cache: Path, make_fetcher, name: str
) -> None:
    fetcher = make_fetcher()
    url = site.url(f"/corrupt/{name}")
    assert sniff_image_type(CORRUPT[name]) is not None  # the first bytes look right
    reason = failure(fetcher, url)
    assert reason.startswith(CORRUPT_REASONS[name]), reason
    assert fetcher.stats.kinds[url] == "corrupt"
    assert site.count(f"/corrupt/{name}") == 1  # not retried: it would be the same
    assert files_in(cache) == []  # neither stored nor left as a .part file
    assert fetcher.fetch_all([url, site.url("/img.png")]).keys() == {site.url("/img.png")}


@pytest.mark.parametrize("size", [(10_000, 10_000), (20_000, 20_000)])
def test_decompression_bombs_are_refused(size: tuple[int, int]) -> None:
    # 10,000² is over Pillow's MAX_IMAGE_PIXELS (a warning there, an error here); 20,000²
    # is over twice it (Pillow's own error)
    with pytest.raises(FetchError, match="too many pixels") as info:
        fetch.check_image(bomb_png(*size), ".png")
    assert info.value.kind == "too large"


def test_every_frame_of_an_animation_is_decoded() -> None:
    for data, extension in ((GIF89, ".gif"), (WEBP, ".webp")):
        fetch.check_image(data, extension)
        with Image.open(io.BytesIO(data)) as image:
            assert image.n_frames > 1
    broken_last_frame = GIF89[:-40]
    with Image.open(io.BytesIO(broken_last_frame)) as image:
        image.load()  # the first frame alone decodes
    with pytest.raises(FetchError, match="not a complete GIF image"):
        fetch.check_image(broken_last_frame, ".gif")


def _legacy_entry(cache: Path, url: str, extension: str, data: bytes) -> Path:
    """A cache file as versions before decoding wrote it: ``<key><ext>``."""
    key = hashlib.sha256(url.encode()).hexdigest()
    path = cache / key[:2] / f"{key}{extension}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_a_corrupt_file_from_an_older_cache_is_never_served(
    site: Site, cache: Path, make_fetcher
) -> None:
    url = site.url("/img.png")
    legacy = _legacy_entry(cache, url, ".png", CORRUPT["png-then-html"])
    offline = ImageFetcher(FetchOptions(cache_dir=cache, offline=True))
    assert failure(offline, url) == "not in the cache (offline)"
    assert not legacy.exists()
    image = make_fetcher().fetch(url)
    assert not image.from_cache and image.path.read_bytes() == PNG
    assert image.path.name.endswith(".ok.png")


def test_a_whole_file_from_an_older_cache_is_checked_once_and_kept(cache: Path) -> None:
    url = "https://images.example.com/old.gif"
    legacy = _legacy_entry(cache, url, ".gif", GIF89)
    image = ImageFetcher(FetchOptions(cache_dir=cache, offline=True)).fetch(url)
    assert image.from_cache and image.media_type == "image/gif"
    assert image.path.name.endswith(".ok.gif") and not legacy.exists()
    assert image.path.read_bytes() == GIF89 and image.size == len(GIF89)


def test_a_cache_file_replaced_by_html_is_fetched_again(site: Site, make_fetcher) -> None:
    url = site.url("/img.png")
    fetcher = make_fetcher()
    path = fetcher.fetch(url).path
    path.write_bytes(HTML)
    image = fetcher.fetch(url)
    assert not image.from_cache and image.path.read_bytes() == PNG


# ------------------------------------------------------------------ leftovers of killed runs


def _dead_pid() -> int:
    """A process id that no process has (a child that has been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_part_files_of_killed_runs_are_removed(site: Site, cache: Path, make_fetcher) -> None:
    folder = cache / "ab"
    folder.mkdir(parents=True)
    key = "ab" + "0" * 62
    dead = folder / f".{key}.{_dead_pid()}.x1y2z3.part"
    ours = folder / f".{key}.{os.getpid()}.a1b2c3.part"  # a download still under way
    old_style = folder / f".{key}.q9w8e7r6.part"  # no pid in the name: its age decides
    stale = folder / f".{key}.{os.getpid()}.zzzzzz.part"
    for path in (dead, ours, old_style, stale):
        path.write_bytes(b"partial")
    two_hours_ago = time.time() - 2 * 3600
    os.utime(stale, (two_hours_ago, two_hours_ago))
    keep = folder / f"{key}.ok.png"
    keep.write_bytes(PNG)

    fetcher = make_fetcher()
    fetcher.fetch_all([site.url("/img.png")])
    assert not dead.exists() and not stale.exists()
    assert ours.exists() and old_style.exists() and keep.exists()
    assert not [p for p in files_in(cache) if p.name.endswith(".part") and p not in
                (ours, old_style)]


# ------------------------------------------------------------------ deadline and cancelling


def _wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Wait until ``condition()`` holds; fail the test if it never does."""
    ends = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < ends, "the condition never held"
        time.sleep(0.01)


def test_the_deadline_turns_the_rest_into_failures(
    site: Site, cache: Path, make_fetcher
) -> None:
    stalled = [site.url(f"/stall?n={i}") for i in range(3)]
    good = site.url("/img.png")
    fetcher = make_fetcher(deadline=1.0, workers=2, timeout=20.0)
    started = time.monotonic()
    results = fetcher.fetch_all([good, *stalled])
    # the feature is a deadline: a generous bound (the server would stall for 30 s)
    assert time.monotonic() - started < 15
    assert list(results) == [good]
    assert {fetcher.stats.kinds[url] for url in stalled} == {"deadline"}
    assert fetcher.stats.failures[stalled[0]] == (
        "not fetched: the download deadline (1 s) passed")
    assert [p.name.endswith(".part") for p in files_in(cache)] == [False]
    # a later fetch by the same fetcher fails at once, without a request
    before = site.count("/stall")
    assert "deadline" in failure(fetcher, site.url("/stall?n=9"))
    assert site.count("/stall") == before


@pytest.mark.parametrize("path", ["/stall", "/stall-body"])
def test_cancel_stops_downloads_under_way(
    site: Site, cache: Path, make_fetcher, path: str
) -> None:
    urls = [site.url(f"{path}?n={i}") for i in range(3)]
    fetcher = make_fetcher(workers=3, timeout=20.0)
    canceller = threading.Thread(
        target=lambda: (_wait_for(lambda: site.count(path) == 3), fetcher.cancel()))
    canceller.start()
    started = time.monotonic()
    assert fetcher.fetch_all(urls) == {}
    elapsed = time.monotonic() - started
    canceller.join()
    assert elapsed < 15  # not the 20 s timeout, nor the 30 s stall
    assert {fetcher.stats.kinds[url] for url in urls} == {"cancelled"}
    assert files_in(cache) == []


def test_cancel_wakes_a_backoff_sleep(site: Site, make_fetcher) -> None:
    fetcher = make_fetcher(retries=5)
    fetcher._backoff = fetcher._max_backoff = 60.0
    threading.Thread(
        target=lambda: (_wait_for(lambda: site.count("/down") == 1), fetcher.cancel())
    ).start()
    reason = failure(fetcher, site.url("/down"))
    assert reason == "cancelled (interrupted)"
    assert site.count("/down") == 1  # no attempt after the cancel


def test_ctrl_c_in_fetch_all_stops_the_workers(
    site: Site, make_fetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_wait = fetcher_module.wait

    def interrupted_wait(futures, timeout=None):
        _wait_for(lambda: site.count("/stall") == 2)
        raise KeyboardInterrupt

    monkeypatch.setattr(fetcher_module, "wait", interrupted_wait)
    fetcher = make_fetcher(workers=2, timeout=20.0)
    with pytest.raises(KeyboardInterrupt):
        fetcher.fetch_all([site.url(f"/stall?n={i}") for i in range(4)])
    assert fetcher.cancellation.cancelled
    workers = [t for t in threading.enumerate() if t.name.startswith("newsconv-fetch")]
    for worker in workers:  # they end by themselves, long before the stall or timeout
        worker.join(timeout=15)
        assert not worker.is_alive()
    assert site.count("/stall") == 2  # the queued downloads never started
    monkeypatch.setattr(fetcher_module, "wait", real_wait)


def test_nonsense_deadline_is_refused() -> None:
    with pytest.raises(ValueError):
        FetchOptions(deadline=0)



def test_cancel_stops_a_stalled_tls_handshake(make_fetcher) -> None:
    # a server that accepts the connection and never answers the TLS ClientHello
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"https://127.0.0.1:{listener.getsockname()[1]}/a.png"
        fetcher = make_fetcher(timeout=20.0, retries=0)
        accepted: list[socket.socket] = []

        def accept_then_cancel() -> None:
            connection, _ = listener.accept()
            accepted.append(connection)
            time.sleep(0.2)  # let the client get into its handshake read
            fetcher.cancel()

        thread = threading.Thread(target=accept_then_cancel)
        thread.start()
        started = time.monotonic()
        assert failure(fetcher, url) == "cancelled (interrupted)"
        assert time.monotonic() - started < 15  # not the 20 s timeout
        thread.join()
        for connection in accepted:
            connection.close()
