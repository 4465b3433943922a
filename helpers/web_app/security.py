"""What the browser is told to allow: hosts, a Content-Security-Policy, no framing. Taught in chapter 05.

The app listens on 127.0.0.1, so only this machine can reach it. That is not
enough on its own: with **DNS rebinding**, a page on another site makes its own
name resolve to 127.0.0.1, and the browser then sends that page's requests to
this app, with the attacker's name in the `Host` header. Accepting only the
host names the app is served on (Starlette's `TrustedHostMiddleware`) stops it.

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

DEFAULT_HOSTS = ("127.0.0.1", "localhost")


def allowed_hosts(extra: Iterable[str] = ()) -> list[str]:
    """The `Host` names to accept: loopback by name and number, and any configured ones."""
    return list(dict.fromkeys([*DEFAULT_HOSTS, *extra]))


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
