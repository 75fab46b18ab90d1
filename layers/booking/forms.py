"""What a booker sends: ``BookingRequest`` (JSON, or an HTML form's fields) and its plain-English problems.

A time is given either as ``date`` + ``time`` (Europe/London local time) or as ``start`` with an offset; a
``start`` with no offset is refused rather than guessed. The length is ``minutes``, or an end: ``end_time``
(local, the same date) with ``date`` + ``time``, or ``end`` (with an offset) with ``start``.
"""

from __future__ import annotations

import json
from datetime import date as Date
from datetime import datetime
from datetime import time as Time
from typing import Annotated, Any, Final, Literal
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from layers.errors import InvalidInput, UnsupportedMediaType
from layers.fields import EMAIL, PHONE, Email, Name, Phone, Short
from layers.offers.forms import InvalidSubmission

CONSENT_TEXT: Final = "You may contact me about this booking, and keep my details until it is over."
NAIVE_PROBLEM: Final = (
    "give an offset (like 2027-01-12T18:00:00+00:00), or use date and time, which are Europe/London time"
)
FIRST_YEAR: Final = 2000
LAST_YEAR: Final = 2100
Purpose = Annotated[Short, Field(min_length=1, max_length=500)]


class InvalidBooking(InvalidSubmission):
    """A booking request with one or more problems, each (field or date, what is wrong)."""

    def __init__(self, problems: list[tuple[str, str]], message: str | None = None) -> None:
        super().__init__(problems)
        if message is not None:
            self.message = message
            self.args = (message,)


class BookingRequest(BaseModel):
    """A booking: what, when, for how long (and how many weeks), who for, and the booker's contact."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    kind: Literal["room", "space"] = Field(description="book a hub's room, or a whole space")
    id: int = Field(ge=1, le=2_147_483_647, description="the room's or space's id")
    date: Date | None = Field(default=None, description="the local date (Europe/London)")
    time: Time | None = Field(default=None, description="the local start time (Europe/London), e.g. 18:00")
    start: datetime | None = Field(
        default=None, description="instead of date and time: a start with an offset"
    )
    minutes: int | None = Field(default=None, ge=-100_000, le=100_000, description="how long, in minutes")
    end_time: Time | None = Field(default=None, description="instead of minutes: the local end time")
    end: datetime | None = Field(default=None, description="instead of minutes: the end, with an offset")
    repeat_weeks: int = Field(
        default=1, ge=1, le=52, description="the same local time each week, this many weeks"
    )
    only_free: bool = Field(default=False, description="book the weeks that are free and skip the rest")
    name: Name = Field(description="the booker's name (private)")
    email: Email | None = Field(default=None, description="private: for the confirmation and manage link")
    phone: Phone | None = Field(default=None, description="private")
    group_id: int | None = Field(default=None, ge=1, le=2_147_483_647, description="the group it is for")
    purpose: Purpose = Field(description="what it is for, e.g. a choir rehearsal")
    attendees: int = Field(ge=1, le=100_000, description="how many people")
    consent: bool = Field(description=CONSENT_TEXT + " Must be true.")

    @model_validator(mode="before")
    @classmethod
    def _drop_blanks(cls, data: Any) -> Any:
        """Fields given as blank strings count as not given (a form sends "" for an empty box)."""
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        """A date-time must carry its offset."""
        if value is not None and value.utcoffset() is None:
            raise ValueError(NAIVE_PROBLEM)
        return value

    @field_validator("date", "start", "end")
    @classmethod
    def _sensible(cls, value: Date | datetime | None) -> Date | datetime | None:
        """A year Patchmap can book in (2000 to 2100)."""
        if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise ValueError(f"give a date between {FIRST_YEAR} and {LAST_YEAR}")
        return value

    @field_validator("time", "end_time")
    @classmethod
    def _local(cls, value: Time | None) -> Time | None:
        """A local time carries no offset (it is Europe/London)."""
        if value is not None and value.tzinfo is not None:
            raise ValueError("give the local time without an offset: it is Europe/London time")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        """An email address of the usual shape."""
        if value is not None and not EMAIL.match(value):
            raise ValueError("enter an email address like name@example.org")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        """A UK phone number (checked loosely)."""
        if value is not None and not PHONE.match("".join(c for c in value if c not in " .()-")):
            raise ValueError("enter a UK phone number like 01603 212121 or +44 7700 900123")
        return value

    @field_validator("consent")
    @classmethod
    def _consented(cls, value: bool) -> bool:
        """Consent must be given."""
        if not value:
            raise ValueError("tick the box to say we may contact you about this booking")
        return value

    @model_validator(mode="after")
    def _one_way(self) -> BookingRequest:
        """One way to say when, one way to say how long, and one way to reply."""
        local, instant = self.date is not None or self.time is not None, self.start is not None
        if local and instant:
            raise ValueError("say when in one way: date and time (Europe/London), or start with an offset")
        if not instant and (self.date is None or self.time is None):
            raise ValueError("say when: a date and a time (Europe/London), or start with an offset")
        if sum(x is not None for x in (self.minutes, self.end_time, self.end)) != 1:
            raise ValueError("say how long in one way: minutes, or end_time (with date and time), or end")
        if self.end_time is not None and instant:
            raise ValueError("end_time goes with date and time; with start, give end or minutes")
        if self.end is not None and not instant:
            raise ValueError("end goes with start; with date and time, give end_time or minutes")
        if self.email is None and self.phone is None:
            raise ValueError("give an email address or a phone number, so we can reach you")
        return self


FIELDS: Final = frozenset(BookingRequest.model_fields)


def parse_booking(body: bytes, content_type: str) -> BookingRequest:
    """A JSON or form-encoded body as a BookingRequest; InvalidBooking listing every problem."""
    return validate_booking(booking_payload(body, content_type))


def booking_payload(body: bytes, content_type: str, fields: frozenset[str] = FIELDS) -> dict[str, Any]:
    """The fields of a JSON or form-encoded body, as a dict (a form's fields not in ``fields`` are left out)."""
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json":
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            raise InvalidInput("The body is not valid JSON", "Send one JSON object in UTF-8.") from None
        if not isinstance(data, dict):
            raise InvalidInput("The body is not a JSON object", "Send the fields as one JSON object {...}.")
        return data
    if media == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(
                body.decode("utf-8"), keep_blank_values=True, max_num_fields=100, errors="strict"
            )
        except (UnicodeDecodeError, ValueError):
            raise InvalidInput(
                "The form could not be read", "Send the form in UTF-8 with fewer fields."
            ) from None
        return {key: value for key, value in pairs if key in fields}
    raise UnsupportedMediaType(
        f"Patchmap does not read {media[:60] or 'a body without a content type'}",
        "Send application/json, or application/x-www-form-urlencoded (an HTML form's usual encoding).",
    )


def validate_booking(payload: dict[str, Any]) -> BookingRequest:
    """The payload as a BookingRequest; InvalidBooking listing every problem in plain English."""
    try:
        return BookingRequest.model_validate(payload)
    except ValidationError as exc:
        raise InvalidBooking([_problem(e) for e in exc.errors(include_url=False)]) from None


def _problem(error: Any) -> tuple[str, str]:
    """One pydantic error as (field, what to do)."""
    where = ".".join(str(p) for p in error.get("loc", ())) or "booking"
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "missing":
        return where, "this is required"
    if kind == "value_error":
        return where, str(error.get("msg", "")).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return where, "is not a field of a booking"
    if kind in ("less_than_equal", "greater_than_equal"):
        bound = ctx.get("le", ctx.get("ge"))
        return where, f"must be {'at most' if 'le' in ctx else 'at least'} {bound}"
    if kind == "string_too_long":
        return where, f"too long: at most {ctx.get('max_length')} characters"
    if kind == "string_too_short":
        return where, "this is required"
    return where, str(error.get("msg", "is not valid"))
