"""RabbitMQ goes away mid-run: uploaders and workers reconnect, nothing is lost or duplicated.

By default the outage is made with the broker proxy (every connection of this test cut, new
ones reset for a few seconds): the machine's RabbitMQ is shared, and the client-side behaviour
is the same as on a restart. With ``TEST_RESTART_BROKER=1`` the real broker is
restarted instead (``rabbitmqctl stop_app`` / ``start_app``; it is always started again).
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest

from pipeline.bus.rabbitmq import RabbitBus
from pipeline.config import BusSettings, load_settings
from pipeline.errors import BusUnavailable, PipelineError
from pipeline.services import Services
from pipeline.upload import upload_package
from tests.faults.conftest import Q_VERIFY, Q_VERIFY_DLQ, Rig, bus_endpoint
from tests.faults.proxy import TcpProxy
from tests.packages import K33_CODES, make_package

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres, pytest.mark.s3]
PACKAGES = 6
OUTAGE = 4.0
REAL_RESTART = os.environ.get("TEST_RESTART_BROKER") == "1"


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


def outage(rig: Rig) -> None:
    """Take the broker away for OUTAGE seconds (proxy cut, or a real restart)."""
    if not REAL_RESTART:
        rig.bus_proxy.down()
        time.sleep(OUTAGE)
        rig.bus_proxy.up()
        return
    try:
        _rabbitmqctl("stop_app")
        time.sleep(OUTAGE)
    finally:
        _rabbitmqctl("start_app")
        _rabbitmqctl("await_startup")


def test_broker_outage_mid_run(rig: Rig, tmp_path: Path) -> None:
    s = rig.services
    codes = [c for c in K33_CODES if c != "J"]  # every package fails: one review item each
    folders = [
        make_package(
            tmp_path,
            f"p{i}",
            codes=codes,
            seed=20 + i,
            manifest_overrides={"inspection_id": f"37060020261123{i:04d}"},
        )
        for i in range(PACKAGES)
    ]
    # The uploader publishes through the proxy too, with a retry budget longer than the outage.
    env = dict(rig.env, INSPECTPIPE_BUS_RETRY_MAX_SECONDS="30")
    uploader = Services(load_settings(env=env))
    rig.worker("verify")
    rig.worker("review-intake")
    errors: list[str] = []

    def upload_all() -> None:
        for folder in folders:
            for _ in range(5):  # a station retries an upload that failed on a dead service
                try:
                    upload_package(folder, uploader.store, uploader.bus, uploader.settings)
                    break
                except PipelineError as exc:
                    errors.append(str(exc))
                    time.sleep(1)
            time.sleep(0.3)

    thread = threading.Thread(target=upload_all)
    thread.start()
    rig.wait("the first result", lambda: rig.counts()["results"] >= 1)
    outage(rig)
    thread.join(120)
    try:
        rig.wait(
            "every result and review item",
            lambda: (
                rig.counts()
                == {"inspections": PACKAGES, "results": PACKAGES, "review_items": PACKAGES}
            ),
            timeout=90,
        )
        rig.wait("an empty verify queue", lambda: rig.depth(Q_VERIFY) == 0)
    finally:
        uploader.close()
    assert all(p.poll() is None for p in rig.procs), "a worker died:\n" + rig.log_text()[-2000:]
    rig.stop_all()
    assert rig.counts() == {"inspections": PACKAGES, "results": PACKAGES, "review_items": PACKAGES}
    assert rig.depth(Q_VERIFY_DLQ) == 0
    assert "reconnecting" in rig.log_text()  # the workers did see the outage
    prefixes = {
        o.key.rsplit("/results/", 1)[0]
        for o in s.store.list("")
        if "/results/" in o.key and o.key.endswith(".json")
    }
    assert len(prefixes) == PACKAGES


# AMQP method frames the client sends during the handshake (class 10 = connection).
HANDSHAKE = {
    "start-ok": b"\x00\x0a\x00\x0b",
    "tune-ok": b"\x00\x0a\x00\x1f",
    "open": b"\x00\x0a\x00\x28",
}


@pytest.mark.parametrize("stage", [None, *HANDSHAKE])
def test_reset_during_connect_is_an_outage(rabbitmq_url: str, stage: str | None) -> None:
    """A socket reset at any stage of the handshake is BusUnavailable (retried), never the
    PermanentError of a refused login (pika guesses "access denied" from the stage; that once
    killed a consumer thread for good)."""
    proxy = TcpProxy(bus_endpoint(rabbitmq_url))
    if stage is None:
        proxy.down()  # reset right after the TCP connect
    else:
        proxy.reset_on(HANDSHAKE[stage])
    url = re.sub(r"@[^/]+/", f"@{proxy.address}/", rabbitmq_url)
    bus = RabbitBus(BusSettings(url=url, retry_max_seconds=1))
    try:
        for _ in range(5):
            with pytest.raises(BusUnavailable):
                bus.connect("test")
    finally:
        proxy.close()
