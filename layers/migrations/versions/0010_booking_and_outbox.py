"""booking: hubs' rooms as rows, bookable resources and their terms, bookings with no double booking, outbox

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 02:00:00.000000

- ``rooms``: a hub's rooms, which were a JSON list on ``hubs.rooms``, become rows (the list's entries with a
  name are copied; the column goes).
- ``resources``: a room or a whole space that can be booked, with its terms. Its point, capacity, hub and
  ward are copied from the room's hub or the space by triggers, so the free-room search reads one table with
  its own nearest-neighbour index (``geom_bng``); the copies follow when a hub, room or space changes.
- ``resource_closures``: dates a resource is shut.
- ``bookings``, ``booking_contacts`` (private, apart) and ``booking_slots``. ``no_double_booking`` is an
  exclusion constraint (``btree_gist``): no two live slots (requested or confirmed) of one resource may
  overlap in the range they hold (the booked time plus the turnaround buffer after it).
- ``outbox``: messages written with the change they tell of, sent by the background sender.
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql as pg

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

NOW = sa.func.now()

COPY_TRIGGERS = r"""
CREATE OR REPLACE FUNCTION patchmap_resource_place() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF NEW.room_id IS NOT NULL THEN
    SELECT r.hub_id, r.capacity, h.ward_code, h.lsoa_code, h.geom
      INTO NEW.hub_id, NEW.capacity, NEW.ward_code, NEW.lsoa_code, NEW.geom
      FROM rooms r JOIN hubs h ON h.id = r.hub_id WHERE r.id = NEW.room_id;
  ELSE
    SELECT s.hub_id, s.capacity, s.ward_code, s.lsoa_code, s.geom
      INTO NEW.hub_id, NEW.capacity, NEW.ward_code, NEW.lsoa_code, NEW.geom
      FROM spaces s WHERE s.id = NEW.space_id;
  END IF;
  RETURN NEW;
END $fn$;

CREATE TRIGGER resources_place BEFORE INSERT OR UPDATE OF room_id, space_id ON resources
FOR EACH ROW EXECUTE FUNCTION patchmap_resource_place();

-- when a hub, room or space changes, its resources' copies follow (a no-op update re-runs the trigger)
CREATE OR REPLACE FUNCTION patchmap_resources_follow() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_TABLE_NAME = 'hubs' THEN
    UPDATE resources SET room_id = room_id WHERE room_id IN (SELECT id FROM rooms WHERE hub_id = NEW.id);
  ELSIF TG_TABLE_NAME = 'rooms' THEN
    UPDATE resources SET room_id = room_id WHERE room_id = NEW.id;
  ELSE
    UPDATE resources SET space_id = space_id WHERE space_id = NEW.id;
  END IF;
  RETURN NULL;
END $fn$;

CREATE TRIGGER hubs_resources_follow AFTER UPDATE OF geom, ward_code, lsoa_code ON hubs
FOR EACH ROW EXECUTE FUNCTION patchmap_resources_follow();
CREATE TRIGGER rooms_resources_follow AFTER UPDATE OF capacity, hub_id ON rooms
FOR EACH ROW EXECUTE FUNCTION patchmap_resources_follow();
CREATE TRIGGER spaces_resources_follow AFTER UPDATE OF geom, capacity, ward_code, lsoa_code, hub_id ON spaces
FOR EACH ROW EXECUTE FUNCTION patchmap_resources_follow();
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS spaces_resources_follow ON spaces;
DROP TRIGGER IF EXISTS rooms_resources_follow ON rooms;
DROP TRIGGER IF EXISTS hubs_resources_follow ON hubs;
DROP FUNCTION IF EXISTS patchmap_resources_follow();
DROP FUNCTION IF EXISTS patchmap_resource_place() CASCADE;
"""

ROOMS_FROM_JSON = r"""
INSERT INTO rooms (hub_id, name, capacity, description)
SELECT h.id, left(btrim(e ->> 'name'), 200),
       CASE WHEN (e ->> 'capacity') ~ '^\d{1,6}$' THEN (e ->> 'capacity')::int END,
       CASE WHEN jsonb_typeof(e -> 'description') = 'string' THEN e ->> 'description' END
FROM hubs h CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(h.rooms) = 'array' THEN h.rooms ELSE '[]' END) e
WHERE jsonb_typeof(e) = 'object' AND coalesce(btrim(e ->> 'name'), '') <> ''
"""

ROOMS_TO_JSON = """
UPDATE hubs h SET rooms = r.list
FROM (SELECT hub_id, jsonb_agg(jsonb_strip_nulls(jsonb_build_object('name', name, 'capacity', capacity,
             'description', description)) ORDER BY id) AS list FROM rooms GROUP BY hub_id) r
WHERE r.hub_id = h.id
"""


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    ]


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "rooms",
        sa.Column("id", sa.Integer(), sa.Identity(), nullable=False),
        sa.Column("hub_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True, comment="people"),
        sa.Column("floor_area_m2", sa.Numeric(10, 1), nullable=True),
        sa.Column("facilities", pg.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("step_free", sa.Boolean(), nullable=True),
        sa.Column(
            "sample",
            sa.Boolean(),
            server_default="false",
            nullable=False,
            comment="made up for the demo: shown as sample",
        ),
        *_timestamps(),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 0", name="ck_rooms_capacity"),
        sa.CheckConstraint("floor_area_m2 IS NULL OR floor_area_m2 > 0", name="ck_rooms_floor_area_m2"),
        sa.ForeignKeyConstraint(["hub_id"], ["hubs.id"], name="fk_rooms_hub_id_hubs", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_rooms"),
    )
    op.create_index("ix_rooms_hub_id", "rooms", ["hub_id"])
    op.execute(ROOMS_FROM_JSON)
    op.drop_column("hubs", "rooms")

    op.create_table(
        "resources",
        sa.Column("id", sa.Integer(), sa.Identity(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column("space_id", sa.Integer(), nullable=True),
        sa.Column("bookable", sa.Boolean(), server_default="true", nullable=False),
        sa.Column(
            "rate_band", sa.String(16), nullable=False, comment="community rate: free, low-cost or market"
        ),
        sa.Column("price_per_hour", sa.Numeric(8, 2), server_default="0", nullable=False, comment="GBP"),
        sa.Column(
            "weekly_hours",
            sa.Text(),
            nullable=False,
            comment="when it can be booked: opening_hours syntax, Europe/London, e.g. Mo-Fr 09:00-22:00",
        ),
        sa.Column(
            "open_minutes",
            pg.INT4MULTIRANGE(),
            sa.Computed("patchmap_opening_minutes(weekly_hours)", persisted=True),
            nullable=True,
            comment="weekly_hours as minutes of the week from Monday 00:00 (local time)",
        ),
        sa.Column("slot_minutes", sa.Integer(), server_default="30", nullable=False),
        sa.Column("min_minutes", sa.Integer(), server_default="60", nullable=False),
        sa.Column("max_minutes", sa.Integer(), server_default="480", nullable=False),
        sa.Column(
            "lead_minutes",
            sa.Integer(),
            server_default="1440",
            nullable=False,
            comment="least notice before a booking starts",
        ),
        sa.Column(
            "horizon_days",
            sa.Integer(),
            server_default="180",
            nullable=False,
            comment="how far ahead it can be booked",
        ),
        sa.Column(
            "buffer_minutes",
            sa.Integer(),
            server_default="0",
            nullable=False,
            comment="turnaround time kept free after each booking",
        ),
        sa.Column("approval", sa.String(8), server_default="request", nullable=False),
        sa.Column("terms", sa.Text(), nullable=True, comment="conditions of hire, shown before booking"),
        sa.Column(
            "manager_email",
            sa.Text(),
            nullable=True,
            comment="private: who answers requests (else the district's co-ordinators)",
        ),
        sa.Column(
            "sample",
            sa.Boolean(),
            server_default="false",
            nullable=False,
            comment="made up for the demo: shown as sample",
        ),
        sa.Column("hub_id", sa.Integer(), nullable=True, comment="the room's hub (set by a trigger)"),
        sa.Column(
            "capacity", sa.Integer(), nullable=True, comment="the room's or space's (set by a trigger)"
        ),
        sa.Column("ward_code", sa.String(32), nullable=True, comment="set by a trigger"),
        sa.Column("lsoa_code", sa.String(32), nullable=True, comment="set by a trigger"),
        sa.Column(
            "geom",
            Geometry("POINT", srid=4326, spatial_index=False),
            nullable=True,
            comment="set by a trigger",
        ),
        sa.Column(
            "geom_bng",
            Geometry("POINT", srid=27700, spatial_index=False),
            sa.Computed("ST_Transform(geom, 27700)", persisted=True),
            nullable=True,
            comment="the point in British National Grid, for the free-room search",
        ),
        *_timestamps(),
        sa.CheckConstraint("(room_id IS NULL) <> (space_id IS NULL)", name="ck_resources_room_or_space"),
        sa.CheckConstraint("rate_band IN ('free', 'low-cost', 'market')", name="ck_resources_rate_band"),
        sa.CheckConstraint("price_per_hour >= 0", name="ck_resources_price_per_hour"),
        sa.CheckConstraint("rate_band <> 'free' OR price_per_hour = 0", name="ck_resources_free_is_free"),
        sa.CheckConstraint("approval IN ('instant', 'request')", name="ck_resources_approval"),
        sa.CheckConstraint("slot_minutes BETWEEN 5 AND 240", name="ck_resources_slot_minutes"),
        sa.CheckConstraint(
            "min_minutes >= slot_minutes AND min_minutes <= max_minutes AND max_minutes <= 1440",
            name="ck_resources_lengths",
        ),
        sa.CheckConstraint("lead_minutes >= 0", name="ck_resources_lead_minutes"),
        sa.CheckConstraint("horizon_days BETWEEN 1 AND 730", name="ck_resources_horizon_days"),
        sa.CheckConstraint("buffer_minutes BETWEEN 0 AND 240", name="ck_resources_buffer_minutes"),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name="fk_resources_room_id_rooms", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["space_id"], ["spaces.id"], name="fk_resources_space_id_spaces", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_resources"),
        sa.UniqueConstraint("room_id", name="uq_resources_room_id"),
        sa.UniqueConstraint("space_id", name="uq_resources_space_id"),
    )
    op.create_index("idx_resources_geom_bng", "resources", ["geom_bng"], postgresql_using="gist")
    op.execute(COPY_TRIGGERS)

    op.create_table(
        "resource_closures",
        sa.Column("id", sa.Integer(), sa.Identity(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column(
            "dates", pg.DATERANGE(), nullable=False, comment="the dates shut, e.g. [2026-12-24,2026-12-27)"
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name="fk_resource_closures_resource_id_resources",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_resource_closures"),
    )
    op.create_index("ix_resource_closures_resource_id", "resource_closures", ["resource_id"])
    op.create_index(
        "ix_resource_closures_dates", "resource_closures", ["resource_id", "dates"], postgresql_using="gist"
    )

    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), sa.Identity(), nullable=False),
        sa.Column("reference", sa.String(16), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("attendees", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("repeat_weeks", sa.Integer(), server_default="1", nullable=False),
        sa.Column("price_total", sa.Numeric(10, 2), nullable=False, comment="GBP, as quoted when booked"),
        sa.Column("token_digest", sa.String(64), nullable=False, comment="SHA-256 of the manage token"),
        sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "hold_expires_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="a request's hold on its times ends (expired) unless answered",
        ),
        sa.Column("district_code", sa.String(32), nullable=True),
        sa.Column(
            "client_key",
            sa.String(64),
            nullable=False,
            comment="keyed hash of the client, for the rate limit",
        ),
        sa.Column("decided_by", sa.Integer(), nullable=True, comment="users.id of the manager who answered"),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(
            "status IN ('requested', 'confirmed', 'declined', 'cancelled', 'expired')",
            name="ck_bookings_status",
        ),
        sa.CheckConstraint("attendees >= 1", name="ck_bookings_attendees"),
        sa.CheckConstraint("repeat_weeks BETWEEN 1 AND 52", name="ck_bookings_repeat_weeks"),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name="fk_bookings_resource_id_resources", ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name="fk_bookings_group_id_groups", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_bookings"),
        sa.UniqueConstraint("reference", name="uq_bookings_reference"),
        sa.UniqueConstraint("token_digest", name="uq_bookings_token_digest"),
    )
    op.create_index("ix_bookings_resource_id", "bookings", ["resource_id"])
    op.create_index("ix_bookings_status", "bookings", ["status"])
    op.create_index("ix_bookings_district_code", "bookings", ["district_code"])
    op.create_index("ix_bookings_client_recent", "bookings", ["client_key", "created_at"])

    op.create_table(
        "booking_contacts",
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("consent", sa.Text(), nullable=True, comment="the words the booker agreed to"),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name="fk_booking_contacts_booking_id_bookings",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("booking_id", name="pk_booking_contacts"),
    )

    op.create_table(
        "booking_slots",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("during", pg.TSTZRANGE(), nullable=False, comment="the time booked, [start, end)"),
        sa.Column(
            "held", pg.TSTZRANGE(), nullable=False, comment="during, plus the turnaround buffer after it"
        ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.CheckConstraint(
            "status IN ('requested', 'confirmed', 'declined', 'cancelled', 'expired')",
            name="ck_booking_slots_status",
        ),
        sa.CheckConstraint(
            "NOT isempty(during) AND lower_inc(during) AND NOT upper_inc(during) AND held @> during",
            name="ck_booking_slots_ranges",
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name="fk_booking_slots_booking_id_bookings", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name="fk_booking_slots_resource_id_resources",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_booking_slots"),
        pg.ExcludeConstraint(
            ("resource_id", "="),
            ("held", "&&"),
            where=sa.text("status IN ('requested', 'confirmed')"),
            using="gist",
            name="no_double_booking",
        ),
    )
    op.create_index("ix_booking_slots_booking_id", "booking_slots", ["booking_id"])

    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("dedupe_key", sa.Text(), nullable=False, comment="one message per event and recipient"),
        sa.Column("recipient", sa.Text(), nullable=False, comment="private: an email address"),
        sa.Column("recipient_role", sa.String(16), nullable=False, comment="e.g. booker, manager"),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=True, comment="plain text; erased once sent"),
        sa.Column("about", sa.Text(), nullable=True, comment="what it is about, e.g. booking/BK-7K3Q9XF2"),
        sa.Column("district_code", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), server_default="queued", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", name="ck_outbox_status"),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("dedupe_key", name="uq_outbox_dedupe_key"),
    )
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_district_code", "outbox", ["district_code"])


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("booking_slots")
    op.drop_table("booking_contacts")
    op.drop_table("bookings")
    op.drop_table("resource_closures")
    op.execute(DROP_TRIGGERS)
    op.drop_table("resources")
    op.add_column("hubs", sa.Column("rooms", pg.JSONB(), server_default="[]", nullable=False))
    op.execute(ROOMS_TO_JSON)
    op.drop_table("rooms")
