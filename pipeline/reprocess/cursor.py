"""The resumable cursor of a reprocess run, and the rate limiter.

The cursor is a small JSON file under ``$INSPECTPIPE_HOME/reprocess/``, one per selection and
target pipeline version. It is rewritten (atomically) after every confirmed publish, so an
interrupted run resumes after the last message the broker confirmed: nothing is skipped, and
nothing is sent twice unless the process died between the confirm and the write (harmless:
the verify handler is idempotent).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import UsageError


@dataclass
class Counts:
    """What a run did so far (kept across resumes)."""

    selected: int = 0  # attempts in the selection when the run started
    enqueued: int = 0  # published to the verify queue
    current: int = 0  # skipped: already have a result of the target version
    missing: int = 0  # skipped: the manifest is no longer in the store


@dataclass
class Cursor:
    """Where a run is: the last inspection row handled, out of those up to ``max_id``."""

    key: str
    version: str
    selection: dict[str, Any]
    max_id: int
    last_id: int = 0
    finished: bool = False
    counts: Counts = field(default_factory=Counts)

    @property
    def done(self) -> int:
        """Attempts handled so far."""
        c = self.counts
        return c.enqueued + c.current + c.missing


class CursorFile:
    """Load and save one cursor file."""

    def __init__(self, folder: Path, key: str) -> None:
        self.path = folder / f"{key}.json"

    def load(self) -> Cursor | None:
        """The saved cursor, or None."""
        try:
            doc = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise UsageError(f"reprocess cursor {self.path} is unreadable: {exc}") from None
        counts = Counts(**doc.pop("counts", {}))
        return Cursor(counts=counts, **doc)

    def save(self, cursor: Cursor) -> None:
        """Write atomically (a crash leaves the previous cursor, never half a file)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(cursor), ensure_ascii=False), "utf-8")
        os.replace(tmp, self.path)


class RateLimiter:
    """At most ``rate`` acquisitions per second on average (a token bucket of one second)."""

    def __init__(
        self,
        rate: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate is not None and rate <= 0:
            raise UsageError("--rate must be positive")
        self.rate = rate
        self.clock = clock
        self.sleep = sleep
        self._capacity = max(1.0, rate or 1.0)
        self._tokens = self._capacity
        self._last = clock()

    def acquire(self) -> None:
        """Wait until one more message may go."""
        if self.rate is None:
            return
        now = self.clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens < 1.0:
            self.sleep((1.0 - self._tokens) / self.rate)
            self._tokens = 1.0
            self._last = self.clock()
        self._tokens -= 1.0
