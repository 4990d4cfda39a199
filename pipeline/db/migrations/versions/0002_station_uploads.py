"""Station API uploads: the ``station_uploads`` table.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``station_uploads``."""
    op.create_table(
        "station_uploads",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=False),
        sa.Column("inspection_id", sa.String(length=64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_uploads")),
        sa.UniqueConstraint(
            "inspection_id", "attempt", name=op.f("uq_station_uploads_inspection_id_attempt")
        ),
    )
    op.create_index(
        op.f("ix_station_uploads_station_id"), "station_uploads", ["station_id"], unique=False
    )


def downgrade() -> None:
    """Drop ``station_uploads``."""
    op.drop_index(op.f("ix_station_uploads_station_id"), table_name="station_uploads")
    op.drop_table("station_uploads")
