"""An upload through presigned URLs ends in the same verdict as the direct upload: both go
through the bus to the real verify worker (in-process bus, moto S3, SQLite)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from pipeline.layout import address_for
from pipeline.runner import pipeline_version
from pipeline.services import Services
from pipeline.stations.api import create_station_app
from pipeline.stations.client import StationClient
from pipeline.stations.keys import add_station
from pipeline.upload import upload_package
from tests.packages import make_package
from tests.stations.conftest import STATION_A, s3_services
from workers import verify

pytestmark = pytest.mark.s3
INSPECTION = "370600202611230001"


@pytest.fixture
def pair(tmp_path: Path, s3_endpoint: str, unique: str) -> Iterator[tuple[Services, Services]]:
    """Two independent deployments (own bucket, database, broker) on the same S3 server, so
    the hash bank of one does not see the other's photos."""
    direct = s3_services(tmp_path / "direct", s3_endpoint, f"d-{unique}")
    via_api = s3_services(tmp_path / "api", s3_endpoint, f"a-{unique}")
    yield direct, via_api
    direct.close()
    via_api.close()


def verdict_after_worker(services: Services) -> dict[str, Any]:
    """Run the verify worker over what the bus holds; the stored verdict JSON."""
    handled = verify.run(services, stop=threading.Event(), idle_timeout=1.0)
    assert handled == 1
    key = address_for(STATION_A, INSPECTION, 1).result_key(pipeline_version(services))
    doc: dict[str, Any] = json.loads(services.store.get(key))
    return doc


def outcomes(doc: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Findings without timings or free-form detail."""
    return sorted(
        (f.get("file") or "", f["check"], f["outcome"], f.get("reason") or "")
        for f in doc["findings"]
    )


def test_presigned_upload_gives_the_direct_paths_verdict(
    pair: tuple[Services, Services], tmp_path: Path
) -> None:
    direct, via_api = pair
    codes = ["0111", "0113", "J"]  # photos, the rubbing and a frame folder; K33 misses some
    folder = make_package(tmp_path, codes=codes, frames={"0344": 3}, seed=3)

    report = upload_package(folder, direct.store, direct.bus, direct.settings)
    assert report.event_published
    expected = verdict_after_worker(direct)

    key = add_station(via_api.database, STATION_A, actor="test", now=via_api.clock())
    with TestClient(create_station_app(via_api)) as api, httpx.Client(timeout=30) as puts:
        client = StationClient("http://testserver", key, http=api, put_http=puts)
        sent = client.upload(folder, via_api.settings.limits)
    assert sent.event_published and len(sent.uploaded) == len(codes) + 3
    got = verdict_after_worker(via_api)

    assert got["verdict"] == expected["verdict"]
    assert outcomes(got) == outcomes(expected)
    assert got["verdict"] == "fail"  # photo_missing: the real checks ran on both
    assert any(f.get("reason") == "photo_missing" for f in got["findings"])
