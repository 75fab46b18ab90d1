"""The booking pages: book a room or a space (``/book/{kind}/{id}``), the booker's own page
(``/book/manage/{reference}?token=``), and the co-ordinator's booking actions that work without JavaScript
(confirm or decline a request, change a resource's rules: plain form posts that answer with a page), with
``PATCH /resources/{id}`` for the rules as JSON.

The manage page's address holds the booking's secret token: its answer says ``Referrer-Policy: no-referrer``
(so no link on it hands the address to another site) and ``Cache-Control: no-store``, and nothing logs it (the
server writes no access log, and ``api.middleware.Guard`` logs the route's template, never the address).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection

from api.access import CurrentActor, get_actor
from api.deps import AppSettings, Work
from api.errors import status_of
from api.html import html_page
from api.routes.patch import CODE, PRIVATE, PageActor, _refused, _static
from layers import booking
from layers.booking.forms import CONSENT_TEXT
from layers.booking.rules import LONDON
from layers.errors import NotFound, PatchmapError, Unauthorized, UnsupportedMediaType
from layers.patch import bookings as patch_bookings
from mapping import booking_pages, patch_pages
from mapping.booking_pages import BookPageData

router = APIRouter(tags=["booking pages"])

SECRET = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
REFERENCE = Path(max_length=16, pattern=r"^BK-[0-9A-Z]{8}$", examples=["BK-7K3Q9XF2"])
RESOURCE = Path(ge=1, le=2_147_483_647)
PAGE_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such room or space (a page saying so)"},
    422: {"description": "It cannot be booked here, or a parameter is not valid"},
}
FORM_ERRORS: dict[int | str, dict[str, Any]] = {
    303: {"description": "Done (or not signed in): to the patch page (or to sign in)"},
    403: {"description": "Not this district's co-ordinator, or the form's security token is wrong (a page)"},
    404: {"description": "No such booking or resource in this district (a page)"},
    409: {"description": "The booking was already answered or cancelled (a page)"},
    422: {"description": "A value is not valid (a page listing each problem)"},
}


def _book_data(conn: Connection, kind: str, record_id: int, week: date) -> dict[str, Any]:
    """The week's availability (with the public summary) and the place's address, in one transaction."""
    found = booking.availability(conn, kind, record_id, week, week + timedelta(days=6))
    found["address"] = patch_bookings.place_address(conn, kind, record_id)
    return found


def _manage_data(conn: Connection, reference: str, token: str) -> dict[str, Any]:
    """The booker's view of a booking and its place's address, in one transaction."""
    view = booking.booker_view(conn, reference, token)
    resource = view["resource"]
    return {**view, "address": patch_bookings.place_address(conn, resource["kind"], resource["id"])}


# Before /book/{kind}/{record_id}, which would otherwise take /book/manage/... (and refuse it).
@router.get(
    "/book/manage/{reference}",
    response_class=HTMLResponse,
    responses={404: {"description": "No such booking, or the link is wrong or has expired (a page)"}},
)
async def read_manage_page(
    request: Request,
    work: Work,
    reference: Annotated[str, Path(max_length=16)],
    token: Annotated[
        str, Query(max_length=128, description="the secret from the booking's manage link")
    ] = "",
) -> Response:
    """The booker's page for a booking, reached by its secret link: status, times, price, and cancelling."""
    try:
        view = await work.run(_manage_data, reference, token)
    except PatchmapError as exc:
        missing = NotFound(
            "This booking link does not work",
            "It may be mistyped, cut short, or out of date. Use the link in your confirmation email, or ask the "
            "hub, quoting your booking reference.",
        )  # fmt: skip
        return _problem(
            request, missing if not exc.message.endswith("expired") else exc, "Booking not found", SECRET
        )
    resource = view["resource"]
    book_url = f"/book/{resource['kind']}/{resource['id']}" if resource.get("booking") else None
    html = booking_pages.manage_page(
        view, static_url=_static(request), token=token, cancel_url=f"/bookings/{quote(view['reference'])}/cancel",
        book_url=book_url,
    )  # fmt: skip
    return html_page(request, html, headers=SECRET)


@router.get("/book/{kind}/{record_id}", response_class=HTMLResponse, responses=PAGE_ERRORS)
async def read_book_page(
    request: Request,
    work: Work,
    settings: AppSettings,
    kind: Literal["room", "space"],
    record_id: Annotated[int, RESOURCE],
    week: Annotated[date | None, Query(description="any date of the week to show (its Monday on)")] = None,
    on: Annotated[date | None, Query(alias="date", description="fill in the form's date")] = None,
    at: Annotated[
        str | None, Query(alias="time", pattern=r"^\d\d:\d\d$", description="fill in the start")
    ] = None,
    minutes: Annotated[int | None, Query(ge=1, le=1440, description="fill in the length")] = None,
) -> Response:
    """A room's or space's booking page: its terms, a week of free and booked times, and the booking form."""
    today = datetime.now(UTC).astimezone(LONDON).date()
    monday = booking_pages.monday(max(week or on or today, today))
    try:
        found = await work.run(_book_data, kind, record_id, monday)
    except PatchmapError as exc:
        return _problem(request, exc, "This cannot be booked here")
    values = {"date": on.isoformat() if on else "", "time": at or "", "minutes": str(minutes or "")}
    html = booking_pages.book_page(
        BookPageData.of(found, static_url=_static(request), action="/bookings", page_url=request.url.path,
                        consent_text=CONSENT_TEXT, today=today, settings=settings.booking, values=values)
    )  # fmt: skip
    return html_page(request, html)


def _problem(
    request: Request, exc: PatchmapError, heading: str, headers: dict[str, str] | None = None
) -> Response:
    """A plain page saying what is wrong (404, 422...) and what to do."""
    html = patch_pages.message_page(
        static_url=_static(request), title=f"{heading}: Patchmap", heading=heading, message=exc.message,
        detail=exc.detail, links=(("/", "Find another room or space on the map"),),
    )  # fmt: skip
    return html_page(request, html, status_code=status_of(exc), headers=headers)


# ---------------------------------------------------------------- the co-ordinator's forms


async def _form_actor(request: Request, work: Work) -> Any:
    """The signed-in caller of a form post (CSRF checked), or the page refusing it."""
    try:
        actor = await get_actor(request, work)
        if not actor.signed_in:
            raise Unauthorized("Sign in first", "")
    except PatchmapError as exc:
        return _refused(request, exc)
    return actor


async def _decide(
    request: Request, work: Work, district: str, reference: str, decision: str, reason: str = ""
) -> Response:
    actor = await _form_actor(request, work)
    if isinstance(actor, Response):
        return actor
    try:
        if decision == "confirm":
            await work.run(patch_bookings.confirm_in, actor, district, reference)
        else:
            await work.run(patch_bookings.decline_in, actor, district, reference, reason)
    except PatchmapError as exc:
        return _patch_problem(request, exc, district)
    return RedirectResponse(
        f"/patch/{quote(district)}?booking={quote(reference)}#pm-book-requests", status_code=303
    )


def _patch_problem(request: Request, exc: PatchmapError, district: str) -> Response:
    heading = "That could not be done"
    html = patch_pages.message_page(
        static_url=_static(request), title=f"{heading}: Patchmap", heading=heading, message=exc.message,
        detail=exc.detail, links=((f"/patch/{quote(district)}", "Back to your patch"),),
    )  # fmt: skip
    return html_page(request, html, status_code=status_of(exc), headers=PRIVATE)


@router.post(
    "/patch/{district}/bookings/{reference}/confirm", response_class=HTMLResponse, responses=FORM_ERRORS
)
async def confirm_booking_form(
    request: Request,
    work: Work,
    district: Annotated[str, CODE],
    reference: Annotated[str, REFERENCE],
    csrf_token: Annotated[str | None, Form(max_length=128)] = None,
) -> Response:
    """Confirm a booking request from the patch page's form (no JavaScript needed); back to the patch page."""
    return await _decide(request, work, district, reference, "confirm")


@router.post(
    "/patch/{district}/bookings/{reference}/decline", response_class=HTMLResponse, responses=FORM_ERRORS
)
async def decline_booking_form(
    request: Request,
    work: Work,
    district: Annotated[str, CODE],
    reference: Annotated[str, REFERENCE],
    reason: Annotated[str, Form(min_length=1, max_length=500)],
    csrf_token: Annotated[str | None, Form(max_length=128)] = None,
) -> Response:
    """Decline a booking request, with the reason the booker is told, from the patch page's form."""
    return await _decide(request, work, district, reference, "decline", reason)


async def _rules_in(work: Work, actor: Any, district: str, resource_id: int) -> dict[str, Any]:
    rules = await work.run(patch_bookings.resource_rules, actor, resource_id)
    if rules["district"] != district:
        raise NotFound(
            f"No bookable room or space {resource_id} in {district}", "Choose one from your patch page."
        )
    return rules


@router.get("/patch/{district}/resources/{resource_id}", response_class=HTMLResponse, responses=FORM_ERRORS)
async def read_rules_page(
    request: Request,
    work: Work,
    actor: PageActor,
    district: Annotated[str, CODE],
    resource_id: Annotated[int, RESOURCE],
    saved: Annotated[bool, Query(description="say the rules were saved")] = False,
) -> Response:
    """The form to change a room's or space's booking rules (weekly hours, price, lengths, notice, approval)."""
    try:
        rules = await _rules_in(work, actor, district, resource_id)
    except PatchmapError as exc:
        return _refused(request, exc)
    return _rules_page(request, district, rules, saved=saved)


def _rules_page(request: Request, district: str, rules: dict[str, Any], *, problems: Sequence[tuple[str, str]] = (),
                values: dict[str, Any] | None = None, saved: bool = False) -> Response:  # fmt: skip
    html = booking_pages.rules_page(
        rules, static_url=_static(request), action=request.url.path, patch_url=f"/patch/{quote(district)}#pm-book-rules",
        csrf_token=getattr(request.state, "csrf_token", None) or "", problems=problems, values=values, saved=saved,
    )  # fmt: skip
    return html_page(request, html, status_code=422 if problems else 200, headers=PRIVATE)


@router.post(
    "/patch/{district}/resources/{resource_id}",
    response_class=HTMLResponse,
    responses={**FORM_ERRORS, 415: {"description": "The body is not a form post"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": {
                "type": "object",
                "properties": {f: {"type": "string", "maxLength": 2000} for f in (*patch_bookings.RULE_FIELDS, "csrf_token")},
            }}},
        }
    },
)  # fmt: skip
async def save_rules_form(
    request: Request, work: Work, district: Annotated[str, CODE], resource_id: Annotated[int, RESOURCE]
) -> Response:
    """Save a room's or space's booking rules from the form; the form again with each problem beside its field."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise UnsupportedMediaType(
            "This address takes the rules form",
            "Send it as a form post, or use PATCH /resources/{id} with JSON.",
        )
    actor = await _form_actor(request, work)
    if isinstance(actor, Response):
        return actor
    form = await request.form()
    changes = {k: v for k, v in form.items() if k in patch_bookings.RULE_FIELDS and isinstance(v, str)}
    try:
        rules = await _rules_in(work, actor, district, resource_id)
        await work.run(patch_bookings.update_rules, actor, resource_id, changes)
    except patch_bookings.InvalidRules as exc:
        return _rules_page(request, district, rules, problems=exc.problems, values=changes)
    except PatchmapError as exc:
        return _refused(request, exc)
    return RedirectResponse(f"{request.url.path}?saved=true", status_code=303)


class ResourceRulesChange(BaseModel):
    """Changes to a resource's booking rules: any of the fields; the result is checked as a whole."""

    model_config = ConfigDict(extra="forbid")

    weekly_hours: str | None = Field(
        default=None, max_length=300, examples=["Mo-Fr 09:00-22:00; Sa 10:00-16:00"]
    )
    rate_band: Literal["free", "low-cost", "market"] | None = None
    price_per_hour: float | None = Field(default=None, ge=0, le=10_000, description="GBP")
    slot_minutes: int | None = Field(default=None, ge=5, le=240)
    min_minutes: int | None = Field(default=None, ge=5, le=1440)
    max_minutes: int | None = Field(default=None, ge=5, le=1440)
    lead_minutes: int | None = Field(default=None, ge=0, le=129_600)
    horizon_days: int | None = Field(default=None, ge=1, le=730)
    buffer_minutes: int | None = Field(default=None, ge=0, le=240)
    approval: Literal["instant", "request"] | None = None
    bookable: bool | None = None
    terms: str | None = Field(default=None, max_length=2000)


class ResourceRules(BaseModel):
    """A bookable room's or space's rules, as its co-ordinator sees them."""

    id: int
    kind: Literal["room", "space"]
    record_id: int
    name: str
    place: str | None
    district: str
    weekly_hours: str
    rate_band: str
    price_per_hour: float
    slot_minutes: int
    min_minutes: int
    max_minutes: int
    lead_minutes: int
    horizon_days: int
    buffer_minutes: int
    approval: str
    bookable: bool
    terms: str | None
    sample: bool


@router.patch(
    "/resources/{resource_id}",
    response_model=ResourceRules,
    tags=["bookings"],
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "Not this resource's district, or the CSRF token is missing"},
        404: {"description": "No such bookable room or space"},
        422: {"description": "A value is not valid, or the rules do not fit together (each problem named)"},
    },
)
async def change_resource_rules(
    work: Work, actor: CurrentActor, resource_id: Annotated[int, RESOURCE], change: ResourceRulesChange
) -> Any:
    """Change a room's or space's booking rules (signed in; a co-ordinator only in their districts)."""
    changes = change.model_dump(exclude_unset=True)
    return await work.run(patch_bookings.update_rules, actor, resource_id, changes)
