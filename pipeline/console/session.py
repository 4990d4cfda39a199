"""Signed, expiring session tokens and the CSRF tokens bound to them.

A session is a token ``<payload>.<signature>`` (HMAC-SHA256 with the console secret) holding
the user name, a random session id, the expiry and a fingerprint of the password hash: it
expires on its own, and changing the password or disabling the account ends it on the next
request (the console checks the account each time). No server-side session table is needed,
so several console processes behind a balancer share sessions through the shared secret.

CSRF: every form carries ``csrf`` = HMAC(secret, session id); API calls made with the cookie
send it as ``X-CSRF-Token``. Before login, the login form is bound the same way to a random
pre-session cookie. Bearer tokens (the API for other systems) need no CSRF token, because a
browser never attaches them on its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime

log = logging.getLogger(__name__)

SESSION_COOKIE = "inspectpipe_session"
PRE_COOKIE = "inspectpipe_pre"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class Session:
    """A verified session token's content."""

    username: str
    sid: str
    fingerprint: str
    expires: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Issues and checks session and CSRF tokens with one secret."""

    def __init__(self, secret: str) -> None:
        if not secret:
            # Sessions then end when the process restarts, and processes cannot share them.
            log.warning("console.secret is not set: using a random secret for this process")
            secret = secrets.token_urlsafe(32)
        self._key = hashlib.sha256(b"inspectpipe-console:" + secret.encode()).digest()

    def _mac(self, text: str) -> str:
        return _b64(hmac.new(self._key, text.encode(), hashlib.sha256).digest())

    def issue(self, username: str, fingerprint: str, expires: datetime) -> str:
        """A new session token."""
        payload = {
            "u": username,
            "sid": secrets.token_urlsafe(16),
            "fp": fingerprint,
            "exp": int(expires.timestamp()),
        }
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"{body}.{self._mac(body)}"

    def verify(self, token: str, now: datetime) -> Session | None:
        """The session in a token that is intact and unexpired, else None."""
        body, _, mac = token.partition(".")
        if not body or not hmac.compare_digest(mac, self._mac(body)):
            return None
        try:
            payload = json.loads(_unb64(body))
            expires = datetime.fromtimestamp(int(payload["exp"]), now.tzinfo)
            session = Session(str(payload["u"]), str(payload["sid"]), str(payload["fp"]), expires)
        except (ValueError, KeyError, TypeError):
            return None
        return session if expires > now else None

    def csrf(self, binding: str) -> str:
        """The CSRF token bound to a session id (or pre-session value)."""
        return self._mac("csrf:" + binding)

    def csrf_ok(self, binding: str | None, token: str | None) -> bool:
        """Whether ``token`` is the CSRF token for ``binding``."""
        if not binding or not token:
            return False
        return hmac.compare_digest(self.csrf(binding), token)


class LoginThrottle:
    """Refuses a name after repeated failures for a while (per process; argon2 slows the rest)."""

    def __init__(self, failures: int = 5, window_seconds: float = 600.0) -> None:
        self.failures = failures
        self.window = window_seconds
        self._seen: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, name: str) -> bool:
        """Whether ``name`` had too many recent failures."""
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._seen.get(name, []) if now - t < self.window]
            self._seen[name] = recent
            return len(recent) >= self.failures

    def failed(self, name: str) -> None:
        """Record a failure."""
        with self._lock:
            self._seen.setdefault(name, []).append(time.monotonic())

    def succeeded(self, name: str) -> None:
        """Forget failures after a good login."""
        with self._lock:
            self._seen.pop(name, None)
