"""analysis changes: per-source change counters that keep the overlay's cached inputs in step with the data

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-06 03:00:00

- ``analysis_changes``: one row per source of the overlay's inputs (``areas``, ``indicators``, ``assets``,
  ``mapped``) with a counter that every committed change to one of its tables raises. A statement-level trigger
  on each table raises it once per transaction (``last_xid``), so a bulk import costs one row update, not one
  per row, and writers of unrelated sources never wait on each other. The counters are transactional: a
  reader sees them move in the same snapshot as the data (``layers.analysis.cache``).
- The counters start at the migration's clock time in milliseconds, so a database rebuilt from scratch
  never hands out the tokens of an earlier one.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None

#: Each source of the overlay's inputs and the tables it is read from.
SOURCES = {
    "areas": ("areas", "area_shares", "locality_members"),
    "indicators": ("indicators",),
    "assets": ("groups", "hubs", "spaces", "rooms", "resources", "group_areas"),
    "mapped": ("mapped_areas",),
}


def upgrade() -> None:
    op.create_table(
        "analysis_changes",
        sa.Column("source", sa.Text(), nullable=False, comment="areas, indicators, assets or mapped"),
        sa.Column("changes", sa.BigInteger(), nullable=False, comment="raised by each committed change"),
        sa.Column(
            "last_xid",
            sa.Text(),
            nullable=True,
            comment="the transaction that raised it last (raised once per transaction)",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("source", name=op.f("pk_analysis_changes")),
    )
    op.execute(
        "INSERT INTO analysis_changes (source, changes) "
        "SELECT s, (extract(epoch FROM clock_timestamp()) * 1000)::bigint "
        f"FROM unnest(ARRAY[{', '.join(repr(s) for s in SOURCES)}]) AS s"
    )
    op.execute(
        """
        CREATE FUNCTION analysis_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          -- Once per transaction: later statements of the same transaction see its own update and skip.
          UPDATE analysis_changes SET changes = changes + 1, last_xid = pg_current_xact_id()::text
          WHERE source = TG_ARGV[0] AND last_xid IS DISTINCT FROM pg_current_xact_id()::text;
          RETURN NULL;
        END $$
        """
    )
    for source, tables in SOURCES.items():
        for table in tables:
            op.execute(
                f"CREATE TRIGGER {table}_analysis_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION analysis_changed('{source}')"
            )


def downgrade() -> None:
    for tables in SOURCES.values():
        for table in tables:
            op.execute(f"DROP TRIGGER {table}_analysis_changed ON {table}")
    op.execute("DROP FUNCTION analysis_changed()")
    op.drop_table("analysis_changes")
