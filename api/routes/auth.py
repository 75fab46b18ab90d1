"""Signing in and out (browser sessions), and who am I."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from api.access import SESSION_COOKIE, CurrentActor
from api.deps import AppSettings, Work
from layers.access import auth
from layers.access.scope import Actor
from layers.errors import RateLimited, Unauthorized

router = APIRouter(prefix="/auth", tags=["sign-in"])


class Me(BaseModel):
    """The signed-in user (or the anonymous resident)."""

    signed_in: bool
    user_id: int | None
    name: str
    role: str
    districts: list[str]
    csrf_token: str | None = Field(
        description="send as X-CSRF-Token (or the csrf_token form field) with changes"
    )


def landing(actor: Actor) -> str:
    """Where a user lands after signing in: a co-ordinator's own patch, else the officers' map."""
    if actor.role == "coordinator" and actor.districts:
        return f"/patch/{sorted(actor.districts)[0]}"
    return "/analysis"


@router.post(
    "/sign-in",
    responses={
        200: {"description": "Signed in (asked for JSON): where to go next and the CSRF token"},
        303: {"description": "Signed in, or (a browser) sent back to the form saying why"},
        401: {"description": "Wrong email or password"},
        429: {"description": "Too many failed attempts: wait for Retry-After"},
    },
)
async def sign_in(
    request: Request,
    work: Work,
    settings: AppSettings,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    """Check email and password; set the session cookie (HttpOnly, SameSite=Lax) and go to the user's page."""
    client = request.client.host if request.client else "unknown"
    secret: bytes = request.app.state.submission_secret  # the HMAC key for client addresses, not a database
    wants_json = "application/json" in request.headers.get("accept", "")
    try:
        actor, new = await work.run(
            auth.sign_in,
            email=email,
            password=password,
            client=client,
            secret=secret,
            settings=settings.access,
        )
    except (Unauthorized, RateLimited) as exc:
        if wants_json or "text/html" not in request.headers.get("accept", ""):
            raise
        # A person at the sign-in form (a browser asks for HTML) sees it again, saying what went wrong
        # (GET /sign-in, api.routes.patch); API clients still get 401 or 429 with the JSON error.
        failed = "locked" if isinstance(exc, RateLimited) else "1"
        return RedirectResponse(f"/sign-in?failed={failed}", status_code=303)
    response: Response = (
        JSONResponse({"next": landing(actor), "csrf_token": new.csrf_token})
        if wants_json
        else RedirectResponse(landing(actor), status_code=303)
    )
    response.set_cookie(
        SESSION_COOKIE,
        new.session_id,
        max_age=settings.access.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.access.secure_cookies,
        path="/",
    )
    return response


@router.post(
    "/sign-out",
    responses={
        200: {"description": "Signed out (asked for JSON)"},
        303: {"description": "Signed out (a browser): to the map"},
    },
)
async def sign_out(request: Request, work: Work, actor: CurrentActor) -> Response:
    """End this browser session (it stops working at once) and clear the cookie."""
    session_id = getattr(request.state, "session_id", None)
    if session_id:
        await work.run(auth.sign_out, actor, session_id)
    wants_json = "application/json" in request.headers.get("accept", "")
    response: Response = (
        JSONResponse({"signed_out": True}) if wants_json else RedirectResponse("/", status_code=303)
    )
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=Me)
async def read_me(request: Request, actor: CurrentActor) -> Any:
    """Who the request is from, and (for a browser session) the CSRF token its changes must carry."""
    return {
        "signed_in": actor.signed_in,
        "user_id": actor.user_id,
        "name": actor.name,
        "role": actor.role,
        "districts": sorted(actor.districts),
        "csrf_token": getattr(request.state, "csrf_token", None),
    }
