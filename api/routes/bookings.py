"""Booking rooms and spaces: a room's terms, availability, book, the booker's view and cancel, and the
managers' list, confirm and decline. The rules live in ``layers.booking``; each handler makes one call in the
``Work`` unit of work. ``POST /bookings`` and ``POST /bookings/{reference}/cancel`` take JSON or an HTML form
post; a browser's form post (Accept text/html) gets 303 See Other to the manage page, or a problem page.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from api.access import CurrentActor
from api.booking_schemas import (
    Availability,
    BookerView,
    BookingReceipt,
    CancelBody,
    DeclineBody,
    ManagedBooking,
    ResourceSummary,
    Status,
)
from api.deps import IDEMPOTENCY_HEADER, AppSettings, Work, idempotency_key
from api.errors import headers_of, status_of
from api.html import html_page
from api.routes.submissions import FORM, SubmissionBody
from layers.booking import free_times, manage, reserve, terms
from layers.booking.forms import BookingRequest, InvalidBooking, booking_payload, validate_booking
from layers.booking.rules import LONDON
from layers.errors import InvalidInput, PatchmapError, TooLarge
from layers.offers.submissions import client_key
from mapping import answers

router = APIRouter(tags=["bookings"])
CANCEL_FIELDS = frozenset(CancelBody.model_fields)

RecordId = Annotated[int, Path(ge=1, le=2_147_483_647)]
Reference = Annotated[
    str, Path(pattern=r"^BK-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{8}$", examples=["BK-7K3Q9XF2"])
]
Token = Annotated[str, Query(min_length=1, max_length=100, description="the secret manage token")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such room or space"}}
NOT_BOOKABLE: dict[int | str, dict[str, Any]] = {
    422: {"description": "Not bookable, dates out of range or more than 31 days"}
}
BOOK_ERRORS: dict[int | str, dict[str, Any]] = {
    201: {"content": {"text/html": {}}},
    303: {"description": "A browser's form post: to the manage page /book/manage/{reference}?token="},
    404: {"description": "No such room or space"},
    409: {"description": "The time (or a week of the series) is already booked: the detail names when"},
    413: {"description": "The body is larger than PATCHMAP_SUBMISSION_MAX_BYTES"},
    415: {"description": "The body is neither JSON nor a form post"},
    422: {"description": "A field or a rule broken (each problem, or each week, is named)"},
    429: {"description": "Too many bookings from this client in the window"},
}
TOKEN_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No booking has that reference and token, or the link has expired"},
    422: {"description": "Invalid input"},
}
MANAGER_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "Signed in, but not for that district"},
    404: {"description": "No such booking in your districts"},
    409: {"description": "The booking is not waiting for an answer"},
    422: {"description": "Invalid input"},
}


def _body_schema(model: Any) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema}, FORM: {"schema": schema}},
        }
    }


@router.get("/rooms/{room_id}", response_model=ResourceSummary, responses=NOT_FOUND)
async def read_room(work: Work, room_id: RecordId) -> Any:
    """A room, its hub and its booking terms."""
    return await work.run(terms.resource_summary, "room", room_id)


async def _availability(work: Work, kind: str, record_id: int, start: date | None, end: date | None) -> Any:
    today = datetime.now(LONDON).date()
    first = start or (today if end is None else end - timedelta(days=6))
    return await work.run(free_times.availability, kind, record_id, first, end or first + timedelta(days=6))


@router.get(
    "/rooms/{room_id}/availability", response_model=Availability, responses={**NOT_FOUND, **NOT_BOOKABLE}
)
async def room_availability(
    work: Work,
    room_id: RecordId,
    start: Annotated[date | None, Query(alias="from", description="first local date (default today)")] = None,
    end: Annotated[
        date | None, Query(alias="to", description="last local date (default from + 6 days)")
    ] = None,
) -> Any:
    """A room's free and busy times (busy names no one) and closed dates, Europe/London, at most 31 days."""
    return await _availability(work, "room", room_id, start, end)


@router.get(
    "/spaces/{space_id}/availability", response_model=Availability, responses={**NOT_FOUND, **NOT_BOOKABLE}
)
async def space_availability(
    work: Work,
    space_id: RecordId,
    start: Annotated[date | None, Query(alias="from", description="first local date (default today)")] = None,
    end: Annotated[
        date | None, Query(alias="to", description="last local date (default from + 6 days)")
    ] = None,
) -> Any:
    """A whole space's free and busy times (busy names no one) and closed dates, Europe/London."""
    return await _availability(work, "space", space_id, start, end)


def _wants_html(request: Request) -> bool:
    """Whether the client asked for a page (a browser posting a form) rather than JSON."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept


Answered = tuple[dict[str, Any], str | None]


async def _answer(request: Request, call: Awaitable[Answered], status: int, model: Any) -> Response:
    """JSON, or for a browser's form post 303 to the manage page (or a problem page)."""
    wants_html = _wants_html(request)
    try:
        answer, token = await call
    except PatchmapError as exc:
        if not wants_html:
            raise
        problems = exc.problems if isinstance(exc, InvalidBooking) else ()
        page = answers.problem_page(heading=exc.message, detail=exc.detail, problems=problems)
        return html_page(request, page, status_code=status_of(exc), headers=headers_of(exc))
    if wants_html:
        if not token:  # an Idempotency-Key retry: the token is not kept
            page = answers.receipt_page(reference=answer["reference"], message=answer["message"])
            return html_page(request, page, status_code=status)
        return RedirectResponse(f"/book/manage/{answer['reference']}?token={token}", status_code=303)
    return JSONResponse(
        model.model_validate(answer).model_dump(mode="json", by_alias=True), status_code=status
    )


async def _book(request: Request, body: Any, work: Work, settings: AppSettings) -> Answered:
    if body.too_large:
        raise TooLarge("The form is too large", "Shorten the purpose and send it again.")
    payload = booking_payload(body.data, request.headers.get("content-type", ""))
    wanted = validate_booking(payload)
    client = client_key(request.app.state.submission_secret, request.client.host if request.client else "")
    once = idempotency_key(request)
    answer = await work.run(
        reserve.book, wanted, settings=settings.booking, client=client, idempotency_key=once
    )
    return answer, answer["token"]


@router.post(
    "/bookings",
    status_code=201,
    response_model=BookingReceipt,
    responses=BOOK_ERRORS,
    openapi_extra={"parameters": [IDEMPOTENCY_HEADER], **_body_schema(BookingRequest)},
)
async def create_booking(
    request: Request, body: SubmissionBody, work: Work, settings: AppSettings
) -> Response:
    """Book a room or space, once or weekly (JSON or a form post); 201 with the reference and manage link."""
    return await _answer(request, _book(request, body, work, settings), 201, BookingReceipt)


@router.get("/bookings/{reference}", response_model=BookerView, responses=TOKEN_ERRORS)
async def read_booking(work: Work, reference: Reference, token: Token) -> Any:
    """The booker's view of their booking (with the token from the manage link)."""
    return await work.run(manage.booker_view, reference, token)


async def _cancel(request: Request, reference: str, body: Any, work: Work) -> Answered:
    if body.too_large:
        raise TooLarge("The form is too large", "Send only the token and the date.")
    payload = booking_payload(body.data, request.headers.get("content-type", ""), CANCEL_FIELDS)
    try:
        wanted = CancelBody.model_validate(
            {k: v for k, v in payload.items() if k in CancelBody.model_fields and v != ""}
        )
    except ValueError:
        raise InvalidInput(
            "Send the manage token, and a date (YYYY-MM-DD) to cancel only that date", ""
        ) from None
    answer = await work.run(manage.cancel, reference, wanted.token, on_date=wanted.date)
    return answer, wanted.token


@router.post(
    "/bookings/{reference}/cancel",
    response_model=BookerView,
    responses={
        200: {"content": {"text/html": {}}},
        303: {"description": "A form post: back to the manage page"},
        409: {"description": "Already cancelled, declined or expired"},
        **TOKEN_ERRORS,
    },
    openapi_extra=_body_schema(CancelBody),
)
async def cancel_booking(
    request: Request, reference: Reference, body: SubmissionBody, work: Work
) -> Response:
    """Cancel a booking (or one date of a series) with its manage token."""
    return await _answer(request, _cancel(request, reference, body, work), 200, BookerView)


@router.get("/bookings", response_model=list[ManagedBooking], responses=MANAGER_ERRORS)
async def list_bookings(
    work: Work,
    actor: CurrentActor,
    district: Annotated[str | None, Query(max_length=32, pattern=r"^[A-Za-z0-9_-]+$")] = None,
    status: Status | None = None,
) -> Any:
    """Bookings in your districts (officers: all, or one district), soonest first, with bookers' contacts."""
    return await work.run(manage.list_bookings, actor, district=district, status=status)


@router.post("/bookings/{reference}/confirm", response_model=ManagedBooking, responses=MANAGER_ERRORS)
async def confirm_booking(work: Work, actor: CurrentActor, reference: Reference) -> Any:
    """Confirm a booking request; the booker is told."""
    return await work.run(manage.confirm, actor, reference)


@router.post("/bookings/{reference}/decline", response_model=ManagedBooking, responses=MANAGER_ERRORS)
async def decline_booking(work: Work, actor: CurrentActor, reference: Reference, body: DeclineBody) -> Any:
    """Decline a booking request saying why; its times are freed and the booker is told."""
    return await work.run(manage.decline, actor, reference, body.reason)
