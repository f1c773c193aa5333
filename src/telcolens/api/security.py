"""HTTP-level protections applied to every response and request of the app.

- **Headers.** Every response: ``X-Content-Type-Options: nosniff``, no framing
  (``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'``; the console's pages add
  their own fuller CSP), ``Referrer-Policy: same-origin``. API responses, which carry
  personal data, also ``Cache-Control: no-store``.
- **Cross-site request forgery.** A browser attaches the login cookie to requests that
  another page makes, including pages on the same site (``SameSite=Strict`` does not
  stop a page on another port of the same host). So an unsafe request (POST, PUT, PATCH,
  DELETE) that carries the cookie must say where it comes from, and that must be the
  served origin: its ``Origin`` header (or, without one, its ``Referer``) must match the
  ``Host`` it was sent to, or one of ``TELCOLENS_ALLOWED_ORIGINS``. A request that
  authenticates with ``Authorization: Bearer`` is not checked: browsers never add that
  header on their own. A login with a foreign ``Origin`` is refused too (login CSRF).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

import orjson
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_PORTS = {"http": 80, "https": 443}
HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


class SecurityMiddleware:
    """The headers and the same-origin check above, as a plain ASGI middleware."""

    def __init__(self, app: ASGIApp, *, cookie: str, allowed_origins: Iterable[str] = ()) -> None:
        self.app = app
        self.cookie = cookie
        self.allowed = {_origin(o) for o in allowed_origins}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        refusal = self._cross_origin(scope, headers)
        is_api = scope["path"].startswith("/api/") or scope["path"] in {"/openapi.json", "/docs"}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    out.setdefault(name, value)
                if "content-security-policy" not in out:
                    out["content-security-policy"] = "frame-ancestors 'none'"
                if is_api:
                    out["cache-control"] = "no-store"
            await send(message)

        if refusal:
            await _refuse(refusal, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _cross_origin(self, scope: Scope, headers: Headers) -> str | None:
        """Why this request is refused as cross-origin, or None."""
        if scope["method"] not in UNSAFE:
            return None
        if headers.get("authorization", "").lower().startswith("bearer "):
            return None
        has_cookie = f"{self.cookie}=" in headers.get("cookie", "")
        is_login = scope["path"] == "/api/auth/login"
        if not has_cookie and not is_login:
            return None  # no credentials a browser could have added: nothing to forge
        source = headers.get("origin") or headers.get("referer")
        if source is None:
            return None if is_login else "a cookie-authenticated change needs an Origin header"
        if _origin(source) in self._served(scope, headers):
            return None
        return f"cross-origin request refused (from {_origin(source) or 'an opaque origin'})"

    def _served(self, scope: Scope, headers: Headers) -> set[str]:
        if self.allowed:
            return self.allowed
        scheme = scope.get("scheme", "http")
        return {_origin(f"{scheme}://{headers.get('host', '')}")}


def _origin(url: str) -> str:
    """``scheme://host:port`` of a URL or origin, the port always explicit; '' for 'null'."""
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.hostname:
        return ""
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme, 0)
    except ValueError:  # a port that is not a number
        return ""
    return f"{parts.scheme}://{parts.hostname}:{port}"


async def _refuse(reason: str, send: Send) -> None:
    body = orjson.dumps({"detail": reason})
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
