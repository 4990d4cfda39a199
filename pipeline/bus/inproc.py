"""The embedded message bus: RabbitMQ's semantics inside one process, for tests and the demo.

Queues are shared by every :class:`InProcBus` with the same namespace in the process, so the
console, the workers (threads) and a CLI command can each open the bus and still talk. It
mirrors the quorum queues of :mod:`pipeline.bus.rabbitmq`: topic routing, delivery counts
(``x-delivery-count`` starts at 0), requeue, a delivery limit after which the message goes to
the dead-letter queue with ``x-first-death-reason = delivery_limit``, and ``rejected`` for a
:class:`PermanentError`. Messages do not survive the process.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pipeline.bus.base import DEAD_LETTER, Delivery, Handler
from pipeline.bus.dispatch import Outcome, run_handler
from pipeline.bus.topology import QUEUES, Names, topic_matches
from pipeline.errors import BusUnavailable, PermanentError


@dataclass
class _Message:
    body: bytes
    exchange: str
    routing_key: str
    headers: dict[str, Any] = field(default_factory=dict)
    message_id: str | None = None
    delivery_count: int = 0
    redelivered: bool = False


class _Broker:
    """Queues of one namespace, guarded by one condition variable."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.queues: dict[str, deque[_Message]] = {}


_BROKERS: dict[str, _Broker] = {}
_BROKERS_LOCK = threading.Lock()


def _broker_for(scope: str) -> _Broker:
    with _BROKERS_LOCK:
        return _BROKERS.setdefault(scope, _Broker())


class InProcBus:
    """Thread-safe in-process bus with the same contract as the RabbitMQ one."""

    def __init__(
        self,
        *,
        namespace: str = "",
        scope: str = "",
        delivery_limit: int = 5,
        retry_base_seconds: float = 0.2,
        retry_max_seconds: float = 30.0,
    ) -> None:
        self.names = Names(namespace)
        self.delivery_limit = delivery_limit
        self.retry_base = retry_base_seconds
        self.retry_max = retry_max_seconds
        # Buses of one process share a broker when they name the same scope (the embedded
        # home folder) and namespace: one deployment, one set of queues.
        self._broker = _broker_for(f"{scope}\x00{namespace}")
        self._closed = False

    def declare(self) -> None:
        """Create the queues (idempotent)."""
        with self._broker.cond:
            for spec in QUEUES:
                self._broker.queues.setdefault(spec.name, deque())

    def publish(
        self,
        exchange: str,
        routing_key: str,
        body: bytes,
        *,
        headers: Mapping[str, Any] | None = None,
        message_id: str | None = None,
    ) -> None:
        """Route a copy to every bound queue; returns once queued (the 'confirm')."""
        self._check_open()
        self.names.exchange(exchange)  # unknown exchanges are an error, as on the broker
        msg = _Message(bytes(body), exchange, routing_key, dict(headers or {}), message_id)
        with self._broker.cond:
            if not self._broker.queues:
                raise PermanentError("the bus topology is not declared; call declare() first")
            self._route(msg)
            self._broker.cond.notify_all()

    def consume(
        self,
        queue: str,
        handler: Handler,
        *,
        stop: threading.Event | None = None,
        idle_timeout: float | None = None,
        max_messages: int | None = None,
    ) -> int:
        """Handle messages until ``stop``, ``idle_timeout`` seconds idle, or ``max_messages``."""
        self._check_open()
        self.names.queue(queue)
        stop = stop or threading.Event()
        handled = 0
        while not stop.is_set() and (max_messages is None or handled < max_messages):
            msg = self._take(queue, stop, idle_timeout)
            if msg is None:
                break
            delivery = Delivery(
                body=msg.body,
                exchange=msg.exchange,
                routing_key=msg.routing_key,
                headers=dict(msg.headers),
                message_id=msg.message_id,
                redelivered=msg.redelivered,
                delivery_count=msg.delivery_count,
            )
            outcome = Outcome.REQUEUE  # if the handler escapes with KeyboardInterrupt & co.
            try:
                outcome = run_handler(
                    handler,
                    delivery,
                    stop=stop,
                    retry_base=self.retry_base,
                    retry_max=self.retry_max,
                )
            finally:
                self._settle(queue, msg, outcome)
            handled += 1
        return handled

    def queue_depth(self, queue: str) -> int:
        """Messages ready in a queue (not counting those being handled)."""
        self.names.queue(queue)
        with self._broker.cond:
            return len(self._broker.queues.get(queue, ()))

    def close(self) -> None:
        """Mark this handle closed; the shared queues stay for other handles."""
        self._closed = True

    def delete_topology(self) -> None:
        """Drop every queue of this namespace (tests)."""
        with self._broker.cond:
            self._broker.queues.clear()

    # -- internals ---------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise BusUnavailable("this bus handle is closed")

    def _route(self, msg: _Message) -> None:
        """Append a copy to each queue bound to the exchange with a matching pattern."""
        for spec in QUEUES:
            if any(
                ex == msg.exchange and topic_matches(pat, msg.routing_key)
                for ex, pat in spec.bindings
            ):
                self._broker.queues[spec.name].append(replace(msg, headers=dict(msg.headers)))

    def _take(
        self, queue: str, stop: threading.Event, idle_timeout: float | None
    ) -> _Message | None:
        deadline = None if idle_timeout is None else time.monotonic() + idle_timeout
        with self._broker.cond:
            while True:
                q = self._broker.queues.get(queue)
                if q is None:
                    raise PermanentError(f"queue {queue!r} is not declared; call declare() first")
                if q:
                    return q.popleft()
                if stop.is_set():
                    return None
                wait = 0.1 if deadline is None else min(0.1, deadline - time.monotonic())
                if wait <= 0:
                    return None
                self._broker.cond.wait(wait)  # short waits so a stop request is noticed

    def _settle(self, queue: str, msg: _Message, outcome: Outcome) -> None:
        if outcome is Outcome.ACK:
            return
        with self._broker.cond:
            if outcome is Outcome.REJECT:
                self._dead_letter(queue, msg, "rejected")
            else:
                msg.delivery_count += 1
                msg.redelivered = True
                spec = next(s for s in QUEUES if s.name == queue)
                if spec.dead_letters and msg.delivery_count > self.delivery_limit:
                    self._dead_letter(queue, msg, "delivery_limit")
                else:
                    self._broker.queues[queue].append(msg)
            self._broker.cond.notify_all()

    def _dead_letter(self, queue: str, msg: _Message, reason: str) -> None:
        spec = next(s for s in QUEUES if s.name == queue)
        if not spec.dead_letters:  # RabbitMQ drops a rejected message with nowhere to go
            return
        headers = dict(msg.headers)
        headers.setdefault("x-first-death-queue", self.names.queue(queue))
        headers.setdefault("x-first-death-reason", reason)
        headers.setdefault("x-first-death-exchange", self.names.exchange(msg.exchange))
        self._route(_Message(msg.body, DEAD_LETTER, queue, headers, msg.message_id))
