"""Which proxy a download goes through, read from the environment the way curl reads it.

* ``http://`` URLs: ``http_proxy`` (lower case only: curl ignores ``HTTP_PROXY``, which
  a CGI request can set through a ``Proxy:`` header, "httpoxy");
* ``https://`` URLs: ``https_proxy`` or ``HTTPS_PROXY``;
* either: ``all_proxy`` or ``ALL_PROXY`` when the scheme's own is not set;
* ``no_proxy`` or ``NO_PROXY``: comma-separated host names (a name matches itself and
  its subdomains; a leading dot is ignored), IP addresses, CIDR ranges, or ``*`` for
  every host: those are reached directly.

A proxy is written ``[http://][user:password@]host[:port]`` (port 1080 when left out,
as curl does); only HTTP proxies are supported (``https://`` URLs go through them with
``CONNECT``). The lower-case name wins when both are set, as in curl.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import FetchError

__all__ = ["Proxy", "ProxyRouter", "proxied", "proxy_for"]


@dataclass(frozen=True)
class Proxy:
    host: str
    port: int
    authorization: str | None = None  # the Proxy-Authorization header value

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def _setting(environ: Mapping[str, str], *names: str) -> str:
    for name in names:
        value = environ.get(name, "").strip()
        if value:
            return value
    return ""


def _bypassed(host: str, no_proxy: str) -> bool:
    host = host.lower().strip("[]").rstrip(".")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        if ip is not None:
            try:
                if ip in ipaddress.ip_network(entry.strip("[]"), strict=False):
                    return True
            except ValueError:
                pass
            continue
        name = entry.lstrip(".").rstrip(".")
        if name.startswith("["):
            continue
        name = name.rsplit(":", 1)[0] if name.count(":") == 1 else name  # host:port
        if host == name or host.endswith("." + name):
            return True
    return False


def _parse(value: str, variable: str) -> Proxy:
    text = value if "://" in value else "http://" + value
    parts = urllib.parse.urlsplit(text)
    if parts.scheme.lower() != "http":
        raise FetchError(f"proxy {value!r} from {variable}: only http:// proxies are "
                         "supported", "refused")
    try:
        port = parts.port or 1080
    except ValueError:
        raise FetchError(f"proxy {value!r} from {variable}: invalid port", "bad URL") from None
    if not parts.hostname:
        raise FetchError(f"proxy {value!r} from {variable}: no host", "bad URL")
    authorization = None
    if parts.username is not None:
        pair = f"{urllib.parse.unquote(parts.username)}:" \
               f"{urllib.parse.unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
    return Proxy(parts.hostname, port, authorization)


def proxy_for(url: str, environ: Mapping[str, str] | None = None) -> Proxy | None:
    """The proxy the environment names for ``url``, or None to connect directly.
    FetchError when the setting cannot be used (a SOCKS proxy, no host)."""
    environ = os.environ if environ is None else environ
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "http":
        names = ("http_proxy",)
    elif scheme == "https":
        names = ("https_proxy", "HTTPS_PROXY")
    else:
        return None
    value = _setting(environ, *names)
    variable = next((n for n in names if environ.get(n, "").strip()), "")
    if not value:
        value = _setting(environ, "all_proxy", "ALL_PROXY")
        variable = "all_proxy" if environ.get("all_proxy", "").strip() else "ALL_PROXY"
    if not value:
        return None
    if _bypassed(parts.hostname or "", _setting(environ, "no_proxy", "NO_PROXY")):
        return None
    return _parse(value, variable)


def proxied(req: urllib.request.Request) -> bool:
    """Whether the request goes to a proxy (set by :class:`ProxyRouter`)."""
    return req.has_proxy() or bool(getattr(req, "_tunnel_host", None))


class ProxyRouter(urllib.request.BaseHandler):
    """Sends a request through the proxy the environment names for it (curl's rules,
    :func:`proxy_for`). Runs before the http(s) handlers, which then connect to
    the proxy (an absolute URL for http, a CONNECT tunnel for https)."""

    handler_order = 100  # before HTTPHandler (500), like urllib's ProxyHandler

    def _route(self, req: urllib.request.Request) -> None:
        proxy = proxy_for(req.full_url)
        if proxy is not None:
            if proxy.authorization:
                req.add_header("Proxy-authorization", proxy.authorization)
            req.set_proxy(proxy.address, "http")
        return None  # the http(s) handler opens it

    http_open = https_open = _route
