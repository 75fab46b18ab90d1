"""The booking pages: book a room or a space (``/book/{kind}/{id}``: its terms, a week of free and busy times,
and a plain form), the booker's own page (``/book/manage/{reference}``), and a resource's rules form for the
co-ordinator. Built from data handed in (``layers.booking``, ``layers.patch.bookings``); nothing here reads a
database. Every page is autoescaped Jinja and works without JavaScript; ``patchmap-book.js`` only adds a live
price and fills the date and time from a click on a free time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final

from layers.booking.rules import LONDON, local_instant
from layers.errors import InvalidInput
from mapping import assets
from mapping.assets import Asset
from mapping.pages import TEMPLATES

BOOK_JS: Final = Asset("js/patchmap-book.js")
BOOK_CSS: Final = Asset("css/patchmap-book.css")
PATCH_BOOKINGS_JS: Final = Asset("js/patchmap-patch-bookings.js")
DOCUMENT_CSS: Final = (*assets.PATCH_DOCUMENT_CSS, ("patchmap_book_css", BOOK_CSS))
MOST_ROWS: Final = 30  # the week view's rows: the slot length, doubled until the day fits in this many
BANDS: Final = {"free": "Free", "low-cost": "Low-cost community rate", "market": "Market rate"}
STATUS_WORDS: Final = {
    "requested": "Waiting for the manager's answer",
    "confirmed": "Confirmed",
    "declined": "Declined",
    "cancelled": "Cancelled",
    "expired": "Expired: the manager did not answer in time",
}
RULE_LABELS: Final = {
    "weekly_hours": "Weekly hours",
    "rate_band": "Rate band",
    "price_per_hour": "Price per hour (£)",
    "slot_minutes": "Slot length (minutes)",
    "min_minutes": "Shortest booking (minutes)",
    "max_minutes": "Longest booking (minutes)",
    "lead_minutes": "Least notice (minutes)",
    "horizon_days": "How far ahead (days)",
    "buffer_minutes": "Turnaround after each booking (minutes)",
    "approval": "Approval",
    "bookable": "Can be booked",
    "terms": "Terms of hire",
}


def money(amount: Any) -> str:
    """An amount in pounds as "£12.50" ("£0.00" for nothing)."""
    return f"£{Decimal(str(amount or 0)):,.2f}"


def length_words(minutes: int) -> str:
    """A length in words: 90 → "1 hour 30 minutes"."""
    hours, rest = divmod(int(minutes), 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    if rest or not hours:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return " ".join(parts)


def lengths(min_minutes: int, max_minutes: int, slot_minutes: int) -> list[tuple[int, str]]:
    """The lengths a booking may have, from the shortest to the longest in slot steps: (minutes, words)."""
    return [(m, length_words(m)) for m in range(min_minutes, max_minutes + 1, max(slot_minutes, 1))]


def cost(price_per_hour: Any, minutes: int) -> Decimal:
    """What ``minutes`` cost at ``price_per_hour``, to the penny."""
    return (Decimal(str(price_per_hour or 0)) * minutes / 60).quantize(Decimal("0.01"))


def price_words(price_per_hour: Any, minutes: int) -> str:
    """The price before booking: "£12.50 per hour; booking 2 hours costs £25.00." (or free)."""
    if Decimal(str(price_per_hour or 0)) == 0:
        return "Free: there is nothing to pay."
    total = money(cost(price_per_hour, minutes))
    return f"{money(price_per_hour)} per hour; booking {length_words(minutes)} costs {total}."


def day_words(day: date) -> str:
    """A date as "Tuesday 3 March 2026"."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def when_words(start: datetime, end: datetime) -> str:
    """A time range, local: "Tuesday 3 March 2026, 18:00 to 20:00"."""
    a, b = start.astimezone(LONDON), end.astimezone(LONDON)
    if a.date() == b.date():
        return f"{day_words(a.date())}, {a:%H:%M} to {b:%H:%M}"
    return f"{day_words(a.date())}, {a:%H:%M} to {day_words(b.date())}, {b:%H:%M}"


def monday(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Cell:
    """One time of one day in the week view: free (can be booked), booked, or not open / not bookable."""

    day: date
    at: str  # HH:MM, local
    state: str  # free, booked, none

    @property
    def words(self) -> str:
        """The time in words, for a screen reader: "Tuesday 3 March 2026 at 10:00"."""
        return f"{day_words(self.day)} at {self.at}"


@dataclass(frozen=True)
class WeekGrid:
    """A week of times (rows) by days (columns), the row step, and the weeks before and after."""

    days: list[date]
    rows: list[tuple[str, list[Cell]]]
    step_minutes: int
    week: date
    previous: date | None
    next: date | None
    closed: list[tuple[date, str]]

    @property
    def free_count(self) -> int:
        """How many free times are shown."""
        return sum(1 for _, cells in self.rows for c in cells if c.state == "free")


Spans = list[tuple[datetime, datetime]]


def _spans(items: Iterable[Mapping[str, Any]]) -> Spans:
    return [(_aware(i["start"]), _aware(i["end"])) for i in items]


def _aware(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def week_grid(
    availability: Mapping[str, Any], week: date, *, slot_minutes: int, today: date, last_day: date
) -> WeekGrid:
    """The week from Monday ``week`` as a table of free and booked times (local), from the availability."""
    days = [week + timedelta(days=i) for i in range(7)]
    free, busy = _spans(availability.get("free", [])), _spans(availability.get("busy", []))
    step = max(slot_minutes, 5)
    first, last = _day_bounds([*free, *busy])
    while (last - first) // step > MOST_ROWS:
        step *= 2
    first -= first % step
    rows = []
    for minute in range(first, last, step):
        at = f"{minute // 60:02d}:{minute % 60:02d}"
        rows.append((at, [Cell(d, at, _state(d, minute, step, free, busy)) for d in days]))
    closed = [
        (date.fromisoformat(str(c["date"])), str(c.get("reason") or ""))
        for c in availability.get("closed", [])
    ]
    return WeekGrid(
        days=days,
        rows=rows,
        step_minutes=step,
        week=week,
        previous=week - timedelta(days=7) if week > monday(today) else None,
        next=week + timedelta(days=7) if week + timedelta(days=7) <= last_day else None,
        closed=closed,
    )


def _day_bounds(spans: Spans) -> tuple[int, int]:
    """The earliest and latest minute of the day (local) any span touches; 09:00 to 17:00 if none."""
    if not spans:
        return 9 * 60, 17 * 60
    first, last = 24 * 60, 0
    for start, end in spans:
        a, b = start.astimezone(LONDON), end.astimezone(LONDON)
        first = min(first, a.hour * 60 + a.minute)
        last = max(last, 24 * 60 if b.date() > a.date() else b.hour * 60 + b.minute)
    return (first, last) if first < last else (0, 24 * 60)


def _state(day: date, minute: int, step: int, free: Spans, busy: Spans) -> str:
    """free when the whole cell is free; booked when any of it is busy; else none."""
    try:
        start = local_instant(day, time(minute // 60, minute % 60))
    except InvalidInput:  # a time the clocks skip or repeat
        return "none"
    end = start + timedelta(minutes=step)
    if any(s <= start and end <= e for s, e in free):
        return "free"
    if any(s < end and start < e for s, e in busy):
        return "booked"
    return "none"


@dataclass(frozen=True)
class BookPageData:
    """What the booking page needs: the resource's public summary, its week, the form's action and values."""

    static_url: str
    resource: dict[str, Any]
    grid: WeekGrid
    action: str
    page_url: str
    consent_text: str
    first_day: date
    last_day: date
    hold_hours: int = 72
    series_cap: int = 52
    values: dict[str, str] = field(default_factory=dict)
    map_url: str = "/"

    @classmethod
    def of(cls, found: Mapping[str, Any], *, static_url: str, action: str, page_url: str, consent_text: str,
           today: date, settings: Any, values: dict[str, str]) -> BookPageData:  # fmt: skip
        """The page's data from ``layers.booking.availability``'s answer for one week (plus the address)."""
        resource = flat_resource(found["resource"], found.get("address"))
        week = _as_date(found["from"])
        last_day = today + timedelta(days=int(resource["horizon_days"]))
        grid = week_grid(found, week, slot_minutes=resource["slot_minutes"], today=today, last_day=last_day)
        return cls(
            static_url=static_url, resource=resource, grid=grid, action=action, page_url=page_url,
            consent_text=consent_text, first_day=today, last_day=last_day, hold_hours=settings.booking_hold_hours,
            series_cap=settings.booking_series_cap, values=values,
        )  # fmt: skip

    @property
    def minutes(self) -> int:
        """The length chosen (from the values), else two hours if allowed, else the shortest."""
        r = self.resource
        allowed = [m for m, _ in lengths(r["min_minutes"], r["max_minutes"], r["slot_minutes"])]
        chosen = self.values.get("minutes", "")
        if chosen.isdigit() and int(chosen) in allowed:
            return int(chosen)
        return 120 if 120 in allowed else allowed[0]


def flat_resource(summary: Mapping[str, Any], address: str | None = None) -> dict[str, Any]:
    """A room's or space's public summary (``layers.booking.resource_summary``) with its booking terms, hub
    name and address at the top level, as the pages use them."""
    terms = summary.get("booking") or {}
    hub = summary.get("hub") or {}
    return {
        **terms, **summary, "record_id": summary["id"], "hub_name": hub.get("name"), "address": address,
        "price_per_hour": terms.get("price_per_hour", 0),
    }  # fmt: skip


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _render(name: str, **values: Any) -> str:
    return TEMPLATES.get_template(name).render(**values)


def _css(static_url: str) -> list[str]:
    return [a.url(static_url) for _, a in DOCUMENT_CSS]


def book_page(data: BookPageData) -> str:
    """The page to book one room or space: its terms, the week's free and booked times, and the form."""
    r = data.resource
    return _render(
        "book_resource.html",
        title=f"Book {r['name']}: Patchmap",
        d=data,
        r=r,
        css=_css(data.static_url),
        script=BOOK_JS.url(data.static_url),
        lengths=lengths(r["min_minutes"], r["max_minutes"], r["slot_minutes"]),
        price=price_words(r["price_per_hour"], data.minutes),
        bands=BANDS,
        length_words=length_words,
        day_words=day_words,
        money=money,
    )


def manage_page(view: Mapping[str, Any], *, static_url: str, token: str, cancel_url: str, book_url: str | None,
                notice: str = "") -> str:  # fmt: skip
    """The booker's page: the booking's status, times, price and place, what happens next, and cancelling."""
    slots = [
        {**s, "words": when_words(_aware(s["start"]), _aware(s["end"])), "date": _aware(s["start"]).astimezone(LONDON).date()}
        for s in view.get("slots", [])
    ]  # fmt: skip
    live = [s for s in slots if s.get("status") in ("requested", "confirmed")]
    return _render(
        "book_manage.html",
        title=f"Booking {view['reference']}: Patchmap",
        v=view,
        res=flat_resource(view["resource"], view.get("address")) if view.get("resource") else {},
        slots=slots,
        live=live,
        token=token,
        cancel_url=cancel_url,
        book_url=book_url,
        notice=notice,
        status_words=STATUS_WORDS,
        money=money,
        css=_css(static_url),
    )


def rules_page(resource: Mapping[str, Any], *, static_url: str, action: str, patch_url: str, csrf_token: str,
               problems: Iterable[tuple[str, str]] = (), values: Mapping[str, Any] | None = None,
               saved: bool = False) -> str:  # fmt: skip
    """The form to change one resource's booking rules, each problem beside its field."""
    errors = dict(problems)
    return _render(
        "book_rules.html",
        title=("Error: " if errors else "") + f"Booking rules: {resource['name']}: Patchmap",
        r=resource,
        values={**resource, **(values or {})},
        errors=errors,
        labels=RULE_LABELS,
        bands=BANDS,
        action=action,
        patch_url=patch_url,
        csrf_token=csrf_token,
        saved=saved,
        css=_css(static_url),
    )


def rules_words(r: Mapping[str, Any]) -> str:
    """A resource's rules in one line, for the patch page's list."""
    band = BANDS.get(r["rate_band"], r["rate_band"])
    price = "free" if Decimal(str(r["price_per_hour"] or 0)) == 0 else f"{money(r['price_per_hour'])} an hour"
    approval = "confirmed at once" if r["approval"] == "instant" else "on request"
    return (
        f"{r['weekly_hours']}; {price} ({band.lower()}); {length_words(r['min_minutes'])} to "
        f"{length_words(r['max_minutes'])} in {r['slot_minutes']}-minute steps; {approval}"
        + ("" if r["bookable"] else "; not taking bookings")
    )


def moment_words(value: Any) -> str:
    """A moment, local: "Tuesday 3 March 2026, 18:00"."""
    at = _aware(value).astimezone(LONDON)
    return f"{day_words(at.date())}, {at:%H:%M}"


def message_status(message: Mapping[str, Any]) -> str:
    """A held message's status in words."""
    status = message.get("status")
    if status == "queued":
        return "Waiting to be sent" + (
            f" (tried {message['attempts']} times)" if message.get("attempts") else ""
        )
    if status == "sending":
        return "Being sent, or stopped while sending: check with the recipient"
    if status == "failed":
        return "Could not be sent"
    return str(status)


def patch_helpers() -> dict[str, Any]:
    """The words the patch page's bookings panels use (handed to its template as ``this.extra``)."""
    return {
        "when_words": when_words,
        "moment_words": moment_words,
        "day_words": day_words,
        "money": money,
        "rules_words": rules_words,
        "message_status": message_status,
    }
