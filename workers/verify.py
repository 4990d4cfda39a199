"""The verify worker: consume ``verify``, run the checks, store and publish verdicts.

With ``reconcile_every`` it also runs a reconcile pass (:mod:`pipeline.reconcile`) at start
and then every so many seconds, in a thread with its own bus connection, so manifests whose
event was missed are picked up without an operator. Several workers doing so only send
duplicate events, which the handler ignores (it is idempotent).
"""

from __future__ import annotations

import logging
import threading

from pipeline.bus.base import Q_VERIFY
from pipeline.errors import PipelineError
from pipeline.flow.verify import VerifyHandler
from pipeline.services import Services
from workers.common import bus_for_thread, consume_loop

log = logging.getLogger(__name__)


def run(
    services: Services,
    *,
    stop: threading.Event,
    idle_timeout: float | None = None,
    max_messages: int | None = None,
    reconcile_every: float | None = None,
) -> int:
    """Run until ``stop`` is set (or idle/max reached); the number of messages handled."""
    services.warm_up()
    halt = threading.Event()
    thread: threading.Thread | None = None
    if reconcile_every:
        thread = threading.Thread(
            target=reconcile_loop,
            args=(services, halt, stop, reconcile_every),
            name="reconcile",
            daemon=True,
        )
        thread.start()
    try:
        return consume_loop(
            services,
            Q_VERIFY,
            VerifyHandler(services),
            stop=stop,
            idle_timeout=idle_timeout,
            max_messages=max_messages,
        )
    finally:
        halt.set()
        if thread is not None:
            thread.join(timeout=30)


def reconcile_loop(
    services: Services, halt: threading.Event, stop: threading.Event, every: float
) -> None:
    """Reconcile now and then every ``every`` seconds until ``halt`` or ``stop`` is set."""
    from pipeline.reconcile import reconcile

    bus = bus_for_thread(services)
    try:
        while not (halt.is_set() or stop.is_set()):
            try:
                report = reconcile(services, bus=bus)
                if report.enqueued:
                    log.warning("scheduled reconcile enqueued %d manifest(s)", report.enqueued)
            except PipelineError as exc:  # a service is down: try again next round
                log.warning("scheduled reconcile failed: %s", exc)
            halt.wait(every)
    finally:
        if bus is not services.bus:
            bus.close()
