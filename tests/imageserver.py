"""A loopback HTTP server that serves a small, distinct PNG for every path, for tests
and the benchmark that embed images. Counts requests; stops by itself with its owner.

Hostile answers, chosen by a folder in the path:

* ``/missing/…`` — 404;
* ``/stall/…`` — accepts the request and answers nothing until the server stops;
* ``/cut/…`` — a PNG cut in half, without Content-Length (the connection just ends);
* ``/html-png/…`` — a PNG header followed by an HTML page, with a correct length.

A test can also put any bytes at a path: ``server.files["/a.webp"] = data``.
"""

from __future__ import annotations

import hashlib
import struct
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def png(width: int = 8, height: int = 8, seed: bytes = b"") -> bytes:
    """A valid RGB PNG whose colour depends on ``seed``."""
    r, g, b = hashlib.sha256(seed).digest()[:3]
    raw = b"".join(b"\x00" + bytes((r, g, b)) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


class _Handler(BaseHTTPRequestHandler):
    server: _ImageServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.server.count(self.path)
        if "/missing/" in self.path:
            self.send_error(404)
            return
        if "/stall/" in self.path:
            self.server.stopping.wait(timeout=120)
            return
        body = self.server.files.get(self.path) or png(16, 12, self.path.encode())
        length: int | None = len(body)
        if "/cut/" in self.path:
            body, length = body[: len(body) // 2], None
        elif "/html-png/" in self.path:
            body = body[:33] + b"<!DOCTYPE html><html><body><p>Not found</p></body></html>"
            length = len(body)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        if length is not None:
            self.send_header("Content-Length", str(length))
        else:
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _ImageServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # the fetcher opens up to 8 connections at once

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host name (a DNS query): not needed here
        import socketserver

        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[str] = []
        self.files: dict[str, bytes] = {}  # path → body served as is
        self.stopping = threading.Event()  # lets stalled requests end
        self._lock = threading.Lock()

    def count(self, path: str) -> None:
        with self._lock:
            self.requests.append(path)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def image_server() -> Iterator[_ImageServer]:
    server = _ImageServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
