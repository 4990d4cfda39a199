"""The bus topology both backends build, the namespace prefix, topic matching and backoff.

Callers use the logical names of :mod:`pipeline.bus.base`. With ``bus.namespace = "ns"`` the
broker objects are called ``ns.evidence``, ``ns.verify`` and so on. Routing keys are never
prefixed: a dead-lettered message carries its source queue's logical name (``verify``) as
routing key on the namespaced ``dead-letter`` exchange.

Dead-letter queues have no delivery limit and no dead-letter exchange of their own: a quorum
queue with a limit but nowhere to dead-letter would drop the message, and a dead letter is the
last copy of the work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.bus.base import (
    DEAD_LETTER,
    EVIDENCE,
    Q_REVIEW_INTAKE,
    Q_REVIEW_INTAKE_DLQ,
    Q_VERIFY,
    Q_VERIFY_DLQ,
    VERDICTS,
)
from pipeline.errors import PermanentError

EXCHANGES = (EVIDENCE, VERDICTS, DEAD_LETTER)


@dataclass(frozen=True)
class QueueSpec:
    """One queue: its bindings ``(exchange, pattern)`` and whether it dead-letters."""

    name: str
    bindings: tuple[tuple[str, str], ...]
    dead_letters: bool


QUEUES = (
    QueueSpec(Q_VERIFY, ((EVIDENCE, "#"),), dead_letters=True),
    QueueSpec(
        Q_REVIEW_INTAKE,
        # pass too: a reprocess can turn a flagged attempt into a pass, and its open review
        # item must follow; intake ignores passes of attempts that have no item.
        ((VERDICTS, "verdict.fail"), (VERDICTS, "verdict.review"), (VERDICTS, "verdict.pass")),
        dead_letters=True,
    ),
    QueueSpec(Q_VERIFY_DLQ, ((DEAD_LETTER, Q_VERIFY),), dead_letters=False),
    QueueSpec(Q_REVIEW_INTAKE_DLQ, ((DEAD_LETTER, Q_REVIEW_INTAKE),), dead_letters=False),
)
QUEUE_NAMES = tuple(q.name for q in QUEUES)


class Names:
    """Logical ↔ broker names under one namespace."""

    def __init__(self, namespace: str = "") -> None:
        namespace = namespace.strip(".")  # "ns" and "ns." mean the same prefix
        self.namespace = namespace
        self._prefix = f"{namespace}." if namespace else ""

    def exchange(self, logical: str) -> str:
        """The broker name of a known exchange; unknown names are a programming error."""
        if logical not in EXCHANGES:
            raise PermanentError(f"unknown exchange {logical!r}; known: {', '.join(EXCHANGES)}")
        return self._prefix + logical

    def queue(self, logical: str) -> str:
        """The broker name of a known queue."""
        if logical not in QUEUE_NAMES:
            raise PermanentError(f"unknown queue {logical!r}; known: {', '.join(QUEUE_NAMES)}")
        return self._prefix + logical

    def logical(self, physical: str) -> str:
        """Strip the namespace from a broker name (other names are returned unchanged)."""
        if self._prefix and physical.startswith(self._prefix):
            return physical[len(self._prefix) :]
        return physical


def queue_arguments(spec: QueueSpec, names: Names, delivery_limit: int) -> dict[str, Any]:
    """``x-`` arguments of a quorum queue as declared on RabbitMQ."""
    args: dict[str, Any] = {"x-queue-type": "quorum"}
    if spec.dead_letters:
        args["x-delivery-limit"] = delivery_limit
        args["x-dead-letter-exchange"] = names.exchange(DEAD_LETTER)
        args["x-dead-letter-routing-key"] = spec.name
    return args


def topic_matches(pattern: str, routing_key: str) -> bool:
    """AMQP topic matching: words split on ``.``, ``*`` is one word, ``#`` zero or more."""
    pat = pattern.split(".")
    words = routing_key.split(".") if routing_key else []

    def match(i: int, j: int) -> bool:
        if i == len(pat):
            return j == len(words)
        if pat[i] == "#":
            return any(match(i + 1, k) for k in range(j, len(words) + 1))
        if j == len(words):
            return False
        return (pat[i] == "*" or pat[i] == words[j]) and match(i + 1, j + 1)

    return match(0, 0)


def backoff(attempt: int, base: float, cap: float) -> float:
    """Capped exponential backoff: ``base * 2**attempt``, at most ``cap`` seconds."""
    return float(min(cap, base * (2 ** min(max(attempt, 0), 30))))
