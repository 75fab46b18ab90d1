"""Request and response models of the booking API (``api.routes.bookings``).

Public and private are separate models: ``BookerView`` shows the booker their own contact masked;
``ManagedBooking`` carries the booker's contact for a manager covering the district; nothing public names a
booker. Times are RFC 3339 with the Europe/London offset of the moment.
"""

from __future__ import annotations

from datetime import date as Date
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from layers.fields import plain

Status = Literal["requested", "confirmed", "declined", "cancelled", "expired"]


class Ref(BaseModel):
    """A record's id and name."""

    id: int
    name: str


class BookingTerms(BaseModel):
    """How a room or space is booked: price, hours (Europe/London), lengths, notice, horizon, approval."""

    resource_id: int
    bookable: bool
    rate_band: Literal["free", "low-cost", "market"]
    price_per_hour: float = Field(description="GBP")
    currency: Literal["GBP"]
    weekly_hours: str = Field(examples=["Mo-Fr 09:00-22:00; Sa 10:00-16:00"], description="local time")
    timezone: Literal["Europe/London"]
    slot_minutes: int
    min_minutes: int
    max_minutes: int
    lead_minutes: int = Field(description="least notice before a booking starts")
    horizon_days: int = Field(description="how far ahead it can be booked")
    buffer_minutes: int = Field(description="turnaround kept free after each booking")
    approval: Literal["instant", "request"]
    terms: str | None
    sample: bool = Field(description="made up for the demo: show it as sample")


class ResourceSummary(BaseModel):
    """A room or space, its hub and its booking terms (none if it cannot be booked here)."""

    kind: Literal["room", "space"]
    id: int
    name: str
    description: str | None
    capacity: int | None
    floor_area_m2: float | None
    facilities: list[str]
    step_free: bool | None
    hub: Ref | None
    lon: float | None
    lat: float | None
    ward_code: str | None
    booking: BookingTerms | None
    sample: bool = Field(description="made up for the demo: show it as sample")


class TimeSpan(BaseModel):
    """A time range [start, end)."""

    start: datetime
    end: datetime


class ClosedDate(BaseModel):
    """A local date the room or space is shut."""

    date: Date
    reason: str | None


class Availability(BaseModel):
    """Free and busy times (busy names no one) and closed dates, Europe/London."""

    model_config = ConfigDict(populate_by_name=True)

    resource: ResourceSummary
    from_: Date = Field(alias="from")
    to: Date
    timezone: Literal["Europe/London"]
    free: list[TimeSpan] = Field(description="times that can be booked, on the slot grid")
    busy: list[TimeSpan] = Field(description="times held by bookings (turnaround included)")
    closed: list[ClosedDate]


class BookedSlot(TimeSpan):
    """One time of a booking and its status."""

    status: Status


class Skipped(BaseModel):
    """A week of a series left out (only_free), and why."""

    date: Date
    reason: str


class BookingReceipt(BaseModel):
    """What a booker gets back: the reference, the secret manage link (once), the times and the price."""

    reference: str = Field(examples=["BK-7K3Q9XF2"])
    status: Literal["requested", "confirmed"]
    token: str | None = Field(description="the secret manage token; null on an Idempotency-Key retry")
    manage_url: str | None = Field(description="the booker's page; null on an Idempotency-Key retry")
    slots: list[BookedSlot]
    skipped: list[Skipped]
    price_total: float = Field(description="GBP")
    currency: Literal["GBP"]
    message: str
    sample: bool


class MaskedContact(BaseModel):
    """The booker's own contact, shown back masked."""

    name: str | None
    email: str | None = Field(examples=["s***@example.org"])
    phone: str | None = Field(examples=["*** 121"])


class Contact(BaseModel):
    """Private: the booker's contact, for a manager covering the district."""

    name: str | None
    email: str | None
    phone: str | None


class BookingBase(BaseModel):
    """A booking's public parts: what, when, the status and the price."""

    reference: str
    status: Status
    resource: ResourceSummary
    slots: list[BookedSlot]
    price_total: float
    currency: Literal["GBP"]
    purpose: str
    attendees: int
    repeat_weeks: int
    group_id: int | None
    created_at: datetime
    hold_expires_at: datetime | None = Field(description="a request is held until then")
    decision_reason: str | None
    sample: bool


class BookerView(BookingBase):
    """The booker's view of their booking."""

    contact: MaskedContact | None


class ManagedBooking(BookingBase):
    """A booking as a manager sees it; the booker's contact only for one covering the district."""

    district_code: str | None
    decided_at: datetime | None
    contact: Contact | None


class CancelBody(BaseModel):
    """The manage token, and optionally one local date of a series to cancel."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=100)
    date: Date | None = Field(default=None, description="cancel only this local date of a series")


class DeclineBody(BaseModel):
    """Why a request is declined (the booker is told)."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, AfterValidator(plain)] = Field(min_length=1, max_length=500)
