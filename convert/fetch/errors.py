"""Why an image could not be had: one-line errors, and how the fetcher reacts to each."""

from __future__ import annotations

import urllib.error

__all__ = ["FetchError", "describe", "one_line"]


def one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(exc: BaseException) -> str:
    """A short text for an exception from the network or the OS."""
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        reason = exc.reason
        return describe(reason) if isinstance(reason, BaseException) else str(reason)
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class FetchError(Exception):
    """Why one image could not be had, in one line.

    ``kind`` groups reasons for the summary line ("corrupt", "HTTP error", …); the
    message itself is what ``-v`` shows per image.
    """

    def __init__(self, reason: str, kind: str = "failed") -> None:
        super().__init__(one_line(reason))
        self.kind = kind


class Retryable(FetchError):
    """A failure worth another attempt: timeout, connection error, 429, 5xx."""

    def __init__(self, reason: str, retry_after: float | None = None,
                 kind: str = "unreachable") -> None:
        super().__init__(reason, kind)
        self.retry_after = retry_after


class Forbidden(FetchError):
    """HTTP 403: worth exactly one more attempt, with a Referer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, "HTTP error")


class Cancelled(FetchError):
    """The run was interrupted or its download deadline passed: no more attempts."""
