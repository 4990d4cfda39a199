"""Poison messages: a handler-level bug is dead-lettered after the delivery limit and becomes a
``pipeline_error`` review item; an unreadable manifest becomes a ``manifest_invalid`` review
item at once; neither blocks the good message queued behind it."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.bus.base import EVIDENCE
from pipeline.bus.events import object_created_event
from pipeline.db import schema
from pipeline.flow import verify as flow_verify
from pipeline.layout import address_for
from pipeline.upload import upload_package
from tests.faults.conftest import Q_VERIFY, Q_VERIFY_DLQ, Rig
from tests.packages import make_package
from workers import verify

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres, pytest.mark.s3]
POISON = "P0ISON0001"


def test_poison_messages_end_as_review_items(
    rig: Rig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = rig.services
    bucket = s.settings.store.bucket
    # 1. A handler-level bug for one inspection (not a check error: the runner turns those
    #    into check_error findings by design): a test hook makes the handler itself crash.
    real_run = flow_verify.run_checks

    def buggy(package, services, **kw):  # type: ignore[no-untyped-def]
        if package.manifest.inspection_id == POISON:
            raise RuntimeError("simulated worker bug")
        return real_run(package, services, **kw)

    monkeypatch.setattr(flow_verify, "run_checks", buggy)
    poison = make_package(tmp_path, "poison", seed=5, manifest_overrides={"inspection_id": POISON})
    upload_package(poison, s.store, s.bus, s.settings)
    # 2. Unreadable manifests: truncated JSON, and bytes that are not UTF-8.
    for ident, raw in (("BADJSON01", b'{"schema": "inspection/1"'), ("BADUTF801", b"\xff\xfe{}")):
        addr = address_for("3706000123", ident, 1)
        s.store.put(addr.prefix + "0111.jpg", b"\xff\xd8 evidence that must stay")
        info = s.store.put(addr.manifest_key, raw, content_type="application/json")
        s.bus.publish(
            EVIDENCE,
            "manifest.created",
            object_created_event(bucket, info.key, info.size, info.etag),
        )
    # 3. A good package queued behind them.
    good = make_package(
        tmp_path,
        "good",
        seed=6,
        codes=["0111", "0112"],
        manifest_overrides={"inspection_id": "GOOD000001"},
    )
    upload_package(good, s.store, s.bus, s.settings)

    stop = threading.Event()
    verify.run(s, stop=stop, idle_timeout=3.0)  # in process, so the hook applies
    assert rig.depth(Q_VERIFY) == 0
    assert rig.depth(Q_VERIFY_DLQ) == 1  # only the poison: after the delivery limit
    rig.worker("review-intake", "--idle-timeout", "3")
    rig.wait("the review items", lambda: rig.counts()["review_items"] == 4, 60)
    rig.stop_all()

    with s.database.read() as conn:
        items = {
            r["inspection_id"]: r for r in conn.execute(select(schema.review_items)).mappings()
        }
    assert items[POISON]["reasons"] == ["pipeline_error"]
    assert items["BADJSON01"]["reasons"] == ["manifest_invalid"]
    assert items["BADUTF801"]["reasons"] == ["manifest_invalid"]
    assert "GOOD000001" in items  # incomplete K33 package: flagged, and not blocked
    assert rig.depth(Q_VERIFY_DLQ) == 0
    counts = rig.counts()
    assert counts["results"] == 1  # only the good package has a machine result
    assert counts["review_items"] == 4
    for ident in ("BADJSON01", "BADUTF801"):  # nothing that arrived was deleted
        assert s.store.exists(address_for("3706000123", ident, 1).prefix + "0111.jpg")
        stored = json.loads(
            s.store.get(
                address_for("3706000123", ident, 1).prefix + "results/" + _only_result(rig, ident)
            )
        )
        assert stored["verdict"] == "review"


def _only_result(rig: Rig, ident: str) -> str:
    prefix = address_for("3706000123", ident, 1).prefix + "results/"
    names = [
        o.key[len(prefix) :]
        for o in rig.services.store.list(prefix)
        if o.key.endswith(".json") and "/artifacts/" not in o.key
    ]
    assert len(names) == 1, names
    return names[0]
