"""The message-bus contract: in-process (embedded) and RabbitMQ implement it.

Topology (both backends):

    exchange "evidence"  (topic) ──#──────────────────────────▶ queue "verify"
    exchange "verdicts"  (topic) ──verdict.fail, .review, .pass─▶ queue "review.intake"
                                 ──review.decided (published by the console, no queue of ours)
    exchange "dead-letter" (topic) ──verify──▶ "verify.dlq";  ──review.intake──▶ "review.intake.dlq"

Queues are quorum queues with ``x-delivery-limit`` and dead-letter to "dead-letter" with the
source queue's name as routing key. Publishes are confirmed. A handler that returns normally is
acked after it returns (so after the result is stored); one that raises ``TransientError`` is
requeued after a capped backoff; ``PermanentError`` is rejected straight to the dead-letter
queue; any other exception is requeued and counts toward the delivery limit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

EVIDENCE = "evidence"
VERDICTS = "verdicts"
DEAD_LETTER = "dead-letter"
Q_VERIFY = "verify"
Q_REVIEW_INTAKE = "review.intake"
Q_VERIFY_DLQ = "verify.dlq"
Q_REVIEW_INTAKE_DLQ = "review.intake.dlq"


@dataclass(frozen=True)
class Delivery:
    """One message as a handler sees it."""

    body: bytes
    exchange: str
    routing_key: str
    headers: Mapping[str, Any] = field(default_factory=dict)
    message_id: str | None = None
    redelivered: bool = False
    delivery_count: int = 0  # how many times delivered before (x-delivery-count)


Handler = Callable[[Delivery], None]


class MessageBus(Protocol):
    """Publish with confirms; consume with manual acks."""

    def declare(self) -> None:
        """Create the exchanges, queues and bindings (idempotent)."""

    def publish(
        self,
        exchange: str,
        routing_key: str,
        body: bytes,
        *,
        headers: Mapping[str, Any] | None = None,
        message_id: str | None = None,
    ) -> None:
        """Publish and wait for the broker's confirm; BusUnavailable if it never comes."""

    def consume(
        self,
        queue: str,
        handler: Handler,
        *,
        stop: threading.Event | None = None,
        idle_timeout: float | None = None,
        max_messages: int | None = None,
    ) -> int:
        """Deliver messages to ``handler`` until stopped, idle or ``max_messages``; the count."""

    def queue_depth(self, queue: str) -> int:
        """Messages ready in a queue (for tests, the demo and monitoring)."""

    def close(self) -> None:
        """Close connections."""
