"""Station keys: hashed at rest, constant-time checked, rotated, revoked, audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.config import settings_from_dict
from pipeline.db import Database, audit, open_database
from pipeline.db.schema import stations
from pipeline.errors import Conflict, ObjectNotFound, UnsafePathError
from pipeline.stations.keys import (
    KEY_PREFIX,
    KeyCache,
    add_station,
    hash_key,
    list_stations,
    revoke_key,
    rotate_key,
    split_key,
    verify_key,
)

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    """A fresh SQLite database at the head revision."""
    database = open_database(settings_from_dict({"home": str(tmp_path)}))
    yield database
    database.close()


def test_keys_are_stored_only_as_salted_scrypt_hashes(db: Database) -> None:
    key = add_station(db, "3706000123", name="济南一站", actor="t", now=NOW)
    key_id = split_key(key)
    assert key_id is not None and len(key) > 50
    with db.read() as conn:
        row = conn.execute(sa.select(stations)).mappings().one()
    assert row["key_id"] == key_id and row["key_hash"].startswith("scrypt$")
    # The secret is what follows the prefix and key id; token_urlsafe may itself hold "_",
    # so it is not the last "_"-separated piece (that was once the single letter "g").
    secret = key.removeprefix(f"{KEY_PREFIX}_{key_id}_")
    assert len(secret) >= 40 and secret not in row["key_hash"]
    assert hash_key(key) != hash_key(key)  # salted
    assert verify_key(key, row["key_hash"]) and not verify_key(key + "x", row["key_hash"])
    assert not verify_key(key, "garbage") and not verify_key(key, "argon2$x$y$z$a$b")


def test_rotate_revoke_list_and_audit(db: Database) -> None:
    cache = KeyCache(db)
    first = add_station(db, "3706000123", actor="t", now=NOW)
    assert (st := cache.authenticate(first)) is not None and st.station_id == "3706000123"
    assert cache.authenticate(first) is not None  # cached: same answer without scrypt
    with pytest.raises(Conflict):
        add_station(db, "3706000123", actor="t", now=NOW)
    with pytest.raises(UnsafePathError):
        add_station(db, "../x", actor="t", now=NOW)

    second = rotate_key(db, "3706000123", actor="t", now=NOW)
    assert cache.authenticate(first) is None  # the cache never outlives a rotation
    assert cache.authenticate(second) is not None

    revoke_key(db, "3706000123", actor="t", now=NOW)
    assert cache.authenticate(second) is None
    assert list_stations(db)[0].revoked
    third = rotate_key(db, "3706000123", actor="t", now=NOW)
    assert cache.authenticate(third) is not None and not list_stations(db)[0].revoked

    with pytest.raises(ObjectNotFound):
        revoke_key(db, "9999", actor="t", now=NOW)
    actions = [e.action for e in audit.entries(db, "station", "3706000123")]
    assert actions == [
        "station.added",
        "station.key_rotated",
        "station.key_revoked",
        "station.key_rotated",
    ]
    for entry in audit.entries(db, "station"):
        assert all(k not in str(entry.detail) for k in (first, second, third))
