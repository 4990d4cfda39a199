"""The review-intake worker: flagged verdicts and dead letters → review items in the database."""

from __future__ import annotations

import threading

from pipeline.bus.base import Q_REVIEW_INTAKE, Q_VERIFY_DLQ
from pipeline.flow.intake import DeadLetterHandler, IntakeHandler
from pipeline.services import Services
from workers.common import consume_loop


def run(
    services: Services,
    *,
    stop: threading.Event,
    idle_timeout: float | None = None,
    max_messages: int | None = None,
) -> int:
    """Consume ``review.intake`` here and ``verify.dlq`` in a second thread; the total count."""
    counts = {"dlq": 0}

    def dead_letters() -> None:
        counts["dlq"] = consume_loop(
            services,
            Q_VERIFY_DLQ,
            DeadLetterHandler(services),
            stop=stop,
            idle_timeout=idle_timeout,
        )

    side = threading.Thread(target=dead_letters, name="verify.dlq", daemon=True)
    side.start()
    handled = consume_loop(
        services,
        Q_REVIEW_INTAKE,
        IntakeHandler(services),
        stop=stop,
        idle_timeout=idle_timeout,
        max_messages=max_messages,
    )
    if max_messages is not None and idle_timeout is None:
        stop.set()
    side.join()
    return handled + counts["dlq"]
