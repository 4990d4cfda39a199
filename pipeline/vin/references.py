"""Reference rubbings per VIN: image bytes in the object store, a row in ``reference_rubbings``.

The newest active row of a VIN is its reference. Enrolling a new rubbing (at registration,
by batch import, or when a reviewer approves an inspection's rubbing) deactivates the older
ones but keeps them for the audit trail. Enrolling the same image twice is a no-op.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, and_, insert, select, update

from pipeline.db import schema
from pipeline.errors import EvidenceError, ObjectNotFound, PipelineError, UsageError
from pipeline.ocr import OcrEngine
from pipeline.storage.base import ObjectStore
from pipeline.vin import rules
from pipeline.vin.band import ALGORITHM, Band, rectify
from pipeline.vin.reading import read_band
from pipeline.vin.rubbing import decode

log = logging.getLogger(__name__)

PREFIX = "references"


class Transactional(Protocol):
    """Anything with ``begin()`` yielding a SQLAlchemy connection (Engine or Database)."""

    def begin(self) -> AbstractContextManager[Connection]:
        """A read-write transaction."""


@dataclass(frozen=True)
class Reference:
    """One enrolled reference rubbing."""

    id: int
    vin: str
    key: str
    sha256: str
    source: str
    enrolled_by: str
    enrolled_at: datetime
    active: bool


def _row(r: object) -> Reference:
    m = r._mapping  # type: ignore[attr-defined]
    return Reference(
        int(m["id"]), m["vin"], m["key"], m["sha256"], m["source"], m["enrolled_by"],
        m["enrolled_at"], bool(m["active"]),
    )  # fmt: skip


class ReferenceStore:
    """Enrol and fetch reference rubbings."""

    def __init__(self, store: ObjectStore, db: Transactional) -> None:
        self.store = store
        self.db = db

    def latest(self, vin: str) -> Reference | None:
        """The VIN's current reference, or None."""
        t = schema.reference_rubbings
        q = (
            select(t)
            .where(and_(t.c.vin == vin, t.c.active.is_(True)))
            .order_by(t.c.enrolled_at.desc(), t.c.id.desc())
            .limit(1)
        )
        with self.db.begin() as conn:
            row = conn.execute(q).first()
        return _row(row) if row is not None else None

    def history(self, vin: str) -> list[Reference]:
        """Every reference ever enrolled for a VIN, newest first."""
        t = schema.reference_rubbings
        q = select(t).where(t.c.vin == vin).order_by(t.c.enrolled_at.desc(), t.c.id.desc())
        with self.db.begin() as conn:
            return [_row(r) for r in conn.execute(q)]

    def image(self, ref: Reference) -> bytes:
        """The reference's image bytes."""
        return self.store.get(ref.key)

    def band_key(self, ref: Reference) -> str:
        """Where the reference's rectified band is kept (per band algorithm)."""
        return f"{PREFIX}/{ref.vin}/{ref.sha256}.band-{ALGORITHM}.npz"

    def band(self, ref: Reference) -> Band | None:
        """The reference's rectified VIN band, prepared at enrolment so a comparison does not
        rectify the same reference again; made (and kept) now when missing or when the band
        algorithm changed since. None when the image shows no band."""
        try:
            saved = Band.from_bytes(self.store.get(self.band_key(ref)))
        except ObjectNotFound:
            saved = None
        if saved is not None:
            return saved
        pixels = decode(self.image(ref))
        band = rectify(pixels) if pixels is not None else None
        if band is not None:
            self.keep_band(ref, band)
        return band

    def keep_band(self, ref: Reference, band: Band) -> None:
        """Keep the reference's band (with its OCR reads) for the next comparison."""
        try:
            self.store.put(self.band_key(ref), band.to_bytes(), content_type="application/x-npz")
        except PipelineError as exc:  # a cache: the comparison goes on without it
            log.warning("reference %s: band not kept: %s", ref.key, exc)

    def enroll(
        self,
        vin: str,
        image: bytes,
        *,
        source: str,
        enrolled_by: str,
        now: datetime | None = None,
        require_readable: bool = True,
        reader: OcrEngine | None = None,
    ) -> Reference:
        """Store ``image`` as the VIN's reference; older ones become inactive.

        With a ``reader`` (OCR), the band's read is made now and kept with the band, so a
        comparison does not read the reference again (without one, the first comparison
        reads it and keeps it).

        Raises :class:`UsageError` for a malformed VIN and :class:`EvidenceError` when the
        image does not decode or (with ``require_readable``) shows no 17-glyph VIN band.
        """
        vin = vin.strip().upper()
        if not rules.is_wellformed(vin):
            raise UsageError(f"not a VIN: {vin!r} (17 characters of 0-9 A-Z without I, O, Q)")
        pixels = decode(image)
        if pixels is None:
            raise EvidenceError(f"reference for {vin} is not a readable image", key=vin)
        band = rectify(pixels)
        if require_readable and (band is None or not band.complete):
            raise EvidenceError(
                f"reference for {vin}: no 17-glyph VIN band found",
                reason="rubbing_unreadable",
                key=vin,
            )
        if reader is not None and band is not None and band.boxes:
            read_band(band, reader)  # before anything is stored: an OCR failure stores nothing
        digest = hashlib.sha256(image).hexdigest()
        current = self.latest(vin)
        if current is not None and current.sha256 == digest:
            return current
        key = f"{PREFIX}/{vin}/{digest}.jpg"
        self.store.put(
            key, image, content_type="image/jpeg", metadata={"vin": vin, "source": source}
        )
        t = schema.reference_rubbings
        when = now or datetime.now(UTC)
        with self.db.begin() as conn:
            conn.execute(
                update(t).where(and_(t.c.vin == vin, t.c.active.is_(True))).values(active=False)
            )
            new_id = conn.execute(
                insert(t).values(
                    vin=vin,
                    key=key,
                    sha256=digest,
                    source=source,
                    enrolled_by=enrolled_by,
                    enrolled_at=when,
                    active=True,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        ref = Reference(int(new_id), vin, key, digest, source, enrolled_by, when, True)
        if band is not None:
            self.keep_band(ref, band)
        return ref


def enroll(
    references: ReferenceStore, vin: str, image: bytes, *, source: str, enrolled_by: str
) -> Reference:
    """Enrol a rubbing as a VIN's reference (e.g. when a reviewer approves an inspection).

    ``source`` is ``registration``, ``import`` or ``inspection:<id>``.
    """
    return references.enroll(vin, image, source=source, enrolled_by=enrolled_by)


def folder_items(folder: Path) -> Iterator[tuple[str, Path]]:
    """(VIN, path) for every ``<VIN>.jpg``/``.jpeg``/``.png`` in a folder, in name order."""
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in (".jpg", ".jpeg", ".png") and path.is_file():
            yield path.stem.upper(), path
