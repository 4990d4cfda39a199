"""The whole flow: upload → bus → verify worker → stored verdict → review item, on embedded
defaults and on the real engines; a second delivery of the same event changes nothing."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pipeline.bus.base import EVIDENCE, Q_REVIEW_INTAKE, Q_VERIFY
from pipeline.bus.events import object_created_event
from pipeline.db import schema
from pipeline.layout import address_for
from pipeline.runner import pipeline_version
from pipeline.services import Services
from pipeline.upload import upload_package
from tests.packages import K33_CODES, make_package
from workers import review_intake, verify


def run_workers(services: Services) -> None:
    stop = threading.Event()
    verify.run(services, stop=stop, idle_timeout=1.0)
    review_intake.run(services, stop=stop, idle_timeout=1.0)


def counts(services: Services) -> tuple[int, int, int]:
    with services.database.begin() as conn:
        return tuple(  # type: ignore[return-value]
            int(conn.execute(select(func.count()).select_from(t)).scalar() or 0)
            for t in (schema.inspections, schema.results, schema.review_items)
        )


def flow_once(services: Services, tmp_path: Path) -> None:
    # A K33 inspection without its rubbing (J): must fail with rubbing_missing.
    folder = make_package(tmp_path, codes=[c for c in K33_CODES if c != "J"], seed=7)
    report = upload_package(folder, services.store, services.bus, services.settings)
    assert report.event_published and len(report.uploaded) == len(K33_CODES) - 1
    run_workers(services)

    addr = address_for("3706000123", "370600202611230001", 1)
    result = json.loads(services.store.get(addr.result_key(pipeline_version(services))))
    assert result["verdict"] == "fail"
    assert any(f["reason"] == "rubbing_missing" for f in result["findings"])
    assert counts(services) == (1, 1, 1)
    with services.database.begin() as conn:
        item = conn.execute(select(schema.review_items)).mappings().one()
    assert item["state"] == "open" and item["verdict"] == "fail"
    assert "rubbing_missing" in item["reasons"]

    # The same event again (a redelivery, or a duplicate notification): nothing changes.
    info = services.store.stat(addr.manifest_key)
    body = object_created_event(services.settings.store.bucket, info.key, info.size, info.etag)
    services.bus.publish(EVIDENCE, "manifest.created", body)
    run_workers(services)
    assert counts(services) == (1, 1, 1)
    assert services.bus.queue_depth(Q_VERIFY) == 0
    assert services.bus.queue_depth(Q_REVIEW_INTAKE) == 0
    again = json.loads(services.store.get(addr.result_key(pipeline_version(services))))
    assert again["verdict"] == result["verdict"] and len(again["findings"]) == len(
        result["findings"]
    )

    # The same upload twice: every evidence file is skipped, the result is unchanged.
    report = upload_package(folder, services.store, services.bus, services.settings)
    assert report.uploaded == [] and len(report.skipped) == len(K33_CODES) - 1
    run_workers(services)
    assert counts(services) == (1, 1, 1)


def test_embedded_flow(embedded: Services, tmp_path: Path) -> None:
    flow_once(embedded, tmp_path)


@pytest.mark.rabbitmq
@pytest.mark.postgres
@pytest.mark.s3
def test_real_flow(real: Services, tmp_path: Path) -> None:
    flow_once(real, tmp_path)


def test_bad_manifest_in_store_becomes_review_item(embedded: Services) -> None:
    """A manifest that arrives malformed is not lost: a review item says why."""
    services = embedded
    addr = address_for("3706000123", "BAD0001", 1)
    services.store.put(addr.prefix + "0111.jpg", b"not really a jpeg")
    info = services.store.put(
        addr.manifest_key, b'{"schema": "inspection/1"', content_type="application/json"
    )
    services.bus.publish(
        EVIDENCE,
        "manifest.created",
        object_created_event(services.settings.store.bucket, info.key, info.size, info.etag),
    )
    run_workers(services)
    with services.database.begin() as conn:
        item = conn.execute(select(schema.review_items)).mappings().one()
    assert item["inspection_id"] == "BAD0001" and item["reasons"] == ["manifest_invalid"]
    assert services.store.exists(addr.prefix + "0111.jpg")  # nothing that arrived is deleted
