"""The JSON API: the console's actions for other office systems (see ``/docs``, ``/openapi.json``).

Sign in with ``POST /api/session`` and send ``Authorization: Bearer <token>``. Errors are JSON
``{"detail": "..."}`` with 400 (bad request), 401, 403, 404, 409 (lost a race or stale
version: reload and retry) or 503 (a service is down: retry later).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from pipeline.auth import authenticate, end_session
from pipeline.console.context import ApiAuth, check_csrf, ctx, require_role, throttle_key
from pipeline.review.models import CLEAR_REASONS, QueueFilter

router = APIRouter(prefix="/api", tags=["review"])


class SessionIn(BaseModel):
    """Credentials."""

    username: str
    password: str


class SessionOut(BaseModel):
    """A bearer token and when it expires."""

    token: str
    expires_at: str
    role: str


class ItemOut(BaseModel):
    """A review item."""

    id: int
    inspection_id: str
    attempt: int
    station_id: str
    plate: str
    vin: str
    verdict: Literal["fail", "review"] | str
    reasons: list[str]
    state: Literal["open", "claimed", "decided"] | str
    claimed_by: str | None
    lease_until: str | None
    decision: str | None
    decision_reason: str | None
    decided_by: str | None
    decided_at: str | None
    previous_item_id: int | None
    version: int
    created_at: str | None
    updated_at: str | None


class PageOut(BaseModel):
    """A page of the queue; pass ``next_cursor`` as ``after`` for the next one."""

    items: list[ItemOut]
    next_cursor: str | None
    counts: dict[str, int]


class ImageOut(BaseModel):
    """An image of a finding; fetch it from ``url`` with the same credentials."""

    caption: str
    key: str
    url: str


class FindingOut(BaseModel):
    """A flagged finding."""

    file: str | None
    code: str | None
    check: str
    outcome: str
    reason: str | None
    label: str
    detail: dict[str, Any]
    images: list[ImageOut]


class DetailOut(BaseModel):
    """An item with its flagged findings and every attempt of its inspection."""

    item: ItemOut
    findings: list[FindingOut]
    attempts: list[ItemOut]


class VersionIn(BaseModel):
    """Optional optimistic-concurrency guard: the version you last saw."""

    version: int | None = None


class DecideIn(BaseModel):
    """A decision; ``clear`` needs a reason code from ``GET /api/clear-reasons``."""

    decision: Literal["confirm", "clear"]
    reason: str | None = None
    note: str | None = Field(default=None, max_length=2000)
    version: int | None = None


@router.post("/session", response_model=SessionOut, tags=["auth"])
def create_session(body: SessionIn, request: Request) -> SessionOut:
    """Sign in; the token expires after the configured session length."""
    c = ctx(request)
    if c.throttle.blocked(throttle_key(request, body.username)):
        raise HTTPException(429, "too many failed sign-ins; wait ten minutes")
    user = authenticate(c.db, body.username, body.password)
    if user is None:
        c.throttle.failed(throttle_key(request, body.username))
        raise HTTPException(401, "wrong user name or password, or the account is disabled")
    c.throttle.succeeded(throttle_key(request, body.username))
    expires = c.clock() + c.session_ttl
    token = c.signer.issue(user.username, user.fingerprint, expires)
    return SessionOut(token=token, expires_at=expires.isoformat(), role=user.role)


@router.delete("/session", status_code=204, tags=["auth"])
def delete_session(request: Request, auth: ApiAuth) -> Response:
    """Sign out: this token (or cookie session) is refused from now on."""
    check_csrf(request, auth)
    c = ctx(request)
    if auth.session is not None:
        s = auth.session
        end_session(c.db, s.sid, s.username, s.expires, c.clock())
    return Response(status_code=204)


@router.get("/items", response_model=PageOut)
def list_items(
    request: Request,
    auth: ApiAuth,
    state: Literal["open", "claimed", "decided", "all"] = "open",
    station: str = "",
    reason: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    q: str = Query("", description="plate, VIN or inspection id"),
    limit: int = Query(50, ge=1, le=200),
    after: str = "",
) -> dict[str, Any]:
    """The queue in priority order (fail before review, then oldest), filtered."""
    f = QueueFilter(state, station, reason, date_from, date_to, q, limit, after)
    page = ctx(request).desk.page(f)
    return {
        "items": [i.to_json() for i in page.items],
        "next_cursor": page.next_cursor,
        "counts": page.counts,
    }


@router.get("/items/{item_id}", response_model=DetailOut)
def get_item(item_id: int, request: Request, auth: ApiAuth) -> dict[str, Any]:
    """An item, its flagged findings (with image URLs) and its inspection's other attempts."""
    c = ctx(request)
    d = c.desk.detail(item_id)
    findings = []
    for fv in d.findings:
        images = [
            {"caption": i.caption, "key": i.key, "url": image_url(item_id, i.key)}
            for i in fv.images
        ]
        label = c.reasons[fv.reason].zh if fv.reason in c.reasons else (fv.reason or "")
        findings.append(
            {**fv.__dict__, "detail": dict(fv.detail), "label": label, "images": images}
        )
    return {
        "item": d.item.to_json(),
        "findings": findings,
        "attempts": [a.to_json() for a in d.attempts],
    }


def image_url(item_id: int, key: str) -> str:
    """The console URL serving one of an item's images."""
    return f"/evidence/{item_id}?key={quote(key, safe='')}"


@router.get("/items/{item_id}/audit")
def item_audit(item_id: int, request: Request, auth: ApiAuth) -> list[Any]:
    """Every transition of the item: who, when, what, from which state."""
    rows = ctx(request).desk.audit_trail(item_id)
    return [{**r, "at": r["at"].isoformat()} for r in rows]


@router.post("/items/{item_id}/claim", response_model=ItemOut)
def claim(
    item_id: int, request: Request, auth: ApiAuth, body: VersionIn | None = None
) -> dict[str, Any]:
    """Claim an item for the lease length (an expired claim is taken over)."""
    check_csrf(request, auth)
    version = body.version if body else None
    return ctx(request).desk.claim(item_id, auth.user.username, version=version).to_json()


@router.post("/items/{item_id}/renew", response_model=ItemOut)
def renew(
    item_id: int, request: Request, auth: ApiAuth, body: VersionIn | None = None
) -> dict[str, Any]:
    """Extend your lease."""
    check_csrf(request, auth)
    version = body.version if body else None
    return ctx(request).desk.renew(item_id, auth.user.username, version=version).to_json()


@router.post("/items/{item_id}/release", response_model=ItemOut)
def release(
    item_id: int, request: Request, auth: ApiAuth, body: VersionIn | None = None
) -> dict[str, Any]:
    """Give the item back to the queue (supervisors may release anyone's claim)."""
    check_csrf(request, auth)
    version = body.version if body else None
    force = auth.user.has_role("supervisor")
    item = ctx(request).desk.release(item_id, auth.user.username, force=force, version=version)
    return item.to_json()


@router.post("/items/{item_id}/decide", response_model=ItemOut)
def decide(item_id: int, body: DecideIn, request: Request, auth: ApiAuth) -> dict[str, Any]:
    """Confirm (the inspection fails) or clear (with a reason) an item you hold."""
    check_csrf(request, auth)
    item = ctx(request).desk.decide(
        item_id,
        auth.user.username,
        body.decision,
        reason=body.reason,
        note=body.note,
        version=body.version,
    )
    return item.to_json()


@router.get("/clear-reasons")
def clear_reasons(auth: ApiAuth) -> list[dict[str, str]]:
    """The reasons a reviewer may give for clearing an item."""
    return [r.__dict__ for r in CLEAR_REASONS]


@router.get("/stations", tags=["stations"])
def stations(request: Request, auth: ApiAuth, weeks: int = Query(8, ge=1, le=52)) -> dict[str, Any]:
    """Per-station inspections, flag rate, top reasons and outliers (supervisors)."""
    require_role(auth, "supervisor")
    report = ctx(request).desk.stations(weeks)

    def cell(c: Any) -> dict[str, Any]:
        return {"inspections": c.inspections, "flagged": c.flagged, "outlier": c.outlier}

    return {
        "weeks": [w.isoformat() for w in report.weeks],
        "overall": [cell(c) for c in report.overall],
        "stations": [
            {
                "station_id": r.station_id,
                "weeks": [cell(c) for c in r.cells],
                "total": cell(r.total),
                "top_reasons": [{"reason": k, "count": n} for k, n in r.top_reasons],
            }
            for r in report.rows
        ],
    }
