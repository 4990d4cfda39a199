"""The review-intake worker's handlers: flagged verdicts and dead letters become review items.

Both are idempotent: one review item per (inspection_id, attempt), whatever is redelivered.
A verdict whose inspection was never recorded (its manifest could not be read) and a message
that died in ``verify.dlq`` get a stub inspection row named by the object key, so the item
is visible to reviewers with a clear reason instead of being lost.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from sqlalchemy import select

from pipeline.bus.base import Delivery
from pipeline.bus.events import parse_object_events
from pipeline.db import schema
from pipeline.errors import PermanentError
from pipeline.layout import PackageAddress, parse_manifest_key
from pipeline.package import MANIFEST_NAME
from pipeline.records import Finding, Verdict, verdict_from_json
from pipeline.runner import pipeline_version
from pipeline.services import Services

log = logging.getLogger(__name__)


class IntakeHandler:
    """Callable bus handler for ``review.intake``: one review item per flagged verdict."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def __call__(self, delivery: Delivery) -> None:
        """Turn a flagged verdict message into a review item."""
        try:
            doc = json.loads(delivery.body)
            verdict = verdict_from_json(doc)
        except (ValueError, KeyError, TypeError) as exc:
            raise PermanentError(f"review.intake: unreadable verdict message: {exc}") from None
        address = PackageAddress(verdict.station_id, verdict.inspection_id, verdict.attempt)
        if verdict.flagged:
            open_item(self.services, address, verdict)
        else:
            follow_pass(self.services, address, verdict)


class DeadLetterHandler:
    """Callable bus handler for ``verify.dlq``: a message that kept failing → review item."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def __call__(self, delivery: Delivery) -> None:
        """Open a ``pipeline_error`` review item for each manifest the dead message named."""
        try:
            events = parse_object_events(delivery.body)
        except PermanentError:
            log.error(
                "dead letter with an unreadable body dropped from verify.dlq: %r",
                delivery.body[:200],
            )
            return
        for event in events:
            if not event.key.endswith("/" + MANIFEST_NAME):
                continue
            try:
                address = parse_manifest_key(event.key)
            except PermanentError as exc:
                log.error("dead letter for an unusable key %r: %s", event.key, exc)
                continue
            finding = Finding(
                file=MANIFEST_NAME,
                code=None,
                check="pipeline",
                outcome="review",
                reason="pipeline_error",
                detail={
                    "error": "verification kept failing and the message was dead-lettered",
                    "deliveries": delivery.delivery_count,
                    "key": event.key,
                },
            )
            verdict = Verdict(
                inspection_id=address.inspection_id,
                station_id=address.station_id,
                attempt=address.attempt,
                verdict="review",
                findings=(finding,),
                pipeline_version=pipeline_version(self.services),
                elapsed_ms=0.0,
            )
            log.warning("%s: dead-lettered, opening a review item", address.inspection_id)
            open_item(self.services, address, verdict)


def open_item(services: Services, address: PackageAddress, verdict: Verdict) -> int:
    """Find (or stub) the inspection and result rows, then open the review item."""
    from pipeline.db.results import open_review_item

    db = services.database
    now = services.clock()
    inspection_pk, result_pk = _rows_for(services, address, verdict, now)
    assert inspection_pk is not None  # stub=True always yields a row
    item_pk, created = open_review_item(
        db, verdict, inspection_pk=inspection_pk, result_pk=result_pk, now=now
    )
    if created:
        log.info(
            "%s attempt %d: review item %d opened (%s)",
            verdict.inspection_id,
            verdict.attempt,
            item_pk,
            verdict.verdict,
        )
    return item_pk


def follow_pass(services: Services, address: PackageAddress, verdict: Verdict) -> int | None:
    """A passing result: only an attempt that already has a review item is touched (its item
    follows the new result, or records the change when a reviewer holds it)."""
    from pipeline.db.results import follow_result

    _, result_pk = _rows_for(services, address, verdict, services.clock(), stub=False)
    return follow_result(services.database, verdict, result_pk=result_pk, now=services.clock())


def _rows_for(
    services: Services,
    address: PackageAddress,
    verdict: Verdict,
    now: datetime,
    *,
    stub: bool = True,
) -> tuple[int | None, int | None]:
    db = services.database
    ins, res = schema.inspections, schema.results
    with db.read() as conn:
        row = conn.execute(
            select(ins.c.id).where(
                ins.c.inspection_id == verdict.inspection_id, ins.c.attempt == verdict.attempt
            )
        ).first()
        result_pk = conn.execute(
            select(res.c.id).where(
                res.c.inspection_id == verdict.inspection_id,
                res.c.attempt == verdict.attempt,
                res.c.pipeline_version == verdict.pipeline_version,
                res.c.manifest_sha256 == (verdict.manifest_sha256 or ""),
            )
        ).scalar()
    if row is None:  # outside the read transaction: the stub insert takes the write lock
        return (_stub_inspection(services, address, now) if stub else None), None
    return int(row[0]), (int(result_pk) if result_pk is not None else None)


def _stub_inspection(services: Services, address: PackageAddress, now: datetime) -> int:
    """An inspections row for a package whose manifest could not be read."""
    from pipeline.db.results import record_stub_inspection

    return record_stub_inspection(
        services.database,
        station_id=address.station_id,
        inspection_id=address.inspection_id,
        attempt=address.attempt,
        prefix=address.prefix,
        received_at=now,
    )
