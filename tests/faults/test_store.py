"""The object store unavailable for a while: the worker keeps the message, retries with a capped
backoff, recovers when the store is back, and dead-letters nothing."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pipeline.db import schema
from pipeline.upload import upload_package
from tests.faults.conftest import Q_VERIFY, Q_VERIFY_DLQ, Rig
from tests.packages import make_package

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres, pytest.mark.s3]
PACKAGES = 3
CAP = 2.0  # INSPECTPIPE_BUS_RETRY_MAX_SECONDS in the rig


def test_store_outage_is_retried_not_dead_lettered(rig: Rig, tmp_path: Path) -> None:
    s = rig.services
    for i in range(PACKAGES):  # complete K33 packages (verdict depends on the checks)
        folder = make_package(
            tmp_path, f"p{i}", seed=40 + i, manifest_overrides={"inspection_id": f"S{i:05d}"}
        )
        upload_package(folder, s.store, s.bus, s.settings)
    rig.store_proxy.down()  # the store goes away for the workers before they start
    rig.worker("verify")
    rig.worker("review-intake")
    rig.wait("transient retries", lambda: rig.log_text().count("transient failure") >= 4, 60)
    # Stay down until the delay has reached the cap twice: it must stop growing there.
    at_cap = f"in {CAP:.1f} s"
    rig.wait("retries at the cap", lambda: rig.log_text().count(at_cap) >= 2, 60)
    assert rig.counts()["results"] == 0
    rig.store_proxy.up()

    rig.wait("every result", lambda: rig.counts()["results"] == PACKAGES, 60)
    rig.wait("an empty verify queue", lambda: rig.depth(Q_VERIFY) == 0)
    time.sleep(1.0)  # let the intake catch up before stopping it
    assert all(p.poll() is None for p in rig.procs), "a worker died:\n" + rig.log_text()[-2000:]
    rig.stop_all()

    counts = rig.counts()
    assert counts["inspections"] == counts["results"] == PACKAGES
    with s.database.read() as conn:
        flagged = conn.execute(
            select(func.count())
            .select_from(schema.results)
            .where(schema.results.c.verdict.in_(["fail", "review"]))
        ).scalar()
    assert counts["review_items"] == flagged
    assert rig.depth(Q_VERIFY_DLQ) == 0
    log = rig.log_text()
    assert "dead-lettered" not in log and "pipeline_error" not in log
    delays = [float(d) for d in re.findall(r"transient failure .*; retry \d+ in ([\d.]+) s", log)]
    assert delays and max(delays) <= CAP, delays
    assert delays.count(CAP) >= 2, delays  # it reached the cap and stayed there
