"""The central database schema (SQLAlchemy Core), shared by SQLite and PostgreSQL.

Machine findings (results, findings) are stored apart from human decisions (review items,
audit log). Migrations in ``pipeline/db/migrations`` create exactly these tables; a change here
needs a new migration.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from pipeline.db.types import UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Aware UTC timestamps on both backends (SQLite would silently drop the offset).
TS = UtcDateTime()

# One row per inspection attempt received (检验流水号 + 检验次数).
inspections = Table(
    "inspections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("inspection_id", String(64), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("station_id", String(64), nullable=False, index=True),
    Column("lane", String(16), nullable=False, default=""),
    Column("plate", String(16), nullable=False, index=True),
    Column("vin", String(17), nullable=False, index=True),
    Column("vehicle_type", String(8), nullable=False),
    Column("use", String(4), nullable=False),
    Column("registered_on", Date, nullable=True),
    Column("started_at", TS, nullable=False, index=True),
    Column("finished_at", TS, nullable=False),
    Column("prefix", String(256), nullable=False),  # object-store prefix of the package
    Column("manifest_sha256", String(64), nullable=False),
    Column("received_at", TS, nullable=False),
    Column("retain_until", Date, nullable=True, index=True),
    Column("held", Boolean, nullable=False, default=False),
    Column("hold_reason", Text, nullable=True),
    Column("deleted_at", TS, nullable=True),
    UniqueConstraint("inspection_id", "attempt"),
)

# One row per (inspection attempt, manifest, pipeline version): the idempotency key.
results = Table(
    "results",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "inspection_pk",
        Integer,
        ForeignKey("inspections.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("inspection_id", String(64), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("manifest_sha256", String(64), nullable=False),
    Column("pipeline_version", String(64), nullable=False),
    Column("verdict", String(8), nullable=False, index=True),
    Column("elapsed_ms", Float, nullable=False),
    Column("result_key", String(512), nullable=False),  # the result JSON in the object store
    Column("created_at", TS, nullable=False, index=True),
    UniqueConstraint("inspection_id", "attempt", "manifest_sha256", "pipeline_version"),
)

findings = Table(
    "findings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "result_pk",
        Integer,
        ForeignKey("results.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("file", String(512), nullable=True),
    Column("code", String(8), nullable=True),
    Column("check", String(64), nullable=False),
    Column("outcome", String(8), nullable=False),
    Column("reason", String(64), nullable=True, index=True),
    Column("detail", JSON, nullable=False),
)

# Human side: one review item per flagged inspection attempt.
review_items = Table(
    "review_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "inspection_pk", Integer, ForeignKey("inspections.id", ondelete="CASCADE"), nullable=False
    ),
    Column("inspection_id", String(64), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("station_id", String(64), nullable=False, index=True),
    Column("result_pk", Integer, ForeignKey("results.id", ondelete="SET NULL"), nullable=True),
    Column("verdict", String(8), nullable=False),  # fail | review (machine's)
    Column("priority", Integer, nullable=False),  # 0 = fail first, 1 = review
    Column("reasons", JSON, nullable=False),  # list of reason codes
    Column("state", String(16), nullable=False, index=True),  # open | claimed | decided
    Column("claimed_by", String(64), nullable=True),
    Column("lease_until", TS, nullable=True),
    Column("decision", String(16), nullable=True),  # confirm | clear
    Column("decision_reason", Text, nullable=True),
    Column("decided_by", String(64), nullable=True),
    Column("decided_at", TS, nullable=True),
    Column("previous_item_pk", Integer, ForeignKey("review_items.id"), nullable=True),
    Column("version", Integer, nullable=False, default=1),  # optimistic concurrency
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    UniqueConstraint("inspection_id", "attempt"),
    Index("ix_review_items_queue", "state", "priority", "created_at"),
    Index("ix_review_items_station_queue", "station_id", "state", "priority", "created_at"),
)

# Append-only audit trail of every transition and deletion.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", TS, nullable=False, index=True),
    Column("actor", String(64), nullable=False),  # user name, "worker", "sweeper", ...
    Column("action", String(64), nullable=False),
    Column("entity", String(32), nullable=False),  # review_item, inspection, reference, user
    Column("entity_id", String(128), nullable=False, index=True),
    Column("from_state", String(16), nullable=True),
    Column("to_state", String(16), nullable=True),
    Column("detail", JSON, nullable=False),
)

# Photo-hash bank: every photo/frame received, exact and perceptual.
photo_hashes = Table(
    "photo_hashes",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("sha256", String(64), nullable=False, index=True),
    Column("phash", BigInteger, nullable=False),  # 64-bit perceptual hash, as signed int64
    # 16-bit bands of phash for the multi-index lookup; each indexed with phash (below).
    Column("band0", Integer, nullable=False),
    Column("band1", Integer, nullable=False),
    Column("band2", Integer, nullable=False),
    Column("band3", Integer, nullable=False),
    Column("inspection_id", String(64), nullable=False, index=True),
    Column("attempt", Integer, nullable=False),
    Column("station_id", String(64), nullable=False),
    Column("vin", String(17), nullable=False),
    Column("file", String(512), nullable=False),
    Column("code", String(8), nullable=False),
    Column("frame", Integer, nullable=True),  # frame index for frame sequences
    Column("created_at", TS, nullable=False),
    UniqueConstraint("inspection_id", "attempt", "file", "frame"),
    # (band, phash): the first lookup phase reads only the index.
    *(Index(f"ix_photo_hashes_band{i}_phash", f"band{i}", "phash") for i in range(4)),
)

# Reference VIN rubbings (拓印膜) archived per VIN.
reference_rubbings = Table(
    "reference_rubbings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("vin", String(17), nullable=False, index=True),
    Column("key", String(512), nullable=False),  # object-store key of the image
    Column("sha256", String(64), nullable=False),
    Column("source", String(64), nullable=False),  # registration | inspection:<id> | import
    Column("enrolled_by", String(64), nullable=False),
    Column("enrolled_at", TS, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)

# The office's vehicle registry: the truth to compare against when present.
vehicles = Table(
    "vehicles",
    metadata,
    Column("vin", String(17), primary_key=True),
    Column("plate", String(16), nullable=False, index=True),
    Column("plate_type", String(4), nullable=False),
    Column("vehicle_type", String(8), nullable=False),
    Column("use", String(4), nullable=False),
    Column("registered_on", Date, nullable=True),
    Column("updated_at", TS, nullable=False),
)

# Console accounts.
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(256), nullable=False),
    Column("role", String(16), nullable=False),  # reviewer | supervisor | admin
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", TS, nullable=False),
)

# Console sessions ended by signing out, kept until they would have expired anyway.
ended_sessions = Table(
    "ended_sessions",
    metadata,
    Column("sid", String(64), primary_key=True),
    Column("username", String(64), nullable=False),
    Column("expires_at", TS, nullable=False, index=True),
)

# Station upload keys (hashed at rest).
stations = Table(
    "stations",
    metadata,
    Column("station_id", String(64), primary_key=True),
    Column("name", String(128), nullable=False, default=""),
    Column("key_id", String(32), nullable=True, unique=True),
    Column("key_hash", String(256), nullable=True),
    Column("revoked", Boolean, nullable=False, default=False),
    Column("created_at", TS, nullable=False),
    Column("rotated_at", TS, nullable=True),
)

# Station API uploads in progress or done: what the station declared (manifest and every file
# with its size and sha256) and the state. One row per inspection attempt, whichever station
# registered it first owns it (revision 0002).
station_uploads = Table(
    "station_uploads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("station_id", String(64), nullable=False, index=True),
    Column("inspection_id", String(64), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("state", String(16), nullable=False),  # open | completing | complete
    Column("manifest", JSON, nullable=False),
    Column("files", JSON, nullable=False),  # [{name, size, sha256, content_type, ...}]
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("completed_at", TS, nullable=True),
    UniqueConstraint("inspection_id", "attempt"),
)
