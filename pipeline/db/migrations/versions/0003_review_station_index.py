"""Review queue filtered by station: index (station_id, state, priority, created_at).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """The station page and the station filter of the queue read this order."""
    op.create_index(
        "ix_review_items_station_queue",
        "review_items",
        ["station_id", "state", "priority", "created_at"],
    )


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_review_items_station_queue", table_name="review_items")
