"""room versions: record_versions keeps a hub's rooms too, each existing room back-filled with its version 1

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 02:45:00

- ``record_versions.object_type`` may be ``room`` (the check constraint ``ck_record_versions_object_type``).
- Every room already in the database gets version 1, a "create" with no ``changed_by`` (as an import's first
  version: ``layers.records.versions.record_import``) holding the room as it stands now.
- Downgrade deletes the rooms' versions (the older schema cannot hold them) and restores the constraint.
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

CONSTRAINT = "ck_record_versions_object_type"


def upgrade() -> None:
    op.drop_constraint(op.f(CONSTRAINT), "record_versions", type_="check")
    op.create_check_constraint(
        "object_type", "record_versions", "object_type IN ('group', 'hub', 'space', 'room')"
    )
    # the snapshot is the room as ``layers.records.versions.snapshot`` makes it (to_jsonb of the row)
    op.execute(
        "INSERT INTO record_versions (object_type, object_id, version, action, changed_by, changes, snapshot) "
        "SELECT 'room', r.id, 1, 'create', NULL, '{}'::jsonb, to_jsonb(r) FROM rooms r "
        "WHERE NOT EXISTS (SELECT 1 FROM record_versions v WHERE v.object_type = 'room' AND v.object_id = r.id) "
        "ORDER BY r.id"
    )


def downgrade() -> None:
    op.execute("DELETE FROM record_versions WHERE object_type = 'room'")
    op.drop_constraint(op.f(CONSTRAINT), "record_versions", type_="check")
    op.create_check_constraint("object_type", "record_versions", "object_type IN ('group', 'hub', 'space')")
