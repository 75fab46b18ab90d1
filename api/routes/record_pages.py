"""The co-ordinator's pages to add and change groups, hubs, spaces and a hub's rooms in the browser: plain forms
that work without JavaScript (CSRF as the patch page's forms), each posting back to its own address.

- ``/patch/{district}/{groups|hubs|spaces}/new``: the form to add one; its post creates the record (one
  transaction: the record, a version, an audit row) and answers 303 to the record's own form. A hidden
  ``form_key`` makes a double click or a retry answer the first record instead of making a second.
- ``/patch/{district}/{groups|hubs|spaces}/{id}/edit``: the form to change one.
- ``/patch/{district}/hubs/{hub_id}/rooms/new`` and ``/patch/{district}/rooms/{room_id}/edit``: a hub's rooms.
- ``…/{id}/versions/{version}/restore`` (each kind, rooms too): the "Restore this version" button of a record's
  History list; puts the record back as it was (a new version, ``layers.records.forms.restore_in``), 303 to
  its form. A second press (or a retry) finds it already so and writes nothing.

A post whose ``action`` is ``find`` saves nothing: it answers the form again with the places whose name or
address holds the words searched. Not signed in: 303 to /sign-in; another district's record: a 403 page; a
form with problems: the form again (422), each problem beside its field, nothing written.
"""

# No "from __future__ import annotations": the routes made in _routes() use Annotated types local to it,
# which FastAPI must see as objects, not as names it would look up in this module.
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import AppSettings, Work
from api.html import FORM_ONLY, FORM_POST, html_page
from api.routes.booking_pages import _form_actor
from api.routes.patch import CODE, PRIVATE, PageActor, _refused, _static
from layers.areas.defaults import PlaceDefaults, place_defaults
from layers.errors import PatchmapError, UnsupportedMediaType
from layers.records import forms
from mapping import record_pages
from mapping.record_pages import MapSettings, RecordForm

router = APIRouter(tags=["record pages"])

PLURAL = {"group": "groups", "hub": "hubs", "space": "spaces"}
SAVED = Query(max_length=9, pattern=r"^(created|saved|restored|unchanged)$",
              description="say the record was added, saved or restored (or already as restored)")  # fmt: skip
PAGE_ANSWERS: dict[int | str, dict[str, Any]] = {
    303: {"description": "Not signed in: to /sign-in"},
    403: {"description": "Not a district this user covers (a page)"},
    404: {"description": "No such district, or no such record in it (a page)"},
}
FORM_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "The form again with the places a search found (nothing saved)"},
    303: {"description": "Saved: to the record's own form (or, not signed in, to /sign-in)"},
    400: {"description": "The form was already used for another record, or the database refused a value (a page)"},
    403: {"description": "Not a district this user covers, or the form's security token is wrong (a page)"},
    404: {"description": "No such district, or no such record in it (a page)"},
    415: {"description": "The body is not a form post"},
    422: {"description": "The form again, each problem beside its field; nothing was saved (a page); or a "
                         "parameter or value the service refuses everywhere (JSON)"},
}  # fmt: skip
RESTORE_ANSWERS: dict[int | str, dict[str, Any]] = {
    303: {"description": "Restored (or already so): to the record's form; not signed in: to /sign-in"},
    400: {"description": "The database refused a value of that version (a page)"},
    403: {"description": "Not a district this user covers, or the form's security token is wrong (a page)"},
    404: {"description": "No such district, record in it, or version (a page)"},
    415: {"description": "The body is not a form post (an {error, detail} JSON answer)"},
    422: {"description": "A parameter the service refuses everywhere (JSON)"},
}
Version = Annotated[int, Path(ge=1, le=2_147_483_647)]
CsrfField = Annotated[str | None, Form(max_length=128)]
FORM_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/x-www-form-urlencoded": {"schema": {
            "type": "object", "additionalProperties": {"type": "string", "maxLength": 4000},
            "properties": {"action": {"type": "string", "enum": ["save", "find"]},
                           "form_key": {"type": "string", "maxLength": 64}},
        }}},
    }
}  # fmt: skip


def _map(settings: AppSettings, home: PlaceDefaults | None) -> MapSettings:
    """The place picker's first view: the record's district (layers.areas.defaults) unless settings say."""
    m = settings.map
    if home is None:
        return MapSettings(m.tile_url, m.tile_attribution, m.map_centre_lon, m.map_centre_lat, m.map_zoom)
    return MapSettings(m.tile_url, m.tile_attribution, home.centre_lon, home.centre_lat, home.zoom)


async def _home(work: Work, settings: AppSettings, district: str) -> PlaceDefaults:
    return await work.run(place_defaults, settings.map.model_copy(update={"default_district": district}))


def _page(request: Request, settings: AppSettings, kind: str, district: str, found: Mapping[str, Any],
          *, values: Mapping[str, Any] | None = None, problems: Mapping[str, str] | None = None,
          saved: str = "", key: str = "", home: PlaceDefaults | None = None) -> Response:  # fmt: skip
    """The form page; 422 when it shows problems."""
    rooms = [{**r, "edit_url": f"/patch/{district}/rooms/{r['id']}/edit"} for r in found.get("rooms", ())]
    data = RecordForm(
        kind=kind, action=request.url.path, patch_url=f"/patch/{district}", static_url=_static(request),
        csrf_token=getattr(request.state, "csrf_token", None) or "", form_key=key or uuid.uuid4().hex,
        values=values if values is not None else found["values"], problems=problems or {},
        options=found.get("options", {}), places=found.get("places"), record=found.get("record") or found.get("room"),
        hub=found.get("hub"), rooms=rooms, saved=saved, map=_map(settings, home) if kind != "room" else None,
        example_postcode=home.example_postcode if home else None,
        history=found.get("history", ()),
    )  # fmt: skip
    html = record_pages.record_form_page(data)
    return html_page(request, html, status_code=422 if problems else 200, headers=PRIVATE)


async def _posted(request: Request, scope: Callable[[], Awaitable[Any]]) -> dict[str, list[str]] | Response:
    """The form post's fields ({name: [values]}). Any other body is 415, once ``scope`` (a read) has refused a
    caller who may not use the form at all, so a stranger learns nothing more than a refusal."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            await scope()
        except PatchmapError as exc:
            return _refused(request, exc)
        raise UnsupportedMediaType("This address takes a form post", "Send the form from the page.")
    form = await request.form()
    return {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}


async def _show(request: Request, work: Work, settings: AppSettings, actor: Any, kind: str, district: str,
                record_id: int | None, saved: str) -> Response:  # fmt: skip
    try:
        found = await work.run(forms.record_page, actor, kind, district, record_id)
    except PatchmapError as exc:
        return _refused(request, exc)
    return _page(
        request, settings, kind, district, found, saved=saved, home=await _home(work, settings, district)
    )


async def _save(request: Request, work: Work, settings: AppSettings, kind: str, district: str,
                record_id: int | None) -> Response:  # fmt: skip
    """Create or change a record from its form; or, for ``action=find``, search for places and show the form."""
    actor = await _form_actor(request, work)
    if isinstance(actor, Response):
        return actor
    sent = await _posted(request, lambda: work.run(forms.record_page, actor, kind, district, record_id))
    if isinstance(sent, Response):
        return sent
    key = forms.one(sent, "form_key")[:64] or uuid.uuid4().hex
    find = forms.one(sent, "find") if forms.one(sent, "action") == "find" else ""
    try:
        if forms.one(sent, "action") == "find":
            outcome: dict[str, Any] = {"problems": {} if find else {"find": "enter words to search for"}}
            sent["place"] = ["address"]
        elif record_id is None:
            outcome = await work.run(forms.create, actor, kind, district, sent, key)
        else:
            outcome = await work.run(forms.edit, actor, kind, record_id, district, sent)
        if "id" in outcome:
            where = outcome["district"] or district
            done = "created" if record_id is None else "saved"
            return RedirectResponse(f"/patch/{where}/{PLURAL[kind]}/{outcome['id']}/edit?saved={done}", 303)
        found = await work.run(forms.record_page, actor, kind, district, record_id, find)
    except PatchmapError as exc:
        return _refused(request, exc)
    home = await _home(work, settings, district)
    return _page(request, settings, kind, district, found, values=sent, problems=outcome["problems"], key=key,
                 home=home)  # fmt: skip


async def _restore(
    request: Request, work: Work, kind: str, district: str, record_id: int, version: int
) -> Response:
    """Put a record back as it was at a version, from its History list; 303 to its form saying so."""
    actor = await _form_actor(request, work)
    if isinstance(actor, Response):
        return actor
    try:
        done = await work.run(forms.restore_in, actor, kind, district, record_id, version)
    except PatchmapError as exc:
        return _refused(request, exc)
    saved = "unchanged" if done["action"] == "unchanged" else "restored"
    where = "rooms" if kind == "room" else PLURAL[kind]
    return RedirectResponse(f"/patch/{district}/{where}/{record_id}/edit?saved={saved}", 303)


def _routes(kind: str) -> None:
    """The four routes of a kind: its new form and edit form, each read and posted."""
    plural, name = PLURAL[kind], f"{kind}_id"
    RecordId = Annotated[int, Path(ge=1, le=2_147_483_647, alias=name)]
    District = Annotated[str, CODE]

    async def read_new(request: Request, work: Work, settings: AppSettings, actor: PageActor,
                       district: District) -> Response:  # fmt: skip
        return await _show(request, work, settings, actor, kind, district, None, "")

    async def save_new(request: Request, work: Work, settings: AppSettings, district: District) -> Response:
        return await _save(request, work, settings, kind, district, None)

    async def read_edit(request: Request, work: Work, settings: AppSettings, actor: PageActor, district: District,
                        record_id: RecordId, saved: Annotated[str, SAVED] = "") -> Response:  # fmt: skip
        return await _show(request, work, settings, actor, kind, district, record_id, saved)

    async def save_edit(request: Request, work: Work, settings: AppSettings, district: District,
                        record_id: RecordId) -> Response:  # fmt: skip
        return await _save(request, work, settings, kind, district, record_id)

    async def restore_version(request: Request, work: Work, district: District, record_id: RecordId,
                              version: Version, csrf_token: CsrfField = None) -> Response:  # fmt: skip
        return await _restore(request, work, kind, district, record_id, version)

    def add(path: str, method: str, handler: Callable[..., Any], summary: str) -> None:
        handler.__doc__ = summary
        answers = PAGE_ANSWERS if method == "GET" else FORM_ANSWERS
        router.add_api_route(path, handler, methods=[method], response_class=HTMLResponse, responses=answers,
                             name=f"{handler.__name__}_{kind}", summary=summary,
                             openapi_extra=FORM_BODY if method == "POST" else None)  # fmt: skip

    add(f"/patch/{{district}}/{plural}/new", "GET", read_new, f"The form to add a {kind}")
    add(f"/patch/{{district}}/{plural}/new", "POST", save_new, f"Add a {kind} from its form")
    add(f"/patch/{{district}}/{plural}/{{{name}}}/edit", "GET", read_edit, f"The form to change a {kind}")
    add(f"/patch/{{district}}/{plural}/{{{name}}}/edit", "POST", save_edit, f"Change a {kind} from its form")
    restore_version.__doc__ = summary = (
        f"Put a {kind} back as it was at a version (its History list's button)"
    )
    router.add_api_route(f"/patch/{{district}}/{plural}/{{{name}}}/versions/{{version}}/restore", restore_version,
                         methods=["POST"], **FORM_POST, responses=RESTORE_ANSWERS, name=f"restore_version_{kind}",
                         summary=summary)  # fmt: skip


for _kind in PLURAL:
    _routes(_kind)

RoomId = Annotated[int, Path(ge=1, le=2_147_483_647)]


async def _room(request: Request, work: Work, settings: AppSettings, district: str, hub_id: int | None,
                room_id: int | None, actor: Any = None, saved: str = "") -> Response:  # fmt: skip
    """A room's form (read with ``actor``), or its post saved."""
    sent: dict[str, list[str]] | None = None
    if actor is None:
        actor = await _form_actor(request, work)
        if isinstance(actor, Response):
            return actor
        posted = await _posted(request, lambda: work.run(forms.load_room, actor, district, hub_id, room_id))
        if isinstance(posted, Response):
            return posted
        sent = posted
    key = forms.one(sent or {}, "form_key")[:64]
    try:
        if sent is not None:
            outcome = await work.run(forms.save_room, actor, district, hub_id, room_id, sent, key)
            if "room" in outcome:
                done = "created" if room_id is None else "saved"
                return RedirectResponse(f"/patch/{district}/rooms/{outcome['room']}/edit?saved={done}", 303)
        found = await work.run(forms.load_room, actor, district, hub_id, room_id)
    except PatchmapError as exc:
        return _refused(request, exc)
    problems = outcome["problems"] if sent is not None else None
    return _page(
        request, settings, "room", district, found, values=sent, problems=problems, saved=saved, key=key
    )


@router.get("/patch/{district}/hubs/{hub_id}/rooms/new", response_class=HTMLResponse, responses=PAGE_ANSWERS)
async def read_new_room(request: Request, work: Work, settings: AppSettings, actor: PageActor,
                        district: Annotated[str, CODE], hub_id: RoomId) -> Response:  # fmt: skip
    """The form to add a room to a hub."""
    return await _room(request, work, settings, district, hub_id, None, actor)


@router.post("/patch/{district}/hubs/{hub_id}/rooms/new", **FORM_POST, responses={**FORM_ANSWERS, **FORM_ONLY},
             openapi_extra=FORM_BODY)  # fmt: skip
async def save_new_room(request: Request, work: Work, settings: AppSettings, district: Annotated[str, CODE],
                        hub_id: RoomId) -> Response:  # fmt: skip
    """Add a room to a hub from its form."""
    return await _room(request, work, settings, district, hub_id, None)


@router.get("/patch/{district}/rooms/{room_id}/edit", response_class=HTMLResponse, responses=PAGE_ANSWERS)
async def read_room(request: Request, work: Work, settings: AppSettings, actor: PageActor,
                    district: Annotated[str, CODE], room_id: RoomId, saved: Annotated[str, SAVED] = "") -> Response:  # fmt: skip
    """The form to change a room."""
    return await _room(request, work, settings, district, None, room_id, actor, saved)


@router.post("/patch/{district}/rooms/{room_id}/edit", **FORM_POST, responses={**FORM_ANSWERS, **FORM_ONLY},
             openapi_extra=FORM_BODY)  # fmt: skip
async def save_room(request: Request, work: Work, settings: AppSettings, district: Annotated[str, CODE],
                    room_id: RoomId) -> Response:  # fmt: skip
    """Change a room from its form."""
    return await _room(request, work, settings, district, None, room_id)


@router.post("/patch/{district}/rooms/{room_id}/versions/{version}/restore", **FORM_POST,
             responses=RESTORE_ANSWERS)  # fmt: skip
async def restore_room_version(request: Request, work: Work, district: Annotated[str, CODE], room_id: RoomId,
                               version: Version, csrf_token: CsrfField = None) -> Response:  # fmt: skip
    """Put a room back as it was at a version (its History list's button)."""
    return await _restore(request, work, "room", district, room_id, version)
