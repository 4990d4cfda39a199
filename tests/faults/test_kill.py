"""A verify worker killed with SIGKILL mid-message: the broker redelivers, exactly one result
and at most one review item come out.

The kill point is made deterministic with the store proxy: it holds the worker's connection at
the moment the worker asks for one object (a photo while loading the package, or the result
JSON while storing the verdict), then the test kills the worker and starts a fresh one.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.db import schema
from pipeline.layout import address_for
from pipeline.runner import pipeline_version
from pipeline.upload import upload_package
from tests.faults.conftest import Q_VERIFY, Q_VERIFY_DLQ, Rig
from tests.packages import K33_CODES, make_package

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres, pytest.mark.s3]


@pytest.mark.parametrize(
    "hold",
    [b"/0203.jpg", b"/results/"],
    ids=["while-loading-evidence", "while-storing-the-result"],
)
def test_sigkill_mid_message_redelivers_once(rig: Rig, tmp_path: Path, hold: bytes) -> None:
    s = rig.services
    # Without its rubbing (J) the package fails: a flagged verdict, so a review item is due.
    folder = make_package(tmp_path, codes=[c for c in K33_CODES if c != "J"], seed=3)
    rig.store_proxy.hold_on(hold)
    upload_package(folder, s.store, s.bus, s.settings)

    victim = rig.worker("verify", name="victim")
    if not rig.store_proxy.held.wait(60):
        pytest.fail("the worker never reached the hold point\n" + rig.log_text()[-3000:])
    victim.send_signal(signal.SIGKILL)
    assert victim.wait(10) == -signal.SIGKILL
    rig.store_proxy.up()  # stop holding; the broker has the unacked message back

    rig.worker("verify", name="second")
    rig.worker("review-intake")
    rig.wait("one result and its review item", lambda: rig.counts()["review_items"] == 1)
    rig.wait("an empty verify queue", lambda: rig.depth(Q_VERIFY) == 0)
    rig.stop_all()

    assert rig.counts() == {"inspections": 1, "results": 1, "review_items": 1}
    assert rig.depth(Q_VERIFY_DLQ) == 0
    addr = address_for("3706000123", "370600202611230001", 1)
    doc = json.loads(s.store.get(addr.result_key(pipeline_version(s))))
    assert doc["verdict"] == "fail"
    results = [o.key for o in s.store.list(addr.prefix + "results/") if o.key.endswith(".json")]
    assert len(results) == 1, results
    with s.database.read() as conn:
        item = conn.execute(select(schema.review_items)).mappings().one()
    assert "rubbing_missing" in item["reasons"]
