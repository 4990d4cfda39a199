"""One ``consume`` call on RabbitMQ: heartbeat-safe handling and reconnection.

The calling thread owns the connection and keeps calling ``process_data_events``, so heartbeats
flow however long a handler runs. Each message is handled on a worker thread; the ack, nack or
reject is handed back with ``connection.add_callback_threadsafe`` (the one thread-safe call of a
BlockingConnection), so every channel operation happens on the connection's own thread.

When the connection drops, the handler in flight is allowed to finish but its settlement is
discarded (the broker redelivers the message: at-least-once), and the consumer reconnects with
capped exponential backoff. It gives up with :class:`BusUnavailable` only when ``idle_timeout``
is set and the outage outlasts it; otherwise it retries until ``stop`` is set.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any

import pika
import pika.exceptions as pex
from pika.adapters.blocking_connection import BlockingChannel

from pipeline.bus.base import Delivery, Handler
from pipeline.bus.dispatch import Outcome, run_handler
from pipeline.bus.rabbitmq import mapped
from pipeline.bus.topology import backoff
from pipeline.errors import BusUnavailable

if TYPE_CHECKING:
    from pipeline.bus.rabbitmq import RabbitBus

log = logging.getLogger(__name__)
_TICK = 0.1  # seconds between checks of stop/idle while pumping the connection


class RabbitConsumer:
    """State of one consume call; ``run`` returns the number of messages handled."""

    def __init__(
        self,
        bus: RabbitBus,
        queue: str,
        handler: Handler,
        *,
        stop: threading.Event,
        idle_timeout: float | None,
        max_messages: int | None,
    ) -> None:
        self.bus = bus
        self.queue = bus.names.queue(queue)
        self.handler = handler
        self.stop = stop
        self.idle_timeout = idle_timeout
        self.max_messages = max_messages
        # With a message cap, prefetch one: a prefetched message returned at the end would
        # count as a delivery on a quorum queue.
        self.prefetch = 1 if max_messages is not None else bus.cfg.prefetch
        self.handled = 0
        self.consumer_tag = ""
        self.generation = 0  # bumped per connection; stale settlements are dropped
        self.pending: deque[tuple[int, Delivery]] = deque()
        self.in_flight: Future[None] | None = None
        self.last_activity = time.monotonic()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"handler-{queue}")

    def run(self) -> int:
        """Consume until stopped, idle or capped; reconnect when the connection drops."""
        attempt = 0
        try:
            while not self._done():
                try:
                    self._session()
                    attempt = 0
                except BusUnavailable as exc:
                    self._abandon()
                    delay = backoff(attempt, self.bus.retry_base, self.bus.cfg.retry_max_seconds)
                    limit = float("inf") if self.idle_timeout is None else self.idle_timeout
                    if self._idle_for() + delay > limit:
                        raise
                    log.warning(
                        "consumer on %s: %s; reconnecting in %.1f s", self.queue, exc, delay
                    )
                    self.stop.wait(delay)
                    attempt += 1
        finally:
            self._abandon()
            self.pool.submit(self.bus.close_thread_publisher)
            self.pool.shutdown(wait=True)
        return self.handled

    # -- one connection ----------------------------------------------------------------------

    def _session(self) -> None:
        conn = self.bus.connect("consume")
        self.generation += 1
        gen = self.generation
        try:
            with mapped(f"consume from {self.queue!r}"):
                ch = conn.channel()
                ch.basic_qos(prefetch_count=self.prefetch)
                self.consumer_tag = ch.basic_consume(
                    self.queue, partial(self._on_message, gen), auto_ack=False
                )
                while not self._done():
                    conn.process_data_events(time_limit=_TICK)
                    self._start_next(conn, ch, gen)
        finally:
            self.generation += 1  # anything settling after this belongs to a dead session
            if conn.is_open:
                try:
                    conn.close()
                except Exception:  # closing a broken connection is best effort
                    log.debug("closing consumer connection failed", exc_info=True)

    def _on_message(
        self,
        gen: int,
        ch: BlockingChannel,
        method: Any,
        props: pika.BasicProperties,
        body: bytes,
    ) -> None:
        if gen != self.generation:
            return
        headers = dict(props.headers or {})
        count = headers.pop("x-delivery-count", 0)
        delivery = Delivery(
            body=body,
            exchange=self.bus.names.logical(method.exchange),
            routing_key=method.routing_key,
            headers=headers,
            message_id=props.message_id,
            redelivered=bool(method.redelivered),
            delivery_count=int(count or 0),
        )
        self.pending.append((method.delivery_tag, delivery))
        self.last_activity = time.monotonic()

    def _start_next(self, conn: pika.BlockingConnection, ch: BlockingChannel, gen: int) -> None:
        if self.in_flight is not None or not self.pending or self.stop.is_set():
            return
        if self.max_messages is not None and self.handled >= self.max_messages:
            return
        tag, delivery = self.pending.popleft()
        self.in_flight = self.pool.submit(self._work, conn, ch, gen, tag, delivery)

    def _work(
        self,
        conn: pika.BlockingConnection,
        ch: BlockingChannel,
        gen: int,
        tag: int,
        delivery: Delivery,
    ) -> None:
        """Worker thread: run the handler, then ask the connection thread to settle."""
        outcome = Outcome.REQUEUE
        try:
            outcome = run_handler(
                self.handler,
                delivery,
                stop=self.stop,
                retry_base=self.bus.retry_base,
                retry_max=self.bus.cfg.retry_max_seconds,
            )
        finally:
            try:
                conn.add_callback_threadsafe(partial(self._settle, ch, gen, tag, outcome))
            except (pex.AMQPError, OSError, RuntimeError):
                log.warning("connection lost before settling; the broker will redeliver")

    def _settle(self, ch: BlockingChannel, gen: int, tag: int, outcome: Outcome) -> None:
        """Connection thread: ack, requeue or reject one delivery."""
        if gen != self.generation:
            return
        if self.max_messages is not None and self.handled + 1 >= self.max_messages:
            # Cancel before the last ack: a message the broker sent after it would be returned
            # when we disconnect, and a return counts as a delivery on a quorum queue.
            ch.basic_cancel(self.consumer_tag)
        if outcome is Outcome.ACK:
            ch.basic_ack(tag)
        elif outcome is Outcome.REJECT:
            ch.basic_reject(tag, requeue=False)
        else:
            ch.basic_nack(tag, requeue=True)
        self.handled += 1
        self.in_flight = None
        self.last_activity = time.monotonic()

    # -- bookkeeping -------------------------------------------------------------------------

    def _idle_for(self) -> float:
        return time.monotonic() - self.last_activity

    def _done(self) -> bool:
        busy = self.in_flight is not None
        if busy:
            return False  # let the handler finish and its settlement go out first
        if self.stop.is_set():
            return True
        if self.max_messages is not None and self.handled >= self.max_messages:
            return True
        idle = self.idle_timeout is not None and self._idle_for() >= self.idle_timeout
        return idle and not self.pending

    def _abandon(self) -> None:
        """After a lost connection: let the handler finish, forget unsettled deliveries."""
        if self.in_flight is not None:
            self.in_flight.result()
            self.in_flight = None
        self.pending.clear()
