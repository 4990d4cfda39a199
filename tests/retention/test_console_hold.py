"""Legal hold from the console: supervisors only, with a reason, audited; the sweeper obeys."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from pipeline.db import audit
from pipeline.db.schema import inspections
from tests.console.conftest import Env, env, login, seed_flagged

__all__ = ["env"]


def held(e: Env, inspection_id: str) -> tuple[bool, str | None]:
    with e.db.read() as conn:
        row = conn.execute(
            select(inspections.c.held, inspections.c.hold_reason).where(
                inspections.c.inspection_id == inspection_id
            )
        ).one()
    return bool(row[0]), row[1]


def test_supervisor_sets_and_releases_a_hold(env: Env) -> None:
    item_id = seed_flagged(env, "HOLDC001")
    reviewer = TestClient(env.app)
    csrf = login(reviewer, "ann")
    assert "/legal-hold/" not in reviewer.get(f"/items/{item_id}").text
    assert reviewer.get(f"/legal-hold/{item_id}").status_code == 403
    r = reviewer.post(f"/legal-hold/{item_id}", data={"csrf": csrf, "action": "set", "reason": "x"})
    assert r.status_code == 403 and held(env, "HOLDC001") == (False, None)

    sup = TestClient(env.app)
    csrf = login(sup, "sue")
    assert f"/legal-hold/{item_id}" in sup.get(f"/items/{item_id}").text
    page = sup.get(f"/legal-hold/{item_id}")
    assert page.status_code == 200 and "HOLDC001" in page.text
    no_csrf = sup.post(f"/legal-hold/{item_id}", data={"action": "set", "reason": "x"})
    assert no_csrf.status_code == 403
    empty = sup.post(
        f"/legal-hold/{item_id}",
        data={"csrf": csrf, "action": "set", "reason": " "},
        follow_redirects=False,
    )
    assert "error=" in empty.headers["location"] and held(env, "HOLDC001") == (False, None)

    r = sup.post(
        f"/legal-hold/{item_id}",
        data={"csrf": csrf, "action": "set", "reason": "车主申诉"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith(f"/items/{item_id}?msg=")
    assert held(env, "HOLDC001") == (True, "车主申诉")
    assert "车主申诉" in sup.get(f"/legal-hold/{item_id}").text

    r = sup.post(
        f"/legal-hold/{item_id}",
        data={"csrf": csrf, "action": "release", "reason": "结案"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and held(env, "HOLDC001") == (False, None)
    trail = audit.entries(env.db, entity="inspection")
    assert [(e.action, e.actor, e.detail["reason"]) for e in trail] == [
        ("retention.hold_set", "sue", "车主申诉"),
        ("retention.hold_released", "sue", "结案"),
    ]
