"""Server-rendered pages: sign-in with CSRF, sessions that expire, the queue, the item page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from pipeline.auth import set_disabled, set_password
from pipeline.console.session import SESSION_COOKIE
from tests.console.conftest import PASSWORD, Env, login, seed_flagged


def test_pages_need_a_session(env: Env) -> None:
    c = TestClient(env.app)
    r = c.get("/queue?station=S1", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/queue%3Fstation%3DS1"


def test_login_needs_its_csrf_token_and_right_password(env: Env) -> None:
    c = TestClient(env.app)
    c.get("/login")
    forged = c.post(
        "/login",
        data={"username": "ann", "password": PASSWORD, "csrf": "x"},
        follow_redirects=False,
    )
    assert "/login?error=" in forged.headers["location"]
    assert "inspectpipe_session" not in c.cookies
    page = c.get("/login")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    wrong = c.post(
        "/login",
        data={"username": "ann", "password": "nope nope nope", "csrf": csrf},
        follow_redirects=False,
    )
    assert "Wrong" in c.get(wrong.headers["location"]).text
    evil = c.post(
        "/login",
        data={"username": "ann", "password": PASSWORD, "csrf": csrf, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert evil.headers["location"] == "/queue"  # no open redirect


def test_queue_and_item_pages(env: Env) -> None:
    c = TestClient(env.app)
    item_id = seed_flagged(env, "PAGE1")
    csrf = login(c, "ann")
    queue = c.get("/queue")
    assert f'data-id="{item_id}"' in queue.text and "车牌号不正确" in queue.text
    assert queue.headers["content-security-policy"].startswith("default-src 'self'")
    page = c.get(f"/items/{item_id}")
    assert page.status_code == 200
    # plate photo (plate finding), rubbing + its overlay, reused photo + its earlier use
    assert page.text.count("<img ") == 5
    assert "earlier use: EARLIERPAGE1" in page.text
    assert c.post(f"/items/{item_id}/claim", data={"csrf": "wrong"}).status_code == 403
    r = c.post(f"/items/{item_id}/claim", data={"csrf": csrf}, follow_redirects=False)
    assert r.headers["location"] == f"/items/{item_id}?msg=claimed"
    page = c.get(f"/items/{item_id}")
    assert 'id="clear-form"' in page.text and 'data-mine="1"' in page.text
    r = c.post(
        f"/items/{item_id}/decide",
        data={"csrf": csrf, "decision": "clear", "reason": ""},
        follow_redirects=False,
    )
    assert (
        "needs+a+reason" in r.headers["location"] or "needs%20a%20reason" in r.headers["location"]
    )
    r = c.post(
        f"/items/{item_id}/decide",
        data={"csrf": csrf, "decision": "confirm"},
        follow_redirects=True,
    )
    assert r.url.path == "/queue" and "queue done" in r.text
    assert env.services.database is env.db
    assert c.get(f"/items/{item_id}").text.count("confirm</b> by ann") == 1


def test_cookie_api_calls_need_the_csrf_header(env: Env) -> None:
    c = TestClient(env.app)
    item_id = seed_flagged(env, "CSRF1")
    csrf = login(c, "ann")
    assert c.post(f"/api/items/{item_id}/claim").status_code == 403
    ok = c.post(f"/api/items/{item_id}/claim", headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200


def test_sessions_expire_and_end_with_password_or_account(env: Env) -> None:
    c = TestClient(env.app)
    login(c, "ann")
    assert c.get("/queue", follow_redirects=False).status_code == 200
    env.clock.advance(minutes=61)  # session_minutes = 60
    assert c.get("/queue", follow_redirects=False).status_code == 303
    login(c, "ann")
    set_password(env.db, "ann", "another good password", actor="test", now=env.clock())
    assert c.get("/queue", follow_redirects=False).status_code == 303
    c2 = TestClient(env.app)
    login(c2, "bob")
    set_disabled(env.db, "bob", True, actor="test", now=env.clock())
    assert c2.get("/queue", follow_redirects=False).status_code == 303


def test_logout_and_station_page_role(env: Env) -> None:
    c = TestClient(env.app)
    seed_flagged(env, "ST1")
    csrf = login(c, "ann")
    assert c.get("/stations").status_code == 403
    copied = c.cookies.get(SESSION_COOKIE)
    c.post("/logout", data={"csrf": csrf})
    assert c.get("/queue", follow_redirects=False).status_code == 303
    # The session ended on the server: a copy of the cookie taken before is refused too.
    thief = TestClient(env.app, cookies={SESSION_COOKIE: copied})
    assert thief.get("/queue", follow_redirects=False).status_code == 303
    login(c, "sue")
    page = c.get("/stations")
    assert page.status_code == 200 and "3706000123" in page.text
