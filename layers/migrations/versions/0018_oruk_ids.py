"""oruk ids: patchmap_oruk_uuid(name), the stable UUIDs of the Open Referral UK feed

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 05:00:00

Open Referral UK (``/oruk/``) names every record by a UUID. Patchmap's are version 5 UUIDs over a namespace
of its own and a name such as ``group/12`` (``layers.oruk.ids``), so a re-export gives the same ids. The
feed's SQL finds a record by its UUID, so the database computes them too: ``uuid-ossp``'s
``uuid_generate_v5``, the same function as Python's ``uuid.uuid5`` (a test keeps the two in step).
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

#: layers.oruk.ids.NAMESPACE (uuid5 of NAMESPACE_URL and "https://patchmap.org.uk/oruk"); never change it.
NAMESPACE = "f63fe1ca-2271-5933-bc47-2f8c9acb18fa"


def upgrade() -> None:
    op.execute('CREATE EXTENSION IF NOT EXISTS "uuid-ossp"')
    op.execute(
        "CREATE OR REPLACE FUNCTION patchmap_oruk_uuid(name text) RETURNS uuid "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS "
        f"$fn$ SELECT uuid_generate_v5('{NAMESPACE}'::uuid, name) $fn$"
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS patchmap_oruk_uuid(text)")
    op.execute('DROP EXTENSION IF EXISTS "uuid-ossp"')
