"""What the item page shows: each flagged finding with its photo and the images beside it.

Images come from the finding and its detail, as the checks write them:

- the evidence file itself: ``<inspection prefix><finding.file>`` (folders of frames have none);
- ``detail["artifacts"] = {"overlay": key, "heatmap": key, "contact_sheet": key, ...}``;
- ``detail["reference_key"]``: the reference rubbing the candidate was compared with;
- ``detail["matches"]`` (or ``"match"``): earlier uses of a reused photo, each with ``key`` or
  ``inspection_id`` + ``attempt`` + ``file``.

Only keys collected here may be served by the console's image route.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pipeline.db.schema import findings, inspections
from pipeline.review.models import ReviewItem
from pipeline.review.queue import get_item, history

_IMAGE_DETAIL = ("artifacts", "reference_key", "matches", "match")


@dataclass(frozen=True)
class ImageRef:
    """One image to show: a caption and its object key (and a linked inspection, if any)."""

    caption: str
    key: str
    inspection_id: str | None = None


@dataclass(frozen=True)
class FindingView:
    """A non-passing finding with its images and the rest of its detail."""

    file: str | None
    code: str | None
    check: str
    outcome: str
    reason: str | None
    detail: Mapping[str, Any]
    images: tuple[ImageRef, ...]


@dataclass(frozen=True)
class ItemDetail:
    """Everything the item page and ``GET /api/items/{id}`` show."""

    item: ReviewItem
    findings: tuple[FindingView, ...]
    attempts: tuple[ReviewItem, ...]
    keys: frozenset[str] = field(default_factory=frozenset)
    audit: tuple[dict[str, Any], ...] = ()


def _earlier_uses(conn: Connection, value: Any) -> list[ImageRef]:
    entries = value if isinstance(value, list) else [value]
    out: list[ImageRef] = []
    for m in entries[:10]:
        if not isinstance(m, Mapping):
            continue
        iid = str(m.get("inspection_id") or "") or None
        key = m.get("key")
        if not key and iid and m.get("file"):
            prefix = conn.execute(
                sa.select(inspections.c.prefix).where(
                    inspections.c.inspection_id == iid,
                    inspections.c.attempt == int(m.get("attempt") or 1),
                )
            ).scalar_one_or_none()
            key = f"{prefix}{m['file']}" if prefix else None
        if isinstance(key, str) and key:
            out.append(ImageRef(f"earlier use: {iid or key}", key, iid))
    return out


def _images(conn: Connection, item: ReviewItem, file: str | None, detail: Any) -> list[ImageRef]:
    refs: list[ImageRef] = []
    if file and not file.endswith("/") and item.prefix:
        refs.append(ImageRef(file, item.prefix + file))
    if not isinstance(detail, Mapping):
        return refs
    artifacts = detail.get("artifacts")
    if isinstance(artifacts, Mapping):
        refs.extend(ImageRef(str(n), k) for n, k in artifacts.items() if isinstance(k, str))
    ref = detail.get("reference_key")
    if isinstance(ref, str) and ref:
        refs.append(ImageRef("reference rubbing", ref))
    for name in ("matches", "match"):
        if name in detail:
            refs.extend(_earlier_uses(conn, detail[name]))
    return refs


def item_detail(conn: Connection, item_id: int) -> ItemDetail:
    """The item, its flagged findings with images, and every attempt of its inspection."""
    item = get_item(conn, item_id)
    views: list[FindingView] = []
    if item.result_pk is not None:
        rows = conn.execute(
            sa.select(findings)
            .where(findings.c.result_pk == item.result_pk, findings.c.outcome != "pass")
            .order_by(findings.c.id)
        ).mappings()
        for r in rows:
            detail = r["detail"] if isinstance(r["detail"], Mapping) else {}
            views.append(
                FindingView(
                    file=r["file"],
                    code=r["code"],
                    check=r["check"],
                    outcome=r["outcome"],
                    reason=r["reason"],
                    detail={k: v for k, v in detail.items() if k not in _IMAGE_DETAIL},
                    images=tuple(_images(conn, item, r["file"], detail)),
                )
            )
    keys = frozenset(img.key for v in views for img in v.images)
    return ItemDetail(item, tuple(views), history(conn, item.inspection_id), keys)
