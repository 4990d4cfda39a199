"""Console fixtures: the real app (``create_app(services)``) on SQLite, a local store with real
photos, the in-process bus, a hand-moved clock, and accounts for each role."""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from pipeline.auth import hash_password
from pipeline.config import settings_from_dict
from pipeline.console import create_app
from pipeline.db import Database, open_database
from pipeline.db.schema import users
from pipeline.services import Services
from pipeline.storage.local import LocalStore
from tests.realdata import REALDATA
from tests.review.conftest import FakeClock, RecordingBus
from tests.review.seed import insert_item

PASSWORD = "correct horse battery"
STATION = "3706000123"


@functools.cache
def _hash() -> str:
    return hash_password(PASSWORD)


def photo_bytes(name: str, fallback_color: tuple[int, int, int]) -> bytes:
    """A real photo from ../shared/realdata when present, else a plain JPEG."""
    path = REALDATA / name
    if path.exists():
        return path.read_bytes()
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), fallback_color).save(buf, "JPEG")
    return buf.getvalue()


@dataclass
class Env:
    """Everything a console test touches."""

    app: FastAPI
    db: Database
    store: LocalStore
    bus: RecordingBus
    clock: FakeClock
    services: Services
    enrolled: list[dict[str, Any]]


def seed_flagged(env: Env, inspection_id: str, **kw: Any) -> int:
    """A flagged inspection with a plate photo, a rubbing overlay, and a reused photo."""
    prefix = f"{STATION}/{inspection_id}/1/"
    earlier = f"{STATION}/EARLIER{inspection_id}/1/"
    env.store.put(prefix + "0111.jpg", photo_bytes("plates/ccpd_wan_A099Q5.jpg", (90, 90, 200)))
    env.store.put(prefix + "rubbing.jpg", photo_bytes("vin/image_1050.jpg", (200, 200, 200)))
    overlay = prefix + "results/test/artifacts/rubbing.jpg.rubbing.overlay.jpg"
    env.store.put(overlay, photo_bytes("vin/image_1083.jpg", (200, 90, 90)))
    env.store.put(earlier + "0111.jpg", photo_bytes("plates/ccpd_su_CFY773.jpg", (90, 200, 90)))
    rows = [
        {
            "file": "0111.jpg",
            "code": "0111",
            "check": "plate_match",
            "outcome": "fail",
            "reason": "plate_mismatch",
            "detail": {"expected": "鲁F12345", "read": "鲁F12845"},
        },
        {
            "file": "rubbing.jpg",
            "code": "J",
            "check": "rubbing",
            "outcome": "review",
            "reason": "rubbing_no_reference",
            "detail": {"artifacts": {"overlay": overlay}},
        },
        {
            "file": "0111.jpg",
            "code": "0111",
            "check": "photo_reuse",
            "outcome": "fail",
            "reason": "photo_reused",
            "detail": {
                "distance": 2,
                "matches": [
                    {"key": earlier + "0111.jpg", "inspection_id": f"EARLIER{inspection_id}"}
                ],
            },
        },
        {
            "file": "0111.jpg",
            "code": "0111",
            "check": "quality",
            "outcome": "pass",
            "reason": None,
            "detail": {},
        },
    ]
    reasons = ("plate_mismatch", "rubbing_no_reference", "photo_reused")
    return insert_item(env.db, inspection_id, reasons=reasons, finding_rows=rows, **kw)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    """The console app over fresh embedded services."""
    settings = settings_from_dict(
        {"home": str(tmp_path), "console": {"secret": "test-secret", "session_minutes": 60}}
    )
    db = open_database(settings)
    store = LocalStore(tmp_path / "store")
    bus, clock, enrolled = RecordingBus(), FakeClock(), []
    services = Services(
        settings,
        clock=clock,
        overrides={
            "database": db,
            "store": store,
            "bus": bus,
            "enroll": lambda **kw: enrolled.append(kw),
        },
    )
    with db.begin() as conn:  # one argon2 hash for all (add_user itself is tested via the CLI)
        conn.execute(
            users.insert(),
            [
                {"username": n, "password_hash": _hash(), "role": r, "created_at": clock()}
                for n, r in (("ann", "reviewer"), ("bob", "reviewer"), ("sue", "supervisor"))
            ],
        )
    yield Env(create_app(services), db, store, bus, clock, services, enrolled)
    db.close()


def token(client: TestClient, user: str) -> dict[str, str]:
    """Bearer headers for a user."""
    r = client.post("/api/session", json={"username": user, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def login(client: TestClient, user: str) -> str:
    """Sign in through the form like a browser; the CSRF token of the session."""
    page = client.get("/login")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    r = client.post(
        "/login",
        data={"username": user, "password": PASSWORD, "csrf": csrf, "next": "/queue"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/queue", r.text
    queue = client.get("/queue")
    return queue.text.split('name="csrf-token" content="')[1].split('"')[0]
