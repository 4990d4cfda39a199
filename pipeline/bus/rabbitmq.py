"""The RabbitMQ message bus (``bus.backend = "rabbitmq"``), on pika's BlockingConnection.

Exceptions are mapped in :func:`mapped`; no ``pika.exceptions.*`` escapes:

    ChannelClosedByBroker 404 (no such exchange/queue)    -> PermanentError (declare first)
    ChannelClosedByBroker 406 (queue exists, other args)  -> PermanentError (names the queue)
    authentication / access refused                       -> PermanentError (check bus.url)
    any other AMQP error, OSError                         -> BusUnavailable

Connections are per thread (pika connections are not thread-safe): publishes use one
connection per publishing thread with publisher confirms and retry with capped backoff for up
to ``bus.retry_max_seconds`` before raising :class:`BusUnavailable`. A confirm lost with its
connection means the message is published again, so delivery is at-least-once and handlers
must be idempotent. ``consume`` opens its own
connection and survives broker restarts; see :mod:`pipeline.bus.rabbit_consume`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

import pika
import pika.exceptions as pex
from pika.adapters.blocking_connection import BlockingChannel

from pipeline.bus.base import Handler
from pipeline.bus.topology import EXCHANGES, QUEUES, Names, backoff, queue_arguments
from pipeline.config import BusSettings
from pipeline.errors import BusUnavailable, PermanentError

log = logging.getLogger(__name__)

_AUTH = (pex.ProbableAuthenticationError, pex.ProbableAccessDeniedError, pex.AuthenticationError)


@contextlib.contextmanager
def mapped(what: str) -> Iterator[None]:
    """Turn pika's exceptions into the package's own."""
    try:
        yield
    except pex.ChannelClosedByBroker as exc:
        if exc.reply_code == 404:
            raise PermanentError(
                f"{what}: {exc.reply_text} (is the topology declared? call declare())"
            ) from None
        if exc.reply_code == 406:
            raise PermanentError(
                f"{what}: {exc.reply_text} (an existing queue has other arguments; "
                "delete it or change it with a policy)"
            ) from None
        if exc.reply_code == 403:
            raise PermanentError(f"{what}: access refused: {exc.reply_text}") from None
        raise BusUnavailable(f"{what}: channel closed by the broker: {exc.reply_text}") from None
    except _AUTH as exc:
        if "StreamLostError" in repr(exc):
            # pika guesses "denied" from the handshake stage at which the socket died; a reset
            # mid-handshake (broker restarting, proxy cut) is an outage, not a refused login.
            raise BusUnavailable(
                f"{what}: connection lost during the handshake ({exc!r})"
            ) from None
        raise PermanentError(f"{what}: the broker refused the login in bus.url ({exc!r})") from None
    except (pex.AMQPError, OSError) as exc:
        raise BusUnavailable(f"{what}: broker unavailable ({type(exc).__name__}: {exc})") from None


class RabbitBus:
    """Publish with confirms, consume with manual acks, on durable quorum queues."""

    def __init__(self, cfg: BusSettings, *, retry_base_seconds: float = 0.2) -> None:
        self.cfg = cfg
        self.names = Names(cfg.namespace)
        self.retry_base = retry_base_seconds
        self._local = threading.local()
        self._lock = threading.Lock()
        self._publishers: list[pika.BlockingConnection] = []

    # -- connections -------------------------------------------------------------------------

    def connect(self, role: str) -> pika.BlockingConnection:
        """A new connection; the name shows up in the management UI and rabbitmqctl."""
        params = pika.URLParameters(self.cfg.url)
        params.heartbeat = self.cfg.heartbeat
        params.blocked_connection_timeout = 30
        params.socket_timeout = 5
        params.stack_timeout = 10
        params.connection_attempts = 1
        params.client_properties = {
            "connection_name": f"inspectpipe {self.cfg.namespace or '-'} {role}"
        }
        with mapped("connect to RabbitMQ"):
            try:
                return pika.BlockingConnection(params)
            except ValueError as exc:
                # pika raises ValueError ("Expected connected socket") when the socket is reset
                # between the TCP connect and the handshake: an outage like any other.
                raise pex.AMQPConnectionError(f"socket reset while connecting: {exc}") from None

    @contextlib.contextmanager
    def _admin(self, what: str) -> Iterator[BlockingChannel]:
        """A short-lived channel for declarations and queries."""
        conn = self.connect("admin")
        try:
            with mapped(what):
                yield conn.channel()
        finally:
            with contextlib.suppress(Exception):
                conn.close()

    def _publish_channel(self) -> BlockingChannel:
        ch: BlockingChannel | None = getattr(self._local, "channel", None)
        if ch is not None and ch.is_open and ch.connection.is_open:
            try:
                # An idle BlockingConnection sends no heartbeats, so the broker may have closed
                # it; pumping events now notices that before we publish into a dead socket.
                ch.connection.process_data_events(time_limit=0)
                return ch
            except (pex.AMQPError, OSError):
                log.debug("idle publish connection was closed; reconnecting", exc_info=True)
        self._drop_publisher()
        conn = self.connect("publish")
        with mapped("open a publish channel"):
            ch = conn.channel()
            ch.confirm_delivery()
        self._local.conn, self._local.channel = conn, ch
        with self._lock:
            self._publishers.append(conn)
        return ch

    def _drop_publisher(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = self._local.channel = None
        if conn is not None:
            with self._lock, contextlib.suppress(ValueError):
                self._publishers.remove(conn)
            with contextlib.suppress(Exception):
                conn.close()

    # -- contract ----------------------------------------------------------------------------

    def declare(self) -> None:
        """Declare exchanges, quorum queues and bindings (idempotent)."""
        with self._admin("declare the bus topology") as ch:
            for ex in EXCHANGES:
                ch.exchange_declare(self.names.exchange(ex), "topic", durable=True)
            for spec in QUEUES:
                name = self.names.queue(spec.name)
                args = queue_arguments(spec, self.names, self.cfg.delivery_limit)
                ch.queue_declare(name, durable=True, arguments=args)
                for ex, pattern in spec.bindings:
                    ch.queue_bind(name, self.names.exchange(ex), routing_key=pattern)

    def publish(
        self,
        exchange: str,
        routing_key: str,
        body: bytes,
        *,
        headers: Mapping[str, Any] | None = None,
        message_id: str | None = None,
    ) -> None:
        """Publish a persistent message and wait for the confirm, retrying with backoff."""
        target = self.names.exchange(exchange)
        props = pika.BasicProperties(
            delivery_mode=pika.DeliveryMode.Persistent,
            headers=dict(headers) if headers else None,
            message_id=message_id,
        )
        deadline = time.monotonic() + self.cfg.retry_max_seconds
        attempt = 0
        while True:
            try:
                with mapped(f"publish to {exchange!r} ({routing_key})"):
                    self._publish_channel().basic_publish(target, routing_key, body, props)
                return
            except PermanentError:
                self._drop_publisher()
                raise
            except BusUnavailable as exc:
                self._drop_publisher()
                delay = backoff(attempt, self.retry_base, 5.0)
                if time.monotonic() + delay > deadline:
                    raise BusUnavailable(
                        f"{exc} (gave up after {attempt + 1} attempts); the message was not sent"
                    ) from None
                log.warning("%s; retrying in %.1f s", exc, delay)
                time.sleep(delay)
                attempt += 1

    def consume(
        self,
        queue: str,
        handler: Handler,
        *,
        stop: threading.Event | None = None,
        idle_timeout: float | None = None,
        max_messages: int | None = None,
    ) -> int:
        """Handle messages on a connection of its own; see :class:`RabbitConsumer`."""
        from pipeline.bus.rabbit_consume import RabbitConsumer

        consumer = RabbitConsumer(
            self,
            queue,
            handler,
            stop=stop or threading.Event(),
            idle_timeout=idle_timeout,
            max_messages=max_messages,
        )
        return consumer.run()

    def queue_depth(self, queue: str) -> int:
        """Ready messages, from a passive declare."""
        name = self.names.queue(queue)
        with self._admin(f"query queue {queue!r}") as ch:
            ok = ch.queue_declare(name, passive=True)
        return int(ok.method.message_count)

    def close(self) -> None:
        """Close this thread's publisher, then (best effort, at shutdown) the others."""
        self._drop_publisher()
        with self._lock:
            others, self._publishers = self._publishers, []
        for conn in others:
            with contextlib.suppress(Exception):
                conn.close()

    def close_thread_publisher(self) -> None:
        """Close the calling thread's publish connection (consumer threads call this on exit)."""
        self._drop_publisher()

    def delete_topology(self) -> None:
        """Delete this namespace's queues and exchanges (tests; never in production)."""
        with self._admin("delete the bus topology") as ch:
            for spec in QUEUES:
                ch.queue_delete(self.names.queue(spec.name))
            for ex in EXCHANGES:
                ch.exchange_delete(self.names.exchange(ex))
