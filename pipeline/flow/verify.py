"""The verify worker's message handler.

For each object-created event naming a ``manifest.json``: load the package from the store,
run the checks, store artifacts and the result JSON beside the evidence, record inspection,
result and findings in the database, then publish the verdict on ``verdicts`` with routing
key ``verdict.<pass|fail|review>``. The bus acks only after this returns.

Idempotent by (inspection_id, attempt, manifest sha256, pipeline version): when that result is
already recorded, the stored result is published again and nothing is recomputed, so a
redelivered message changes nothing (the review intake is idempotent too).

A malformed manifest is a permanent error with a known inspection (the key names it): it
becomes a ``review`` verdict with reason ``manifest_invalid`` instead of a crash loop.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from pipeline.bus.base import VERDICTS, Delivery
from pipeline.bus.events import parse_object_events
from pipeline.errors import ManifestError
from pipeline.flow.results import result_document, store_verdict
from pipeline.layout import PackageAddress, parse_manifest_key
from pipeline.package import MANIFEST_NAME
from pipeline.records import Finding, Verdict, verdict_from_json
from pipeline.runner import pipeline_version, run_checks
from pipeline.services import Services
from pipeline.storepkg import StorePackage
from pipeline.verify import load

log = logging.getLogger(__name__)


class VerifyHandler:
    """Callable bus handler for the ``verify`` queue."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.processed = 0

    def __call__(self, delivery: Delivery) -> None:
        """Process every manifest event in one message."""
        for event in parse_object_events(delivery.body):
            if event.key.endswith("/" + MANIFEST_NAME):
                self.process(event.key)

    def process(self, manifest_key: str) -> Verdict:
        """Verify one stored package (idempotent) and publish its verdict."""
        services = self.services
        address = parse_manifest_key(manifest_key)
        version = pipeline_version(services)
        source = StorePackage(services.store, address.prefix)
        try:
            package = load(source, services)
        except ManifestError as exc:
            log.warning("%s: rejected manifest: %s", address.inspection_id, exc)
            verdict = rejected_verdict(address, exc, version)
            _, stored = store_verdict(services.store, address, verdict)
            self._publish(address, stored)
            return stored
        existing = self._existing(address, package.manifest_sha256, version)
        if existing is not None:
            log.info("%s: result exists for %s, republishing", address.inspection_id, version)
            self._publish(address, existing)
            return existing
        t0 = time.perf_counter()
        verdict = run_checks(package, services)
        _, stored = store_verdict(services.store, address, verdict)
        self._record(address, package.manifest, package.manifest_sha256, stored)
        self._publish(address, stored)
        self.processed += 1
        log.info(
            "%s attempt %d: %s in %.0f ms",
            address.inspection_id,
            address.attempt,
            stored.verdict,
            (time.perf_counter() - t0) * 1000,
        )
        return stored

    def _existing(self, address: PackageAddress, sha: str, version: str) -> Verdict | None:
        from pipeline.db.results import result_exists

        db = self.services.database
        if not result_exists(db, address.inspection_id, address.attempt, sha, version):
            return None
        raw = self.services.store.get(address.result_key(version))
        return verdict_from_json(json.loads(raw))

    def _record(self, address: PackageAddress, manifest: Any, sha: str, verdict: Verdict) -> None:
        from pipeline.db.results import record_inspection, record_result
        from pipeline.retention.record import record_retention

        db = self.services.database
        now = self.services.clock()
        pk = record_inspection(
            db, manifest, prefix=address.prefix, manifest_sha256=sha, received_at=now
        )
        # Every stored inspection carries its retain-until (and, on MinIO, its object lock).
        record_retention(self.services, pk, address, manifest, verdict.pipeline_version)
        record_result(
            db,
            verdict,
            inspection_pk=pk,
            result_key=address.result_key(verdict.pipeline_version),
            created_at=now,
        )

    def _publish(self, address: PackageAddress, verdict: Verdict) -> None:
        body = json.dumps(result_document(verdict, address), ensure_ascii=False).encode()
        self.services.bus.publish(
            VERDICTS,
            f"verdict.{verdict.verdict}",
            body,
            message_id=f"{address.prefix}{verdict.pipeline_version}",
        )


def rejected_verdict(address: PackageAddress, exc: ManifestError, version: str) -> Verdict:
    """A review verdict for a package whose manifest cannot be read."""
    finding = Finding(
        file=MANIFEST_NAME,
        code=None,
        check="manifest",
        outcome="review",
        reason="manifest_invalid",
        detail={"error": str(exc)},
    )
    return Verdict(
        inspection_id=address.inspection_id,
        station_id=address.station_id,
        attempt=address.attempt,
        verdict="review",
        findings=(finding,),
        pipeline_version=version,
        elapsed_ms=0.0,
        manifest_sha256=None,
    )
