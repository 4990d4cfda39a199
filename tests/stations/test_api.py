"""The station API against the real moto S3 server: resumable presigned uploads, completeness
checks, isolation between stations, revoked keys, limits and JSON errors."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from pipeline.bus.base import Q_VERIFY
from pipeline.errors import Conflict
from pipeline.layout import address_for
from pipeline.manifest import parse_manifest
from pipeline.services import Services
from pipeline.stations.client import StationClient
from pipeline.stations.declare import describe_folder
from pipeline.stations.keys import revoke_key, rotate_key
from tests.packages import make_package
from tests.stations.conftest import STATION_A, STATION_B, auth

pytestmark = pytest.mark.s3
INSPECTION = "370600202611230001"
BEGIN = "/api/stations/v1/inspections"
COMPLETE = f"/api/stations/v1/inspections/{INSPECTION}/1/complete"
STATUS = f"/api/stations/v1/inspections/{INSPECTION}/1"


def small_package(root: Path, station: str = STATION_A, **overrides: Any) -> Path:
    """Three photos and a three-frame folder."""
    return make_package(
        root,
        f"pkg-{station}",
        codes=["0111", "0113", "J"],
        frames={"0344": 3},
        manifest_overrides={"station_id": station, **overrides},
    )


def declaration(folder: Path, services: Services) -> dict[str, Any]:
    """The begin request body for a folder."""
    raw = (folder / "manifest.json").read_bytes()
    files = describe_folder(folder, parse_manifest(raw), services.settings.limits)
    return {"manifest": json.loads(raw), "files": [f.model_dump() for f in files]}


def put(ticket: dict[str, Any], data: bytes) -> int:
    """PUT to a presigned URL as a station would."""
    return httpx.put(ticket["url"], content=data, headers=ticket["headers"], timeout=30).status_code


def test_interrupted_upload_resumes_and_completes_once(
    api: TestClient,
    keys: dict[str, str],
    services: Services,
    tmp_path: Path,
    client_for: Callable[[str], StationClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    folder = small_package(tmp_path)
    body = declaration(folder, services)
    first = api.post(BEGIN, json=body, headers=auth(keys[STATION_A]))
    assert first.status_code == 200, first.text
    tickets = first.json()["uploads"]
    assert len(tickets) == 6 and first.json()["present"] == []
    assert {t["headers"]["Content-Type"] for t in tickets} == {"image/jpeg"}
    # Interrupted after two files.
    for t in tickets[:2]:
        assert put(t, (folder / t["file"]).read_bytes()) == 200
    left = {t["file"] for t in tickets[2:]}
    status = api.get(STATUS, headers=auth(keys[STATION_A])).json()
    assert status["state"] == "open" and set(status["missing"]) == left

    early = api.post(COMPLETE, headers=auth(keys[STATION_A]))
    assert early.status_code == 422 and early.json()["code"] == "incomplete"
    assert {f["file"] for f in early.json()["files"]} == left
    assert tickets[2]["file"] in early.json()["detail"]
    assert not services.store.exists(address_for(STATION_A, INSPECTION, 1).manifest_key)

    # Asking again answers URLs for the missing files only; the client finishes the job.
    again = api.post(BEGIN, json=body, headers=auth(keys[STATION_A])).json()
    assert {t["file"] for t in again["uploads"]} == left
    assert set(again["present"]) == {t["file"] for t in tickets[:2]}
    report = client_for(keys[STATION_A]).upload(folder, services.settings.limits)
    assert set(report.uploaded) == left and report.event_published
    assert services.bus.queue_depth(Q_VERIFY) == 1

    stored = json.loads(services.store.get(address_for(STATION_A, INSPECTION, 1).manifest_key))
    assert stored["inspection_id"] == INSPECTION
    photos = [e for e in stored["evidence"] if e.get("kind", "photo") == "photo"]
    assert all(len(e["sha256"]) == 64 for e in photos)  # verified checksums kept for verify

    # A completed inspection cannot be overwritten or completed again.
    over = api.post(BEGIN, json=body, headers=auth(keys[STATION_A]))
    assert over.status_code == 409 and over.json()["code"] == "conflict"
    assert api.post(COMPLETE, headers=auth(keys[STATION_A])).status_code == 409
    with pytest.raises(Conflict):
        client_for(keys[STATION_A]).upload(folder, services.settings.limits)
    assert services.bus.queue_depth(Q_VERIFY) == 1
    # Nothing of ours logged a presigned URL or a key, at any level (werkzeug is moto's own
    # access log: the S3 server's, not the pipeline's).
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name != "werkzeug")
    assert "X-Amz-Signature" not in ours and keys[STATION_A] not in ours
    assert "completed by station" in caplog.text


def test_altered_or_wrongly_typed_file_blocks_completion_and_names_it(
    api: TestClient, keys: dict[str, str], services: Services, tmp_path: Path
) -> None:
    folder = small_package(tmp_path)
    body = declaration(folder, services)
    tickets = {
        t["file"]: t
        for t in api.post(BEGIN, json=body, headers=auth(keys[STATION_A])).json()["uploads"]
    }
    for name, t in tickets.items():
        data = (folder / name).read_bytes()
        if name == "0113.jpg":  # same size, one byte changed
            data = data[:500] + bytes([data[500] ^ 0xFF]) + data[501:]
        headers = {"Content-Type": "application/octet-stream"} if name == "J.jpg" else None
        status = httpx.put(t["url"], content=data, headers=headers or t["headers"]).status_code
        assert status == 200
    blocked = api.post(COMPLETE, headers=auth(keys[STATION_A]))
    assert blocked.status_code == 422
    problems = {f["file"]: f["problem"] for f in blocked.json()["files"]}
    assert set(problems) == {"0113.jpg", "J.jpg"}
    assert "sha256" in problems["0113.jpg"] and "Content-Type" in problems["J.jpg"]
    assert "0113.jpg" in blocked.json()["detail"]

    # Resuming hands out URLs for exactly the two bad files; fixing them completes.
    again = api.post(BEGIN, json=body, headers=auth(keys[STATION_A])).json()
    assert {t["file"] for t in again["uploads"]} == {"0113.jpg", "J.jpg"}
    for t in again["uploads"]:
        assert put(t, (folder / t["file"]).read_bytes()) == 200
    done = api.post(COMPLETE, headers=auth(keys[STATION_A]))
    assert done.status_code == 200, done.text
    assert done.json()["files"] == 6 and done.json()["state"] == "complete"


def test_a_station_cannot_touch_another_stations_inspection(
    api: TestClient, keys: dict[str, str], services: Services, tmp_path: Path
) -> None:
    a, b = auth(keys[STATION_A]), auth(keys[STATION_B])
    folder_a = small_package(tmp_path)
    body_a = declaration(folder_a, services)

    # B cannot get URLs for a manifest that says it is A's.
    refused = api.post(BEGIN, json=body_a, headers=b)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"

    begun = api.post(BEGIN, json=body_a, headers=a).json()
    bucket = services.settings.store.bucket
    for t in begun["uploads"]:  # every URL A gets is under A's own prefix
        path = unquote(urlsplit(t["url"]).path)
        assert path.startswith(f"/{bucket}/{STATION_A}/{INSPECTION}/1/")

    # B claiming the same inspection under its own prefix is refused too (no double claims).
    folder_b = small_package(tmp_path, STATION_B)
    claim = api.post(BEGIN, json=declaration(folder_b, services), headers=b)
    assert claim.status_code == 409 and "another station" in claim.json()["detail"]

    # B can neither see nor complete A's upload: not found, existence not revealed.
    assert api.get(STATUS, headers=b).status_code == 404
    assert api.post(COMPLETE, headers=b).json()["code"] == "not_found"

    for t in begun["uploads"]:
        assert put(t, (folder_a / t["file"]).read_bytes()) == 200
    assert api.post(COMPLETE, headers=a).status_code == 200
    # After completion B still gets nothing (no URLs, no overwrite), and A's data is intact.
    assert api.post(BEGIN, json=declaration(folder_b, services), headers=b).status_code == 409
    assert api.post(COMPLETE, headers=b).status_code == 404
    prefix = address_for(STATION_A, INSPECTION, 1).prefix
    assert services.store.get(prefix + "0111.jpg") == (folder_a / "0111.jpg").read_bytes()
    # There is no read endpoint: the API hands out no GET URLs at all.
    paths = api.get("/openapi.json").json()["paths"]
    assert all("presign" not in p and "download" not in p for p in paths)


def test_revoked_rotated_unknown_and_malformed_keys_are_refused(
    api: TestClient, keys: dict[str, str], services: Services, tmp_path: Path
) -> None:
    body = declaration(small_package(tmp_path), services)
    me = api.get("/api/stations/v1/me", headers=auth(keys[STATION_A]))
    assert me.status_code == 200 and me.json()["station_id"] == STATION_A

    revoke_key(services.database, STATION_A, actor="test", now=services.clock())
    gone = api.post(BEGIN, json=body, headers=auth(keys[STATION_A]))
    assert gone.status_code == 401 and gone.json()["code"] == "unauthorized"
    assert gone.headers["WWW-Authenticate"] == "Bearer"

    new = rotate_key(services.database, STATION_A, actor="test", now=services.clock())
    assert api.get("/api/stations/v1/me", headers=auth(keys[STATION_A])).status_code == 401
    assert api.post(BEGIN, json=body, headers=auth(new)).status_code == 200

    forged = new[:-4] + ("AAAA" if not new.endswith("AAAA") else "BBBB")
    for bad in (forged, "ipk_000000000000_" + "x" * 43, "nonsense", ""):
        assert api.get("/api/stations/v1/me", headers=auth(bad)).status_code == 401
    assert api.get("/api/stations/v1/me").status_code == 401


def test_limits_and_json_errors(home: Path, s3_endpoint: str, unique: str, tmp_path: Path) -> None:
    from pipeline.stations.api import create_station_app
    from pipeline.stations.keys import add_station
    from tests.stations.conftest import s3_services

    services = s3_services(
        home,
        s3_endpoint,
        f"lim-{unique}",
        INSPECTPIPE_CONSOLE_STATION_BURST="3",
        INSPECTPIPE_CONSOLE_STATION_RATE_PER_MINUTE="1",
        INSPECTPIPE_CONSOLE_MAX_REQUEST_BYTES="8192",
    )
    key = add_station(services.database, STATION_A, actor="test", now=services.clock())
    with TestClient(create_station_app(services)) as api:
        big = api.post(
            BEGIN,
            content=b"{" + b" " * 9000 + b"}",
            headers={**auth(key), "Content-Type": "application/json"},
        )
        assert big.status_code == 413 and big.json()["code"] == "too_large"

        bad = api.post(BEGIN, json={"manifest": {}, "files": "no"}, headers=auth(key))
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_request"
        assert "files" in bad.json()["detail"]

        wrong = api.post(
            BEGIN,
            json={"manifest": {"schema": "inspection/1"}, "files": []},
            headers=auth(key),
        )
        assert wrong.status_code == 422 and wrong.json()["code"] == "invalid_manifest"
        assert "inspection_id" in wrong.json()["detail"]

        # Burst 3, refill 1 a minute: within four more calls the station is held back.
        answers = [api.get("/api/stations/v1/me", headers=auth(key)) for _ in range(4)]
        limited = answers[-1]
        assert answers[0].status_code in (200, 429)
        assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
        assert int(limited.headers["Retry-After"]) >= 1
    services.close()


def test_an_upload_abandoned_mid_completion_can_be_completed_later(
    api: TestClient, keys: dict[str, str], services: Services, tmp_path: Path
) -> None:
    from datetime import timedelta

    from pipeline.db.schema import station_uploads

    folder = small_package(tmp_path)
    for t in api.post(
        BEGIN, json=declaration(folder, services), headers=auth(keys[STATION_A])
    ).json()["uploads"]:
        assert put(t, (folder / t["file"]).read_bytes()) == 200
    # As if a server died after taking the upload and before writing the manifest.
    long_ago = services.clock() - timedelta(hours=1)
    with services.database.begin() as conn:
        conn.execute(station_uploads.update().values(state="completing", updated_at=long_ago))
    assert api.get(STATUS, headers=auth(keys[STATION_A])).json()["state"] == "completing"
    done = api.post(COMPLETE, headers=auth(keys[STATION_A]))
    assert done.status_code == 200, done.text
    # The API describes itself: request and response bodies are in the OpenAPI document.
    schemas = api.get("/openapi.json").json()["components"]["schemas"]
    assert {"InspectionRequest", "BeginResponse", "ErrorBody", "FileDecl"} <= set(schemas)


def test_an_address_presenting_wrong_keys_is_held_back(
    api: TestClient, keys: dict[str, str]
) -> None:
    wrong = keys[STATION_A][:-4] + ("AAAA" if not keys[STATION_A].endswith("AAAA") else "BBBB")
    codes = [api.get("/api/stations/v1/me", headers=auth(wrong)).status_code for _ in range(11)]
    assert codes[:10] == [401] * 10 and codes[10] == 429
    # Held back even with the right key until the bucket refills (the address is the unit).
    assert api.get("/api/stations/v1/me", headers=auth(keys[STATION_A])).status_code == 429
