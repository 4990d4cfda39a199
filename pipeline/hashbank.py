"""The photo-hash bank: sha256 and 64-bit pHash of every photo (and sampled frame) received.

Stored in ``photo_hashes`` of the central database (SQLite or PostgreSQL) so every worker
sees every photo. A lookup is a multi-index search: the pHash is split into four 16-bit bands,
each indexed; any stored hash within Hamming distance 3 equals the query on at least one band,
so four indexed equality probes (plus one on sha256) return every candidate, and the exact
distance is computed on the few rows returned. Candidates further than 3 bits may also come
back (they share a band by chance); they are reported with their distance, never guaranteed.

When photos are added (the ``photo_reuse`` check does it, after its lookup): each photo of an
inspection is looked up first, then added under its (inspection_id, attempt, file, frame).
Adding is idempotent (a redelivered message re-adds nothing), and lookups exclude the
inspection being checked, so a reprocess never matches itself and ``inspectpipe verify A B``
flags B's photos that reuse A's. A reprocess of A after B compares only with photos stored
before A's own (``added_before``): the first inspection to send a photo owns it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Select, and_, insert, literal, or_, select, text, union_all
from sqlalchemy.exc import IntegrityError

from pipeline.db.engine import translated
from pipeline.db.schema import photo_hashes
from pipeline.photo.phash import bands, hamming, to_signed, to_unsigned


@dataclass(frozen=True)
class Match:
    """A stored photo that equals (sha256) or resembles (pHash) the one looked up."""

    inspection_id: str
    attempt: int
    station_id: str
    file: str
    code: str
    frame: int | None
    distance: int
    exact: bool  # same sha256: byte-identical file

    def to_json(self) -> dict[str, Any]:
        """JSON form for finding details."""
        return {
            "inspection_id": self.inspection_id,
            "attempt": self.attempt,
            "station_id": self.station_id,
            "file": self.file,
            "code": self.code,
            "frame": self.frame,
            "distance": self.distance,
            "exact": self.exact,
        }


@dataclass(frozen=True)
class HashRecord:
    """One photo (or frame) to store."""

    sha256: str
    phash: int  # unsigned 64-bit
    inspection_id: str
    attempt: int
    station_id: str
    vin: str
    file: str
    code: str
    frame: int | None = None

    def row(self, now: datetime) -> dict[str, Any]:
        """The database row."""
        b0, b1, b2, b3 = bands(self.phash)
        return {
            "sha256": self.sha256,
            "phash": to_signed(self.phash),
            "band0": b0,
            "band1": b1,
            "band2": b2,
            "band3": b3,
            "inspection_id": self.inspection_id,
            "attempt": self.attempt,
            "station_id": self.station_id,
            "vin": self.vin,
            "file": self.file,
            "code": self.code,
            "frame": self.frame,
            "created_at": now,
        }


_COLS = (
    photo_hashes.c.sha256,
    photo_hashes.c.phash,
    photo_hashes.c.inspection_id,
    photo_hashes.c.attempt,
    photo_hashes.c.station_id,
    photo_hashes.c.file,
    photo_hashes.c.code,
    photo_hashes.c.frame,
)


class HashBank:
    """Look up and add photo hashes in the ``photo_hashes`` table of a SQLAlchemy engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def lookup(
        self,
        sha256: str,
        phash: int,
        *,
        exclude_inspection: str,
        max_distance: int = 3,
        limit: int = 20,
        added_before: datetime | None = None,
    ) -> list[Match]:
        """Stored photos of other inspections with the same sha256 or pHash within distance.

        ``added_before``: only photos stored before then (a reprocess of an inspection must
        not flag its originals because a later inspection copied them).
        """
        b = bands(phash)
        t = photo_hashes.c
        band_cols = (t.band0, t.band1, t.band2, t.band3)
        # Phase 1 reads only the pHash of every row sharing a band: with (band_i, phash)
        # indexes that is an index-only scan, no heap page per candidate (at 10M uniform
        # hashes ~600 candidates per lookup, nearly all far away).
        probe = self.probe_query(sha256, phash)
        # Autocommit: a read needs no BEGIN/ROLLBACK round trips (on a busy machine each
        # round trip waits for the server process to be scheduled).
        reader = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        with translated("hash bank"), reader as conn:
            near: set[int] = set()
            has_exact = False
            for stored, is_exact in conn.execute(probe):
                has_exact = has_exact or bool(is_exact)
                if hamming(to_unsigned(stored), phash) <= max_distance:
                    near.add(stored)
            if not near and not has_exact:
                return []
            # Phase 2 fetches full rows only for the near hashes and the exact sha256.
            cond = or_(
                t.sha256 == sha256,
                *(
                    and_(col == b[i], t.phash.in_(sorted(near)))
                    for i, col in enumerate(band_cols)
                    if near
                ),
            )
            query = select(*_COLS).where(cond, t.inspection_id != exclude_inspection)
            if added_before is not None:
                query = query.where(t.created_at < added_before)
            rows = conn.execute(query).all()
        return _rank(rows, sha256, phash, max_distance, limit)

    @staticmethod
    def probe_query(sha256: str, phash: int) -> Any:
        """The first-phase query: pHashes sharing a band (flag 0) and of the same sha256 (1)."""
        b = bands(phash)
        t = photo_hashes.c
        band_cols = (t.band0, t.band1, t.band2, t.band3)
        # The sha256 probe rides along, so a photo without any match costs one round trip;
        # an exact copy is found even if its stored pHash were computed otherwise.
        return union_all(
            *(select(t.phash, literal(0)).where(col == b[i]) for i, col in enumerate(band_cols)),
            select(t.phash, literal(1)).where(t.sha256 == sha256),
        )

    def add(self, records: Iterable[HashRecord]) -> int:
        """Store records, skipping any already stored (same inspection, attempt, file, frame)."""
        now = datetime.now(UTC)
        added = 0
        with translated("hash bank"), self.engine.begin() as conn:
            for rec in records:
                # The unique constraint cannot catch photos (frame is NULL, and NULLs are
                # distinct in SQL), so look first; the savepoint covers frames and races.
                if conn.execute(_exists(rec)).first() is not None:
                    continue
                nested = conn.begin_nested()
                try:
                    conn.execute(insert(photo_hashes).values(**rec.row(now)))
                    nested.commit()
                    added += 1
                except IntegrityError:
                    nested.rollback()
        return added

    def first_seen(
        self, inspection_id: str, attempt: int, file: str, frame: int | None = None
    ) -> datetime | None:
        """When a photo of an inspection was first stored, or None if it never was."""
        rec = HashRecord("", 0, inspection_id, attempt, "", "", file, "", frame)
        query = _exists(rec).with_only_columns(photo_hashes.c.created_at)
        with translated("hash bank"), self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else row[0]

    def count(self) -> int:
        """Number of stored hashes (for benchmarks and status)."""
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM photo_hashes")).scalar_one())


def _exists(rec: HashRecord) -> Select[Any]:
    t = photo_hashes.c
    frame = t.frame.is_(None) if rec.frame is None else t.frame == rec.frame
    return (
        select(t.id)
        .where(t.inspection_id == rec.inspection_id, t.attempt == rec.attempt)
        .where(t.file == rec.file, frame)
        .limit(1)
    )


def _rank(
    rows: Sequence[Any], sha256: str, phash: int, max_distance: int, limit: int
) -> list[Match]:
    best: dict[tuple[str, int, str, int | None], Match] = {}
    for row in rows:
        exact = row.sha256 == sha256
        dist = 0 if exact else hamming(to_unsigned(row.phash), phash)
        if dist > max_distance:
            continue
        m = Match(
            row.inspection_id, row.attempt, row.station_id, row.file, row.code, row.frame,
            dist, exact,
        )  # fmt: skip
        key = (m.inspection_id, m.attempt, m.file, m.frame)
        if key not in best or (m.distance, not m.exact) < (best[key].distance, not best[key].exact):
            best[key] = m
    return sorted(best.values(), key=lambda m: (m.distance, not m.exact, m.inspection_id))[:limit]
