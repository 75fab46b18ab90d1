"""mapped areas: where the asset register is complete, so that the overlay ranks only what it has evidence for

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-05 21:50:00

- ``mapped_areas``: a district or locality whose register holds every group, hub or space of ``kinds``, with
  who said so (an officer, or the import that covers it), when, and from what source.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mapped_areas",
        sa.Column("id", sa.Integer(), sa.Identity(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False, comment="a district or locality"),
        sa.Column("kinds", postgresql.ARRAY(sa.Text()), nullable=False,
                  comment="group, hub, space: complete here"),  # fmt: skip
        sa.Column("mapped_by", sa.Text(), nullable=False,
                  comment="who: a user's name, or the import that covers it"),  # fmt: skip
        sa.Column("source", sa.Text(), nullable=True, comment="e.g. the file or survey it came from"),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("mapped_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kinds <@ ARRAY['group', 'hub', 'space']::text[] AND cardinality(kinds) > 0",
            name=op.f("ck_mapped_areas_kinds"),
        ),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_mapped_areas_area_id_areas"),
                                ondelete="CASCADE"),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mapped_areas")),
        sa.UniqueConstraint("area_id", name=op.f("uq_mapped_areas_area_id")),
    )


def downgrade() -> None:
    op.drop_table("mapped_areas")
