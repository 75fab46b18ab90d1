"""Council users in the browser and the API (``layers.access.users``): the admin's pages (``/admin/users``,
``/admin/users/{id}``: plain forms with CSRF that work without JavaScript), the set-password page a new user
reaches from the emailed link (``/set-password``), and the JSON API (``GET|POST /users``,
``GET|PATCH /users/{id}``, ``POST /users/{id}/password-link``).

An admin changes users; an officer sees the list read-only; a co-ordinator is refused (403) and a visitor is
sent to sign in. Opening a set-password link changes nothing: the page's form carries the secret in a hidden
field and its POST uses the link. That page says ``Referrer-Policy: no-referrer`` and ``Cache-Control:
no-store``, and nothing logs its address (there is no access log; ``api.middleware`` logs route templates).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.access import CurrentActor, get_actor
from api.deps import IDEMPOTENCY_HEADER, AppSettings, Work, get_settings, idempotency_key
from api.errors import status_of
from api.html import FORM_ONLY, FORM_POST, html_page
from api.routes.patch import PRIVATE, PageActor, _refused, _static
from layers.access import users
from layers.access.auth import MIN_PASSWORD
from layers.access.links import LinkRefused
from layers.access.scope import Actor, require_user
from layers.errors import PatchmapError, Unauthorized
from mapping import patch_pages, user_pages
from mapping.user_pages import UsersView

router = APIRouter(tags=["users"])

SECRET = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
USER_ID = Path(ge=1, le=2_147_483_647)
DISTRICT = Annotated[str, Field(max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
Role = Literal["admin", "officer", "coordinator"]
Done = Literal["created", "saved", "disabled", "enabled", "link"]
READ_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "Only administrators and officers may see users"},
}
ONE_ERRORS: dict[int | str, dict[str, Any]] = {**READ_ERRORS, 404: {"description": "No such user"}}
CHANGE_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "Only administrators change users; an admin cannot disable themselves"},
    404: {"description": "No such user"},
    409: {"description": "It would leave no administrator, or the user is disabled (for a link)"},
    422: {"description": "A value is not valid (each problem named by its field)"},
}
PAGE_ERRORS: dict[int | str, dict[str, Any]] = {
    303: {"description": "Not signed in: to the sign-in page"},
    403: {"description": "Not an administrator or officer (a page saying so)"},
    404: {"description": "No such user (a page)"},
}
FORM_ERRORS: dict[int | str, dict[str, Any]] = {
    303: {"description": "Done: back to the page, saying so (or, not signed in, to the sign-in page)"},
    403: {
        "description": "Not an administrator, the form's security token is wrong, or disabling yourself (a page)"
    },
    404: {"description": "No such user (a page)"},
    409: {"description": "It would leave no administrator, or the user is disabled (a page)"},
    422: {"description": "A value is not valid: the form again, each problem beside its field"},
}


class UserOut(BaseModel):
    """A council user, for administrators and officers: never a password or its hash."""

    id: int
    email: str
    name: str
    role: Role
    districts: list[str]
    disabled: bool
    has_password: bool = Field(description="false until they set one from the emailed link")
    last_login_at: datetime | None
    created_at: datetime


class UserCreate(BaseModel):
    """A new user: they are sent a link to set their own password."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, examples=["Sam Jones"])
    email: str = Field(min_length=3, max_length=254, examples=["sam.jones@norwich.gov.uk"])
    role: Role
    districts: list[DISTRICT] = Field(default=[], max_length=50, description="a co-ordinator's districts")


class UserChanges(BaseModel):
    """Changes to a user: any of the fields."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    districts: list[DISTRICT] | None = Field(default=None, max_length=50)
    disabled: bool | None = None


class LinkSent(BaseModel):
    """A set-password link was queued for the user; it works once, for this many hours."""

    user_id: int
    expires_in_hours: int


# ---------------------------------------------------------------- the JSON API


@router.get("/users", response_model=list[UserOut], responses=READ_ERRORS)
async def list_users(work: Work, actor: CurrentActor) -> Any:
    """Every council user, by name (administrators and officers)."""
    return await work.run(users.list_users, actor)


@router.post(
    "/users",
    status_code=201,
    response_model=UserOut,
    responses=CHANGE_ERRORS,
    openapi_extra={"parameters": [IDEMPOTENCY_HEADER]},
)
async def create_user(
    request: Request, work: Work, actor: CurrentActor, settings: AppSettings, body: UserCreate
) -> Any:
    """Add a user (administrators) and email them a set-password link; send an Idempotency-Key to retry safely."""
    return await work.run(
        users.create_user, actor, name=body.name, email=body.email, role=body.role, district_codes=body.districts,
        public_url=settings.booking.public_url, link_hours=settings.people.sign_in_link_hours,
        idempotency_key=idempotency_key(request),
    )  # fmt: skip


@router.get("/users/{user_id}", response_model=UserOut, responses=ONE_ERRORS)
async def read_user(work: Work, actor: CurrentActor, user_id: Annotated[int, USER_ID]) -> Any:
    """One council user (administrators and officers)."""
    return await work.run(users.get_user, actor, user_id)


@router.patch("/users/{user_id}", response_model=UserOut, responses=CHANGE_ERRORS)
async def update_user(
    work: Work, actor: CurrentActor, user_id: Annotated[int, USER_ID], body: UserChanges
) -> Any:
    """Change a user's name, role, districts, or disable / re-enable them (administrators); each change audited."""
    return await work.run(
        users.update_user, actor, user_id, name=body.name, role=body.role, district_codes=body.districts,
        disabled=body.disabled,
    )  # fmt: skip


@router.post(
    "/users/{user_id}/password-link",
    status_code=202,
    response_model=LinkSent,
    responses={k: v for k, v in CHANGE_ERRORS.items() if k != 422},
)
async def send_password_link(
    work: Work, actor: CurrentActor, settings: AppSettings, user_id: Annotated[int, USER_ID]
) -> Any:
    """Email the user a new set-password link (administrators); any earlier link stops working."""
    return await work.run(
        users.send_password_link, actor, user_id, public_url=settings.booking.public_url,
        link_hours=settings.people.sign_in_link_hours,
    )  # fmt: skip


# ---------------------------------------------------------------- the admin's pages


def _page_data(conn: Any, actor: Actor, user_id: int | None) -> dict[str, Any]:
    """The users (or one user) and the districts, in one transaction; the actor checked first."""
    found = users.get_user(conn, actor, user_id) if user_id else None
    return {"users": users.list_users(conn, actor), "user": found, "districts": users.districts(conn)}


def _view(request: Request, actor: Actor, data: dict[str, Any], **more: Any) -> UsersView:
    link_hours = get_settings(request).people.sign_in_link_hours
    return UsersView(
        static_url=_static(request), users=data["users"], districts=data["districts"], viewer_name=actor.name,
        viewer_role=actor.role, viewer_id=actor.user_id, csrf_token=getattr(request.state, "csrf_token", None) or "",
        can_change=actor.role == "admin", link_hours=link_hours, **more,
    )  # fmt: skip


async def _page(request: Request, work: Work, actor: Actor, user_id: int | None = None, *,
                status: int = 200, **more: Any) -> Response:  # fmt: skip
    """The list page, or one user's page (``user_id``), with a done message or the form's problems."""
    try:
        data = await work.run(_page_data, actor, user_id)
    except PatchmapError as exc:
        return _refused(request, exc)
    view = _view(request, actor, data, **more)
    html = user_pages.user_page(view, data["user"]) if data["user"] else user_pages.users_page(view)
    return html_page(request, html, status_code=status, headers=PRIVATE)


@router.get("/admin/users", response_class=HTMLResponse, responses=PAGE_ERRORS)
async def read_users_page(
    request: Request, work: Work, actor: PageActor, done: Annotated[Done | None, Query()] = None
) -> Response:
    """The council users: an administrator's forms to add and change them; an officer's read-only list."""
    return await _page(request, work, actor, done=done)


@router.get("/admin/users/{user_id}", response_class=HTMLResponse, responses=PAGE_ERRORS)
async def read_user_page(
    request: Request,
    work: Work,
    actor: PageActor,
    user_id: Annotated[int, USER_ID],
    done: Annotated[Done | None, Query()] = None,
) -> Response:
    """One user: role, districts, status; an administrator's forms to change them and send a link."""
    return await _page(request, work, actor, user_id, done=done)


async def _admin(request: Request, work: Work) -> Actor | Response:
    """The signed-in administrator posting a form (CSRF checked), or the page refusing them."""
    try:
        actor = await get_actor(request, work)
        if not actor.signed_in:
            raise Unauthorized("Sign in first", "")
        require_user(actor, "admin")
    except PatchmapError as exc:
        return _refused(request, exc)
    return actor


def _problem(request: Request, exc: PatchmapError, back: str) -> Response:
    heading = "That could not be done"
    html = patch_pages.message_page(
        static_url=_static(request), title=f"{heading}: Patchmap", heading=heading, message=exc.message,
        detail=exc.detail, links=((back, "Back"),),
    )  # fmt: skip
    return html_page(request, html, status_code=status_of(exc), headers=PRIVATE)


Text = Annotated[str, Form(max_length=1000)]
Codes = Annotated[list[str], Form(max_length=50)]
CSRF = Annotated[str | None, Form(max_length=128)]


@router.post("/admin/users", **FORM_POST, responses={**FORM_ERRORS, **FORM_ONLY})
async def create_user_form(
    request: Request, work: Work, settings: AppSettings, name: Text = "", email: Text = "", role: Text = "",
    districts: Codes = [], csrf_token: CSRF = None,  # noqa: B006 (FastAPI copies defaults)
) -> Response:  # fmt: skip
    """Add a user from the form; they are emailed a set-password link. The form again with each problem."""
    actor = await _admin(request, work)
    if isinstance(actor, Response):
        return actor
    try:
        made = await work.run(
            users.create_user, actor, name=name, email=email, role=role, district_codes=districts,
            public_url=settings.booking.public_url, link_hours=settings.people.sign_in_link_hours,
        )  # fmt: skip
    except users.UserProblems as exc:
        values = {"name": name, "email": email, "role": role, "districts": districts}
        return await _page(request, work, actor, status=422, problems=exc.problems, values=values)
    except PatchmapError as exc:
        return _problem(request, exc, "/admin/users")
    return RedirectResponse(f"/admin/users?done=created#pm-user-row-{made['id']}", status_code=303)


@router.post("/admin/users/{user_id}", **FORM_POST, responses={**FORM_ERRORS, **FORM_ONLY})
async def update_user_form(
    request: Request, work: Work, user_id: Annotated[int, USER_ID], name: Text = "", role: Text = "",
    districts: Codes = [], csrf_token: CSRF = None,  # noqa: B006 (FastAPI copies defaults)
) -> Response:  # fmt: skip
    """Save a user's name, role and districts from the form; the form again with each problem."""
    actor = await _admin(request, work)
    if isinstance(actor, Response):
        return actor
    try:
        await work.run(users.update_user, actor, user_id, name=name, role=role, district_codes=districts)
    except users.UserProblems as exc:
        values = {"name": name, "role": role, "districts": districts}
        return await _page(request, work, actor, user_id, status=422, problems=exc.problems, values=values)
    except PatchmapError as exc:
        return _problem(request, exc, f"/admin/users/{user_id}")
    return RedirectResponse(f"/admin/users/{user_id}?done=saved", status_code=303)


async def _act(request: Request, work: Work, settings: AppSettings, user_id: int, action: str) -> Response:
    actor = await _admin(request, work)
    if isinstance(actor, Response):
        return actor
    try:
        if action == "link":
            await work.run(users.send_password_link, actor, user_id, public_url=settings.booking.public_url,
                           link_hours=settings.people.sign_in_link_hours)  # fmt: skip
        else:
            await work.run(users.update_user, actor, user_id, disabled=action == "disabled")
    except PatchmapError as exc:
        return _problem(request, exc, f"/admin/users/{user_id}")
    return RedirectResponse(f"/admin/users/{user_id}?done={action}", status_code=303)


@router.post("/admin/users/{user_id}/disable", **FORM_POST, responses={**FORM_ERRORS, **FORM_ONLY})
async def disable_user_form(
    request: Request,
    work: Work,
    settings: AppSettings,
    user_id: Annotated[int, USER_ID],
    csrf_token: CSRF = None,
) -> Response:
    """Disable a user: signed out everywhere at once, tokens stopped (not yourself, not the last admin)."""
    return await _act(request, work, settings, user_id, "disabled")


@router.post("/admin/users/{user_id}/enable", **FORM_POST, responses={**FORM_ERRORS, **FORM_ONLY})
async def enable_user_form(
    request: Request,
    work: Work,
    settings: AppSettings,
    user_id: Annotated[int, USER_ID],
    csrf_token: CSRF = None,
) -> Response:
    """Re-enable a disabled user."""
    return await _act(request, work, settings, user_id, "enabled")


@router.post("/admin/users/{user_id}/password-link", **FORM_POST, responses={**FORM_ERRORS, **FORM_ONLY})
async def password_link_form(
    request: Request,
    work: Work,
    settings: AppSettings,
    user_id: Annotated[int, USER_ID],
    csrf_token: CSRF = None,
) -> Response:
    """Email the user a new set-password link; any earlier one stops working."""
    return await _act(request, work, settings, user_id, "link")


# ---------------------------------------------------------------- the set-password page


def _link_refused(request: Request, exc: PatchmapError) -> Response:
    heading = "This link does not work"
    html = patch_pages.message_page(
        static_url=_static(request), title=f"{heading}: Patchmap", heading=heading, message=exc.message,
        detail=exc.detail or "Ask your Patchmap administrator to send you a new link.",
        links=(("/sign-in", "Sign in"),),
    )  # fmt: skip
    return html_page(request, html, status_code=status_of(exc), headers=SECRET)


LINK_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {
        "description": "The link is not complete, not ours, used or expired: a page saying so; nothing changes"
    },
}


@router.get("/set-password", response_class=HTMLResponse, responses=LINK_ERRORS)
async def read_set_password_page(
    request: Request,
    work: Work,
    token: Annotated[str, Query(max_length=128, description="the secret from the emailed link")] = "",
) -> Response:
    """The form to choose a password, reached from an emailed link; opening it does not use the link."""
    try:
        user = await work.run(users.password_link, token)
    except PatchmapError as exc:
        return _link_refused(request, exc)
    html = user_pages.set_password_page(static_url=_static(request), action="/set-password", token=token,
                                        name=user["name"], min_length=MIN_PASSWORD)  # fmt: skip
    return html_page(request, html, headers=SECRET)


@router.post(
    "/set-password",
    **FORM_POST,
    responses={
        **LINK_ERRORS,
        422: {"description": "The password is too short or the two differ: the form again"},
        **FORM_ONLY,
    },
)
async def set_password_form(
    request: Request,
    work: Work,
    token: Annotated[str, Form(max_length=128)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    again: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Use the link: set the password (at least 12 characters) and end the user's other sessions."""
    try:
        user = await work.run(users.set_password, token, password, again)
    except users.UserProblems as exc:
        name = (await work.run(users.password_link, token))["name"]
        html = user_pages.set_password_page(static_url=_static(request), action="/set-password", token=token,
                                            name=name, problems=exc.problems, min_length=MIN_PASSWORD)  # fmt: skip
        return html_page(request, html, status_code=422, headers=SECRET)
    except (LinkRefused, PatchmapError) as exc:
        return _link_refused(request, exc)
    html = user_pages.password_set_page(
        static_url=_static(request), name=user["name"], sign_in_url="/sign-in"
    )
    return html_page(request, html, headers=SECRET)
