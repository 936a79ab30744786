"""Stopping downloads that are under way: Ctrl-C and the per-book deadline.

A thread blocked in ``recv`` or ``connect`` cannot be interrupted by a flag; shutting its
socket down from another thread wakes it at once (the read returns end-of-file, the
connect fails). So every socket a download opens is registered here, and
:meth:`Cancellation.cancel` sets the flag that the loops check between reads, retries
and backoff sleeps, then shuts all registered sockets down.

What it cannot stop: a DNS lookup under way (``getaddrinfo`` has no cancel); that ends
by the resolver's own timeout, a few seconds.
"""

from __future__ import annotations

import socket
import threading
import weakref

from .errors import Cancelled

__all__ = ["Cancellation"]


class Cancellation:
    """A one-way switch shared by one fetcher's threads."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self.reason = ""
        self.kind = ""

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self, reason: str, kind: str = "cancelled") -> None:
        with self._lock:
            if not self._event.is_set():
                self.reason, self.kind = reason, kind
                self._event.set()
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def check(self) -> None:
        """Raise :class:`Cancelled` once cancelled."""
        if self._event.is_set():
            raise Cancelled(self.reason, self.kind)

    def sleep(self, seconds: float) -> None:
        """Sleep, but wake (and raise :class:`Cancelled`) as soon as cancelled."""
        if self._event.wait(seconds):
            self.check()

    def register(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)
            cancelled = self._event.is_set()
        if cancelled:  # cancelled between the check and the registration
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        # socket.socket's own method: an SSLSocket's would drop its TLS state under
        # the thread still reading it; a plain shutdown just makes that read end.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # closed already, or never connected
