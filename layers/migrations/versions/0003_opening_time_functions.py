"""opening times as stored minute-of-week ranges, for search's open_at filter

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:00:00.000000

`GET /search/nearby?open_at=mo 18:30` filters inside the nearest-neighbour index scan, so the test must
cost next to nothing per row: parsing opening_hours there would cost 30-70 µs a row. So the parse happens
once, when a row is written, into two generated columns:

- hubs.opening_minutes   = patchmap_opening_minutes(opening_hours)
- groups.meets_minutes   = patchmap_meets_minutes(meets)

and search tests `opening_minutes @> minute_of_week` (well under a microsecond). The functions:

- patchmap_hhmm(text) -> int: minutes after midnight of 'H:MM' / 'HH:MM' (up to 24:00), else NULL;
- patchmap_opening_minutes(text) -> int4multirange: an OpenStreetMap opening_hours value as minutes of the
  week from Monday 00:00 (0..10080), NULL when the value is not understood;
- patchmap_meets_minutes(jsonb) -> int4multirange: a group's meets JSON the same way (bad entries skipped).

They are the SQL twins of layers/hours.py (opening_minutes, meets_minutes), whose docstring lists the forms
understood; tests/test_hours.py checks the two agree. layers/models.py does not declare the two columns yet
(a Computed(..., persisted=True) INT4MULTIRANGE on Hub and Group would).
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

HHMM = r"""
CREATE OR REPLACE FUNCTION patchmap_hhmm(t text) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT CASE WHEN t ~ '^\s*[0-9]{1,2}:[0-5][0-9]\s*$' THEN
    CASE WHEN split_part(t, ':', 1)::int * 60 + split_part(t, ':', 2)::int <= 1440
         THEN split_part(t, ':', 1)::int * 60 + split_part(t, ':', 2)::int END
  END
$fn$
"""

# Written for speed (it runs once per hub written, for the stored column): regular expressions only test,
# never capture (PostgreSQL's capturing matcher is slow), and no statement is a SELECT (each would be an SPI
# call). About 30 µs for a typical library's hours.
OPENING = r"""
CREATE OR REPLACE FUNCTION patchmap_opening_minutes(hours text) RETURNS int4multirange
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $fn$
DECLARE
  ws constant text := E' \t\r\n';
  wd constant text[] := ARRAY['mo', 'tu', 'we', 'th', 'fr', 'sa', 'su'];
  txt text := lower(btrim(hours, ws));
  week int4multirange[] := array_fill('{}'::int4multirange, ARRAY[7]);
  result int4multirange := '{}';
  rules text[]; parts text[]; part text; p int; day_text text; time_text text; items text[];
  spans int[]; days int[]; one int4multirange; a int; b int; i int; j int; k int; n int; d int;
  s int; e int;
BEGIN
  IF txt = '' OR position('||' IN txt) > 0 THEN
    RETURN NULL;
  END IF;
  rules := string_to_array(txt, ';');
  FOR n IN 1 .. cardinality(rules) LOOP
    -- ', ' after a time and before a day starts an additional rule (it adds; it does not replace)
    parts := ARRAY[rules[n]];
    IF rules[n] ~ '[0-9]\s*,\s*(?:mo|tu|we|th|fr|sa|su)' THEN
      parts := regexp_split_to_array(rules[n], '(?<=[0-9])\s*,\s*(?=(?:mo|tu|we|th|fr|sa|su)\y)');
    END IF;
    FOR k IN 1 .. cardinality(parts) LOOP
      part := btrim(parts[k], ws);
      CONTINUE WHEN part = '' OR part ~ '^(?:ph|sh)(?:\s|$)';
      IF part !~ ('^(?:(?:(?:mo|tu|we|th|fr|sa|su)(?:\s*-\s*(?:mo|tu|we|th|fr|sa|su))?|ph|sh)'
                  '(?:\s*,\s*(?:(?:mo|tu|we|th|fr|sa|su)(?:\s*-\s*(?:mo|tu|we|th|fr|sa|su))?|ph|sh))*'
                  '(?:\s+|$))?'
                  '(?:[0-9]{1,2}:[0-9]{2}\s*-\s*[0-9]{1,2}:[0-9]{2}'
                  '(?:\s*,\s*[0-9]{1,2}:[0-9]{2}\s*-\s*[0-9]{1,2}:[0-9]{2})*|off|closed|24/7)?$') THEN
        RETURN NULL;
      END IF;
      -- the rule is well formed: its times start at the first digit, or at off / closed
      p := regexp_instr(part, '[0-9]|off$|closed$');
      day_text := CASE WHEN p = 0 THEN part ELSE nullif(btrim(left(part, p - 1), ws), '') END;
      time_text := CASE WHEN p = 0 THEN NULL ELSE substr(part, p) END;
      days := ARRAY[0, 1, 2, 3, 4, 5, 6];
      IF day_text IS NOT NULL THEN
        days := '{}';
        items := string_to_array(day_text, ',');
        FOR j IN 1 .. cardinality(items) LOOP
          CONTINUE WHEN btrim(items[j], ws) IN ('ph', 'sh');
          a := array_position(wd, btrim(split_part(items[j], '-', 1), ws)) - 1;
          b := coalesce(array_position(wd, nullif(btrim(split_part(items[j], '-', 2), ws), '')) - 1, a);
          FOR i IN 0 .. mod(b - a + 7, 7) LOOP
            days := days || mod(a + i, 7);
          END LOOP;
        END LOOP;
        CONTINUE WHEN cardinality(days) = 0;  -- only holidays: ignored
      END IF;
      -- spans: start, end pairs in minutes of the day; an end past midnight runs into the next day
      IF time_text IS NULL OR time_text = '24/7' THEN
        spans := ARRAY[0, 1440];
      ELSIF time_text IN ('off', 'closed') THEN
        spans := '{}';
      ELSE
        spans := '{}';
        items := string_to_array(time_text, ',');
        FOR j IN 1 .. cardinality(items) LOOP
          s := split_part(split_part(items[j], '-', 1), ':', 1)::int * 60
               + split_part(split_part(items[j], '-', 1), ':', 2)::int;
          e := split_part(split_part(items[j], '-', 2), ':', 1)::int * 60
               + split_part(split_part(items[j], '-', 2), ':', 2)::int;
          IF s >= 1440 OR e > 1440 OR split_part(split_part(items[j], '-', 1), ':', 2)::int >= 60
             OR split_part(split_part(items[j], '-', 2), ':', 2)::int >= 60 THEN
            RETURN NULL;
          END IF;
          spans := spans || ARRAY[s, CASE WHEN e <= s THEN e + 1440 ELSE e END];
        END LOOP;
      END IF;
      FOR i IN 1 .. cardinality(days) LOOP
        d := days[i];
        one := '{}';
        FOR j IN 1 .. cardinality(spans) / 2 LOOP
          s := d * 1440 + spans[2 * j - 1];
          e := d * 1440 + spans[2 * j];
          one := one + CASE WHEN e > 10080
                            THEN int4multirange(int4range(s, 10080), int4range(0, e - 10080))
                            ELSE int4multirange(int4range(s, e)) END;
        END LOOP;
        week[d + 1] := CASE WHEN k > 1 THEN week[d + 1] + one ELSE one END;
      END LOOP;
    END LOOP;
  END LOOP;
  FOR d IN 1 .. 7 LOOP
    result := result + week[d];
  END LOOP;
  RETURN result;
END
$fn$
"""

MEETS = r"""
CREATE OR REPLACE FUNCTION patchmap_meets_minutes(meets jsonb) RETURNS int4multirange
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 500 AS $fn$
DECLARE
  wd constant text[] := ARRAY['mo', 'tu', 'we', 'th', 'fr', 'sa', 'su'];
  result int4multirange := '{}';
  entry jsonb; days jsonb; n int; i int; j int; d int; s int; e int;
BEGIN
  IF jsonb_typeof(meets) <> 'array' THEN
    RETURN result;
  END IF;
  FOR i IN 0 .. jsonb_array_length(meets) - 1 LOOP
    entry := meets -> i;
    CONTINUE WHEN jsonb_typeof(entry) <> 'object';
    days := entry -> 'days';
    CONTINUE WHEN jsonb_typeof(days) IS DISTINCT FROM 'array'
               OR jsonb_typeof(entry -> 'start') IS DISTINCT FROM 'string'
               OR jsonb_typeof(entry -> 'end') IS DISTINCT FROM 'string';
    s := patchmap_hhmm(entry ->> 'start');
    e := patchmap_hhmm(entry ->> 'end');
    CONTINUE WHEN s IS NULL OR e IS NULL OR s >= 1440;
    IF e <= s THEN
      e := e + 1440;
    END IF;
    FOR j IN 0 .. jsonb_array_length(days) - 1 LOOP
      d := array_position(wd, CASE WHEN jsonb_typeof(days -> j) = 'string' THEN days ->> j END) - 1;
      CONTINUE WHEN d IS NULL;
      result := result + CASE WHEN d * 1440 + e > 10080
        THEN int4multirange(int4range(d * 1440 + s, 10080), int4range(0, d * 1440 + e - 10080))
        ELSE int4multirange(int4range(d * 1440 + s, d * 1440 + e)) END;
    END LOOP;
  END LOOP;
  RETURN result;
END
$fn$
"""


def _run(sql: str) -> None:
    # Straight to the driver: text() would take "(?:mo" in the regular expressions for a bind parameter.
    op.get_bind().exec_driver_sql(sql, execution_options={"no_parameters": True})


def upgrade() -> None:
    _run(HHMM)
    _run(OPENING)
    _run(MEETS)
    op.execute(
        "ALTER TABLE hubs ADD COLUMN opening_minutes int4multirange "
        "GENERATED ALWAYS AS (patchmap_opening_minutes(opening_hours)) STORED"
    )
    op.execute(
        "COMMENT ON COLUMN hubs.opening_minutes IS 'opening_hours as minutes of the week from Monday 00:00; "
        "NULL when not understood'"
    )
    op.execute(
        "ALTER TABLE groups ADD COLUMN meets_minutes int4multirange "
        "GENERATED ALWAYS AS (patchmap_meets_minutes(meets)) STORED"
    )
    op.execute("COMMENT ON COLUMN groups.meets_minutes IS 'meets as minutes of the week from Monday 00:00'")


def downgrade() -> None:
    op.execute("ALTER TABLE groups DROP COLUMN IF EXISTS meets_minutes")
    op.execute("ALTER TABLE hubs DROP COLUMN IF EXISTS opening_minutes")
    op.execute("DROP FUNCTION IF EXISTS patchmap_meets_minutes(jsonb)")
    op.execute("DROP FUNCTION IF EXISTS patchmap_opening_minutes(text)")
    op.execute("DROP FUNCTION IF EXISTS patchmap_hhmm(text)")
