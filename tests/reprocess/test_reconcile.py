"""Reconcile: a manifest stored without its event gets processed; nothing is sent twice."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from pipeline.bus.base import Q_VERIFY
from pipeline.cli import main
from pipeline.db.results import latest_result
from pipeline.layout import address_for
from pipeline.reconcile import reconcile
from pipeline.runner import pipeline_version
from pipeline.services import Services
from pipeline.upload import upload_package
from tests.packages import make_package
from workers import verify


def test_manifest_without_event_gets_processed(local: Services, tmp_path: Path) -> None:
    folder = make_package(tmp_path, codes=["0201", "0203"], seed=5)
    report = upload_package(folder, local.store, None, local.settings)  # the event never came
    assert not report.event_published
    assert local.bus.queue_depth(Q_VERIFY) == 0

    # Just written: left for its event, unless told otherwise.
    assert reconcile(local).too_young == 1
    dry = reconcile(local, dry_run=True, min_age_seconds=0)
    assert (dry.enqueued, local.bus.queue_depth(Q_VERIFY)) == (1, 0)
    found = reconcile(local, min_age_seconds=0)
    assert (found.manifests, found.enqueued) == (1, 1)
    assert found.keys == [report.address.manifest_key]

    verify.run(local, stop=threading.Event(), idle_timeout=0.3)
    stored = latest_result(local.database, report.address.inspection_id, 1)
    assert stored is not None and stored.pipeline_version == pipeline_version(local)
    again = reconcile(local, min_age_seconds=0)
    assert (again.with_result, again.enqueued) == (1, 0)


def test_rejected_manifest_is_not_resent(local: Services) -> None:
    addr = address_for("3706000123", "BAD0002", 1)
    local.store.put(addr.manifest_key, b"{not json", content_type="application/json")
    assert reconcile(local, min_age_seconds=0).enqueued == 1
    verify.run(local, stop=threading.Event(), idle_timeout=0.3)
    assert local.store.exists(addr.result_key(pipeline_version(local)))
    again = reconcile(local, min_age_seconds=0)
    assert (again.stored_only, again.enqueued) == (1, 0)


def test_worker_reconciles_on_a_schedule(local: Services, tmp_path: Path) -> None:
    folder = make_package(tmp_path, codes=["0201"], seed=6)
    report = upload_package(folder, local.store, None, local.settings)
    settings = local.settings.model_copy(
        update={
            "retention": local.settings.retention.model_copy(
                update={"reconcile_min_age_seconds": 0.0}
            )
        }
    )
    services = Services(settings, clock=local.clock)
    try:
        # Nothing was published: the one message handled is the one the reconcile thread sent.
        handled = verify.run(
            services,
            stop=threading.Event(),
            idle_timeout=60,
            max_messages=1,
            reconcile_every=0.2,
        )
    finally:
        services.close()
    assert handled == 1
    assert latest_result(local.database, report.address.inspection_id, 1) is not None


def test_reconcile_cli(local: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = make_package(tmp_path, codes=["0201"], seed=8)
    upload_package(folder, local.store, None, local.settings)
    assert main(["reconcile", "--dry-run", "--min-age", "0", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["manifests"], doc["enqueued"], doc["dry_run"]) == (1, 1, True)
