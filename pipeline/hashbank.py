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

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    and_,
    bindparam,
    insert,
    literal,
    or_,
    select,
    text,
    union_all,
)
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

    @property
    def key(self) -> PhotoKey:
        """Where the record is stored (what makes adding it idempotent)."""
        return PhotoKey(self.inspection_id, self.attempt, self.file, self.frame)

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


@dataclass(frozen=True)
class Probe:
    """One hash to look up: a photo's (or frame's) sha256 ("" for none, e.g. a mirrored
    copy, whose bytes were never received) and pHash, and the largest distance reported."""

    sha256: str
    phash: int
    max_distance: int = 3


@dataclass(frozen=True)
class PhotoKey:
    """Where a photo (or frame) of an inspection is stored in the bank."""

    inspection_id: str
    attempt: int
    file: str
    frame: int | None = None


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
        return self.lookup_many(
            [Probe(sha256, phash, max_distance)],
            exclude_inspection=exclude_inspection,
            limit=limit,
            added_before=added_before,
        )[0]

    def lookup_many(
        self,
        probes: Sequence[Probe],
        *,
        exclude_inspection: str,
        limit: int = 20,
        added_before: datetime | None = None,
        before_first_of: PhotoKey | None = None,
    ) -> list[list[Match]]:
        """:meth:`lookup` for several hashes at once, in one round trip when nothing is near
        (two otherwise): each probe's matches, as if looked up alone.

        ``before_first_of``: only photos stored before that photo first was, if it ever was
        (what :meth:`first_seen` returns, asked inside the same query).
        """
        if not probes:
            return []
        # Autocommit: a read needs no BEGIN/ROLLBACK round trips (on a busy machine each
        # round trip waits for the server process to be scheduled).
        reader = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        with translated("hash bank"), reader as conn:
            return _lookup(conn, probes, exclude_inspection, limit, added_before, before_first_of)

    def lookup_and_add(
        self,
        probes: Sequence[Probe],
        records: Iterable[HashRecord],
        *,
        exclude_inspection: str,
        limit: int = 20,
        before_first_of: PhotoKey | None = None,
    ) -> list[list[Match]]:
        """:meth:`lookup_many`, then :meth:`add` of ``records``, on one connection in one
        transaction (a photo check's two steps: one pool checkout, one liveness ping)."""
        now = datetime.now(UTC)
        fresh = _distinct(records)
        found: list[list[Match]] | None = None
        with translated("hash bank"):
            try:
                with self.engine.begin() as conn:
                    found = _lookup(conn, probes, exclude_inspection, limit, None, before_first_of)
                    _insert_new(conn, fresh, now)
                    return found
            except IntegrityError:
                pass
        # Another worker stored some of the records meanwhile: the lookups stand (reads), the
        # records are added one at a time.
        assert found is not None
        self._add_one_by_one(fresh, now)
        return found

    @staticmethod
    def probe_query(sha256: str, phash: int) -> Any:
        """The first-phase query of one lookup (see :meth:`probe_query_many`)."""
        return HashBank.probe_query_many([Probe(sha256, phash)])

    @staticmethod
    def probe_query_many(probes: Sequence[Probe]) -> Any:
        """The first-phase query: (pHash, probe index, 0) for every stored hash sharing a
        band with a probe, and (pHash, probe index, 1) for every row of a probe's sha256.

        It reads only the pHash of every row sharing a band: with (band_i, phash) indexes
        that is an index-only scan, no heap page per candidate (at 10M uniform hashes ~600
        candidates per lookup, nearly all far away). The sha256 probe rides along, so a
        photo without any match costs one round trip; an exact copy is found even if its
        stored pHash were computed otherwise.
        """
        return _probe_statement(_probe_shape(probes)).params(_probe_params(probes))

    def add(self, records: Iterable[HashRecord]) -> int:
        """Store records, skipping any already stored (same inspection, attempt, file, frame)."""
        now = datetime.now(UTC)
        fresh = _distinct(records)
        if not fresh:
            return 0
        with translated("hash bank"):
            try:
                with self.engine.begin() as conn:
                    return _insert_new(conn, fresh, now)
            except IntegrityError:
                pass
        return self._add_one_by_one(fresh, now)

    def _add_one_by_one(self, fresh: dict[PhotoKey, HashRecord], now: datetime) -> int:
        """After a unique-key conflict (a redelivery racing its original): each record under
        its own savepoint, skipping those stored meanwhile."""
        added = 0
        with translated("hash bank"), self.engine.begin() as conn:
            for key, rec in fresh.items():
                if conn.execute(_exists(key)).first() is not None:
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
        query = _exists(PhotoKey(inspection_id, attempt, file, frame)).with_only_columns(
            photo_hashes.c.created_at
        )
        with translated("hash bank"), self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else row[0]

    def count(self) -> int:
        """Number of stored hashes (for benchmarks and status)."""
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM photo_hashes")).scalar_one())


def _lookup(
    conn: Connection,
    probes: Sequence[Probe],
    exclude_inspection: str,
    limit: int,
    added_before: datetime | None,
    before_first_of: PhotoKey | None,
) -> list[list[Match]]:
    """The two-phase lookup of :meth:`HashBank.lookup_many` on an open connection."""
    if not probes:
        return []
    t = photo_hashes.c
    near: list[set[int]] = [set() for _ in probes]
    exact = [False] * len(probes)
    # The statement is built once per shape; only its parameters change.
    statement = _probe_statement(_probe_shape(probes))
    for stored, which, is_exact in conn.execute(statement, _probe_params(probes)):
        p = probes[which]
        if is_exact:
            exact[which] = True
        elif hamming(to_unsigned(stored), p.phash) <= p.max_distance:
            near[which].add(stored)
    wanted = [i for i, p in enumerate(probes) if near[i] or exact[i]]
    if not wanted:
        return [[] for _ in probes]
    # Phase 2 fetches full rows only for the near hashes and the exact sha256s.
    conds: list[Any] = []
    for i in wanted:
        p, b = probes[i], bands(probes[i].phash)
        if p.sha256:
            conds.append(t.sha256 == p.sha256)
        if near[i]:
            values = sorted(near[i])
            conds += [and_(col == b[k], t.phash.in_(values)) for k, col in _BANDS]
    query = select(*_COLS).where(or_(*conds), t.inspection_id != exclude_inspection)
    if added_before is not None:
        query = query.where(t.created_at < added_before)
    if before_first_of is not None:
        first = _exists(before_first_of)
        seen = first.with_only_columns(photo_hashes.c.created_at).scalar_subquery()
        query = query.where(or_(~first.exists(), t.created_at < seen))
    rows = conn.execute(query).all()
    out: list[list[Match]] = []
    for i, p in enumerate(probes):
        mine = [r for r in rows if (p.sha256 and r.sha256 == p.sha256) or r.phash in near[i]]
        out.append(_rank(mine, p.sha256, p.phash, p.max_distance, limit))
    return out


def _distinct(records: Iterable[HashRecord]) -> dict[PhotoKey, HashRecord]:
    """The records by key, the first of any repeated one."""
    fresh: dict[PhotoKey, HashRecord] = {}
    for rec in records:
        fresh.setdefault(rec.key, rec)
    return fresh


def _insert_new(conn: Connection, fresh: dict[PhotoKey, HashRecord], now: datetime) -> int:
    """Insert the records not stored yet, in one statement; their number.

    The unique constraint cannot catch photos (frame is NULL, and NULLs are distinct in
    SQL), so look first: one query for the stored keys of each file concerned (the checks
    add one file at a time)."""
    stored: set[PhotoKey] = set()
    for inspection_id, attempt, file in sorted(
        {(k.inspection_id, k.attempt, k.file) for k in fresh}
    ):
        params = {"i": inspection_id, "a": attempt, "f": file}
        stored.update(PhotoKey(*row) for row in conn.execute(_stored_keys(), params))
    new = [rec for key, rec in fresh.items() if key not in stored]
    if new:
        conn.execute(insert(photo_hashes), [rec.row(now) for rec in new])
    return len(new)


_BANDS = tuple(
    enumerate(
        (photo_hashes.c.band0, photo_hashes.c.band1, photo_hashes.c.band2, photo_hashes.c.band3)
    )
)


def _probe_shape(probes: Sequence[Probe]) -> tuple[bool, ...]:
    """Which probes carry a sha256: with their number, the probe statement's shape."""
    return tuple(bool(p.sha256) for p in probes)


@functools.lru_cache(maxsize=128)
def _probe_statement(shape: tuple[bool, ...]) -> Any:
    """The probe query for probes of this shape, with bound parameters (``_probe_params``)."""
    t = photo_hashes.c
    parts: list[Any] = []
    for i, with_sha in enumerate(shape):
        parts += [
            select(t.phash, literal(i), literal(0)).where(col == bindparam(f"b{i}_{k}"))
            for k, col in _BANDS
        ]
        if with_sha:
            parts.append(
                select(t.phash, literal(i), literal(1)).where(t.sha256 == bindparam(f"s{i}"))
            )
    return union_all(*parts)


def _probe_params(probes: Sequence[Probe]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for i, p in enumerate(probes):
        values.update({f"b{i}_{k}": band for k, band in enumerate(bands(p.phash))})
        if p.sha256:
            values[f"s{i}"] = p.sha256
    return values


@functools.lru_cache(maxsize=1)
def _stored_keys() -> Select[Any]:
    """(inspection_id, attempt, file, frame) of the stored rows of one file, with bound
    parameters ``i``, ``a``, ``f`` (built once)."""
    t = photo_hashes.c
    return select(t.inspection_id, t.attempt, t.file, t.frame).where(
        t.inspection_id == bindparam("i"), t.attempt == bindparam("a"), t.file == bindparam("f")
    )


def _exists(rec: PhotoKey) -> Select[Any]:
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
