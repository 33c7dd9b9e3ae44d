"""Sessions, CSRF tokens, login throttling and the security headers of every answer.

- Coordinator sessions live in a signed cookie (``itsdangerous``, timestamped, 12 hours):
  the username and a fingerprint of the password hash, so that changing a password ends the
  sessions opened with the old one. The cookie is ``HttpOnly``, ``SameSite=Lax``, and
  ``Secure`` whenever the request came over https (OWASP Session Management Cheat Sheet).
- CSRF: every client gets a random ``pcmd_csrf`` cookie; the token that every POST form
  carries (field ``csrf_token``, or header ``X-CSRF-Token`` for the JSON API) is an HMAC of
  that cookie under the installation's secret (the "signed double-submit cookie" of the
  OWASP CSRF Prevention Cheat Sheet). A cross-site page can neither read the cookie nor
  compute the HMAC.
- Answers carry a strict Content-Security-Policy (scripts and styles from this site only:
  everything is vendored), ``Referrer-Policy: no-referrer`` (portal links carry a token in
  their path) and ``X-Frame-Options: DENY``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "SESSION_MAX_AGE",
    "LoginThrottle",
    "SecurityHeadersMiddleware",
    "SessionCodec",
    "csrf_token_for",
    "csrf_valid",
    "hash_fingerprint",
]

SESSION_COOKIE = "pcmd_session"
SESSION_MAX_AGE = 12 * 3600
CSRF_COOKIE = "pcmd_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_CSRF_MAX_AGE = 7 * 24 * 3600

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def hash_fingerprint(password_hash: str) -> str:
    """A short digest of the stored hash (the session ends when the password changes)."""
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:20]


class SessionCodec:
    """Signs and reads the session cookie value."""

    def __init__(self, secret: str, *, max_age: int = SESSION_MAX_AGE) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="pcmd-web-session-v1")
        self.max_age = max_age

    def dumps(self, *, username: str, fingerprint: str) -> str:
        return str(self._serializer.dumps({"u": username, "f": fingerprint}))

    def loads(self, value: str) -> tuple[str, str, datetime] | None:
        """``(username, fingerprint, issued_at)`` of a valid, unexpired cookie; else None."""
        try:
            data, issued = self._serializer.loads(
                value, max_age=self.max_age, return_timestamp=True
            )
        except BadSignature:  # includes SignatureExpired
            return None
        if not isinstance(data, dict):
            return None
        user, fingerprint = data.get("u"), data.get("f")
        if not isinstance(user, str) or not isinstance(fingerprint, str):
            return None
        return user, fingerprint, issued.astimezone(UTC)


def csrf_token_for(nonce: str, *, secret: str) -> str:
    """The token a form must send back for the client holding the cookie ``nonce``."""
    mac = hmac.new(secret.encode("utf-8"), b"pcmd-csrf|" + nonce.encode("ascii"), "sha256")
    return mac.hexdigest()[:40]


def csrf_valid(nonce: str | None, token: str | None, *, secret: str) -> bool:
    if not nonce or not token or len(nonce) > 100 or not nonce.isascii():
        return False
    return hmac.compare_digest(csrf_token_for(nonce, secret=secret), token)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed Cookie header: treat as absent
                return None
            if name in jar:
                return jar[name].value
    return None


def set_cookie_header(
    name: str, value: str, *, secure: bool, max_age: int | None, http_only: bool = True
) -> bytes:
    parts = [f"{name}={value}", "Path=/", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if http_only:
        parts.append("HttpOnly")
    if secure:
        parts.append("Secure")
    return "; ".join(parts).encode("latin-1")


class SecurityHeadersMiddleware:
    """Adds the security headers and gives every client its CSRF cookie (pure ASGI)."""

    def __init__(self, app: ASGIApp, *, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = _cookie(scope, CSRF_COOKIE)
        fresh = nonce is None or not (8 <= len(nonce) <= 100)
        if fresh:
            nonce = secrets.token_urlsafe(24)
        scope.setdefault("state", {})["csrf_nonce"] = nonce
        secure = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = [
                    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                ]
                headers.extend((k, v) for k, v in extra if k not in names)
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                if fresh:
                    headers.append(
                        (
                            b"set-cookie",
                            set_cookie_header(
                                CSRF_COOKIE, str(nonce), secure=secure, max_age=_CSRF_MAX_AGE
                            ),
                        )
                    )
                message["headers"] = headers
            await send(message)

        await self.app(scope, _limited(receive, self.max_body, scope), send_with_headers)


class BodyTooLarge(Exception):
    """The request body is larger than the upload limit."""


def _limited(receive: Receive, limit: int, scope: Scope) -> Receive:
    """``receive`` that refuses a body longer than ``limit`` bytes (declared or streamed)."""
    declared = None
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                declared = None
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        if declared is not None and declared > limit:
            raise BodyTooLarge()
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge()
        return message

    return wrapped


@dataclass
class LoginThrottle:
    """Refuses logins for a while after repeated failures (per username and per client)."""

    max_failures: int = 5
    window_seconds: float = 15 * 60
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, list[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, key: str, now: float) -> list[float]:
        kept = [t for t in self._failures.get(key, []) if now - t < self.window_seconds]
        if kept:
            self._failures[key] = kept
        else:
            self._failures.pop(key, None)
        return kept

    def blocked(self, *keys: str) -> bool:
        now = self.clock()
        with self._lock:
            return any(len(self._recent(k, now)) >= self.max_failures for k in keys)

    def failed(self, *keys: str) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                self._recent(key, now)
                self._failures.setdefault(key, []).append(now)
                if len(self._failures) > 10_000:  # bounded memory under a spray
                    self._failures.pop(next(iter(self._failures)))

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
