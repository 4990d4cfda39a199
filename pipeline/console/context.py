"""What every console request needs, built once per app, and the auth dependencies.

Three ways to be signed in: the session cookie (pages and the console's own JavaScript, which
also sends the CSRF header on writes) or ``Authorization: Bearer <token>`` from
``POST /api/session`` (other office systems; no CSRF needed since browsers never add it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, HTTPException, Request

from pipeline.auth import User, get_user, session_ended
from pipeline.console.session import (
    CSRF_HEADER,
    SESSION_COOKIE,
    LoginThrottle,
    Session,
    Signer,
)
from pipeline.review.queue import COUNT_CAP
from pipeline.review.service import ReviewDesk
from pipeline.tables import PhotoTypeTable, Reason

if TYPE_CHECKING:
    from pipeline.db import Database
    from pipeline.storage.base import ObjectStore


@dataclass
class ConsoleContext:
    """The desk, the store, labels, the clock and the session signer."""

    desk: ReviewDesk
    db: Database
    store: ObjectStore | None
    reasons: dict[str, Reason]
    photo_types: PhotoTypeTable | None
    signer: Signer
    session_ttl: timedelta
    max_image_bytes: int
    throttle: LoginThrottle

    @property
    def clock(self) -> Callable[[], datetime]:
        """The injected clock."""
        return self.desk.clock


@dataclass(frozen=True)
class Auth:
    """A signed-in request: the user, the session (None for bearer tokens) and its CSRF token."""

    user: User
    session: Session | None
    csrf: str
    bearer: bool


class LoginRequired(Exception):
    """Raised by page dependencies; the app turns it into a redirect to the login page."""


def ctx(request: Request) -> ConsoleContext:
    """The app's context."""
    context: ConsoleContext = request.app.state.console
    return context


def _authenticate(request: Request) -> Auth | None:
    c = ctx(request)
    header = request.headers.get("authorization", "")
    bearer = header[7:].strip() if header.lower().startswith("bearer ") else ""
    token = bearer or request.cookies.get(SESSION_COOKIE, "")
    if not token:
        return None
    session = c.signer.verify(token, c.clock())
    if session is None:
        return None
    user = get_user(c.db, session.username)
    if user is None or user.disabled or user.fingerprint != session.fingerprint:
        return None
    if session_ended(c.db, session.sid):  # signed out: a copied token stops working too
        return None
    return Auth(user, session, c.signer.csrf(session.sid), bool(bearer))


def page_auth(request: Request) -> Auth:
    """Dependency for pages: the signed-in user, else a redirect to the login page."""
    auth = _authenticate(request)
    if auth is None:
        raise LoginRequired()
    return auth


def api_auth(request: Request) -> Auth:
    """Dependency for the JSON API: the signed-in user, else 401."""
    auth = _authenticate(request)
    if auth is None:
        raise HTTPException(401, "sign in: POST /api/session, then send the bearer token")
    return auth


PageAuth = Annotated[Auth, Depends(page_auth)]
ApiAuth = Annotated[Auth, Depends(api_auth)]


def require_role(auth: Auth, role: str) -> None:
    """403 unless the user has ``role`` or a higher one."""
    if not auth.user.has_role(role):
        raise HTTPException(403, f"this needs the {role} role")


def check_csrf(request: Request, auth: Auth, form_token: str | None = None) -> None:
    """403 unless a cookie-authenticated write carries its CSRF token (form field or header)."""
    if auth.bearer:
        return
    token = form_token or request.headers.get(CSRF_HEADER)
    binding = auth.session.sid if auth.session else None
    if not ctx(request).signer.csrf_ok(binding, token):
        raise HTTPException(403, "missing or wrong CSRF token; reload the page")


def throttle_key(request: Request, username: str) -> str:
    """Failed sign-ins count per client address and name, so nobody can lock others out."""
    host = request.client.host if request.client else "?"
    return f"{host}|{username}"


def reason_label(c: ConsoleContext, code: str | None) -> str:
    """The Chinese label of a reason code (the code itself when unknown)."""
    if not code:
        return ""
    reason = c.reasons.get(code)
    return reason.zh if reason else code


def template_globals(c: ConsoleContext) -> dict[str, Any]:
    """Helpers every template can call."""
    return {
        "reason_label": lambda code: reason_label(c, code),
        "code_name": lambda code: c.photo_types.name_of(code) if c.photo_types and code else "",
        "count_cap": COUNT_CAP,
        # Reviewers read office time, not UTC.
        "local": lambda dt, fmt="%Y-%m-%d %H:%M": (
            dt.astimezone(c.desk.tz).strftime(fmt) if dt else ""
        ),
    }
