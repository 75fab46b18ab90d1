"""Who is calling: a bearer token, a browser session cookie (with CSRF on unsafe requests) or a resident.

The checks themselves live in ``layers.access.auth`` and ``layers.access.scope``; this module reads the request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.deps import Work
from layers.access import auth
from layers.access.scope import RESIDENT, Actor
from layers.errors import Forbidden, Unauthorized

SESSION_COOKIE = "patchmap_session"
CSRF_HEADER = "x-csrf-token"
SAFE = {"GET", "HEAD", "OPTIONS"}
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def get_actor(request: Request, work: Work) -> Actor:
    """The caller: from ``Authorization: Bearer``, else the session cookie (CSRF-checked), else a resident."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Send the token as Authorization: Bearer <token>", "")
        return await work.run(auth.actor_from_token, token.strip())
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return RESIDENT
    actor, csrf = await work.run(auth.session_actor, session_id)
    request.state.csrf_token = csrf
    request.state.session_id = session_id
    if request.method not in SAFE:
        given = request.headers.get(CSRF_HEADER)
        if given is None and request.headers.get("content-type", "").startswith(FORM_TYPES):
            form = await request.form()
            value = form.get("csrf_token")
            given = value if isinstance(value, str) else None
        if not auth.csrf_ok(csrf, given):
            raise Forbidden(
                "The form's security token is missing or wrong",
                "Reload the page and try again (forms from other sites are refused).",
            )
    return actor


CurrentActor = Annotated[Actor, Depends(get_actor)]
