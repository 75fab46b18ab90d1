"""groups.meets_public and spaces.availability_public: the public shape of each, stored when a row is written

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 12:30:00.000000

The residents' nearby search builds its answer in SQL (layers/sql/search_nearby.sql returns the result
lists as JSON text), so the public shapes that layers/hours.py gives in Python (``public_meets``,
``public_availability``: well-formed entries only, days in week order, times as HH:MM; availability flags
as true, false or null) are needed in SQL. They are computed once, when a row is written, into generated
columns, so a search reads them like any other column:

- patchmap_public_meets(jsonb) -> jsonb: [{days, start, end, frequency}], [] for anything else;
- patchmap_public_availability(jsonb) -> jsonb: {weekdays, evenings, weekends, from, until, notes}.

They are the SQL twins of layers/hours.py's functions; tests/test_hours.py checks that the two agree.
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

PUBLIC_MEETS = r"""
CREATE OR REPLACE FUNCTION patchmap_public_meets(meets jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'days', t.days,
           'start', lpad((t.s / 60)::text, 2, '0') || ':' || lpad((t.s % 60)::text, 2, '0'),
           'end', lpad((t.e / 60)::text, 2, '0') || ':' || lpad((t.e % 60)::text, 2, '0'),
           'frequency', CASE WHEN jsonb_typeof(t.entry -> 'frequency') = 'string' THEN t.entry -> 'frequency' END
         ) ORDER BY t.n), '[]'::jsonb)
  FROM (
    SELECT x.entry, x.n,
           CASE WHEN jsonb_typeof(x.entry -> 'start') = 'string' THEN patchmap_hhmm(x.entry ->> 'start') END AS s,
           CASE WHEN jsonb_typeof(x.entry -> 'end') = 'string' THEN patchmap_hhmm(x.entry ->> 'end') END AS e,
           (SELECT jsonb_agg(w.d ORDER BY w.i)
            FROM jsonb_array_elements('["mo", "tu", "we", "th", "fr", "sa", "su"]'::jsonb) WITH ORDINALITY AS w(d, i)
            WHERE x.entry -> 'days' @> w.d) AS days
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(meets) = 'array' THEN meets ELSE '[]'::jsonb END)
         WITH ORDINALITY AS x(entry, n)
    WHERE jsonb_typeof(x.entry) = 'object' AND jsonb_typeof(x.entry -> 'days') = 'array'
  ) t
  WHERE t.s IS NOT NULL AND t.e IS NOT NULL AND t.s < 1440 AND t.days IS NOT NULL
$fn$
"""

PUBLIC_AVAILABILITY = r"""
CREATE OR REPLACE FUNCTION patchmap_public_availability(a jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT jsonb_build_object(
    'weekdays', CASE WHEN jsonb_typeof(a -> 'weekdays') = 'boolean' THEN a -> 'weekdays' END,
    'evenings', CASE WHEN jsonb_typeof(a -> 'evenings') = 'boolean' THEN a -> 'evenings' END,
    'weekends', CASE WHEN jsonb_typeof(a -> 'weekends') = 'boolean' THEN a -> 'weekends' END,
    'from', CASE WHEN jsonb_typeof(a -> 'from') = 'string' THEN a -> 'from' END,
    'until', CASE WHEN jsonb_typeof(a -> 'until') = 'string' THEN a -> 'until' END,
    'notes', CASE WHEN jsonb_typeof(a -> 'notes') = 'string' THEN a -> 'notes' END)
  WHERE jsonb_typeof(a) = 'object'
  UNION ALL
  SELECT '{"weekdays": null, "evenings": null, "weekends": null, "from": null, "until": null, "notes": null}'
  WHERE jsonb_typeof(a) IS DISTINCT FROM 'object'
$fn$
"""


def _run(sql: str) -> None:
    # Straight to the driver, as in 0003.
    op.get_bind().exec_driver_sql(sql, execution_options={"no_parameters": True})


def upgrade() -> None:
    _run(PUBLIC_MEETS)
    _run(PUBLIC_AVAILABILITY)
    op.execute(
        "ALTER TABLE groups ADD COLUMN meets_public jsonb "
        "GENERATED ALWAYS AS (patchmap_public_meets(meets)) STORED"
    )
    op.execute("COMMENT ON COLUMN groups.meets_public IS 'meets as residents see it: well-formed entries only'")
    op.execute(
        "ALTER TABLE spaces ADD COLUMN availability_public jsonb "
        "GENERATED ALWAYS AS (patchmap_public_availability(availability)) STORED"
    )
    op.execute(
        "COMMENT ON COLUMN spaces.availability_public IS 'availability as residents see it: known keys only'"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE spaces DROP COLUMN IF EXISTS availability_public")
    op.execute("ALTER TABLE groups DROP COLUMN IF EXISTS meets_public")
    op.execute("DROP FUNCTION IF EXISTS patchmap_public_availability(jsonb)")
    op.execute("DROP FUNCTION IF EXISTS patchmap_public_meets(jsonb)")
