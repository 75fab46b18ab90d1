"""Booking and messages: hubs' rooms, what can be booked and on what terms, bookings, and the outbox.

- ``Room``: a room of a hub, as a row (name, capacity, floor area, facilities, step-free access), keyed by
  ``source`` and ``source_id`` when imported (``layers.importers.rooms``).
- ``Resource``: something bookable, a room or a whole space (exactly one), with its terms: the price per
  hour and community rate band, weekly hours (OpenStreetMap ``opening_hours`` syntax, Europe/London local
  time, parsed once into ``open_minutes``), slot step, shortest and longest booking, notice and horizon,
  the turnaround buffer and approval mode. Its point, capacity and ward are copied from its hub or space by
  triggers (migration 0010), so the free-room search reads one table with a nearest-neighbour index.
- ``ResourceClosure``: dates a resource is shut (a date range, Europe/London).
- ``Booking``: one booking, or a regular series ("every Tuesday 18:00-20:00 for 12 weeks"), with a public
  reference and a secret manage token (only its SHA-256 digest is stored). Its times are its ``BookingSlot``
  rows; the booker's contact is a ``BookingContact`` row, kept apart and never public.
- ``BookingSlot``: one time range of a booking (``tstzrange``) and the range it holds (the same, plus the
  resource's turnaround buffer after it). The exclusion constraint ``no_double_booking`` makes two live
  slots (requested or confirmed) of one resource that overlap impossible, whatever the code path.
- ``OutboxMessage``: a message to send, written in the same transaction as the change it tells of, and
  sent by the background sender (``layers.messages``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, DATERANGE, INT4MULTIRANGE, TSTZRANGE, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from layers import taxonomy as tx
from layers.models.base import Base, Timestamped, _one_of

BOOKING_STATUSES = ("requested", "confirmed", "declined", "cancelled", "expired")
LIVE_STATUSES = ("requested", "confirmed")
APPROVAL_MODES = ("instant", "request")
MESSAGE_STATUSES = ("queued", "sending", "sent", "failed")


class Room(Timestamped, Base):
    """A room of a hub (a hall, a meeting room, a kitchen)."""

    __tablename__ = "rooms"
    __table_args__ = (
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity"),
        CheckConstraint("floor_area_m2 IS NULL OR floor_area_m2 > 0", name="floor_area_m2"),
        UniqueConstraint("source", "source_id", name="uq_rooms_source_id"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    capacity: Mapped[int | None] = mapped_column(Integer, comment="people")
    floor_area_m2: Mapped[float | None] = mapped_column(Numeric(10, 1))
    facilities: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    step_free: Mapped[bool | None] = mapped_column(Boolean)
    sample: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false", comment="made up for the demo: shown as sample"
    )
    source: Mapped[str] = mapped_column(String(32), default="manual", server_default="manual")
    source_id: Mapped[str | None] = mapped_column(Text, comment="the room's id in its source")


class Resource(Timestamped, Base):
    """Something bookable, a hub's room or a whole space, and the terms it is booked on."""

    __tablename__ = "resources"
    __table_args__ = (
        CheckConstraint("(room_id IS NULL) <> (space_id IS NULL)", name="room_or_space"),
        CheckConstraint(_one_of("rate_band", tx.PRICE_BANDS), name="rate_band"),
        CheckConstraint("price_per_hour >= 0", name="price_per_hour"),
        CheckConstraint("rate_band <> 'free' OR price_per_hour = 0", name="free_is_free"),
        CheckConstraint(_one_of("approval", APPROVAL_MODES), name="approval"),
        CheckConstraint("slot_minutes BETWEEN 5 AND 240", name="slot_minutes"),
        CheckConstraint(
            "min_minutes >= slot_minutes AND min_minutes <= max_minutes AND max_minutes <= 1440",
            name="lengths",
        ),
        CheckConstraint("lead_minutes >= 0", name="lead_minutes"),
        CheckConstraint("horizon_days BETWEEN 1 AND 730", name="horizon_days"),
        CheckConstraint("buffer_minutes BETWEEN 0 AND 240", name="buffer_minutes"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), unique=True)
    space_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), unique=True)
    bookable: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    rate_band: Mapped[str] = mapped_column(String(16), comment="community rate: free, low-cost or market")
    price_per_hour: Mapped[float] = mapped_column(Numeric(8, 2), default=0, server_default="0", comment="GBP")
    weekly_hours: Mapped[str] = mapped_column(
        Text, comment="when it can be booked: opening_hours syntax, Europe/London, e.g. Mo-Fr 09:00-22:00"
    )
    open_minutes: Mapped[Any | None] = mapped_column(
        INT4MULTIRANGE,
        comment="weekly_hours as minutes of the week from Monday 00:00 (local time)",
    )  # filled by the trigger resources_open_minutes from hours_parsed (migration 0016)
    slot_minutes: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    min_minutes: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    max_minutes: Mapped[int] = mapped_column(Integer, default=480, server_default="480")
    lead_minutes: Mapped[int] = mapped_column(
        Integer, default=1440, server_default="1440", comment="least notice before a booking starts"
    )
    horizon_days: Mapped[int] = mapped_column(
        Integer, default=180, server_default="180", comment="how far ahead it can be booked"
    )
    buffer_minutes: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0", comment="turnaround time kept free after each booking"
    )
    approval: Mapped[str] = mapped_column(String(8), default="request", server_default="request")
    terms: Mapped[str | None] = mapped_column(Text, comment="conditions of hire, shown before booking")
    manager_email: Mapped[str | None] = mapped_column(
        Text, comment="private: who answers requests (else the district's co-ordinators)"
    )
    sample: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false", comment="made up for the demo: shown as sample"
    )
    # copied from the room's hub or the space by triggers (migration 0010)
    hub_id: Mapped[int | None] = mapped_column(Integer, comment="the room's hub (set by a trigger)")
    capacity: Mapped[int | None] = mapped_column(Integer, comment="the room's or space's (set by a trigger)")
    ward_code: Mapped[str | None] = mapped_column(String(32), comment="set by a trigger")
    lsoa_code: Mapped[str | None] = mapped_column(String(32), comment="set by a trigger")
    geom: Mapped[Any | None] = mapped_column(
        Geometry("POINT", srid=4326, spatial_index=False), comment="set by a trigger"
    )
    geom_bng: Mapped[Any | None] = mapped_column(
        Geometry("POINT", srid=27700, spatial_index=True),
        Computed("ST_Transform(geom, 27700)", persisted=True),
        comment="the point in British National Grid, for the free-room search",
    )


class ResourceClosure(Base):
    """Dates a resource is shut (bank holidays, a refit), Europe/London."""

    __tablename__ = "resource_closures"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    dates: Mapped[Any] = mapped_column(DATERANGE, comment="the dates shut, e.g. [2026-12-24,2026-12-27)")
    reason: Mapped[str | None] = mapped_column(Text)


class Booking(Timestamped, Base):
    """A booking (one time, or a weekly series), its status, and its secret manage token's digest."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint(_one_of("status", BOOKING_STATUSES), name="status"),
        CheckConstraint("attendees >= 1", name="attendees"),
        CheckConstraint("repeat_weeks BETWEEN 1 AND 52", name="repeat_weeks"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    attendees: Mapped[int] = mapped_column(Integer)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    repeat_weeks: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    price_total: Mapped[float] = mapped_column(Numeric(10, 2), comment="GBP, as quoted when booked")
    token_digest: Mapped[str] = mapped_column(String(64), unique=True, comment="SHA-256 of the manage token")
    token_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    hold_expires_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="a request's hold on its times ends (expired) unless answered"
    )
    district_code: Mapped[str | None] = mapped_column(String(32), index=True)
    client_key: Mapped[str] = mapped_column(
        String(64), comment="keyed hash of the client, for the rate limit"
    )
    decided_by: Mapped[int | None] = mapped_column(Integer, comment="users.id of the manager who answered")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_reason: Mapped[str | None] = mapped_column(Text)


class BookingContact(Base):
    """How to reach a booker: private, kept apart from the booking, never in a public answer or a log."""

    __tablename__ = "booking_contacts"

    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    consent: Mapped[str | None] = mapped_column(Text, comment="the words the booker agreed to")
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BookingSlot(Base):
    """One time range of a booking, and the range it holds (with the turnaround buffer after it)."""

    __tablename__ = "booking_slots"
    __table_args__ = (
        CheckConstraint(_one_of("status", BOOKING_STATUSES), name="status"),
        CheckConstraint(
            "NOT isempty(during) AND lower_inc(during) AND NOT upper_inc(during) AND held @> during",
            name="ranges",
        ),
        ExcludeConstraint(
            ("resource_id", "="),
            ("held", "&&"),
            where=text("status IN ('requested', 'confirmed')"),
            using="gist",
            name="no_double_booking",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="RESTRICT"))
    during: Mapped[Any] = mapped_column(TSTZRANGE, comment="the time booked, [start, end)")
    held: Mapped[Any] = mapped_column(TSTZRANGE, comment="during, plus the turnaround buffer after it")
    status: Mapped[str] = mapped_column(String(16))


class OutboxMessage(Base):
    """A message to send (an email), written with the change it tells of; sent once by the sender."""

    __tablename__ = "outbox"
    __table_args__ = (CheckConstraint(_one_of("status", MESSAGE_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(Text, unique=True, comment="one message per event and recipient")
    recipient: Mapped[str] = mapped_column(Text, comment="private: an email address")
    recipient_role: Mapped[str] = mapped_column(String(16), comment="e.g. booker, manager")
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text, comment="plain text; erased once sent")
    about: Mapped[str | None] = mapped_column(Text, comment="what it is about, e.g. booking/BK-7K3Q9XF2")
    district_code: Mapped[str | None] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued", server_default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


Index("ix_bookings_client_recent", Booking.client_key, Booking.created_at)  # the booking rate limit
Index(
    "ix_resource_closures_dates", ResourceClosure.resource_id, ResourceClosure.dates, postgresql_using="gist"
)
Index("ix_outbox_due", OutboxMessage.status, OutboxMessage.next_attempt_at)
