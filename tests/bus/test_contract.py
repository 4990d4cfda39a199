"""The message-bus contract, run against the in-process bus and the real RabbitMQ."""

from __future__ import annotations

import threading

import pytest

from pipeline.bus.base import (
    DEAD_LETTER,
    EVIDENCE,
    Q_REVIEW_INTAKE,
    Q_REVIEW_INTAKE_DLQ,
    Q_VERIFY,
    Q_VERIFY_DLQ,
    VERDICTS,
    Delivery,
    MessageBus,
)
from pipeline.errors import PermanentError, StoreUnavailable
from tests.bus.conftest import wait_depth


def collect(bus: MessageBus, queue: str, **kwargs: object) -> list[Delivery]:
    """Consume into a list (with an idle timeout unless told otherwise)."""
    seen: list[Delivery] = []
    kwargs.setdefault("idle_timeout", 1.0)
    bus.consume(queue, seen.append, **kwargs)  # type: ignore[arg-type]
    return seen


def test_topic_routing(bus: MessageBus) -> None:
    bus.publish(EVIDENCE, "manifest.created", b"e1")
    bus.publish(EVIDENCE, "anything.else.here", b"e2")
    bus.publish(VERDICTS, "verdict.fail", b"v-fail")
    bus.publish(VERDICTS, "verdict.review", b"v-review")
    bus.publish(VERDICTS, "verdict.pass", b"v-pass")
    bus.publish(VERDICTS, "review.decided", b"decided")  # no queue of ours: confirmed, dropped
    assert wait_depth(bus, Q_VERIFY, 2) == 2
    assert wait_depth(bus, Q_REVIEW_INTAKE, 3) == 3
    got = sorted(d.body for d in collect(bus, Q_REVIEW_INTAKE))
    assert got == [b"v-fail", b"v-pass", b"v-review"]
    assert sorted(d.body for d in collect(bus, Q_VERIFY)) == [b"e1", b"e2"]
    assert bus.queue_depth(Q_VERIFY_DLQ) == 0


def test_message_id_headers_and_fields_round_trip(bus: MessageBus) -> None:
    headers = {"inspection_id": "ST01-0001", "attempt": 3, "note": "车检"}
    bus.publish(VERDICTS, "verdict.fail", b"{}", headers=headers, message_id="msg-1")
    (d,) = collect(bus, Q_REVIEW_INTAKE, max_messages=1)
    assert d.body == b"{}"
    assert d.message_id == "msg-1"
    assert {k: d.headers[k] for k in headers} == headers
    assert (d.exchange, d.routing_key) == (VERDICTS, "verdict.fail")
    assert (d.delivery_count, d.redelivered) == (0, False)


def test_ack_after_handler_returns(bus: MessageBus) -> None:
    bus.publish(EVIDENCE, "k", b"once")
    assert bus.consume(Q_VERIFY, lambda d: None, max_messages=1, idle_timeout=5) == 1
    assert bus.queue_depth(Q_VERIFY) == 0
    assert collect(bus, Q_VERIFY, idle_timeout=0.5) == []  # acked: never delivered again


def test_redelivery_after_handler_exception(bus: MessageBus) -> None:
    bus.publish(EVIDENCE, "k", b"flaky", message_id="m")
    seen: list[Delivery] = []

    def handler(d: Delivery) -> None:
        seen.append(d)
        if len(seen) == 1:
            raise RuntimeError("bug on first try")

    assert bus.consume(Q_VERIFY, handler, max_messages=2, idle_timeout=5) == 2
    assert [(d.delivery_count, d.redelivered) for d in seen] == [(0, False), (1, True)]
    assert seen[1].message_id == "m"
    assert wait_depth(bus, Q_VERIFY, 0) == 0
    assert bus.queue_depth(Q_VERIFY_DLQ) == 0


def test_delivery_limit_dead_letters(bus: MessageBus) -> None:
    bus.publish(EVIDENCE, "k", b"poison", message_id="p1", headers={"inspection_id": "X1"})
    counts: list[int] = []

    def always_fails(d: Delivery) -> None:
        counts.append(d.delivery_count)
        raise RuntimeError("always")

    bus.consume(Q_VERIFY, always_fails, max_messages=3, idle_timeout=5)
    assert counts == [0, 1, 2]  # delivery_limit = 2: a first delivery plus two more
    assert wait_depth(bus, Q_VERIFY_DLQ, 1) == 1
    assert bus.queue_depth(Q_VERIFY) == 0
    (dead,) = collect(bus, Q_VERIFY_DLQ, max_messages=1)
    assert (dead.body, dead.message_id) == (b"poison", "p1")
    assert (dead.exchange, dead.routing_key) == (DEAD_LETTER, Q_VERIFY)
    assert dead.headers["x-first-death-reason"] == "delivery_limit"
    assert dead.headers["inspection_id"] == "X1"


def test_permanent_error_dead_letters_at_once(bus: MessageBus) -> None:
    bus.publish(VERDICTS, "verdict.review", b"bad", message_id="b1")
    calls: list[Delivery] = []

    def reject(d: Delivery) -> None:
        calls.append(d)
        raise PermanentError("manifest is malformed", inspection_id="ST01-9")

    assert bus.consume(Q_REVIEW_INTAKE, reject, max_messages=1, idle_timeout=5) == 1
    assert len(calls) == 1
    assert wait_depth(bus, Q_REVIEW_INTAKE_DLQ, 1) == 1
    (dead,) = collect(bus, Q_REVIEW_INTAKE_DLQ, max_messages=1)
    assert dead.headers["x-first-death-reason"] == "rejected"
    assert dead.routing_key == Q_REVIEW_INTAKE
    assert collect(bus, Q_REVIEW_INTAKE, idle_timeout=0.3) == []


def test_transient_error_retried_in_place_without_spending_deliveries(bus: MessageBus) -> None:
    """A dependency down for longer than the delivery limit allows never dead-letters."""
    bus.publish(EVIDENCE, "k", b"store down")
    seen: list[int] = []
    outage = 4  # more failures than delivery_limit (2 in these tests) would allow

    def handler(d: Delivery) -> None:
        seen.append(d.delivery_count)
        if len(seen) <= outage:
            raise StoreUnavailable("store is down")

    assert bus.consume(Q_VERIFY, handler, max_messages=1, idle_timeout=5) == 1
    assert seen == [0] * (outage + 1)  # same delivery each time: retried in hand
    assert wait_depth(bus, Q_VERIFY, 0) == 0
    assert bus.queue_depth(Q_VERIFY_DLQ) == 0


def test_transient_error_requeued_when_stopping(bus: MessageBus) -> None:
    bus.publish(EVIDENCE, "k", b"store down")
    stop = threading.Event()

    def handler(d: Delivery) -> None:
        stop.set()
        raise StoreUnavailable("store is down")

    bus.consume(Q_VERIFY, handler, stop=stop, idle_timeout=5)
    assert wait_depth(bus, Q_VERIFY, 1) == 1  # handed back, not lost, not dead-lettered
    assert bus.queue_depth(Q_VERIFY_DLQ) == 0


def test_idle_timeout_max_messages_and_stop(bus: MessageBus) -> None:
    assert bus.consume(Q_VERIFY, lambda d: None, idle_timeout=0.3) == 0
    for i in range(3):
        bus.publish(EVIDENCE, "k", f"m{i}".encode())
    assert bus.consume(Q_VERIFY, lambda d: None, max_messages=2, idle_timeout=5) == 2
    assert wait_depth(bus, Q_VERIFY, 1) == 1
    (left,) = collect(bus, Q_VERIFY, max_messages=1)
    assert left.delivery_count == 0  # stopping at the cap returned nothing to the queue
    stop = threading.Event()
    bus.publish(EVIDENCE, "k", b"m3")
    bus.publish(EVIDENCE, "k", b"m4")
    handled = bus.consume(Q_VERIFY, lambda d: stop.set(), stop=stop, idle_timeout=5)
    assert handled == 1
    assert wait_depth(bus, Q_VERIFY, 1) == 1  # the other message is still there


def test_concurrent_consumers_share_a_queue(bus: MessageBus) -> None:
    ids = [f"c{i}" for i in range(20)]
    for mid in ids:
        bus.publish(EVIDENCE, "k", mid.encode(), message_id=mid)
    seen: list[str] = []
    lock = threading.Lock()
    per_thread: list[int] = []

    def handler(d: Delivery) -> None:
        with lock:
            seen.append(str(d.message_id))

    def worker() -> None:
        n = bus.consume(Q_VERIFY, handler, idle_timeout=1.0)
        with lock:
            per_thread.append(n)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(seen) == sorted(ids)  # each message handled exactly once
    assert sum(per_thread) == 20 and len(per_thread) == 3


def test_handler_may_publish(bus: MessageBus) -> None:
    bus.publish(EVIDENCE, "k", b"in")

    def handler(d: Delivery) -> None:
        bus.publish(VERDICTS, "verdict.fail", d.body + b"-verdict", message_id="out")

    assert bus.consume(Q_VERIFY, handler, max_messages=1, idle_timeout=5) == 1
    (out,) = collect(bus, Q_REVIEW_INTAKE, max_messages=1)
    assert (out.body, out.message_id) == (b"in-verdict", "out")


def test_unknown_names_are_errors(bus: MessageBus) -> None:
    with pytest.raises(PermanentError, match="unknown exchange"):
        bus.publish("nope", "k", b"x")
    with pytest.raises(PermanentError, match="unknown queue"):
        bus.consume("nope", lambda d: None, idle_timeout=0.1)
    with pytest.raises(PermanentError, match="unknown queue"):
        bus.queue_depth("nope")
