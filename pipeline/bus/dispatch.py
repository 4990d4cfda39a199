"""Run a handler and decide the message's fate; both backends settle messages this way.

    returns normally     -> ACK
    PermanentError       -> REJECT (dead-letter queue at once), logged without a traceback
    TransientError       -> keep the message in hand and call the handler again after a capped
                            exponential backoff, for as long as the fault lasts; REQUEUE only
                            if the worker is asked to stop meanwhile
    any other exception  -> REQUEUE at once with a traceback (counts toward the limit)

Every requeue counts toward the queue's delivery limit (RabbitMQ quorum queues count every
return). A store or database that is down for a while is not the message's fault, so transient
failures are retried in place and never spend the delivery budget: no message is dead-lettered
for a transient fault. The handler runs off the connection thread, so heartbeats continue.
"""

from __future__ import annotations

import enum
import logging
import threading

from pipeline.bus.base import Delivery, Handler
from pipeline.bus.topology import backoff
from pipeline.errors import PermanentError, PipelineError, TransientError

log = logging.getLogger(__name__)


class Outcome(enum.Enum):
    """What to tell the broker about one delivery."""

    ACK = "ack"
    REQUEUE = "requeue"
    REJECT = "reject"


def describe(delivery: Delivery, exc: BaseException | None = None) -> str:
    """The inspection id (or message id) a log line about this delivery should carry."""
    if isinstance(exc, PipelineError) and exc.inspection_id:
        return exc.inspection_id
    ident = delivery.headers.get("inspection_id") or delivery.message_id
    return str(ident) if ident else f"{delivery.exchange}/{delivery.routing_key}"


def run_handler(
    handler: Handler,
    delivery: Delivery,
    *,
    stop: threading.Event,
    retry_base: float,
    retry_max: float,
) -> Outcome:
    """Call ``handler`` and map what happened to an :class:`Outcome`."""
    attempt = 0
    while True:
        try:
            handler(delivery)
        except PermanentError as exc:
            log.error("%s: dead-lettered: %s", describe(delivery, exc), exc)
            return Outcome.REJECT
        except TransientError as exc:
            delay = backoff(attempt, retry_base, retry_max)
            attempt += 1
            log.warning(
                "%s: transient failure (%s); retry %d in %.1f s",
                describe(delivery, exc),
                exc,
                attempt,
                delay,
            )
            if stop.wait(delay):  # asked to stop: hand the message back for another worker
                return Outcome.REQUEUE
            continue
        except Exception:
            log.exception("%s: handler failed; requeued", describe(delivery))
            return Outcome.REQUEUE
        return Outcome.ACK
