"""Fixtures for whole-flow tests: embedded services, and real RabbitMQ + S3 + PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.config import load_settings
from pipeline.db.scratch import scratch_database
from pipeline.services import Services


@pytest.fixture
def embedded(home: Path) -> Iterator[Services]:
    """Services on embedded defaults under a fresh home."""
    services = Services(load_settings(env={"INSPECTPIPE_HOME": str(home)}))
    yield services
    services.close()


@pytest.fixture
def pg_database(postgres_url: str) -> Iterator[str]:
    """A throwaway PostgreSQL database; its URL."""
    with scratch_database(postgres_url, "flow") as url:
        yield url


@pytest.fixture
def real(
    home: Path, rabbitmq_url: str, s3_endpoint: str, pg_database: str, unique: str
) -> Iterator[Services]:
    """Services on RabbitMQ (own namespace), the moto S3 server and a fresh PostgreSQL database."""
    env = {
        "INSPECTPIPE_HOME": str(home),
        "INSPECTPIPE_STORE_BACKEND": "minio",
        "INSPECTPIPE_STORE_ENDPOINT": s3_endpoint,
        "INSPECTPIPE_STORE_ACCESS_KEY": "testing",
        "INSPECTPIPE_STORE_SECRET_KEY": "testing",
        "INSPECTPIPE_STORE_BUCKET": f"flow-{unique}",
        "INSPECTPIPE_BUS_BACKEND": "rabbitmq",
        "INSPECTPIPE_BUS_URL": rabbitmq_url,
        "INSPECTPIPE_BUS_NAMESPACE": f"t{unique}.",
        "INSPECTPIPE_DATABASE_URL": pg_database,
    }
    services = Services(load_settings(env=env))
    services.store.ensure_bucket()  # type: ignore[attr-defined]
    yield services
    try:
        services.bus.delete_topology()  # type: ignore[attr-defined]
    finally:
        services.close()
