"""Named council contacts: ``/areas/{code}/contact`` (anyone may read; a district's co-ordinator, an officer or
an admin sets or clears it, as JSON) and the patch page's plain forms that do the same without JavaScript
(``/patch/{district}/contacts/{code}``: a page with the form, its post, and a post that clears it).

The rules (who may, what is a valid contact, the audit entry) are ``layers.areas.contacts``'s; these
handlers parse, call it once and answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection

from api.access import CurrentActor
from api.deps import Conn, Work
from api.html import html_page
from api.routes.booking_pages import FORM_ERRORS, _form_actor
from api.routes.patch import CODE, PRIVATE, PageActor, _refused, _static
from api.schemas import AreaContactPublic
from layers.access.scope import Actor
from layers.areas import contacts
from layers.errors import NotFound, PatchmapError, UnsupportedMediaType
from mapping import contact_pages

router = APIRouter(tags=["areas"])

AREA = Path(max_length=32, pattern=r"^[A-Za-z0-9_-]+$", examples=["E07000148"])
READ_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such area, or no contact is kept for it"},
    422: {"description": "The code is not valid"},
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "Not this area's district, or the CSRF token is missing"},
    404: {"description": "No such area"},
    422: {
        "description": "A value is not valid (each problem named), or the area is not a district or locality"
    },
}
FORM_FIELDS = (*contacts.FIELDS, "csrf_token")


class ContactChange(BaseModel):
    """A district's or locality's contact: a role, and an email address or a UK phone number (or both)."""

    model_config = ConfigDict(extra="forbid")

    role_name: str | None = Field(
        default=None, max_length=2000, examples=["Community Connector for Norwich"],
        description=f"needed; at most {contacts.FIELDS['role_name']} characters",
    )  # fmt: skip
    email: str | None = Field(default=None, max_length=2000, examples=["connector@norwich.example.org"])
    phone: str | None = Field(default=None, max_length=2000, examples=["01603 212121"])
    office_hours: str | None = Field(
        default=None, max_length=2000, examples=["Monday to Friday, 9am to 5pm"],
        description=f"at most {contacts.FIELDS['office_hours']} characters",
    )  # fmt: skip


@router.get("/areas/{code}/contact", response_model=AreaContactPublic, responses=READ_ERRORS)
async def read_area_contact(conn: Conn, code: Annotated[str, AREA]) -> Any:
    """An area's named council contact (a ward's is its locality's, else its district's); public."""
    return await contacts.contact_of(conn, code)


@router.put("/areas/{code}/contact", response_model=AreaContactPublic, responses=WRITE_ERRORS)
async def set_area_contact(
    work: Work, actor: CurrentActor, code: Annotated[str, AREA], change: ContactChange
) -> Any:
    """Set a district's or locality's contact (its co-ordinator, an officer or an admin); audited."""
    return await work.run(contacts.set_contact, actor, code, change.model_dump())


@router.delete("/areas/{code}/contact", status_code=204, responses=WRITE_ERRORS)
async def clear_area_contact(work: Work, actor: CurrentActor, code: Annotated[str, AREA]) -> Response:
    """Clear a district's or locality's contact (done, whether or not there was one); audited."""
    await work.run(contacts.clear_contact, actor, code)
    return Response(status_code=204)


# ---------------------------------------------------------------- the patch page's forms


def _area_in(conn: Connection, actor: Actor, district: str, code: str) -> dict[str, Any]:
    """One of the district's areas with its contact, as the patch page lists them; NotFound otherwise."""
    found = contacts.district_contacts(conn, actor, district)
    for area in found["areas"]:
        if area["code"] == code:
            return dict(area)
    raise NotFound(f"No district or locality {code!r} in {district}", "Choose one from your patch page.")


def _set_in(conn: Connection, actor: Actor, district: str, code: str, values: dict[str, Any]) -> None:
    """Set the contact of one of the district's areas, in one transaction."""
    _area_in(conn, actor, district, code)
    contacts.set_contact(conn, actor, code, values)


def _clear_in(conn: Connection, actor: Actor, district: str, code: str) -> None:
    """Clear the contact of one of the district's areas, in one transaction."""
    _area_in(conn, actor, district, code)
    contacts.clear_contact(conn, actor, code)


def _form_page(request: Request, district: str, area: dict[str, Any], *,
               problems: Sequence[tuple[str, str]] = (), values: dict[str, Any] | None = None) -> Response:  # fmt: skip
    html = contact_pages.contact_edit_page(
        area, static_url=_static(request), action=request.url.path, patch_url=f"/patch/{quote(district)}#pm-contact",
        csrf_token=getattr(request.state, "csrf_token", None) or "", limits=contacts.FIELDS, problems=problems, values=values,
    )  # fmt: skip
    return html_page(request, html, status_code=422 if problems else 200, headers=PRIVATE)


@router.get("/patch/{district}/contacts/{code}", response_class=HTMLResponse, responses=FORM_ERRORS)
async def read_contact_form(
    request: Request, work: Work, actor: PageActor, district: Annotated[str, CODE], code: Annotated[str, AREA]
) -> Response:
    """The form to set the named council contact of the district or one of its localities."""
    try:
        area = await work.run(_area_in, actor, district, code)
    except PatchmapError as exc:
        return _refused(request, exc)
    return _form_page(request, district, area)


FORM_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/x-www-form-urlencoded": {"schema": {
            "type": "object", "properties": {f: {"type": "string", "maxLength": 2000} for f in FORM_FIELDS},
        }}},
    }
}  # fmt: skip


def _form_kind(request: Request) -> None:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise UnsupportedMediaType(
            "This address takes the contact form",
            "Send it as a form post, or use PUT /areas/{code}/contact with JSON.",
        )


@router.post(
    "/patch/{district}/contacts/{code}",
    response_class=HTMLResponse,
    responses={**FORM_ERRORS, 415: {"description": "The body is not a form post"}},
    openapi_extra=FORM_BODY,
)
async def save_contact_form(
    request: Request, work: Work, district: Annotated[str, CODE], code: Annotated[str, AREA]
) -> Response:
    """Save the contact from the patch page's form; the form again with each problem beside its field."""
    _form_kind(request)
    actor = await _form_actor(request, work)
    if isinstance(actor, Response):
        return actor
    form = await request.form()
    values = {k: v for k, v in form.items() if k in contacts.FIELDS and isinstance(v, str)}
    try:
        await work.run(_set_in, actor, district, code, values)
    except contacts.InvalidContact as exc:
        area = await work.run(_area_in, actor, district, code)
        return _form_page(request, district, area, problems=exc.problems, values=values)
    except PatchmapError as exc:
        return _refused(request, exc)
    return RedirectResponse(f"/patch/{quote(district)}#pm-contact-{quote(code)}", status_code=303)


@router.post(
    "/patch/{district}/contacts/{code}/clear",
    response_class=HTMLResponse,
    responses={**FORM_ERRORS, 415: {"description": "The body is not a form post"}},
    openapi_extra={"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {
        "schema": {"type": "object", "properties": {"csrf_token": {"type": "string", "maxLength": 128}}}}}}},
)  # fmt: skip
async def clear_contact_form(
    request: Request, work: Work, district: Annotated[str, CODE], code: Annotated[str, AREA]
) -> Response:
    """Clear the contact from the patch page's form; back to the patch page."""
    _form_kind(request)
    actor = await _form_actor(request, work)
    if isinstance(actor, Response):
        return actor
    try:
        await work.run(_clear_in, actor, district, code)
    except PatchmapError as exc:
        return _refused(request, exc)
    return RedirectResponse(f"/patch/{quote(district)}#pm-contact-{quote(code)}", status_code=303)
