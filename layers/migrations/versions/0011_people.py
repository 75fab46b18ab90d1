"""people: named contacts, emailed links, organisers' edits, freshness reminders, replies, introductions

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 11:24:37.707902

- ``area_contacts``: a district's or locality's public council contact (role, email, phone, office hours).
- ``link_tokens``: single-use, expiring links sent by email; only the SHA-256 digest is stored.
- ``listing_changes``: an organiser's edits that wait for the co-ordinator (name, place, categories).
- ``freshness_reminders``: the "is this still right?" messages sent per record, and when it was flagged.
- ``submission_replies``: a resident's answers to a moderator's question; ``introductions``: an accepted
  offer of help introduced to a group.
- ``groups.venue_sample`` (a made-up demo venue), ``groups.accepts_introductions``,
  ``record_versions.author_kind`` (user, organiser or system) and ``submissions.follow_up``.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "area_contacts",
        sa.Column("area_code", sa.String(length=32), nullable=False, comment="a district or locality"),
        sa.Column("role_name", sa.Text(), nullable=False, comment="e.g. Community Connector, Norwich North"),
        sa.Column("email", sa.Text(), nullable=True, comment="a work address: public"),
        sa.Column("phone", sa.Text(), nullable=True, comment="a work number: public"),
        sa.Column("office_hours", sa.Text(), nullable=True),
        sa.Column("updated_by", sa.Integer(), nullable=True, comment="users.id"),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("area_code", name=op.f("pk_area_contacts")),
    )
    op.create_table(
        "freshness_reminders",
        sa.Column("object_type", sa.String(length=8), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("first_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("second_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "flagged_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="no answer after the second reminder: stale for the co-ordinator",
        ),
        sa.PrimaryKeyConstraint("object_type", "object_id", name=op.f("pk_freshness_reminders")),
    )
    op.create_table(
        "link_tokens",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("object_type", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column(
            "action", sa.String(length=32), nullable=True, comment="e.g. confirm or update (freshness)"
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "object_type IN ('group', 'hub', 'space', 'submission', 'user')",
            name=op.f("ck_link_tokens_object_type"),
        ),
        sa.CheckConstraint(
            "purpose IN ('organiser', 'freshness', 'offer', 'set_password')",
            name=op.f("ck_link_tokens_purpose"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_link_tokens_token_hash")),
    )
    op.create_table(
        "listing_changes",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("object_type", sa.String(length=8), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("district_code", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True, comment="users.id"),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'superseded')",
            name=op.f("ck_listing_changes_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_changes")),
    )
    op.create_index(
        op.f("ix_listing_changes_district_code"), "listing_changes", ["district_code"], unique=False
    )
    op.create_index(op.f("ix_listing_changes_status"), "listing_changes", ["status"], unique=False)
    op.create_table(
        "submission_replies",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_submission_replies_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_replies")),
    )
    op.create_index(
        op.f("ix_submission_replies_submission_id"), "submission_replies", ["submission_id"], unique=False
    )
    op.create_table(
        "introductions",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("introduced_by", sa.Integer(), nullable=True, comment="users.id"),
        sa.Column("reason", sa.Text(), nullable=True, comment="why they match, e.g. wants drivers; 0.8 km"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name=op.f("fk_introductions_group_id_groups"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_introductions_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_introductions")),
        sa.UniqueConstraint("submission_id", "group_id", name="uq_introductions_pair"),
    )
    op.create_index(op.f("ix_introductions_group_id"), "introductions", ["group_id"], unique=False)
    op.create_index(op.f("ix_introductions_submission_id"), "introductions", ["submission_id"], unique=False)
    op.add_column(
        "groups",
        sa.Column(
            "venue_sample",
            sa.Boolean(),
            server_default="false",
            nullable=False,
            comment="the venue is made up for the demo (sample)",
        ),
    )
    op.add_column(
        "groups",
        sa.Column(
            "accepts_introductions",
            sa.Boolean(),
            server_default="false",
            nullable=False,
            comment="the organiser agreed to be emailed a volunteer's contact (and theirs passed on)",
        ),
    )
    op.add_column(
        "record_versions",
        sa.Column(
            "author_kind",
            sa.String(length=16),
            server_default="user",
            nullable=False,
            comment="user, organiser or system",
        ),
    )
    op.add_column(
        "submissions",
        sa.Column(
            "follow_up",
            sa.String(length=16),
            nullable=True,
            comment="an accepted offer of help: open, introduced or closed",
        ),
    )
    op.create_check_constraint(
        "follow_up", "submissions", "follow_up IS NULL OR follow_up IN ('open', 'introduced', 'closed')"
    )
    op.create_check_constraint(
        "author_kind", "record_versions", "author_kind IN ('user', 'organiser', 'system')"
    )
    # accepted offers of help already in the database are still to be followed up
    op.execute("UPDATE submissions SET follow_up = 'open' WHERE kind = 'help' AND status = 'approved'")


def downgrade() -> None:
    op.drop_constraint("author_kind", "record_versions", type_="check")
    op.drop_column("record_versions", "author_kind")
    op.drop_column("submissions", "follow_up")
    op.drop_column("groups", "accepts_introductions")
    op.drop_column("groups", "venue_sample")
    op.drop_index(op.f("ix_introductions_submission_id"), table_name="introductions")
    op.drop_index(op.f("ix_introductions_group_id"), table_name="introductions")
    op.drop_table("introductions")
    op.drop_index(op.f("ix_submission_replies_submission_id"), table_name="submission_replies")
    op.drop_table("submission_replies")
    op.drop_index(op.f("ix_listing_changes_status"), table_name="listing_changes")
    op.drop_index(op.f("ix_listing_changes_district_code"), table_name="listing_changes")
    op.drop_table("listing_changes")
    op.drop_table("link_tokens")
    op.drop_table("freshness_reminders")
    op.drop_table("area_contacts")
