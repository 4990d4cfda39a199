"""RabbitMQ-only behaviour: heartbeats during long handlers, surviving dropped connections."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest

from pipeline.bus import open_bus
from pipeline.bus.base import EVIDENCE, Q_VERIFY, Delivery
from pipeline.bus.rabbitmq import RabbitBus
from pipeline.errors import BusUnavailable, PermanentError
from tests.bus.conftest import bus_settings, wait_depth
from tests.conftest import free_port


@pytest.fixture
def rabbit(rabbitmq_url: str, namespace: str) -> Iterator[RabbitBus]:
    """A RabbitMQ bus with a 2 s heartbeat in its own namespace."""
    bus = open_bus(bus_settings("rabbitmq", namespace, rabbitmq_url))
    assert isinstance(bus, RabbitBus)
    bus.declare()
    try:
        yield bus
    finally:
        bus.close()
        bus.delete_topology()


def close_connections(namespace: str, role: str) -> int:
    """Close this namespace's connections of one role from the server side; how many."""
    listing = subprocess.run(
        ["rabbitmqctl", "list_connections", "pid", "client_properties", "-q"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    wanted = f"inspectpipe {namespace} {role}"
    pids = [line.split("\t")[0] for line in listing.splitlines() if wanted in line]
    for pid in pids:
        subprocess.run(
            ["rabbitmqctl", "close_connection", pid, "test: simulated broker drop"],
            capture_output=True,
            timeout=30,
            check=True,
        )
    return len(pids)


def test_long_handler_does_not_starve_heartbeats(rabbit: RabbitBus) -> None:
    rabbit.publish(EVIDENCE, "k", b"slow")
    seen: list[Delivery] = []

    def slow(d: Delivery) -> None:
        seen.append(d)
        time.sleep(7.0)  # well over 2x the 2 s heartbeat

    assert rabbit.consume(Q_VERIFY, slow, max_messages=1, idle_timeout=10) == 1
    assert [d.delivery_count for d in seen] == [0]  # acked on the first connection
    assert wait_depth(rabbit, Q_VERIFY, 0) == 0
    assert rabbit.consume(Q_VERIFY, seen.append, idle_timeout=0.5) == 0


@pytest.mark.skipif(shutil.which("rabbitmqctl") is None, reason="rabbitmqctl is not installed")
def test_consumer_and_publisher_survive_a_dropped_connection(
    rabbit: RabbitBus, namespace: str
) -> None:
    rabbit.publish(EVIDENCE, "k", b"first", message_id="1")
    in_handler = threading.Event()
    dropped = threading.Event()
    seen: list[Delivery] = []

    def handler(d: Delivery) -> None:
        seen.append(d)
        if len(seen) == 1:
            in_handler.set()
            dropped.wait(30)  # the connection is closed under us meanwhile

    result: list[int] = []
    thread = threading.Thread(
        target=lambda: result.append(
            rabbit.consume(Q_VERIFY, handler, max_messages=2, idle_timeout=15)
        )
    )
    thread.start()
    assert in_handler.wait(15)
    try:
        closed = close_connections(namespace, "consume")
        # The idle publish connection may already be gone (missed heartbeats while idle);
        # either way the next publish must reconnect.
        close_connections(namespace, "publish")
    except (OSError, subprocess.SubprocessError) as exc:
        dropped.set()
        thread.join(30)
        pytest.skip(f"rabbitmqctl could not close connections: {exc}")
    dropped.set()
    assert closed == 1
    rabbit.publish(EVIDENCE, "k", b"second", message_id="2")  # publisher reconnects
    thread.join(30)
    assert result == [2]
    # The first message's ack was lost with the connection, so it came again; then the second.
    assert [(d.message_id, d.delivery_count) for d in seen] == [("1", 0), ("1", 1), ("2", 0)]
    assert wait_depth(rabbit, Q_VERIFY, 0) == 0


def test_unreachable_broker_raises_bus_unavailable(namespace: str) -> None:
    url = f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F"
    bus = open_bus(bus_settings("rabbitmq", namespace, url, retry_max_seconds=1.0))
    started = time.monotonic()
    with pytest.raises(BusUnavailable, match="gave up"):
        bus.publish(EVIDENCE, "k", b"x")
    with pytest.raises(BusUnavailable):
        bus.consume(Q_VERIFY, lambda d: None, idle_timeout=1.0)
    with pytest.raises(BusUnavailable):
        bus.declare()
    print(f"unreachable broker reported in {time.monotonic() - started:.2f} s")


def test_missing_topology_and_bad_login_are_permanent(rabbitmq_url: str, namespace: str) -> None:
    bus = open_bus(bus_settings("rabbitmq", namespace + "x", rabbitmq_url))
    with pytest.raises(PermanentError, match="declare"):
        bus.publish(EVIDENCE, "k", b"x")
    with pytest.raises(PermanentError, match="declare"):
        bus.queue_depth(Q_VERIFY)
    bad = rabbitmq_url.replace("guest:guest@", "guest:wrong-password@", 1)
    with pytest.raises(PermanentError, match="login"):
        open_bus(bus_settings("rabbitmq", namespace, bad)).declare()


def test_declare_is_idempotent_and_uses_quorum_queues(rabbit: RabbitBus) -> None:
    rabbit.declare()
    listing = (
        subprocess.run(
            ["rabbitmqctl", "list_queues", "name", "type", "arguments", "-q"],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
        if shutil.which("rabbitmqctl")
        else ""
    )
    if not listing:
        pytest.skip("rabbitmqctl is not available to inspect the queues")
    ours = {
        line.split("\t")[0]: line
        for line in listing.splitlines()
        if line.startswith(rabbit.names.namespace + ".")
    }
    assert sorted(ours) == sorted(
        rabbit.names.queue(q)
        for q in ("verify", "review.intake", "verify.dlq", "review.intake.dlq")
    )
    assert all("quorum" in line for line in ours.values())
    assert "x-delivery-limit" in ours[rabbit.names.queue(Q_VERIFY)]
