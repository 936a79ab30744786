"""Downloads through the environment's proxy, as curl reads it (issue 10, point 8), and
the private-address guard decided before anything is sent to the proxy.

A tiny threaded proxy on loopback forwards ``GET http://…`` and tunnels ``CONNECT``; it
resolves the name ``images.example`` to the loopback image server, the way a real
proxy resolves names this machine may not know. So the fetch below needs no
``--allow-private-hosts``: the guard checks the image's host (which does not resolve
here: the proxy's to find), never the proxy's own address (the user's setting).
"""

from __future__ import annotations

import http.client
import os
import socket
import socketserver
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from imageserver import image_server

from convert.fetch import FetchError, FetchOptions, ImageFetcher
from convert.fetch.proxy import proxy_for

NAME = "images.example"  # .example never resolves (RFC 2606)


class _ProxyHandler(socketserver.StreamRequestHandler):
    server: _Proxy

    def handle(self) -> None:
        line = self.rfile.readline(65536).decode("latin-1").strip()
        headers = []
        while (header := self.rfile.readline(65536)) not in (b"\r\n", b"\n", b""):
            headers.append(header.decode("latin-1").strip())
        self.server.seen.append(line)
        method, target, _ = line.split(" ", 2)
        if method == "CONNECT":
            host, port = self._where(target)
            with socket.create_connection((host, port), timeout=10) as upstream:
                self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self._pipe(upstream)
            return
        url = target.split("://", 1)[1]
        hostport, _, path = url.partition("/")
        host, port = self._where(hostport if ":" in hostport else hostport + ":80")
        connection = http.client.HTTPConnection(host, port, timeout=10)
        connection.request("GET", "/" + path)
        response = connection.getresponse()
        body = response.read()
        self.wfile.write(f"HTTP/1.1 {response.status} {response.reason}\r\n"
                         f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                         .encode("latin-1") + body)
        connection.close()

    def _where(self, hostport: str) -> tuple[str, int]:
        host, _, port = hostport.rpartition(":")
        if host == NAME:
            return "127.0.0.1", self.server.upstream_port
        return host, int(port)

    def _pipe(self, upstream: socket.socket) -> None:
        def copy(source: socket.socket, target: socket.socket) -> None:
            try:
                while data := source.recv(65536):
                    target.sendall(data)
            except OSError:
                pass
            finally:
                try:
                    target.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        back = threading.Thread(target=copy, args=(upstream, self.connection), daemon=True)
        back.start()
        copy(self.connection, upstream)
        back.join(timeout=10)


class _Proxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, upstream_port: int) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.upstream_port = upstream_port
        self.seen: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def loopback_proxy(upstream_port: int) -> Iterator[_Proxy]:
    proxy = _Proxy(upstream_port)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()


@pytest.fixture
def served():
    with image_server() as server, loopback_proxy(server.server_address[1]) as proxy:
        yield server, proxy


def fetcher(tmp_path: Path, **options) -> ImageFetcher:
    fetch = ImageFetcher(FetchOptions(cache_dir=tmp_path / "cache", retries=0, timeout=10,
                                      **options))
    fetch._backoff = 0
    return fetch


# ---------------------------------------------------------------- curl's rules


@pytest.mark.parametrize(("environ", "url", "expected"), [
    ({"http_proxy": "proxy:3128"}, "http://a.com/x", "proxy:3128"),
    ({"HTTP_PROXY": "proxy:3128"}, "http://a.com/x", None),  # httpoxy: lower case only
    ({"http_proxy": "proxy:3128"}, "https://a.com/x", None),
    ({"HTTPS_PROXY": "http://proxy:3128"}, "https://a.com/x", "proxy:3128"),
    ({"https_proxy": "low:1", "HTTPS_PROXY": "up:2"}, "https://a.com/x", "low:1"),
    ({"ALL_PROXY": "all:8080"}, "https://a.com/x", "all:8080"),
    ({"https_proxy": "proxy"}, "https://a.com/x", "proxy:1080"),  # curl's default port
    ({"https_proxy": "p:1", "no_proxy": "a.com"}, "https://a.com/x", None),
    ({"https_proxy": "p:1", "NO_PROXY": "a.com"}, "https://img.a.com/x", None),
    ({"https_proxy": "p:1", "no_proxy": ".a.com"}, "https://img.a.com/x", None),
    ({"https_proxy": "p:1", "no_proxy": "a.com"}, "https://nota.com/x", "p:1"),
    ({"https_proxy": "p:1", "no_proxy": "*"}, "https://b.org/x", None),
    ({"https_proxy": "p:1", "no_proxy": "10.0.0.0/8, b.org"}, "https://10.1.2.3/x", None),
    ({"https_proxy": "p:1", "no_proxy": "10.0.0.0/8"}, "https://11.1.2.3/x", "p:1"),
    ({"https_proxy": "p:1", "no_proxy": "::1"}, "https://[::1]/x", None),
    ({"https_proxy": "p:1", "no_proxy": "a.com:8443"}, "https://a.com:8443/x", None),
])
def test_proxy_chosen_like_curl(environ: dict, url: str, expected: str | None) -> None:
    proxy = proxy_for(url, environ)
    assert (proxy.address if proxy else None) == expected


def test_proxy_credentials_and_unsupported_kinds() -> None:
    proxy = proxy_for("https://a.com/", {"https_proxy": "http://me:p%40ss@proxy:3128"})
    assert proxy.authorization == "Basic bWU6cEBzcw=="  # me:p@ss
    with pytest.raises(FetchError, match="only http:// proxies"):
        proxy_for("https://a.com/", {"https_proxy": "socks5://proxy:1080"})


# ---------------------------------------------------------------- through a proxy


def test_images_are_fetched_through_the_proxy(served, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    server, proxy = served
    monkeypatch.setenv("http_proxy", proxy.url)
    image = fetcher(tmp_path).fetch(f"http://{NAME}/p/a.png")
    assert image.extension == ".png"
    assert proxy.seen == [f"GET http://{NAME}/p/a.png HTTP/1.1"]
    assert server.requests == ["/p/a.png"]


def test_https_goes_through_a_connect_tunnel(served, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    server, proxy = served
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    # the tunnel reaches the (plain-HTTP) image server, so TLS fails inside it: what is
    # checked here is that the request went to the proxy as CONNECT, host and port
    with pytest.raises(FetchError):
        fetcher(tmp_path).fetch(f"https://{NAME}:8443/p/b.png")
    assert proxy.seen[0].startswith(f"CONNECT {NAME}:8443 HTTP/")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.1.2.3", "[::1]",
                                  "169.254.169.254"])
def test_the_guard_refuses_private_hosts_before_the_proxy(served, tmp_path: Path, host: str,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    _, proxy = served
    monkeypatch.setenv("http_proxy", proxy.url)
    with pytest.raises(FetchError, match="refused host"):
        fetcher(tmp_path).fetch(f"http://{host}/p/c.png")
    assert proxy.seen == []  # nothing was sent to the proxy


def test_no_proxy_connects_directly(served, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    server, proxy = served
    monkeypatch.setenv("http_proxy", proxy.url)
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    fetcher(tmp_path, allow_private_hosts=True).fetch(f"{server.base}/p/d.png")
    assert proxy.seen == []
    assert server.requests == ["/p/d.png"]


def test_a_book_through_the_proxy(served, tmp_path: Path) -> None:
    server, proxy = served
    post = tmp_path / "p.md"
    post.write_text(f"---\ntitle: Proxied\nauthor: Someone\n---\n\n<p>Words.</p>\n"
                    f'<p><img src="http://{NAME}/p/e.png" alt="e"></p>\n', encoding="utf-8")
    book = tmp_path / "p.epub"
    run = subprocess.run(
        [sys.executable, "-m", "convert", "to-epub", str(post), "-o", str(book),
         "--cache-dir", str(tmp_path / "cache")], capture_output=True, text=True,
        timeout=300, env={**os.environ, "http_proxy": proxy.url})
    assert run.returncode == 0, run.stderr
    assert "images: 1 of 1 embedded (1 downloaded" in run.stderr
    with zipfile.ZipFile(book) as zipped:
        assert any(n.endswith(".png") and "cover" not in n for n in zipped.namelist())
    assert proxy.seen == [f"GET http://{NAME}/p/e.png HTTP/1.1"]
