"""The image fetcher: downloads with retries, a per-book deadline and cancellation.

Each URL is looked up in the cache (:mod:`.cache`) first; a miss is downloaded through
the guarded opener (:mod:`.guard`), streamed to a ``.part`` file, decoded completely
(:func:`.images.check_image`) and only then renamed into the cache. Bodies larger than
``max_bytes`` are refused while streaming; the type comes from the bytes, never from
``Content-Type``.

Time is bounded three ways: each attempt by ``timeout``, all attempts of a URL by
``retries`` with capped backoff, and everything one fetcher does by ``deadline`` (one
book). When the deadline passes, or on Ctrl-C, :meth:`ImageFetcher.cancel` stops the
downloads under way within moments (see :mod:`.cancel`); the images not had become links.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from .cache import ImageCache
from .cancel import Cancellation
from .errors import Cancelled, FetchError, Forbidden, Retryable, describe, one_line
from .guard import (
    build_opener,
    check_url_allowed,
    content_length,
    open_url,
    origin,
    request_url,
    split_http_url,
)
from .images import HEAD_BYTES, TYPES, check_image, sniff_image_type
from .proxy import proxy_for

__all__ = ["ACCEPT", "USER_AGENT", "CachedImage", "FetchOptions", "FetchStats",
           "ImageFetcher"]

USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
ACCEPT = "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"
CHUNK = 64 * 1024  # bytes read from the socket (and written to disk) at a time


@dataclass(frozen=True)
class FetchOptions:
    cache_dir: Path | None = None  # None → Path(platformdirs.user_cache_dir("newsconv")) / "images"
    offline: bool = False  # use only what the cache already holds; never touch the network
    allow_private_hosts: bool = False
    timeout: float = 20.0  # seconds, per request
    retries: int = 2  # extra attempts after a timeout, connection error, 429 or 5xx
    max_bytes: int = 20 * 1024 * 1024
    workers: int = 8  # parallel downloads
    deadline: float | None = None  # seconds for all of this fetcher's downloads (a book)

    def __post_init__(self) -> None:
        if not self.timeout > 0:
            raise ValueError(f"timeout must be positive, not {self.timeout!r}")
        if self.retries < 0:
            raise ValueError(f"retries must be 0 or more, not {self.retries!r}")
        if self.max_bytes < 1:
            raise ValueError(f"max_bytes must be positive, not {self.max_bytes!r}")
        if self.workers < 1:
            raise ValueError(f"workers must be 1 or more, not {self.workers!r}")
        if self.deadline is not None and not self.deadline > 0:
            raise ValueError(f"deadline must be positive, not {self.deadline!r}")


@dataclass(frozen=True)
class CachedImage:
    url: str
    path: Path  # the file in the cache (bytes exactly as served)
    media_type: str  # "image/jpeg" | "image/png" | "image/gif" | "image/webp" | "image/avif"
    # | "image/svg+xml"
    extension: str  # ".jpg" | ".png" | ".gif" | ".webp" | ".avif" | ".svg"
    size: int
    from_cache: bool  # True when this run did not download it


@dataclass
class FetchStats:
    downloaded: int = 0
    cached: int = 0
    failed: int = 0
    failures: dict[str, str] = field(default_factory=dict)  # url -> one-line reason
    kinds: dict[str, str] = field(default_factory=dict)  # url -> kind ("corrupt", …)

    def failure_kinds(self) -> Counter[str]:
        """How many failed of each kind, most common first."""
        return Counter(self.kinds.values())


def cache_key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


_DEFAULT_OPTIONS = FetchOptions()


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
        self.cache = ImageCache(self.cache_dir)
        self.stats = FetchStats()
        self.cancellation = Cancellation()
        self._lock = threading.Lock()
        self._backoff = 0.5
        self._max_backoff = 5.0
        self._opener: urllib.request.OpenerDirector | None = None  # built on first use
        self._ends_at = (None if options.deadline is None
                         else time.monotonic() + options.deadline)
        self._cleaned = False

    # ----------------------------------------------------------------- public methods

    def fetch_all(self, urls: Iterable[str],
                  on_done: Callable[[], None] | None = None) -> dict[str, CachedImage]:
        """Fetch each distinct URL once, in parallel; returns the successes by URL.

        Failures are counted in ``stats`` and recorded in ``stats.failures``; nothing a
        URL or a server does makes this raise. The result keeps the input order. When
        the deadline passes, the downloads under way are cancelled and the rest fail.
        ``on_done`` is called once per distinct URL when it is settled (a progress bar).
        """
        done = on_done or (lambda: None)
        self._remove_leftovers_once()
        unique = list(dict.fromkeys(urls))
        found: dict[str, CachedImage | None] = {}
        misses = []
        for url in unique:  # cache hits need no thread: look them up here
            try:
                split_http_url(url)
                hit = self._lookup(url, cache_key(url))
            except FetchError as exc:
                self._record_failure(url, exc)
                found[url] = None
                done()
                continue
            if hit is None:
                misses.append(url)
                continue
            with self._lock:
                self.stats.cached += 1
            found[url] = hit
            done()
        if misses and self.options.offline:  # each fails at once: no thread needed
            for url in misses:
                found[url] = self._fetch_quietly(url)
                done()
        elif misses:
            pool = ThreadPoolExecutor(
                max_workers=min(self.options.workers, len(misses)),
                thread_name_prefix="newsconv-fetch",
            )
            try:
                futures = [pool.submit(self._fetch_quietly, url) for url in misses]
                for future in futures:
                    future.add_done_callback(lambda _future: done())
                _done, pending = wait(futures, timeout=self._remaining())
                if pending:  # the deadline passed: stop what runs, fail what waits
                    self._deadline_passed()
                    wait(pending)
                for url, future in zip(misses, futures, strict=True):
                    found[url] = future.result()
            except BaseException:
                # Ctrl-C: stop running downloads now (their sockets are shut down), drop
                # queued ones, and do not wait: the workers end within moments.
                self.cancel()
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            pool.shutdown()
        return {url: image for url in unique if (image := found.get(url)) is not None}

    def fetch(self, url: str) -> CachedImage:
        """One URL: from the cache, else from the network. Raises FetchError."""
        self._remove_leftovers_once()
        try:
            image = self._fetch(url)
        except FetchError as exc:
            self._record_failure(url, exc)
            raise
        with self._lock:
            if image.from_cache:
                self.stats.cached += 1
            else:
                self.stats.downloaded += 1
        return image

    def cancel(self, reason: str = "cancelled (interrupted)") -> None:
        """Stop every download of this fetcher; later ones fail at once."""
        self.cancellation.cancel(reason)

    # ---------------------------------------------------------------------- internals

    def _remaining(self) -> float | None:
        return None if self._ends_at is None else max(0.0, self._ends_at - time.monotonic())

    def _deadline_passed(self) -> None:
        self.cancellation.cancel(
            f"not fetched: the download deadline ({self.options.deadline:g} s) passed",
            "deadline")

    def _check_time(self) -> float:
        """Raise when cancelled or past the deadline; else the seconds an attempt has."""
        self.cancellation.check()
        remaining = self._remaining()
        if remaining is not None and remaining <= 0:
            self._deadline_passed()
            self.cancellation.check()
        return self.options.timeout if remaining is None else min(self.options.timeout,
                                                                   remaining)

    def _remove_leftovers_once(self) -> None:
        with self._lock:
            if self._cleaned:
                return
            self._cleaned = True
        self.cache.remove_leftovers()

    def _fetch_quietly(self, url: str) -> CachedImage | None:
        try:
            return self.fetch(url)
        except FetchError:
            return None  # already recorded
        except Exception as exc:  # a bug must not sink the whole book; say what it was
            self._record_failure(url, FetchError(f"unexpected error: {describe(exc)}"))
            return None

    def _record_failure(self, url: str, exc: FetchError) -> None:
        with self._lock:
            self.stats.failed += 1
            self.stats.failures[url] = one_line(str(exc))
            self.stats.kinds[url] = exc.kind

    def _fetch(self, url: str) -> CachedImage:
        split_http_url(url)  # scheme and host, without any lookup
        key = cache_key(url)
        hit = self._lookup(url, key)
        if hit is not None:
            return hit
        if self.options.offline:
            raise FetchError("not in the cache (offline)", "offline")
        self._check_time()
        check_url_allowed(url, self.options.allow_private_hosts,
                          via_proxy=proxy_for(url) is not None)
        return self._download(url, key)

    def _lookup(self, url: str, key: str) -> CachedImage | None:
        found = self.cache.lookup(key)
        if found is None:
            return None
        path, extension, size = found
        return CachedImage(url, path, TYPES[extension], extension, size, from_cache=True)

    def _get_opener(self) -> urllib.request.OpenerDirector:
        # OpenerDirector keeps no per-request state: one is shared by all workers.
        with self._lock:
            if self._opener is None:
                self._opener = build_opener(self.options.allow_private_hosts,
                                            self.cancellation)
            return self._opener

    def _download(self, url: str, key: str) -> CachedImage:
        """Attempts with retries: 1 + ``retries`` for transient failures, plus one more
        with a Referer after a 403. Each attempt lasts about ``timeout`` at most (a
        single stalled read can add up to one more ``timeout``), backoff sleeps are
        capped by ``_max_backoff``, and the deadline and cancellation cut all short."""
        sent_url = request_url(url)
        referer: str | None = None
        failures = 0
        while True:
            try:
                return self._attempt(sent_url, url, key, referer)
            except Cancelled:
                raise
            except FetchError as exc:
                self.cancellation.check()  # the error came from cancelling: say that
                error = exc
            if isinstance(error, Forbidden):
                if referer is None:
                    referer = origin(url)  # hotlink protection: try once as "from the site"
                    continue
                raise FetchError(f"{error} (also with a Referer)", error.kind) from None
            if not isinstance(error, Retryable):
                raise error
            if failures >= self.options.retries:
                attempts = failures + 1
                suffix = f" (after {attempts} attempts)" if attempts > 1 else ""
                raise FetchError(f"{error}{suffix}", error.kind) from None
            delay = self._backoff * 2**failures
            if error.retry_after is not None:
                delay = max(delay, error.retry_after)
            failures += 1
            self.cancellation.sleep(min(delay, self._max_backoff))

    def _attempt(self, sent_url: str, url: str, key: str, referer: str | None) -> CachedImage:
        headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": "identity"}
        if referer:
            headers["Referer"] = referer
        request = urllib.request.Request(sent_url, headers=headers)
        timeout = self._check_time()
        deadline = time.monotonic() + timeout
        response = open_url(self._get_opener(), request, timeout)
        with response:
            return self._store(response, url, key, deadline)

    def _store(self, response, url: str, key: str, deadline: float) -> CachedImage:
        """Stream the body to a ``.part`` file, decode it, rename it into the cache."""
        limit = self.options.max_bytes
        length = content_length(response.headers)
        if length is not None and length > limit:
            raise FetchError(f"too large: {length} bytes (the limit is {limit})", "too large")
        fd, temp = self.cache.temp_file(key)
        stored = False
        try:
            head = bytearray()
            size = 0
            with os.fdopen(fd, "wb") as out:
                while True:
                    self.cancellation.check()
                    try:
                        chunk = response.read1(CHUNK)  # what has arrived, so the
                        # deadline below is checked however slowly bytes trickle in
                    except (OSError, http.client.HTTPException) as exc:
                        raise Retryable(f"download interrupted: {describe(exc)}") from None
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > limit:
                        raise FetchError(f"too large: more than {limit} bytes", "too large")
                    if len(head) < HEAD_BYTES:
                        head += chunk[: HEAD_BYTES - len(head)]
                    try:
                        out.write(chunk)
                    except OSError as exc:
                        raise FetchError(f"cannot write to the cache {temp.parent}: {exc}",
                                         "cache") from None
                    if time.monotonic() > deadline:
                        raise Retryable("timed out (the body took too long)")
            self.cancellation.check()  # a shut-down socket reads as a short body
            if length is not None and size < length:
                raise Retryable(f"truncated: {size} of {length} bytes")
            kind = sniff_image_type(bytes(head))
            if kind is None:
                raise FetchError("not a supported image type", "not an image")
            media_type, extension = kind
            check_image(temp, extension)
            path = self.cache.commit(temp, key, extension)
            stored = True
        finally:  # any failure, Ctrl-C included: no partial file is left behind
            if not stored:
                try:
                    temp.unlink()
                except OSError:
                    pass
        return CachedImage(url, path, media_type, extension, size, from_cache=False)
