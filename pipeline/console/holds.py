"""Legal hold from the console: a supervisor sets or releases it on an item's inspection.

``GET /legal-hold/{item_id}`` shows every stored attempt's hold and retain-until date with a
form; ``POST`` sets or releases the hold with a reason (audited by
:mod:`pipeline.retention.hold`), then returns to the item page. Supervisors and admins only.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pipeline.console.context import PageAuth, check_csrf, ctx, require_role
from pipeline.console.pages import render
from pipeline.errors import PipelineError
from pipeline.retention.hold import holds, release_hold, set_hold

router = APIRouter(include_in_schema=False)


@router.get("/legal-hold/{item_id}", response_class=HTMLResponse)
def hold_page(request: Request, auth: PageAuth, item_id: int, error: str = "") -> HTMLResponse:
    """The hold state of the item's inspection, and the set/release form."""
    require_role(auth, "supervisor")
    c = ctx(request)
    item = c.desk.item(item_id)
    states = holds(c.db, item.inspection_id)
    return render(
        request, "legal_hold.html", auth=auth, item=item, states=states, error=error, msg=""
    )


@router.post("/legal-hold/{item_id}")
def hold_action(
    request: Request,
    auth: PageAuth,
    item_id: int,
    csrf: str = Form(""),
    action: str = Form(""),
    reason: str = Form(""),
    scope: str = Form("all"),
) -> Response:
    """Set (``action=set``) or release (``action=release``) the hold, with a reason."""
    check_csrf(request, auth, csrf)
    require_role(auth, "supervisor")
    c = ctx(request)
    item = c.desk.item(item_id)
    change = {"set": set_hold, "release": release_hold}.get(action)
    if change is None:
        return RedirectResponse(f"/legal-hold/{item_id}?error=unknown+action", status_code=303)
    try:
        change(
            c.db,
            c.store,
            item.inspection_id,
            reason=reason,
            actor=auth.user.username,
            now=c.clock(),
            attempt=item.attempt if scope == "attempt" else None,
        )
    except PipelineError as exc:
        return RedirectResponse(f"/legal-hold/{item_id}?error=" + quote(str(exc)), status_code=303)
    done = "legal hold set" if action == "set" else "legal hold released"
    return RedirectResponse(f"/items/{item_id}?msg=" + quote(done), status_code=303)
