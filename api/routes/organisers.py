"""Organisers update their own listing from an emailed link, and co-ordinators review what waits.

- ``/organisers/sign-in``: ask for a link by email (the same answer whether or not the address is known;
  rate limited per client as submissions are; the address is never logged).
- ``/organisers/link?token=``: the page an emailed link opens; it changes nothing (mail scanners open links).
  Its one button posts the token to ``/organisers/session`` (sign in: an HttpOnly, SameSite=Strict cookie
  holding a new secret for that one listing) or ``/organisers/still-right`` (a freshness confirmation).
- ``/organisers/listing``: the form for the signed-in listing; ``POST /organisers/listing/{kind}/{id}`` saves it.
- ``POST /patch/{district}/listing-changes/{id}/approve|reject``: the co-ordinator's decision (plain forms).

Pages holding a secret in their address say ``Referrer-Policy: no-referrer`` and ``Cache-Control: no-store``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.access import get_actor
from api.deps import AppSettings, Work
from api.errors import headers_of, status_of
from api.html import FORM_ONLY, FORM_POST, html_page
from api.routes.patch import CODE, PRIVATE, _refused, _static
from layers.errors import PatchmapError, Unauthorized, UnsupportedMediaType
from layers.records import freshness, organisers
from mapping import organiser_pages, patch_pages

router = APIRouter(tags=["organisers"])

COOKIE = "patchmap_organiser"
SECRET = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
RECORD = Path(ge=1, le=2_147_483_647)
TOKEN = Form(max_length=128, description="the secret from the emailed link")
FIELDS = Query(max_length=200, pattern=r"^[a-z_,]*$")
PAGE: dict[int | str, dict[str, Any]] = {403: {"description": "The link is used, expired or not ours (a page)"},
                                         404: {"description": "The listing has gone (a page)"}}  # fmt: skip
SIGNED: dict[int | str, dict[str, Any]] = {
    303: {"description": "Saved: back to the form (or signed out: to the map)"},
    401: {"description": "Not signed in as this listing's organiser (a page)"},
    403: {"description": "Another listing, or the form's security token is wrong (a page)"},
    404: {"description": "The listing has gone (a page)"},
    415: {"description": "The body is not a form post"},
    422: {"description": "Some answers need changing (the form again, each problem beside its answer)"},
}
DECIDE: dict[int | str, dict[str, Any]] = {
    303: {"description": "Decided (or not signed in): to the patch page (or to sign in)"},
    403: {"description": "Not this district's co-ordinator, or the form's security token is wrong (a page)"},
    404: {"description": "No such change waiting in this district (a page)"},
    409: {"description": "The change was already decided (a page)"},
    422: {"description": "No reason given for rejecting (a page)"},
}


def _page(
    request: Request, exc: PatchmapError, heading: str, headers: dict[str, str] | None = None
) -> Response:
    """A plain page saying what went wrong and what to do, with the error's status."""
    html = patch_pages.message_page(
        static_url=_static(request), title=f"{heading}: Patchmap", heading=heading, message=exc.message,
        detail=exc.detail, links=(("/organisers/sign-in", "Ask for a new link"), ("/", "Back to the map")),
    )  # fmt: skip
    return html_page(request, html, status_code=status_of(exc), headers=(headers or SECRET) | headers_of(exc))


@router.get("/organisers/sign-in", response_class=HTMLResponse)
async def read_organiser_sign_in(
    request: Request,
    kind: Annotated[Literal["group", "hub", "space"] | None, Query(description="the listing's kind")] = None,
    record_id: Annotated[int | None, Query(alias="id", ge=1, le=2_147_483_647)] = None,
) -> Response:
    """The form where an organiser asks for a link to update their listing (by email)."""
    html = organiser_pages.sign_in_page(static_url=_static(request), action="/organisers/sign-in", kind=kind,
                                        record_id=record_id)  # fmt: skip
    return html_page(request, html, headers=PRIVATE)


@router.post(
    "/organisers/sign-in",
    **FORM_POST,
    responses={422: {"description": "The email address is not one (the form again)"},
               429: {"description": "Too many requests from this client: wait (Retry-After)"}, **FORM_ONLY},
)  # fmt: skip
async def ask_organiser_link(
    request: Request,
    work: Work,
    settings: AppSettings,
    email: Annotated[str, Form(max_length=320)] = "",
    kind: Annotated[Literal["group", "hub", "space"] | None, Form()] = None,
    record_id: Annotated[int | None, Form(alias="id", ge=1, le=2_147_483_647)] = None,
) -> Response:
    """Email a sign-in link to each listing whose organiser has this address; the same answer either way."""
    client = organisers.client_key(
        request.app.state.submission_secret, request.client.host if request.client else ""
    )
    limits, people = settings.submissions, settings.people
    try:
        await work.run(organisers.request_links, email, kind=kind, record_id=record_id, client=client,
                       limit=limits.submission_limit, window_minutes=limits.submission_window_minutes,
                       link_hours=people.sign_in_link_hours, public_url=settings.booking.public_url)  # fmt: skip
    except organisers.InvalidListing as exc:
        html = organiser_pages.sign_in_page(static_url=_static(request), action="/organisers/sign-in", kind=kind,
                                            record_id=record_id, email=email, problems=exc.problems)  # fmt: skip
        return html_page(request, html, status_code=422, headers=PRIVATE)
    except PatchmapError as exc:
        return _page(request, exc, "Please wait", PRIVATE)
    html = organiser_pages.sign_in_page(static_url=_static(request), action="/organisers/sign-in", kind=kind,
                                        record_id=record_id, sent_hours=people.sign_in_link_hours)  # fmt: skip
    return html_page(request, html, headers=PRIVATE)


@router.get("/organisers/link", response_class=HTMLResponse, responses=PAGE)
async def read_organiser_link(
    request: Request, work: Work, token: Annotated[str, Query(max_length=128)] = ""
) -> Response:
    """The page an emailed link opens: what it is for, and one button that uses it. Opening it changes nothing."""
    try:
        view = await work.run(organisers.open_link, token)
    except PatchmapError as exc:
        return _page(request, exc, "This link does not work")
    html = organiser_pages.link_page(view, static_url=_static(request), token=token,
                                     sign_in_action="/organisers/session", confirm_action="/organisers/still-right")  # fmt: skip
    return html_page(request, html, headers=SECRET)


@router.post(
    "/organisers/session",
    **FORM_POST,
    responses={303: {"description": "Signed in: to the listing's form"}, **PAGE, **FORM_ONLY},
)
async def start_organiser_session(
    request: Request, work: Work, settings: AppSettings, token: Annotated[str, TOKEN] = ""
) -> Response:
    """Use a sign-in link once: a cookie for this listing only (HttpOnly, SameSite=Strict), then its form."""
    hours = settings.people.organiser_session_hours
    try:
        secret, _ = await work.run(organisers.start_session, token, hours)
    except PatchmapError as exc:
        return _page(request, exc, "This link does not work")
    response = RedirectResponse("/organisers/listing", status_code=303, headers=SECRET)
    response.set_cookie(COOKIE, secret, max_age=hours * 3600, path="/organisers", httponly=True,
                        samesite="strict", secure=settings.access.secure_cookies)  # fmt: skip
    return response


@router.post("/organisers/still-right", **FORM_POST, responses={**PAGE, **FORM_ONLY})
async def confirm_still_right(request: Request, work: Work, token: Annotated[str, TOKEN] = "") -> Response:
    """Use a "Yes, still right" link once: the listing is confirmed today."""
    try:
        done = await work.run(freshness.confirm_by_link, token)
    except PatchmapError as exc:
        return _page(request, exc, "This link does not work")
    html = patch_pages.message_page(
        static_url=_static(request), title="Thank you: Patchmap", heading="Thank you",
        message=f"We have noted that the listing of {done['name']} is still right today.",
        detail="Residents see when it was last checked. We will ask again in about a year.",
        links=(("/", "Back to the map"),),
    )  # fmt: skip
    return html_page(request, html, headers=SECRET)


def _labels() -> dict[str, str]:
    return {**organisers.LABELS, "meets": "When it meets", "access_notes": "Accessibility notes",
            "availability_notes": "When it is free"}  # fmt: skip


def _fields(value: str) -> list[str]:
    return [f for f in value.split(",") if f in organisers.LABELS]


@router.get(
    "/organisers/listing",
    response_class=HTMLResponse,
    responses={401: SIGNED[401], 404: SIGNED[404]},
)
async def read_organiser_listing(
    request: Request,
    work: Work,
    live: Annotated[str, FIELDS] = "",
    review: Annotated[str, FIELDS] = "",
    saved: Annotated[bool, Query(description="say the form was saved")] = False,
) -> Response:
    """The signed-in organiser's form for their listing."""
    try:
        view = await work.run(organisers.listing_view, request.cookies.get(COOKIE))
    except PatchmapError as exc:
        return _page(request, exc, "Sign in to update your listing", PRIVATE)
    done = {"live": _fields(live), "review": _fields(review)} if saved else None
    html = organiser_pages.edit_page(view, static_url=_static(request), action=f"/organisers/listing/{view['kind']}/{view['id']}",
                                     sign_out_action="/organisers/sign-out", saved=done, labels=_labels())  # fmt: skip
    return html_page(request, html, headers=PRIVATE)


@router.post(
    "/organisers/listing/{kind}/{record_id}",
    **FORM_POST,
    responses={**SIGNED, **FORM_ONLY},
    openapi_extra={"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
        "type": "object", "properties": {f: {"type": "string", "maxLength": 2000} for f in (
            "csrf_token", "name", "description", "access_notes", "website", "email", "phone", "venue_address",
            "address", "postcode", "opening_hours", "availability_notes", "meets-0-start", "meets-0-end")}}}}}},
)  # fmt: skip
async def save_organiser_listing(
    request: Request,
    work: Work,
    settings: AppSettings,
    kind: Literal["group", "hub", "space"],
    record_id: Annotated[int, RECORD],
) -> Response:
    """Save the organiser's form: small fields live at once, the name, place and types for the co-ordinator."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return _page(request, UnsupportedMediaType("This address takes the listing form", "Send it as a form post."),
                     "That could not be saved", PRIVATE)  # fmt: skip
    form: dict[str, list[str]] = {}
    for key, value in (await request.form()).multi_items():
        if isinstance(value, str):
            form.setdefault(key, []).append(value)
    secret, csrf = request.cookies.get(COOKIE), (form.get("csrf_token") or [""])[-1]
    try:
        done = await work.run(organisers.save_listing, secret, csrf, kind, record_id, form,
                              public_url=settings.booking.public_url)  # fmt: skip
    except organisers.InvalidListing as exc:
        view = await work.run(organisers.listing_view, secret)
        html = organiser_pages.edit_page(view, static_url=_static(request), action=request.url.path,
                                         sign_out_action="/organisers/sign-out", problems=exc.problems, values=form,
                                         labels=_labels())  # fmt: skip
        return html_page(request, html, status_code=422, headers=PRIVATE)
    except PatchmapError as exc:
        return _page(request, exc, "That could not be saved", PRIVATE)
    query = urlencode({"saved": "true", "live": ",".join(done["live"]), "review": ",".join(done["review"])})
    return RedirectResponse(f"/organisers/listing?{query}#pm-saved", status_code=303)


@router.post("/organisers/sign-out", **FORM_POST, responses={303: SIGNED[303], **FORM_ONLY})
async def end_organiser_session(request: Request, work: Work) -> Response:
    """Sign out: the organiser's session stops working at once, and the cookie is cleared."""
    await work.run(organisers.end_session, request.cookies.get(COOKIE))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/organisers")
    return response


# ---------------------------------------------------------------- the co-ordinator's decisions


async def _decide(request: Request, work: Work, settings: AppSettings, district: str, change_id: int,
                  approve: bool, reason: str = "") -> Response:  # fmt: skip
    try:
        actor = await get_actor(request, work)
        if not actor.signed_in:
            raise Unauthorized("Sign in first", "")
        await work.run(organisers.decide_change, actor, district, change_id, approve=approve, reason=reason,
                       public_url=settings.booking.public_url)  # fmt: skip
    except Unauthorized as exc:
        return _refused(request, exc)
    except PatchmapError as exc:
        html = patch_pages.message_page(
            static_url=_static(request), title="That could not be done: Patchmap", heading="That could not be done",
            message=exc.message, detail=exc.detail, links=((f"/patch/{quote(district)}", "Back to your patch"),),
        )  # fmt: skip
        return html_page(request, html, status_code=status_of(exc), headers=PRIVATE)
    return RedirectResponse(f"/patch/{quote(district)}#pm-listing-changes", status_code=303)


@router.post("/patch/{district}/listing-changes/{change_id}/approve", **FORM_POST,
             responses={**DECIDE, **FORM_ONLY})  # fmt: skip
async def approve_listing_change(
    request: Request,
    work: Work,
    settings: AppSettings,
    district: Annotated[str, CODE],
    change_id: Annotated[int, RECORD],
    csrf_token: Annotated[str | None, Form(max_length=128)] = None,
) -> Response:
    """Approve an organiser's change (name, place, types): applied as a version sourced from the organiser."""
    return await _decide(request, work, settings, district, change_id, True)


@router.post("/patch/{district}/listing-changes/{change_id}/reject", **FORM_POST,
             responses={**DECIDE, **FORM_ONLY})  # fmt: skip
async def reject_listing_change(
    request: Request,
    work: Work,
    settings: AppSettings,
    district: Annotated[str, CODE],
    change_id: Annotated[int, RECORD],
    reason: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str | None, Form(max_length=128)] = None,
) -> Response:
    """Reject an organiser's change, with the reason they are told."""
    return await _decide(request, work, settings, district, change_id, False, reason)
