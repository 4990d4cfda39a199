"""The JSON API: every transition, lease expiry, a race, auth, roles and the OpenAPI schema."""

from __future__ import annotations

import json
import threading

from fastapi.testclient import TestClient

from tests.console.conftest import Env, seed_flagged, token


def test_sign_in_and_out(env: Env) -> None:
    c = TestClient(env.app)
    assert c.get("/api/items").status_code == 401
    bad = c.post("/api/session", json={"username": "ann", "password": "wrong password!"})
    assert bad.status_code == 401
    assert (
        c.post("/api/session", json={"username": "nobody", "password": "x" * 12}).status_code == 401
    )
    assert c.get("/api/items", headers={"Authorization": "Bearer forged.token"}).status_code == 401
    ann = token(c, "ann")
    other = token(c, "ann")  # a second session of the same user
    assert c.get("/api/items", headers=ann).status_code == 200
    assert c.delete("/api/session", headers=ann).status_code == 204
    assert c.get("/api/items", headers=ann).status_code == 401  # that token is ended
    assert c.get("/api/items", headers=other).status_code == 200  # the other session is not


def test_every_transition_over_the_api(env: Env) -> None:
    c = TestClient(env.app)
    ann, bob = token(c, "ann"), token(c, "bob")
    item_id = seed_flagged(env, "API1")
    listed = c.get("/api/items", headers=ann).json()
    assert [i["id"] for i in listed["items"]] == [item_id] and listed["counts"] == {"fail": 1}

    detail = c.get(f"/api/items/{item_id}", headers=ann).json()
    assert [f["reason"] for f in detail["findings"]] == [
        "plate_mismatch",
        "rubbing_no_reference",
        "photo_reused",
    ]  # the passing finding is not shown
    overlay = detail["findings"][1]["images"][1]
    assert overlay["caption"] == "overlay"
    img = c.get(overlay["url"], headers=ann)
    assert img.status_code == 200 and img.headers["content-type"] == "image/jpeg"
    assert img.content == env.store.get(overlay["key"])

    claimed = c.post(f"/api/items/{item_id}/claim", headers=ann).json()
    assert (claimed["state"], claimed["claimed_by"]) == ("claimed", "ann")
    taken = c.post(f"/api/items/{item_id}/claim", headers=bob)
    assert taken.status_code == 409 and "claimed by ann" in taken.json()["detail"]
    assert c.post(f"/api/items/{item_id}/renew", headers=ann).status_code == 200
    released = c.post(f"/api/items/{item_id}/release", headers=ann).json()
    assert released["state"] == "open"
    stale = c.post(f"/api/items/{item_id}/claim", headers=bob, json={"version": 1})
    assert stale.status_code == 409
    version = released["version"]
    assert c.post(f"/api/items/{item_id}/claim", headers=bob, json={"version": version}).is_success
    no_reason = c.post(f"/api/items/{item_id}/decide", headers=bob, json={"decision": "clear"})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["detail"]
    done = c.post(
        f"/api/items/{item_id}/decide",
        headers=bob,
        json={"decision": "clear", "reason": "approved_new_reference", "note": "ok"},
    ).json()
    assert (done["state"], done["decision"], done["decided_by"]) == ("decided", "clear", "bob")
    event = json.loads(env.bus.published[-1][1])
    assert (event["item_id"], event["decision"]) == (item_id, "clear")
    assert env.enrolled[0]["key"] == "3706000123/API1/1/rubbing.jpg"
    trail = c.get(f"/api/items/{item_id}/audit", headers=ann).json()
    assert [(a["actor"], a["action"]) for a in trail] == [
        ("ann", "review_item.claimed"),
        ("ann", "review_item.renewed"),
        ("ann", "review_item.released"),
        ("bob", "review_item.claimed"),
        ("bob", "review_item.decided"),
        ("bob", "review_item.enrolled"),
    ]
    assert c.get("/api/items?state=decided", headers=ann).json()["items"][0]["id"] == item_id


def test_lease_expiry_over_the_api(env: Env) -> None:
    c = TestClient(env.app)
    ann, bob = token(c, "ann"), token(c, "bob")
    item_id = seed_flagged(env, "EXP1")
    c.post(f"/api/items/{item_id}/claim", headers=ann)
    assert c.get("/api/items", headers=bob).json()["items"] == []
    env.clock.advance(minutes=16)
    assert [i["id"] for i in c.get("/api/items", headers=bob).json()["items"]] == [item_id]
    late = c.post(f"/api/items/{item_id}/decide", headers=ann, json={"decision": "confirm"})
    assert late.status_code == 409
    assert c.post(f"/api/items/{item_id}/claim", headers=bob).is_success
    ok = c.post(f"/api/items/{item_id}/decide", headers=bob, json={"decision": "confirm"})
    assert ok.json()["decided_by"] == "bob"


def test_two_reviewers_race_over_http(env: Env) -> None:
    c = TestClient(env.app)
    heads = {"ann": token(c, "ann"), "bob": token(c, "bob")}
    for n in range(8):
        item_id = seed_flagged(env, f"RACE{n}")
        barrier = threading.Barrier(2)
        codes: dict[str, int] = {}

        def go(
            user: str,
            item_id: int = item_id,
            barrier: threading.Barrier = barrier,
            codes: dict[str, int] = codes,
        ) -> None:
            client = TestClient(env.app)
            barrier.wait()
            r = client.post(f"/api/items/{item_id}/claim", headers=heads[user])
            if r.status_code == 200:
                r = client.post(
                    f"/api/items/{item_id}/decide",
                    headers=heads[user],
                    json={"decision": "confirm"},
                )
            codes[user] = r.status_code

        threads = [threading.Thread(target=go, args=(u,)) for u in heads]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted(codes.values()) == [200, 409], codes


def test_roles_images_and_schema(env: Env) -> None:
    c = TestClient(env.app)
    ann, sue = token(c, "ann"), token(c, "sue")
    item_id = seed_flagged(env, "ROLE1")
    assert c.get("/api/stations", headers=ann).status_code == 403
    report = c.get("/api/stations", headers=sue).json()
    assert report["stations"][0]["station_id"] == "3706000123"
    # Only keys the item's findings name are served, not arbitrary store keys.
    other = c.get(
        f"/evidence/{item_id}", params={"key": "3706000123/OTHER/1/0111.jpg"}, headers=ann
    )
    assert other.status_code == 404
    bad = c.get(f"/evidence/{item_id}", params={"key": "../../etc/passwd"}, headers=ann)
    assert bad.status_code == 404
    schema = c.get("/openapi.json").json()
    for path in (
        "/api/items",
        "/api/items/{item_id}/claim",
        "/api/items/{item_id}/decide",
        "/api/items/{item_id}/renew",
        "/api/items/{item_id}/release",
        "/api/session",
    ):
        assert path in schema["paths"], path
    assert "/queue" not in schema["paths"]
    assert c.get("/docs").status_code == 200


def test_repeated_failures_are_throttled(env: Env) -> None:
    c = TestClient(env.app)
    for _ in range(5):
        r = c.post("/api/session", json={"username": "bob", "password": "guess guess guess"})
        assert r.status_code == 401
    right = c.post("/api/session", json={"username": "bob", "password": "correct horse battery"})
    assert right.status_code == 429
    assert c.post(
        "/api/session", json={"username": "ann", "password": "correct horse battery"}
    ).is_success
