"""Initial schema: exactly the tables of ``pipeline/db/schema.py`` as of revision 0001.

Written out in full (rendered once from the metadata, then reviewed) so that later edits to
``schema.py`` cannot change what this revision creates; a schema change needs a new revision.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create every table, index and constraint."""
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=128), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)
    op.create_index(op.f("ix_audit_log_entity_id"), "audit_log", ["entity_id"], unique=False)
    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("inspection_id", sa.String(length=64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("lane", sa.String(length=16), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("vehicle_type", sa.String(length=8), nullable=False),
        sa.Column("use", sa.String(length=4), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prefix", sa.String(length=256), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retain_until", sa.Date(), nullable=True),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("hold_reason", sa.Text(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
        sa.UniqueConstraint(
            "inspection_id", "attempt", name=op.f("uq_inspections_inspection_id_attempt")
        ),
    )
    op.create_index(op.f("ix_inspections_plate"), "inspections", ["plate"], unique=False)
    op.create_index(
        op.f("ix_inspections_retain_until"), "inspections", ["retain_until"], unique=False
    )
    op.create_index(op.f("ix_inspections_started_at"), "inspections", ["started_at"], unique=False)
    op.create_index(op.f("ix_inspections_station_id"), "inspections", ["station_id"], unique=False)
    op.create_index(op.f("ix_inspections_vin"), "inspections", ["vin"], unique=False)
    op.create_table(
        "photo_hashes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("phash", sa.BigInteger(), nullable=False),
        sa.Column("band0", sa.Integer(), nullable=False),
        sa.Column("band1", sa.Integer(), nullable=False),
        sa.Column("band2", sa.Integer(), nullable=False),
        sa.Column("band3", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.String(length=64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("file", sa.String(length=512), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("frame", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photo_hashes")),
        sa.UniqueConstraint(
            "inspection_id",
            "attempt",
            "file",
            "frame",
            name=op.f("uq_photo_hashes_inspection_id_attempt_file_frame"),
        ),
    )
    op.create_index(op.f("ix_photo_hashes_band0"), "photo_hashes", ["band0"], unique=False)
    op.create_index(op.f("ix_photo_hashes_band1"), "photo_hashes", ["band1"], unique=False)
    op.create_index(op.f("ix_photo_hashes_band2"), "photo_hashes", ["band2"], unique=False)
    op.create_index(op.f("ix_photo_hashes_band3"), "photo_hashes", ["band3"], unique=False)
    op.create_index(
        op.f("ix_photo_hashes_inspection_id"), "photo_hashes", ["inspection_id"], unique=False
    )
    op.create_index(op.f("ix_photo_hashes_sha256"), "photo_hashes", ["sha256"], unique=False)
    op.create_table(
        "reference_rubbings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("enrolled_by", sa.String(length=64), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_rubbings")),
    )
    op.create_index(op.f("ix_reference_rubbings_vin"), "reference_rubbings", ["vin"], unique=False)
    op.create_table(
        "stations",
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=True),
        sa.Column("key_hash", sa.String(length=256), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("station_id", name=op.f("pk_stations")),
        sa.UniqueConstraint("key_id", name=op.f("uq_stations_key_id")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "vehicles",
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("plate_type", sa.String(length=4), nullable=False),
        sa.Column("vehicle_type", sa.String(length=8), nullable=False),
        sa.Column("use", sa.String(length=4), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("vin", name=op.f("pk_vehicles")),
    )
    op.create_index(op.f("ix_vehicles_plate"), "vehicles", ["plate"], unique=False)
    op.create_table(
        "results",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("inspection_pk", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.String(length=64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("pipeline_version", sa.String(length=64), nullable=False),
        sa.Column("verdict", sa.String(length=8), nullable=False),
        sa.Column("elapsed_ms", sa.Float(), nullable=False),
        sa.Column("result_key", sa.String(length=512), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_pk"],
            ["inspections.id"],
            name=op.f("fk_results_inspection_pk_inspections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_results")),
        sa.UniqueConstraint(
            "inspection_id",
            "attempt",
            "manifest_sha256",
            "pipeline_version",
            name=op.f("uq_results_inspection_id_attempt_manifest_sha256_pipeline_version"),
        ),
    )
    op.create_index(op.f("ix_results_created_at"), "results", ["created_at"], unique=False)
    op.create_index(op.f("ix_results_inspection_pk"), "results", ["inspection_pk"], unique=False)
    op.create_index(op.f("ix_results_verdict"), "results", ["verdict"], unique=False)
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("result_pk", sa.Integer(), nullable=False),
        sa.Column("file", sa.String(length=512), nullable=True),
        sa.Column("code", sa.String(length=8), nullable=True),
        sa.Column("check", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["result_pk"],
            ["results.id"],
            name=op.f("fk_findings_result_pk_results"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    op.create_index(op.f("ix_findings_reason"), "findings", ["reason"], unique=False)
    op.create_index(op.f("ix_findings_result_pk"), "findings", ["result_pk"], unique=False)
    op.create_table(
        "review_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("inspection_pk", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.String(length=64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("result_pk", sa.Integer(), nullable=True),
        sa.Column("verdict", sa.String(length=8), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("previous_item_pk", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_pk"],
            ["inspections.id"],
            name=op.f("fk_review_items_inspection_pk_inspections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["previous_item_pk"],
            ["review_items.id"],
            name=op.f("fk_review_items_previous_item_pk_review_items"),
        ),
        sa.ForeignKeyConstraint(
            ["result_pk"],
            ["results.id"],
            name=op.f("fk_review_items_result_pk_results"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_items")),
        sa.UniqueConstraint(
            "inspection_id", "attempt", name=op.f("uq_review_items_inspection_id_attempt")
        ),
    )
    op.create_index(
        "ix_review_items_queue", "review_items", ["state", "priority", "created_at"], unique=False
    )
    op.create_index(op.f("ix_review_items_state"), "review_items", ["state"], unique=False)
    op.create_index(
        op.f("ix_review_items_station_id"), "review_items", ["station_id"], unique=False
    )


def downgrade() -> None:
    """Drop every table (children first)."""
    op.drop_index(op.f("ix_review_items_station_id"), table_name="review_items")
    op.drop_index(op.f("ix_review_items_state"), table_name="review_items")
    op.drop_index("ix_review_items_queue", table_name="review_items")
    op.drop_table("review_items")
    op.drop_index(op.f("ix_findings_result_pk"), table_name="findings")
    op.drop_index(op.f("ix_findings_reason"), table_name="findings")
    op.drop_table("findings")
    op.drop_index(op.f("ix_results_verdict"), table_name="results")
    op.drop_index(op.f("ix_results_inspection_pk"), table_name="results")
    op.drop_index(op.f("ix_results_created_at"), table_name="results")
    op.drop_table("results")
    op.drop_index(op.f("ix_vehicles_plate"), table_name="vehicles")
    op.drop_table("vehicles")
    op.drop_table("users")
    op.drop_table("stations")
    op.drop_index(op.f("ix_reference_rubbings_vin"), table_name="reference_rubbings")
    op.drop_table("reference_rubbings")
    op.drop_index(op.f("ix_photo_hashes_sha256"), table_name="photo_hashes")
    op.drop_index(op.f("ix_photo_hashes_inspection_id"), table_name="photo_hashes")
    op.drop_index(op.f("ix_photo_hashes_band3"), table_name="photo_hashes")
    op.drop_index(op.f("ix_photo_hashes_band2"), table_name="photo_hashes")
    op.drop_index(op.f("ix_photo_hashes_band1"), table_name="photo_hashes")
    op.drop_index(op.f("ix_photo_hashes_band0"), table_name="photo_hashes")
    op.drop_table("photo_hashes")
    op.drop_index(op.f("ix_inspections_vin"), table_name="inspections")
    op.drop_index(op.f("ix_inspections_station_id"), table_name="inspections")
    op.drop_index(op.f("ix_inspections_started_at"), table_name="inspections")
    op.drop_index(op.f("ix_inspections_retain_until"), table_name="inspections")
    op.drop_index(op.f("ix_inspections_plate"), table_name="inspections")
    op.drop_table("inspections")
    op.drop_index(op.f("ix_audit_log_entity_id"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")
    op.drop_table("audit_log")
