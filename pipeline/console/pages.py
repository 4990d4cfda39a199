"""Server-rendered pages: login, queue, item, stations, and the authenticated image route.

Every form posts a CSRF token; actions redirect back (post/redirect/get) with a short message.
"""

from __future__ import annotations

import mimetypes
import secrets
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pipeline.auth import authenticate, end_session
from pipeline.console.api import image_url
from pipeline.console.context import PageAuth, check_csrf, ctx, require_role, throttle_key
from pipeline.console.session import PRE_COOKIE, SESSION_COOKIE
from pipeline.errors import PipelineError
from pipeline.review.models import CLEAR_REASONS, QueueFilter
from pipeline.review.queue import encode_cursor

router = APIRouter(include_in_schema=False)


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a template with the app's helpers."""
    templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(request, name, context, status_code=status)
    return response


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _local(url: str) -> str:
    """Only same-site paths may follow a login (no open redirect)."""
    return url if url.startswith("/") and not url.startswith("//") else "/queue"


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness probe."""
    return {"status": "ok"}


@router.get("/")
def home() -> RedirectResponse:
    """The queue is the home page."""
    return _redirect("/queue")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/queue", error: str = "") -> HTMLResponse:
    """The sign-in form, bound to a pre-session cookie for CSRF."""
    pre = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(16)
    csrf = ctx(request).signer.csrf("pre:" + pre)
    response = render(request, "login.html", next=_local(next), error=error, csrf=csrf)
    response.set_cookie(PRE_COOKIE, pre, httponly=True, samesite="strict", max_age=3600)
    return response


@router.post("/login")
def login(
    request: Request,
    username: str = Form(...),
    password: str = Form(...),
    csrf: str = Form(""),
    next: str = Form("/queue"),
) -> Response:
    """Check the password and start a session."""
    c = ctx(request)
    if not c.signer.csrf_ok("pre:" + request.cookies.get(PRE_COOKIE, ""), csrf):
        return _redirect("/login?error=" + quote("The form expired; please sign in again."))
    if c.throttle.blocked(throttle_key(request, username)):
        return _redirect("/login?error=" + quote("Too many failed sign-ins; wait ten minutes."))
    user = authenticate(c.db, username, password)
    if user is None:
        c.throttle.failed(throttle_key(request, username))
        return _redirect("/login?error=" + quote("Wrong user name or password."))
    c.throttle.succeeded(throttle_key(request, username))
    expires = c.clock() + c.session_ttl
    token = c.signer.issue(user.username, user.fingerprint, expires)
    response = _redirect(_local(next))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(c.session_ttl.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(PRE_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, auth: PageAuth, csrf: str = Form("")) -> Response:
    """End the session: the cookie goes, and the token is refused from now on."""
    check_csrf(request, auth, csrf)
    c = ctx(request)
    if auth.session is not None:
        s = auth.session
        end_session(c.db, s.sid, s.username, s.expires, c.clock())
    response = _redirect("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("/queue", response_class=HTMLResponse)
def queue_page(
    request: Request,
    auth: PageAuth,
    state: str = "open",
    station: str = "",
    reason: str = "",
    date_from: str = "",
    date_to: str = "",
    q: str = "",
    after: str = "",
    msg: str = "",
    error: str = "",
) -> HTMLResponse:
    """The queue: priority order, filters, search, the reviewer's claims on top."""
    c = ctx(request)
    state = state if state in ("open", "claimed", "decided", "all") else "open"
    f = QueueFilter(state, station, reason, _date(date_from), _date(date_to), q, 50, after)
    page = c.desk.page(f, mine_of=auth.user.username)
    return render(
        request,
        "queue.html",
        auth=auth,
        page=page,
        f=f,
        mine=page.mine,
        now=c.clock(),
        clear_reasons=CLEAR_REASONS,
        reason_codes=sorted(c.reasons),
        msg=msg,
        error=error,
    )


@router.get("/items/{item_id}", response_class=HTMLResponse)
def item_page(
    request: Request, auth: PageAuth, item_id: int, msg: str = "", error: str = ""
) -> HTMLResponse:
    """One item: flagged photos large, findings, artifacts, attempts, actions."""
    c = ctx(request)
    detail = c.desk.detail(item_id, with_audit=True)
    now = c.clock()
    return render(
        request,
        "item.html",
        auth=auth,
        d=detail,
        item=detail.item,
        now=now,
        mine=detail.item.lease_valid(now) and detail.item.claimed_by == auth.user.username,
        clear_reasons=CLEAR_REASONS,
        image_url=image_url,
        lease_seconds=int(c.desk.lease.total_seconds()),
        audit=detail.audit,
        msg=msg,
        error=error,
    )


@router.get("/items/{item_id}/next")
def next_item(request: Request, auth: PageAuth, item_id: int) -> Response:
    """The next open item after this one in priority order (or the queue when none is left)."""
    desk = ctx(request).desk
    f = QueueFilter("open", limit=1)
    f = QueueFilter("open", limit=1, after=encode_cursor(desk.item(item_id), f))
    page = desk.page(f)
    return _redirect(f"/items/{page.items[0].id}" if page.items else "/queue?msg=queue+done")


@router.post("/items/{item_id}/{action}")
def item_action(
    request: Request,
    auth: PageAuth,
    item_id: int,
    action: str,
    csrf: str = Form(""),
    version: int | None = Form(None),
    decision: str = Form(""),
    reason: str = Form(""),
    note: str = Form(""),
) -> Response:
    """claim, renew, release or decide from the item page's forms."""
    check_csrf(request, auth, csrf)
    desk, user = ctx(request).desk, auth.user.username
    try:
        if action == "claim":
            desk.claim(item_id, user, version=version)
            return _redirect(f"/items/{item_id}?msg=claimed")
        if action == "renew":
            desk.renew(item_id, user, version=version)
            return _redirect(f"/items/{item_id}?msg=lease+renewed")
        if action == "release":
            force = auth.user.has_role("supervisor")
            desk.release(item_id, user, force=force, version=version)
            return _redirect("/queue?msg=" + quote(f"item {item_id} released"))
        if action == "decide":
            item = desk.decide(
                item_id, user, decision, reason=reason or None, note=note, version=version
            )
            return _redirect(f"/items/{item_id}/next?decided={item.decision}")
    except PipelineError as exc:
        return _redirect(f"/items/{item_id}?error=" + quote(str(exc)))
    raise HTTPException(404, f"no action {action!r}")


@router.get("/evidence/{item_id}")
def evidence(request: Request, auth: PageAuth, item_id: int, key: str) -> Response:
    """An image of an item, read from the store; only keys the item's findings name."""
    c = ctx(request)
    if c.store is None or key not in c.desk.detail(item_id).keys:
        raise HTTPException(404, "no such image for this item")
    data = c.store.get(key, max_bytes=c.max_image_bytes)
    media = mimetypes.guess_type(key)[0] or "application/octet-stream"
    if not media.startswith("image/"):
        media = "application/octet-stream"
    headers = {"Cache-Control": "private, max-age=600", "X-Content-Type-Options": "nosniff"}
    return Response(data, media_type=media, headers=headers)


@router.get("/stations", response_class=HTMLResponse)
def stations_page(request: Request, auth: PageAuth, weeks: int = 8) -> HTMLResponse:
    """The supervisors' early-warning view."""
    require_role(auth, "supervisor")
    report = ctx(request).desk.stations(max(1, min(weeks, 52)))
    return render(request, "stations.html", auth=auth, report=report, weeks=weeks)
