"""What the browser is told to allow: hosts, other sites' requests, a Content-Security-Policy, no framing. Chapter 05.

The app listens on 127.0.0.1, so only this machine can reach it. That is not
enough on its own: with **DNS rebinding**, a page on another site makes its own
name resolve to 127.0.0.1, and the browser then sends that page's requests to
this app, with the attacker's name in the `Host` header. Accepting only the
host names the app is served on (Starlette's `TrustedHostMiddleware`) stops it.

A page on another site can still *send* requests to the app's real address: a
form or a `fetch` in "no-cors" mode posts to http://127.0.0.1:8000/api/sessions
without reading the answer, and twenty of them would push the learner's own
conversation out. `SameOriginWrites` refuses (403) every request that changes
something (any method but GET, HEAD, OPTIONS) when the browser says it comes from
another origin: `Sec-Fetch-Site` other than `same-origin` (or `none`), or an
`Origin` that is not the app's own. Browsers set both headers themselves, and a
page cannot forge them. Clients that are not browsers (httpx, curl) send neither,
and are served as before.

The page also carries a **Content-Security-Policy**: it may run only its own
inline script and style (allowed by their SHA-256 hashes, computed from the page
at start-up, so editing the page never breaks it), talk only to its own origin,
and load nothing from elsewhere. `frame-ancestors 'none'` and `X-Frame-Options:
DENY` forbid other sites to show it in a frame (clickjacking).
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Iterable
from urllib.parse import urlsplit

from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

DEFAULT_HOSTS = ("127.0.0.1", "localhost")


def allowed_hosts(extra: Iterable[str] = ()) -> list[str]:
    """The `Host` names to accept: loopback by name and number, and any configured ones."""
    return list(dict.fromkeys([*DEFAULT_HOSTS, *extra]))


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})  # they change nothing, so any page may send them
SAME_ORIGIN_SITES = frozenset({"same-origin", "none"})  # `none`: the person typed the address or used a bookmark
DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_of(scheme: str, authority: str) -> tuple[str, str, int] | None:
    """(scheme, host name, port) of `scheme://authority`, the port filled in; None if it cannot be read."""
    try:
        parts = urlsplit(f"{scheme}://{authority}")
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:  # a port that is not a number, or out of range
        return None
    return (scheme, parts.hostname, port) if parts.hostname and port else None


def is_cross_site(headers: Headers, scheme: str) -> bool:
    """Does the browser say this request comes from a page of another origin than the app's own?

    The app's own origin is the scheme it is served on (behind a named proxy, the
    proxy's `X-Forwarded-Proto`) and the `Host` the request was sent to.
    """
    site = headers.get("sec-fetch-site")
    if site is not None and site.lower() not in SAME_ORIGIN_SITES:
        return True
    origin = headers.get("origin")
    if origin is None:
        return False  # not a browser, or a browser sending a request that changes nothing
    sender = urlsplit(origin)  # "null" (a sandboxed frame, a file:// page) has no scheme: never the app's own
    own = _origin_of(scheme, headers.get("host", ""))
    return own is None or _origin_of(sender.scheme, sender.netloc) != own


class SameOriginWrites:
    """ASGI middleware: a request that changes something (POST, ...) from another site's page gets a 403."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and scope["method"] not in SAFE_METHODS
                and is_cross_site(Headers(scope=scope), scope.get("scheme", "http"))):
            response = JSONResponse({"detail": "Cross-site request refused: only this app's own page may send it."},
                                    status_code=403)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _inline_hash(page: str, tag: str) -> str:
    """The CSP source for the page's one inline `<tag>` element: its text's SHA-256, base64."""
    blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", page, re.S)
    if len(blocks) != 1:
        raise ValueError(f"the page must have exactly one inline <{tag}> (found {len(blocks)})")
    digest = hashlib.sha256(blocks[0].encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def page_headers(page: str) -> dict[str, str]:
    """The security headers to send with `page`."""
    policy = "; ".join([
        "default-src 'none'",  # anything not listed below is forbidden
        f"script-src {_inline_hash(page, 'script')}",  # only the page's own script
        f"style-src {_inline_hash(page, 'style')}",
        "connect-src 'self'",  # fetch() only to this app
        "img-src data:",  # the empty favicon
        "base-uri 'none'",
        "form-action 'none'",  # the form is handled by the script, never submitted
        "frame-ancestors 'none'",  # no other page may frame this one
    ])
    return {
        "Content-Security-Policy": policy,
        "X-Frame-Options": "DENY",  # the same, for browsers that predate frame-ancestors
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
