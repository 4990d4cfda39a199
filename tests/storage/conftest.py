"""Fixtures: the same store contract over the local folder and a real S3 server (moto)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.config import Settings, settings_from_dict
from pipeline.storage import open_store
from pipeline.storage.base import ObjectStore


def store_settings(tmp_path: Path, backend: str, **store: object) -> Settings:
    """Settings for one backend; MinIO ones point at moto with its dummy credentials."""
    doc: dict[str, object] = {"backend": backend, "path": str(tmp_path / "store")}
    if backend == "minio":
        doc.update(access_key="testing", secret_key="testing", region="us-east-1")
    doc.update(store)
    return settings_from_dict({"home": str(tmp_path / "home"), "store": doc})


@pytest.fixture(params=["local", "minio"])
def backend(request: pytest.FixtureRequest) -> str:
    """The backend under test."""
    return str(request.param)


@pytest.fixture
def store(
    backend: str, tmp_path: Path, unique: str, request: pytest.FixtureRequest
) -> Iterator[ObjectStore]:
    """A fresh store: a temporary folder, or a new bucket (with object lock) on moto."""
    if backend == "local":
        yield open_store(store_settings(tmp_path, "local"))
        return
    endpoint = request.getfixturevalue("s3_endpoint")
    settings = store_settings(
        tmp_path, "minio", endpoint=endpoint, bucket=f"t-{unique}", object_lock=True
    )
    s = open_store(settings)
    s.setup_bucket()  # type: ignore[attr-defined]
    yield s
