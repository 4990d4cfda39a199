"""Where things live in the object store.

    <station_id>/<inspection_id>/<attempt>/manifest.json           written last by the station
    <station_id>/<inspection_id>/<attempt>/<evidence files>        named by the manifest
    <station_id>/<inspection_id>/<attempt>/results/<version>.json  the verdict JSON, per version
    <station_id>/<inspection_id>/<attempt>/results/<version>/artifacts/<file>.<check>.<name>.jpg

A newer pipeline version's result is stored beside the old one, never over it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.errors import UnsafePathError
from pipeline.package import MANIFEST_NAME
from pipeline.paths import safe_id, safe_relpath


@dataclass(frozen=True)
class PackageAddress:
    """Which inspection attempt an object prefix holds."""

    station_id: str
    inspection_id: str
    attempt: int

    @property
    def prefix(self) -> str:
        """The object-key prefix, ending in ``/``."""
        return f"{self.station_id}/{self.inspection_id}/{self.attempt}/"

    @property
    def manifest_key(self) -> str:
        """Key of the manifest."""
        return self.prefix + MANIFEST_NAME

    def result_key(self, pipeline_version: str) -> str:
        """Key of the verdict JSON made by one pipeline version."""
        return f"{self.prefix}results/{_version_segment(pipeline_version)}.json"

    def artifact_key(self, pipeline_version: str, file: str | None, check: str, name: str) -> str:
        """Key of a reviewer image a check produced."""
        stem = re.sub(r"[^\w.\-]", "_", (file or "inspection").rstrip("/"))
        return (
            f"{self.prefix}results/{_version_segment(pipeline_version)}/artifacts/"
            f"{stem}.{check}.{name}.jpg"
        )


def _version_segment(version: str) -> str:
    return safe_relpath(re.sub(r"[^\w.\-+]", "_", version), what="pipeline version")


def address_for(station_id: str, inspection_id: str, attempt: int) -> PackageAddress:
    """Validated address of an inspection attempt."""
    safe_id(station_id, what="station_id")
    safe_id(inspection_id, what="inspection_id")
    if not 1 <= attempt <= 99:
        raise UnsafePathError(f"attempt {attempt} is out of range 1-99")
    return PackageAddress(station_id, inspection_id, attempt)


def parse_manifest_key(key: str) -> PackageAddress:
    """The address of a ``.../manifest.json`` key; UnsafePathError if it is not one."""
    safe_relpath(key, what="object key")
    parts = key.split("/")
    if len(parts) != 4 or parts[3] != MANIFEST_NAME or not parts[2].isdigit():
        raise UnsafePathError(
            f"object key {key!r} is not <station>/<inspection>/<attempt>/manifest.json"
        )
    return address_for(parts[0], parts[1], int(parts[2]))
