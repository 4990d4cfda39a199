"""Enrolling an approved rubbing as the VIN's reference when a reviewer clears the item.

A ``J`` photo flagged ``rubbing_no_reference`` means the office had no reference rubbing for
the VIN; a reviewer clearing that item approves the rubbing, so it becomes the reference for
the next inspection. The VIN team's :func:`pipeline.vin.references.enroll` does the archiving.

Enrolment runs after the decision commits: a failure (say the VIN team's reader finds no
17-glyph band) never undoes the reviewer's decision; it is audited as
``review_item.enroll_failed`` with the error, and with no enroll function at all as
``review_item.enroll_pending``, so no approved rubbing is lost.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from pipeline.db import audit
from pipeline.db.schema import findings
from pipeline.review.models import ReviewItem

if TYPE_CHECKING:
    from pipeline.db import Database

log = logging.getLogger(__name__)

NO_REFERENCE = "rubbing_no_reference"
# hook(vin=, key=, source=, enrolled_by=, at=) -> anything; raises on failure.
EnrollHook = Callable[..., Any]


def rubbing_keys(db: Database, item: ReviewItem) -> list[str]:
    """Object keys of the item's rubbings flagged ``rubbing_no_reference``."""
    if item.result_pk is None or NO_REFERENCE not in item.reasons:
        return []
    with db.read() as conn:
        files = conn.execute(
            sa.select(findings.c.file).where(
                findings.c.result_pk == item.result_pk, findings.c.reason == NO_REFERENCE
            )
        ).scalars()
        return sorted({item.prefix + f for f in files if f and not f.endswith("/")})


def reference_hook(services: Any) -> EnrollHook | None:
    """Adapt the VIN team's :func:`pipeline.vin.references.enroll` to this module's hook.

    The rubbing's bytes are read from the object store and enrolled into
    ``services.references`` (resolved on first use); None when the VIN package is absent.
    """
    try:
        references = importlib.import_module("pipeline.vin.references")
    except ImportError:
        return None

    def hook(*, vin: str, key: str, source: str, enrolled_by: str, at: datetime) -> None:
        image = services.store.get(key)
        references.enroll(services.references, vin, image, source=source, enrolled_by=enrolled_by)

    return hook


def enroll_after_clear(
    db: Database, item: ReviewItem, user: str, now: datetime, hook: EnrollHook | None
) -> list[str]:
    """Enroll each approved rubbing of a cleared item; the keys enrolled (or left pending)."""
    keys = rubbing_keys(db, item)
    for key in keys:
        action, detail = "review_item.enrolled", {"vin": item.vin, "key": key}
        if hook is None:
            action = "review_item.enroll_pending"
            log.warning(
                "inspection %s: no reference enroll function; rubbing %s left pending",
                item.inspection_id,
                key,
            )
        else:
            try:
                hook(
                    vin=item.vin,
                    key=key,
                    source=f"inspection:{item.inspection_id}",
                    enrolled_by=user,
                    at=now,
                )
            except Exception as exc:  # the decision stands; the failure is audited for a retry
                action, detail = "review_item.enroll_failed", {**detail, "error": str(exc)}
                log.exception("inspection %s: enrolling rubbing failed", item.inspection_id)
        audit.append(
            db,
            actor=user,
            action=action,
            entity="review_item",
            entity_id=item.id,
            from_state="decided",
            to_state="decided",
            detail=detail,
            at=now,
        )
    return keys
