"""Reconcile: find manifests that have no result for the current pipeline version, enqueue them.

Bucket notifications can be missed (MinIO's queue overflowed, the broker was down, an upload
crashed between writing the manifest and publishing its event). This pass lists the store's
manifests, compares them with the results recorded for the current pipeline version, and
publishes the object-created event of each one that has none, as the upload would have.

A manifest younger than ``retention.reconcile_min_age_seconds`` is left alone (its event is
probably in flight); one whose result JSON is in the store but not in the database (a rejected
manifest: the verify handler stores a review verdict but records no inspection) is counted,
not re-sent. Sending twice is harmless: the verify handler is idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from pipeline.bus.base import EVIDENCE, MessageBus
from pipeline.bus.events import object_created_event
from pipeline.db.schema import results
from pipeline.errors import UnsafePathError
from pipeline.layout import PackageAddress, parse_manifest_key
from pipeline.package import MANIFEST_NAME
from pipeline.runner import pipeline_version
from pipeline.services import Services
from pipeline.storage.base import ObjectInfo

log = logging.getLogger(__name__)

ROUTING_KEY = "manifest.reconcile"
MAX_LISTED_KEYS = 50  # how many enqueued keys a report names


@dataclass
class ReconcileReport:
    """What one pass found and did."""

    pipeline_version: str
    dry_run: bool
    manifests: int = 0  # manifests in the store
    with_result: int = 0  # have a recorded result of the current version
    stored_only: int = 0  # result JSON stored, nothing recorded (rejected manifest)
    too_young: int = 0  # left for their event
    enqueued: int = 0  # published (or, dry run, would be)
    keys: list[str] = field(default_factory=list)  # the first enqueued manifest keys

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def reconcile(
    services: Services,
    *,
    dry_run: bool = False,
    min_age_seconds: float | None = None,
    bus: MessageBus | None = None,
) -> ReconcileReport:
    """One reconcile pass; see the module docstring."""
    version = pipeline_version(services)
    report = ReconcileReport(pipeline_version=version, dry_run=dry_run)
    min_age = (
        services.settings.retention.reconcile_min_age_seconds
        if min_age_seconds is None
        else min_age_seconds
    )
    done = _recorded(services, version)
    now = services.clock()
    for info, address in _manifests(services):
        report.manifests += 1
        if (address.inspection_id, address.attempt) in done:
            report.with_result += 1
            continue
        if min_age > 0 and _age_seconds(info, now) < min_age:
            report.too_young += 1
            continue
        if services.store.exists(address.result_key(version)):
            report.stored_only += 1
            continue
        if not dry_run:
            _enqueue(services, bus or services.bus, info)
        report.enqueued += 1
        if len(report.keys) < MAX_LISTED_KEYS:
            report.keys.append(info.key)
    if report.enqueued:
        log.warning(
            "reconcile: %d of %d manifests had no result for %s: %s",
            report.enqueued,
            report.manifests,
            version,
            "would enqueue" if dry_run else "enqueued",
        )
    return report


def _recorded(services: Services, version: str) -> set[tuple[str, int]]:
    stmt = select(results.c.inspection_id, results.c.attempt).where(
        results.c.pipeline_version == version
    )
    with services.database.read() as conn:
        return {(str(i), int(a)) for i, a in conn.execute(stmt).all()}


def _manifests(services: Services) -> Iterator[tuple[ObjectInfo, PackageAddress]]:
    """``(info, address)`` of every well-formed manifest key in the store."""
    for info in services.store.list(""):
        if not info.key.endswith("/" + MANIFEST_NAME):
            continue
        try:
            yield info, parse_manifest_key(info.key)
        except UnsafePathError:
            log.debug("reconcile: %r is not an inspection manifest key", info.key)


def _age_seconds(info: ObjectInfo, now: datetime) -> float:
    if info.last_modified is None:
        return float("inf")
    return (now - info.last_modified).total_seconds()


def _enqueue(services: Services, bus: MessageBus, info: ObjectInfo) -> None:
    body = object_created_event(services.settings.store.bucket, info.key, info.size, info.etag)
    bus.publish(EVIDENCE, ROUTING_KEY, body, message_id=f"{info.key}@{info.etag}@reconcile")
    log.info("reconcile: enqueued %s", info.key)
