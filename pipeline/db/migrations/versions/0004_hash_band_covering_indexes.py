"""Hash bank: covering indexes (band_i, phash) so a lookup's first phase is index-only.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BANDS = ("band0", "band1", "band2", "band3")


def upgrade() -> None:
    """Replace the single-column band indexes with (band, phash) ones."""
    for band in BANDS:
        op.drop_index(f"ix_photo_hashes_{band}", table_name="photo_hashes")
        op.create_index(f"ix_photo_hashes_{band}_phash", "photo_hashes", [band, "phash"])


def downgrade() -> None:
    """Back to single-column band indexes."""
    for band in BANDS:
        op.drop_index(f"ix_photo_hashes_{band}_phash", table_name="photo_hashes")
        op.create_index(f"ix_photo_hashes_{band}", "photo_hashes", [band])
