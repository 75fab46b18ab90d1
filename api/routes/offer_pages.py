"""A resident's pages about their own offer: check its status (``/offers/status``), withdraw it from the
emailed link (``/offers/withdraw``), answer a moderator's question from the emailed link (``/offers/answer``).

Plain HTML forms: they work without JavaScript. Opening an emailed link (a GET) never changes anything, as mail
scanners open links: it shows a page whose one button posts the link's secret (a hidden field) to use it.
The secret and the email address are never logged (no access log; ``api.middleware.Guard`` logs the route's
template, never the address) and the pages holding them say ``no-store`` and ``no-referrer``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import Work
from api.errors import headers_of, status_of
from api.html import FORM_ONLY, FORM_POST, html_page
from layers.errors import InvalidInput, PatchmapError
from layers.offers import residents
from mapping import offer_pages

router = APIRouter(prefix="/offers", tags=["offer pages"])

SECRET = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
TOKEN = Query(max_length=128, description="the secret from the link in the email")
PAGE: dict[str, Any] = {"content": {"text/html": {}}}
LOOKUP_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {
        "description": "No offer with that reference and email address (the same for either wrong)",
        **PAGE,
    },
    409: {"description": "The offer can no longer be withdrawn (a page saying so)", **PAGE},
    422: {"description": "A field is missing or too long", **PAGE},
    429: {
        "description": "Too many lookups from this client, or links sent for this offer today (a page)",
        "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
        **PAGE,
    },
}
LINK_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "The link is not complete, not ours, used, expired or for something else", **PAGE},
    404: {"description": "The offer is no longer kept", **PAGE},
    409: {"description": "The offer is not in a state this link can change (a page saying why)", **PAGE},
    422: {"description": "A field is missing or too long", **PAGE},
}
HEADINGS = {403: "This link does not work", 404: "Offer not found", 409: "This cannot be done now",
            429: "Please wait a little", 422: "There is a problem"}  # fmt: skip


def _problem(request: Request, exc: PatchmapError, reference: str = "") -> Response:
    heading = HEADINGS.get(status_of(exc), "There is a problem")
    html = offer_pages.message_page(
        heading=heading, message=exc.message, detail=exc.detail, reference=reference
    )
    return html_page(request, html, status_code=status_of(exc), headers={**SECRET, **headers_of(exc)})


async def _count_lookup(request: Request, work: Work) -> None:
    """Count one status lookup by this client (kept in the database); RateLimited when one too many."""
    secret: bytes = request.app.state.submission_secret
    people = request.app.state.settings.people
    key = residents.lookup_key(secret, request.client.host if request.client else "")
    await work.run(
        residents.count_lookup, key, people.status_lookup_limit, people.status_lookup_window_minutes
    )


@router.get("/status", response_class=HTMLResponse)
async def read_status_form(
    request: Request,
    reference: Annotated[str, Query(max_length=40, description="fill in the reference")] = "",
) -> Response:
    """The form to check an offer by its reference and the email address given with it."""
    return html_page(request, offer_pages.status_page(reference=reference), headers=SECRET)


@router.post("/status", **FORM_POST, responses={**LOOKUP_ERRORS, **FORM_ONLY})
async def check_status(
    request: Request,
    work: Work,
    reference: Annotated[str, Form(max_length=40)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
) -> Response:
    """An offer's status in plain words, its dates, the reason or question, and who to ask."""
    try:
        if not reference.strip() or not email.strip():
            raise InvalidInput(
                "Enter your reference and email address", "Both are needed to find your offer."
            )
        await _count_lookup(request, work)
        view = await work.run(residents.offer_status, reference, email)
    except PatchmapError as exc:
        page = offer_pages.status_page(reference=reference, problem=(exc.message, exc.detail))
        return html_page(request, page, status_code=status_of(exc), headers={**SECRET, **headers_of(exc)})
    shown = residents.proof(request.app.state.submission_secret, reference, email)
    page = offer_pages.status_page(reference=reference, proof=shown, view=view)
    return html_page(request, page, headers=SECRET)


@router.post("/status/withdraw-link", **FORM_POST, responses={**LOOKUP_ERRORS, **FORM_ONLY})
async def send_withdraw_link(
    request: Request,
    work: Work,
    reference: Annotated[str, Form(max_length=40)] = "",
    proof: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Email a new single-use link to withdraw an open offer (older links stop working), from the status page
    (its form carries a keyed hash of the reference and email address, not the address)."""
    try:
        await _count_lookup(request, work)
        key: bytes = request.app.state.submission_secret
        view = await work.run(residents.send_withdraw_link, reference, proof, key)
    except PatchmapError as exc:
        return _problem(request, exc, reference)
    page = offer_pages.status_page(reference=reference, proof=proof, view=view, link_sent=True)
    return html_page(request, page, headers=SECRET)


@router.get("/withdraw", response_class=HTMLResponse, responses=LINK_ERRORS)
async def read_withdraw_page(request: Request, work: Work, token: Annotated[str, TOKEN] = "") -> Response:
    """The withdraw link's page: the offer and one button. Opening it changes nothing."""
    try:
        view = await work.run(residents.withdraw_view, token)
    except PatchmapError as exc:
        return _problem(request, exc)
    return html_page(request, offer_pages.withdraw_page(token=token, view=view), headers=SECRET)


@router.post("/withdraw", **FORM_POST, responses={**LINK_ERRORS, **FORM_ONLY})
async def withdraw_offer(
    request: Request, work: Work, token: Annotated[str, Form(max_length=128)] = ""
) -> Response:
    """Withdraw the offer (pending or waiting for an answer): uses the link; an accepted offer says who to ask."""
    try:
        view = await work.run(residents.withdraw, token)
    except PatchmapError as exc:
        return _problem(request, exc)
    return html_page(request, offer_pages.withdraw_page(token="", view=view, done=True), headers=SECRET)


@router.get("/answer", response_class=HTMLResponse, responses=LINK_ERRORS)
async def read_answer_page(request: Request, work: Work, token: Annotated[str, TOKEN] = "") -> Response:
    """The question about an offer and a form to answer it. Opening it changes nothing."""
    try:
        view = await work.run(residents.answer_view, token)
    except PatchmapError as exc:
        return _problem(request, exc)
    return html_page(request, offer_pages.answer_page(token=token, view=view), headers=SECRET)


@router.post("/answer", **FORM_POST, responses={**LINK_ERRORS, **FORM_ONLY})
async def answer_question(
    request: Request,
    work: Work,
    token: Annotated[str, Form(max_length=128)] = "",
    answer: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Send the answer: uses the link, keeps the answer for the moderator, and the offer waits for a decision."""
    try:
        view = await work.run(residents.answer, token, answer)
    except InvalidInput as exc:  # the link is still unused: the form again, the problem beside the box
        try:
            view = await work.run(residents.answer_view, token)
        except PatchmapError as refused:
            return _problem(request, refused)
        page = offer_pages.answer_page(token=token, view=view, answer=answer, problem=exc.message)
        return html_page(request, page, status_code=422, headers=SECRET)
    except PatchmapError as exc:
        return _problem(request, exc)
    return html_page(request, offer_pages.answer_page(token="", view=view, done=True), headers=SECRET)
