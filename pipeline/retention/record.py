"""Record an inspection's retain-until date, and put it on the objects when the store locks.

Called by the verify handler right after the inspection row is written. The database date is
what the sweeper reads on every store. On MinIO with ``store.object_lock`` the same date goes
on the objects as governance-mode retention (until the start of the day after retain-until,
office time) and as a ``retain-until`` tag; a new result of an already-dated inspection only
dates its own objects, so reprocessing stays cheap.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date

from sqlalchemy import or_

from pipeline.db.schema import inspections
from pipeline.layout import PackageAddress
from pipeline.records import Manifest
from pipeline.retention.policy import lock_until, retain_until_for
from pipeline.services import Services
from pipeline.storage.base import ObjectStore

log = logging.getLogger(__name__)

RETAIN_TAG = "retain-until"
EXPIRED_TAG = ("retention", "expired")  # the lifecycle rule of pipeline.storage.minio_setup


def record_retention(
    services: Services,
    inspection_pk: int,
    address: PackageAddress,
    manifest: Manifest,
    pipeline_version: str,
) -> date:
    """Store retain-until on the inspection row (and objects on MinIO); return the date."""
    vehicle = services.lookup_vehicle(manifest.vehicle.vin, manifest.vehicle.plate)
    until = retain_until_for(services.settings, manifest, vehicle)
    with services.database.begin() as conn:
        changed = conn.execute(
            inspections.update()
            .where(
                inspections.c.id == inspection_pk,
                or_(inspections.c.retain_until.is_(None), inspections.c.retain_until != until),
            )
            .values(retain_until=until)
        ).rowcount
    if locks_objects(services):
        result_key = address.result_key(pipeline_version)
        scope = address.prefix if changed else f"{address.prefix}results/"
        keys = [
            info.key
            for info in services.store.list(scope)
            if changed or info.key == result_key or info.key.startswith(result_key[:-5] + "/")
        ]
        lock_objects(services, keys, until)
    return until


def locks_objects(services: Services) -> bool:
    """Whether retention dates and holds also go on the objects (MinIO with object lock)."""
    cfg = services.settings.store
    return cfg.backend == "minio" and cfg.object_lock


def store_locks(store: ObjectStore | None) -> bool:
    """Whether a store object applies object lock (a MinIO store with ``object_lock``)."""
    cfg = getattr(store, "cfg", None)
    return bool(getattr(cfg, "object_lock", False))


def lock_objects(services: Services, keys: Iterable[str], until: date) -> int:
    """Governance retention and the ``retain-until`` tag on each object; how many."""
    store = services.store
    moment = lock_until(services.settings, until)
    if moment <= services.clock():  # already past (an old inspection): S3 refuses past dates
        return 0
    n = 0
    for key in keys:
        store.set_retention(key, moment)
        set_tags(store, key, {RETAIN_TAG: until.isoformat()})
        n += 1
    return n


def set_tags(store: ObjectStore, key: str, tags: dict[str, str]) -> bool:
    """Replace an object's tags on MinIO/S3; False on a store without tags (local)."""
    setter = getattr(store, "set_tags", None)
    if setter is None:
        return False
    setter(key, tags)
    return True
