"""Residents' forms: suggest a group, offer a space, offer help. Stored as pending; nothing here is public.

Each endpoint takes JSON or an HTML form post (``application/x-www-form-urlencoded``, so the page works
without JavaScript) and answers JSON, or a small HTML page when the client asks for ``text/html`` and not
JSON, as a browser posting a form does. The pages are ``mapping.answers``' templates (autoescaped Jinja).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NamedTuple

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from api.deps import IDEMPOTENCY_HEADER, AppSettings, Conn, idempotency_key
from api.errors import headers_of, status_of
from api.html import html_page
from layers.errors import PatchmapError, TooLarge
from layers.offers.forms import FORMS, InvalidSubmission, parse_payload
from layers.offers.notices import Notify
from layers.offers.submissions import client_key, idempotency, submit
from mapping import answers

router = APIRouter(prefix="/submissions", tags=["submissions"])

FORM = "application/x-www-form-urlencoded"
ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"description": "The body is larger than PATCHMAP_SUBMISSION_MAX_BYTES"},
    415: {"description": "The body is neither JSON nor a form post"},
    422: {"description": "Malformed JSON, or a field missing or not valid (each problem is listed)"},
    429: {
        "description": "Too many submissions from this client in the window",
        "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
    },
}


class SubmissionReceipt(BaseModel):
    """The acknowledgement of a submission: its reference and what happens next."""

    reference: str = Field(examples=["PM-7K3Q9XF2"], description="quote it when asking about the offer")
    status: Literal["pending"]
    message: str = Field(description="a plain-English acknowledgement to show the resident")
    kind: Literal["group", "space", "help"]


class RawBody(NamedTuple):
    """A request body read up to the size limit."""

    data: bytes
    too_large: bool


async def read_body(request: Request, settings: AppSettings) -> RawBody:
    """The body, read no further than PATCHMAP_SUBMISSION_MAX_BYTES (before a connection is taken)."""
    limit = settings.submissions.submission_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return RawBody(b"", True)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return RawBody(b"", True)
        chunks.append(chunk)
    return RawBody(b"".join(chunks), False)


SubmissionBody = Annotated[RawBody, Depends(read_body)]


def _wants_html(request: Request) -> bool:
    """Whether the client asked for a page (a browser posting a form) rather than JSON."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept


async def _submit(kind: str, request: Request, body: RawBody, conn: Conn, settings: AppSettings) -> Response:
    """Parse, check and store one submission; answer JSON or a page."""
    wants_html, limits = _wants_html(request), settings.submissions
    try:
        if body.too_large:
            raise TooLarge(
                f"The form is larger than {limits.submission_max_bytes} bytes",
                "Shorten the text and send it again.",
            )
        payload = parse_payload(kind, body.data, request.headers.get("content-type", ""))
        secret: bytes = request.app.state.submission_secret
        client = client_key(secret, request.client.host if request.client else "")
        receipt = await submit(
            conn,
            kind,
            payload,
            client=client,
            limit=limits.submission_limit,
            window_minutes=limits.submission_window_minutes,
            once=idempotency(secret, idempotency_key(request), kind, payload),
            notify=Notify.of(settings),
        )
    except PatchmapError as exc:
        if not wants_html:
            raise
        problems = exc.problems if isinstance(exc, InvalidSubmission) else ()
        page = answers.problem_page(heading=exc.message, detail=exc.detail, problems=problems)
        return html_page(request, page, status_code=status_of(exc), headers=headers_of(exc))
    status = 201 if receipt.stored else 202
    if wants_html:
        page = answers.receipt_page(
            reference=receipt.reference, message=receipt.message, sent=receipt.title, emailed=receipt.emailed
        )
        return html_page(request, page, status_code=status)
    public = SubmissionReceipt(
        reference=receipt.reference, status="pending", message=receipt.message, kind=kind
    )
    return JSONResponse(public.model_dump(), status_code=status)


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """A JSON schema with its local $defs references replaced by the definitions."""
    if isinstance(schema, dict):
        ref = schema.get("$ref", "")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(v, defs) for v in schema]
    return schema


def _route(kind: str) -> dict[str, Any]:
    """The route options of a kind: statuses, documented responses and both request body encodings."""
    schema = FORMS[kind].model_json_schema()
    body = _inline(schema, schema.get("$defs", {}))
    fields = dict(body["properties"])
    contact = fields.pop("contact")
    form = {
        "type": "object",
        "properties": {**fields, **{f"contact_{k}": v for k, v in contact["properties"].items()}},
        "required": [r for r in body["required"] if r != "contact"]
        + [f"contact_{r}" for r in contact["required"]],
    }
    accepted = {"model": SubmissionReceipt, "description": "Nothing stored: the field website_url was filled"}
    return {
        "status_code": 201,
        "response_model": SubmissionReceipt,
        "responses": {201: {"content": {"text/html": {}}}, 202: accepted, **ERRORS},
        "openapi_extra": {
            "parameters": [IDEMPOTENCY_HEADER],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": body}, FORM: {"schema": form}},
            },
        },
    }


@router.post("/group", **_route("group"))
async def suggest_group(
    request: Request, body: SubmissionBody, conn: Conn, settings: AppSettings
) -> Response:
    """Suggest a community group (yours or one you know); it waits, unpublished, for a council officer."""
    return await _submit("group", request, body, conn, settings)


@router.post("/space", **_route("space"))
async def offer_space(request: Request, body: SubmissionBody, conn: Conn, settings: AppSettings) -> Response:
    """Offer a space (a room, hall, empty shop, office or outdoor space); it waits for a council officer."""
    return await _submit("space", request, body, conn, settings)


@router.post("/help", **_route("help"))
async def offer_help(request: Request, body: SubmissionBody, conn: Conn, settings: AppSettings) -> Response:
    """Offer your help (what, your skills, when and where); it waits, unpublished, for a council officer."""
    return await _submit("help", request, body, conn, settings)
