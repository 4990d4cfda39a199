"""What every worker loop shares: a stop event wired to SIGTERM/SIGINT, a bus per thread."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable

from pipeline.bus.base import Handler, MessageBus
from pipeline.services import Services

log = logging.getLogger(__name__)


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and SIGINT set ``stop``: the message in hand is finished, then the loop ends."""

    def handler(signum: int, _frame: object) -> None:
        log.info("signal %d: finishing the message in hand, then stopping", signum)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)


def bus_for_thread(services: Services) -> MessageBus:
    """The in-process bus is shared by the process; a network bus gets a connection per thread
    (pika connections must not be shared between threads)."""
    if services.settings.bus.backend == "inproc":
        return services.bus
    from pipeline.bus import open_bus

    bus = open_bus(services.settings)
    bus.declare()
    return bus


def consume_loop(
    services: Services,
    queue: str,
    handler: Handler,
    *,
    stop: threading.Event,
    idle_timeout: float | None = None,
    max_messages: int | None = None,
    on_exit: Callable[[], None] | None = None,
) -> int:
    """Consume one queue until stopped or idle; return how many messages were handled."""
    bus = bus_for_thread(services)
    try:
        return bus.consume(
            queue, handler, stop=stop, idle_timeout=idle_timeout, max_messages=max_messages
        )
    finally:
        if bus is not services.bus:
            bus.close()
        if on_exit is not None:
            on_exit()
