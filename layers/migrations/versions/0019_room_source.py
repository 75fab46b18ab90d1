"""room source: a hub's rooms say where they came from (source, source_id), so a spreadsheet re-import updates

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 04:00:00

- ``rooms.source`` (as ``hubs.source``: up to 32 characters, ``manual`` by default, so every room made by the
  form or the demo stays ``manual``) and ``rooms.source_id`` (the room's id in that source; NULL for rooms
  made in Patchmap), unique together like hubs' (``uq_rooms_source_id``). ``patchmap import rooms`` upserts
  on them (``layers.importers.rooms``).
- Downgrade drops both columns (rooms imported from a spreadsheet stay, as rooms made by hand).
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "rooms", sa.Column("source", sa.String(length=32), server_default="manual", nullable=False)
    )
    op.add_column(
        "rooms", sa.Column("source_id", sa.Text(), nullable=True, comment="the room's id in its source")
    )
    op.create_unique_constraint("uq_rooms_source_id", "rooms", ["source", "source_id"])


def downgrade() -> None:
    op.drop_constraint("uq_rooms_source_id", "rooms", type_="unique")
    op.drop_column("rooms", "source_id")
    op.drop_column("rooms", "source")
