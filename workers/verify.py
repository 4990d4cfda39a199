"""The verify worker: consume ``verify``, run the checks, store and publish verdicts."""

from __future__ import annotations

import threading

from pipeline.bus.base import Q_VERIFY
from pipeline.flow.verify import VerifyHandler
from pipeline.services import Services
from workers.common import consume_loop


def run(
    services: Services,
    *,
    stop: threading.Event,
    idle_timeout: float | None = None,
    max_messages: int | None = None,
) -> int:
    """Run until ``stop`` is set (or idle/max reached); the number of messages handled."""
    return consume_loop(
        services,
        Q_VERIFY,
        VerifyHandler(services),
        stop=stop,
        idle_timeout=idle_timeout,
        max_messages=max_messages,
    )
