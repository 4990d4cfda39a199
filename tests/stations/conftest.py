"""Fixtures: services on the moto S3 server (in-process bus, SQLite), the station API, keys."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from pipeline.config import load_settings
from pipeline.services import Services
from pipeline.stations.api import create_station_app
from pipeline.stations.client import StationClient
from pipeline.stations.keys import add_station

STATION_A = "3706000123"
STATION_B = "3706000456"


def s3_env(home: Path, endpoint: str, bucket: str, **extra: str) -> dict[str, str]:
    """Environment for services on the moto server with embedded bus and database."""
    env = {
        "INSPECTPIPE_HOME": str(home),
        "INSPECTPIPE_STORE_BACKEND": "minio",
        "INSPECTPIPE_STORE_ENDPOINT": endpoint,
        "INSPECTPIPE_STORE_ACCESS_KEY": "testing",
        "INSPECTPIPE_STORE_SECRET_KEY": "testing",
        "INSPECTPIPE_STORE_BUCKET": bucket,
        # The in-process broker is per namespace and process-wide: one per test.
        "INSPECTPIPE_BUS_NAMESPACE": f"{bucket}.",
    }
    env.update(extra)
    return env


def s3_services(home: Path, endpoint: str, bucket: str, **extra: str) -> Services:
    """Services whose store is a fresh bucket on the moto server."""
    services = Services(load_settings(env=s3_env(home, endpoint, bucket, **extra)))
    services.store.ensure_bucket()  # type: ignore[attr-defined]
    return services


@pytest.fixture
def services(home: Path, s3_endpoint: str, unique: str) -> Iterator[Services]:
    """Services for the API under test."""
    s = s3_services(home, s3_endpoint, f"st-{unique}")
    yield s
    s.close()


@pytest.fixture
def api(services: Services) -> Iterator[TestClient]:
    """The station API in-process (its PUT URLs point at the real moto server)."""
    with TestClient(create_station_app(services)) as client:
        yield client


@pytest.fixture
def keys(services: Services) -> dict[str, str]:
    """Two stations and their keys."""
    now = services.clock()
    return {
        st: add_station(services.database, st, name=f"station {st}", actor="test", now=now)
        for st in (STATION_A, STATION_B)
    }


@pytest.fixture
def client_for(api: TestClient) -> Iterator[Callable[[str], StationClient]]:
    """A StationClient for a key: API calls in-process, PUTs over HTTP to moto."""
    puts = httpx.Client(timeout=30)
    yield lambda key: StationClient("http://testserver", key, http=api, put_http=puts)
    puts.close()


def auth(key: str) -> dict[str, Any]:
    """The Authorization header for a key."""
    return {"Authorization": f"Bearer {key}"}
