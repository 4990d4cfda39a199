"""Records of the review queue: items as reviewers see them, filters, pages, clear reasons.

States and transitions (every one is appended to ``audit_log`` in the same transaction)::

    open ──claim──▶ claimed ──decide(confirm|clear)──▶ decided
      ▲               │  renew (same reviewer, extends the lease)
      └──release──────┤
      └──expire───────┘  (the lease ran out: back in the queue)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from pipeline.errors import UsageError

State = Literal["open", "claimed", "decided"]
DecisionValue = Literal["confirm", "clear"]
STATES: tuple[str, ...] = ("open", "claimed", "decided")
DECISIONS: tuple[str, ...] = ("confirm", "clear")
ROLES: tuple[str, ...] = ("reviewer", "supervisor", "admin")


@dataclass(frozen=True)
class ClearReason:
    """Why a reviewer overrules the machine; ``key`` is the keyboard digit in the console."""

    code: str
    en: str
    zh: str
    key: str


# Clearing needs one of these; "other" additionally needs a note. The order is the keyboard
# order of the console's reason picker, so keep the most frequent first.
CLEAR_REASONS: tuple[ClearReason, ...] = (
    ClearReason("ocr_misread", "The machine misread the photo", "机器识别错误", "1"),
    ClearReason("photo_acceptable", "The photo is acceptable", "照片合格", "2"),
    ClearReason("record_outdated", "The vehicle record was outdated", "档案信息已变更", "3"),
    ClearReason("reference_outdated", "The reference rubbing is wrong", "留档拓印膜有误", "4"),
    ClearReason(
        "approved_new_reference", "Rubbing approved as reference", "拓印膜审核通过留档", "5"
    ),
    ClearReason("legitimate_reuse", "Reuse is legitimate (same vehicle)", "同车合理复用", "6"),
    ClearReason("other", "Other (note required)", "其他（需填写说明）", "9"),
)
CLEAR_REASON_CODES = frozenset(r.code for r in CLEAR_REASONS)


MAX_NOTE = 2000


def validate_decision(decision: str, reason: str | None, note: str | None) -> str | None:
    """The stored decision reason; UsageError when the decision or its reason is not allowed."""
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise UsageError(f"the note is longer than {MAX_NOTE} characters")
    if decision not in DECISIONS:
        raise UsageError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if decision == "confirm":
        return (reason or "").strip() or note or None
    if not reason or reason not in CLEAR_REASON_CODES:
        raise UsageError("clearing an item needs a reason from the list")
    if reason == "other" and not note:
        raise UsageError("clearing with reason 'other' needs a note")
    return f"{reason}: {note}" if note else reason


def as_utc(value: datetime | None) -> datetime | None:
    """Datetimes from SQLite come back naive; every stored time is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class ReviewItem:
    """One review item (a flagged inspection attempt) with its inspection's vehicle fields."""

    id: int
    inspection_pk: int
    inspection_id: str
    attempt: int
    station_id: str
    verdict: str
    priority: int
    reasons: tuple[str, ...]
    state: str
    claimed_by: str | None
    lease_until: datetime | None
    decision: str | None
    decision_reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    previous_item_pk: int | None
    version: int
    created_at: datetime
    updated_at: datetime
    result_pk: int | None = None
    plate: str = ""
    vin: str = ""
    prefix: str = ""

    def lease_valid(self, now: datetime) -> bool:
        """Whether a claim is current (not yet expired) at ``now``."""
        return self.state == "claimed" and self.lease_until is not None and self.lease_until > now

    def effective_state(self, now: datetime) -> str:
        """The state a reviewer sees: a claim whose lease ran out is open again."""
        if self.state == "claimed" and not self.lease_valid(now):
            return "open"
        return self.state

    def to_json(self) -> dict[str, Any]:
        """The API representation."""

        def iso(v: datetime | None) -> str | None:
            return v.isoformat() if v else None

        return {
            "id": self.id,
            "inspection_id": self.inspection_id,
            "attempt": self.attempt,
            "station_id": self.station_id,
            "plate": self.plate,
            "vin": self.vin,
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "state": self.state,
            "claimed_by": self.claimed_by,
            "lease_until": iso(self.lease_until),
            "decision": self.decision,
            "decision_reason": self.decision_reason,
            "decided_by": self.decided_by,
            "decided_at": iso(self.decided_at),
            "previous_item_id": self.previous_item_pk,
            "version": self.version,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }


@dataclass(frozen=True)
class QueueFilter:
    """What the queue page asks for; empty fields do not filter."""

    state: str = "open"  # open | claimed | decided | all
    station: str = ""
    reason: str = ""
    date_from: date | None = None  # office-local dates of the item's arrival, inclusive
    date_to: date | None = None
    q: str = ""  # plate, VIN or inspection id
    limit: int = 50
    after: str = ""  # keyset cursor from the previous page


@dataclass(frozen=True)
class Page:
    """A page of the queue plus totals by machine verdict."""

    items: tuple[ReviewItem, ...]
    next_cursor: str | None
    counts: dict[str, int] = field(default_factory=dict)
    mine: tuple[ReviewItem, ...] = ()  # the asking reviewer's current claims
