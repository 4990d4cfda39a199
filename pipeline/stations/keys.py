"""Station upload keys: create, rotate, revoke, list, and authenticate a presented key.

A key looks like ``ipk_<key id>_<secret>``. The key id (12 hex digits) is stored in clear to
find the station's row; the secret is 256 random bits, stored only as an scrypt hash with its
own salt and compared in constant time. Each station has at most one live key: rotating
replaces it (the old one stops working at once), revoking refuses it until the next rotation.
Every change is appended to the audit trail. Keys are printed once, by the CLI, and never
logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from pipeline.db import audit
from pipeline.db.schema import stations
from pipeline.errors import Conflict, ObjectNotFound, UsageError
from pipeline.paths import safe_id

if TYPE_CHECKING:
    from pipeline.db import Database

KEY_PREFIX = "ipk"
_KEY = re.compile(r"^ipk_([0-9a-f]{12})_([A-Za-z0-9_\-]{43})$")
# scrypt cost: ~16 MiB and a few tens of ms; the secret is random, so this is defence in depth
# against a stolen table, and verified keys are cached (see KeyCache) so requests stay cheap.
_N, _R, _P = 2**14, 8, 1


@dataclass(frozen=True)
class Station:
    """A station as the API needs it (never the key or its hash)."""

    station_id: str
    name: str
    key_id: str | None
    revoked: bool
    created_at: datetime
    rotated_at: datetime | None


def new_key() -> tuple[str, str]:
    """A fresh ``(key_id, full key)``."""
    key_id = secrets.token_hex(6)
    return key_id, f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"


def split_key(key: str) -> str | None:
    """The key id of a well-formed key, else None."""
    m = _KEY.match(key.strip())
    return m.group(1) if m else None


def hash_key(key: str) -> str:
    """``scrypt$N$r$p$salt$hash`` of a key."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(key.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "$".join(["scrypt", str(_N), str(_R), str(_P), _b64(salt), _b64(digest)])


def verify_key(key: str, stored: str) -> bool:
    """Whether ``key`` matches a stored hash (constant-time; False for a malformed hash)."""
    try:
        algo, n, r, p, salt, digest = stored.split("$")
        if algo != "scrypt":
            return False
        want = base64.urlsafe_b64decode(digest + "==")
        got = hashlib.scrypt(
            key.encode(),
            salt=base64.urlsafe_b64decode(salt + "=="),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(want),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _station(row: sa.RowMapping) -> Station:
    return Station(
        row["station_id"],
        row["name"],
        row["key_id"],
        bool(row["revoked"]),
        row["created_at"],
        row["rotated_at"],
    )


def get_station(db: Database, station_id: str) -> Station | None:
    """The station, or None."""
    with db.read() as conn:
        row = conn.execute(
            sa.select(stations).where(stations.c.station_id == station_id)
        ).mappings()
        first = row.first()
    return None if first is None else _station(first)


def list_stations(db: Database) -> list[Station]:
    """Every station, by id."""
    with db.read() as conn:
        rows = conn.execute(sa.select(stations).order_by(stations.c.station_id)).mappings().all()
    return [_station(r) for r in rows]


def add_station(db: Database, station_id: str, *, name: str = "", actor: str, now: datetime) -> str:
    """Register a station and return its first key (shown once)."""
    safe_id(station_id, what="station id")
    if len(name) > 128:
        raise UsageError("the station name is longer than 128 characters")
    key_id, key = new_key()
    with db.begin() as conn:
        exists = conn.execute(
            sa.select(stations.c.station_id).where(stations.c.station_id == station_id)
        ).first()
        if exists is not None:
            raise Conflict(f"station {station_id} already exists (rotate its key instead)")
        conn.execute(
            stations.insert().values(
                station_id=station_id,
                name=name,
                key_id=key_id,
                key_hash=hash_key(key),
                revoked=False,
                created_at=now,
            )
        )
        _audit(conn, actor, "station.added", station_id, None, "active", key_id, now)
    return key


def rotate_key(db: Database, station_id: str, *, actor: str, now: datetime) -> str:
    """Replace the station's key (also re-enables a revoked station); the new key, shown once."""
    key_id, key = new_key()
    with db.begin() as conn:
        before = _state(conn, station_id)
        conn.execute(
            stations.update()
            .where(stations.c.station_id == station_id)
            .values(key_id=key_id, key_hash=hash_key(key), revoked=False, rotated_at=now)
        )
        _audit(conn, actor, "station.key_rotated", station_id, before, "active", key_id, now)
    return key


def revoke_key(db: Database, station_id: str, *, actor: str, now: datetime) -> None:
    """Refuse the station's key from now on (until a rotation issues a new one)."""
    with db.begin() as conn:
        before = _state(conn, station_id)
        conn.execute(
            stations.update()
            .where(stations.c.station_id == station_id)
            .values(revoked=True, key_hash=None, rotated_at=now)
        )
        _audit(conn, actor, "station.key_revoked", station_id, before, "revoked", None, now)


def _state(conn: sa.Connection, station_id: str) -> str:
    row = conn.execute(
        sa.select(stations.c.revoked).where(stations.c.station_id == station_id)
    ).first()
    if row is None:
        raise ObjectNotFound(f"no station {station_id!r} (add it first)", key=station_id)
    return "revoked" if row[0] else "active"


def _audit(
    conn: sa.Connection,
    actor: str,
    action: str,
    station_id: str,
    before: str | None,
    after: str,
    key_id: str | None,
    now: datetime,
) -> None:
    detail = {"key_id": key_id} if key_id else {}
    audit.append(
        conn,
        actor=actor,
        action=action,
        entity="station",
        entity_id=station_id,
        from_state=before,
        to_state=after,
        detail=detail,
        at=now,
    )


class KeyCache:
    """Authenticate presented keys against the table, remembering recent scrypt results.

    The station row is read on every request, so a revocation or rotation takes effect at once;
    only the expensive hash is skipped when the same key was verified against the same stored
    hash before. The cache holds SHA-256 digests of keys, never keys.
    """

    def __init__(self, db: Database, max_entries: int = 1024) -> None:
        self.db = db
        self.max_entries = max_entries
        self._ok: dict[bytes, str] = {}
        self._lock = threading.Lock()

    def authenticate(self, key: str) -> Station | None:
        """The station a live key belongs to, or None (unknown, malformed, revoked, replaced)."""
        key_id = split_key(key)
        if key_id is None:
            return None
        with self.db.read() as conn:
            row = (
                conn.execute(sa.select(stations).where(stations.c.key_id == key_id))
                .mappings()
                .first()
            )
        if row is None or row["revoked"] or not row["key_hash"]:
            return None
        stored: str = row["key_hash"]
        fingerprint = hashlib.sha256(key.encode()).digest()
        with self._lock:
            known = self._ok.get(fingerprint)
        if known is None or not hmac.compare_digest(known, stored):
            if not verify_key(key, stored):
                return None
            with self._lock:
                if len(self._ok) >= self.max_entries:
                    self._ok.clear()
                self._ok[fingerprint] = stored
        return _station(row)
