"""Where the fetcher may connect: http(s) only, public addresses only, proxies as curl.

* only ``http`` and ``https`` URLs are fetched, and only ``http``/``https`` redirects are
  followed (at most :data:`MAX_REDIRECTS`);
* unless ``allow_private_hosts`` is set, a host is refused when any address it resolves
  to is loopback, private, link-local, multicast, reserved, unspecified or otherwise not
  globally routable; this is checked for the URL, for every redirect target, and again
  on the very addresses the socket connects to (see :func:`_connect_checked`), so DNS
  rebinding between the check and the connection cannot reach a private address;
* the environment's proxies (``https_proxy``, ``http_proxy``, ``no_proxy``, …; see
  :mod:`.proxy`) are used as curl uses them. The address check is then made *before*
  anything is sent to the proxy: a literal private address, or a name that resolves
  here to one, is refused. The proxy resolves the name again itself, so through a
  proxy the check covers what this machine's DNS says, not what the proxy connects to
  (no protection against rebinding at the proxy); a name this machine cannot resolve
  at all is left to the proxy. The proxy's own address is not checked: it is the
  user's setting, and often on the local network or loopback;
* the opener has no ``file:``, ``ftp:`` or ``data:`` handler at all.

Written by hand on the standard library (urllib, http.client, ipaddress): no maintained
library does SSRF-safe downloads, and ``requests``/``urllib3`` would add a dependency
without removing most of this code.
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import re
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request

from .cancel import Cancellation
from .errors import FetchError, Forbidden, Retryable, describe
from .proxy import ProxyRouter, proxied, proxy_for

__all__ = ["MAX_REDIRECTS", "build_opener", "check_url_allowed", "content_length", "open_url",
           "origin", "request_url", "split_http_url"]

MAX_REDIRECTS = 5
_SCHEMES = ("http", "https")


def split_http_url(url: str) -> tuple[str, int]:
    """``(host, port)`` of an absolute http(s) URL; FetchError for anything else."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"invalid URL: {exc}", "bad URL") from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise FetchError("not an absolute URL: only http and https URLs are fetched", "bad URL")
    if scheme not in _SCHEMES:
        raise FetchError(f"refused {scheme}: URL: only http and https URLs are fetched",
                         "refused")
    host = parts.hostname
    if not host:
        raise FetchError("no host in the URL", "bad URL")
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
    return FetchError(f"refused host {shown}: {problem} (private hosts are not allowed)",
                      "refused")


def _resolve(host: str, port: int) -> list[tuple]:
    """``socket.getaddrinfo`` for a TCP connection, with one-line errors."""
    try:
        return socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve host {host}: {exc.strerror or exc}",
                         "unreachable") from None
    except (UnicodeError, ValueError) as exc:
        raise FetchError(f"invalid host {host!r}: {exc}", "bad URL") from None


def check_url_allowed(url: str, allow_private_hosts: bool, via_proxy: bool = False) -> None:
    """Raise FetchError unless ``url`` is an http(s) URL whose host may be fetched from.

    With ``allow_private_hosts`` False, the host (a name or a literal address) must
    resolve only to globally routable addresses: a single private, loopback,
    link-local, multicast, reserved or unspecified address (IPv4 or IPv6, including
    IPv4-mapped, 6to4 and NAT64 forms) is enough to refuse it. ``via_proxy``: the
    request goes through a proxy, which resolves names itself; a name that does not
    resolve here is then the proxy's to find (one that resolves here is checked).
    """
    host, port = split_http_url(url)
    if allow_private_hosts:
        return
    # A trailing dot names the same host ("127.0.0.1.", "localhost."), and localhost
    # names are loopback by definition (RFC 6761), whatever a resolver says.
    bare = host.rstrip(".").lower()
    if bare == "localhost" or bare.endswith(".localhost"):
        raise _refusal(host, "localhost names are loopback")
    try:
        addresses = [_ip(bare)]  # a literal address: no lookup at all
    except ValueError:
        try:
            addresses = [_ip(info[4][0]) for info in _resolve(host, port)]
        except FetchError as exc:
            if via_proxy and exc.kind == "unreachable":
                return
            raise
    for ip in addresses:
        if problem := _address_problem(ip):
            raise _refusal(host, problem)


def _connect_checked(
    address: tuple[str, int], timeout: float | None = None, source_address=None,
    *, check: bool = True, cancellation: Cancellation | None = None,
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

    ``check=False`` (``allow_private_hosts``) connects anywhere. With a
    ``cancellation``, the socket is registered before it connects, so cancelling
    wakes a connect or a read that is waiting on it.
    """
    host, port = address
    if cancellation is not None:
        cancellation.check()
    infos = _resolve(host, port)
    if check:
        for info in infos:
            if problem := _address_problem(_ip(info[4][0])):
                raise _refusal(host, problem)
    error: OSError | None = None
    for family, kind, proto, _canonical, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        try:
            if cancellation is not None:
                cancellation.register(sock)
            sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
            if cancellation is not None:
                cancellation.check()
    raise error or OSError(f"no address for {host}")


# ------------------------------------------------------------------------ urllib plumbing


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, check: bool = True, cancellation: Cancellation | None = None,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # http.client opens its socket through this attribute (3.10 to 3.13).
        self._create_connection = functools.partial(_connect_checked, check=check,
                                                    cancellation=cancellation)


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, check: bool = True, cancellation: Cancellation | None = None,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = functools.partial(_connect_checked, check=check,
                                                    cancellation=cancellation)
        self._cancellation = cancellation

    def connect(self) -> None:
        # http.client's own, except that the TLS socket is registered for cancelling
        # before its handshake (wrapping detaches the plain socket registered on connect,
        # and a server that stalls the handshake must not hold up Ctrl-C). Through a
        # proxy, HTTPConnection.connect has opened the CONNECT tunnel: TLS is then made
        # with the image's host, inside it.
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(
            self.sock, server_hostname=self._tunnel_host or self.host,
            do_handshake_on_connect=False)
        if self._cancellation is not None:
            self._cancellation.register(self.sock)
        self.sock.do_handshake()


class _CheckedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, check: bool, cancellation: Cancellation | None) -> None:
        super().__init__()
        self._connection = functools.partial(_CheckedHTTPConnection, check=check,
                                             cancellation=cancellation)
        # To a proxy the address check does not apply (see the module docstring).
        self._to_proxy = functools.partial(_CheckedHTTPConnection, check=False,
                                           cancellation=cancellation)

    def http_open(self, req):
        return self.do_open(self._to_proxy if proxied(req) else self._connection, req)


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, context: ssl.SSLContext, check: bool,
                 cancellation: Cancellation | None) -> None:
        super().__init__(context=context)
        self._tls = context
        self._connection = functools.partial(_CheckedHTTPSConnection, check=check,
                                             cancellation=cancellation)
        self._to_proxy = functools.partial(_CheckedHTTPSConnection, check=False,
                                           cancellation=cancellation)

    def https_open(self, req):
        return self.do_open(self._to_proxy if proxied(req) else self._connection, req,
                            context=self._tls)


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
                raise FetchError(f"refused redirect to a {scheme or 'relative'}: URL",
                                 "refused")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        hops = sum(getattr(req, "redirect_dict", {}).values())
        if hops >= MAX_REDIRECTS:
            fp.close()
            raise FetchError(f"too many redirects (more than {MAX_REDIRECTS})", "HTTP error")
        try:
            check_url_allowed(newurl, self.allow_private_hosts,
                              via_proxy=proxy_for(newurl) is not None)
        except FetchError as exc:
            fp.close()
            raise FetchError(f"refused redirect to {newurl}: {exc}", "refused") from None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def build_opener(allow_private_hosts: bool,
                 cancellation: Cancellation | None = None) -> urllib.request.OpenerDirector:
    """An opener that speaks only http and https, through the environment's proxies.

    Put together by hand rather than with ``build_opener``, which would add handlers for
    ``file:``, ``ftp:`` and ``data:`` URLs and urllib's own proxy handler (which reads
    ``HTTP_PROXY`` in upper case too, and the platform's settings). Its sockets are
    registered with ``cancellation`` (see :mod:`.cancel`).
    """
    plain = _CheckedHTTPHandler(not allow_private_hosts, cancellation)
    tls = _CheckedHTTPSHandler(ssl.create_default_context(), not allow_private_hosts,
                               cancellation)
    opener = urllib.request.OpenerDirector()
    for handler in (
        ProxyRouter(),
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


def request_url(url: str) -> str:
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


def origin(url: str) -> str:
    """``scheme://host[:port]/`` of a URL, without any user info: the Referer we send."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme.lower()}://{netloc}/"


def open_url(opener: urllib.request.OpenerDirector, request: urllib.request.Request,
             timeout: float) -> http.client.HTTPResponse:
    """Send ``request``; the response, or a FetchError that says whether to retry
    (:class:`Retryable`: timeouts, connection errors, 429, 5xx; :class:`Forbidden`:
    403, worth one try with a Referer)."""
    try:
        return opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        status = f"HTTP {exc.code} {exc.reason}".rstrip()
        if exc.code == 403:
            raise Forbidden(status) from None
        if exc.code == 429 or 500 <= exc.code <= 599:
            raise Retryable(status, _retry_after(exc.headers), "HTTP error") from None
        raise FetchError(status, "HTTP error") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise FetchError(f"TLS certificate not accepted: {describe(reason)}",
                             "unreachable") from None
        if isinstance(reason, socket.gaierror):
            raise FetchError(f"cannot resolve host: {describe(reason)}",
                             "unreachable") from None
        if isinstance(reason, OSError):
            raise Retryable(f"connection failed: {describe(reason)}") from None
        raise FetchError(describe(exc), "unreachable") from None
    except http.client.InvalidURL as exc:
        raise FetchError(f"invalid URL: {exc}", "bad URL") from None
    except (OSError, http.client.HTTPException) as exc:
        raise Retryable(f"connection failed: {describe(exc)}") from None
    except ValueError as exc:  # e.g. control characters http.client will not send
        raise FetchError(f"invalid URL: {exc}", "bad URL") from None


def _retry_after(headers) -> float | None:
    value = (headers or {}).get("Retry-After", "")
    try:
        return max(0.0, float(value.strip()))
    except (ValueError, AttributeError):
        return None  # missing, or an HTTP date: use our own backoff


def content_length(headers) -> int | None:
    """The Content-Length header as a number, or None when missing or nonsense."""
    try:
        value = int(headers.get("Content-Length", ""))
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None

