"""The co-ordinator's "Check and approve" page for one resident's offer: ``GET /patch/{district}/offers/{id}``
shows what the resident wrote and what approval would publish, in editable fields; ``POST`` (a plain form with
the session's CSRF token, no JavaScript needed) approves it with the corrections, or shows the form again with
each problem beside its field. The checks are in ``layers.offers.moderation`` and ``layers.offers.approval``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import Work
from api.html import html_page
from api.routes.booking_pages import FORM_ERRORS, _form_actor
from api.routes.patch import CODE, PRIVATE, PageActor, _refused, _static
from layers.errors import PatchmapError, UnsupportedMediaType
from layers.offers import approval, moderation
from mapping import moderation_pages

router = APIRouter(tags=["moderation pages"])

SUBMISSION = Path(ge=1, le=2_147_483_647)
LISTS = ("categories", "days")
FIELDS = (
    "name", "description", "categories", "days", "start", "end", "frequency", "venue_address", "place", "website",
    "cost", "step_free", "kind", "address", "capacity", "price_band", "weekdays", "evenings", "weekends", "notes",
)  # fmt: skip
CHECK_ERRORS: dict[int | str, dict[str, Any]] = {
    **FORM_ERRORS,
    409: {"description": "Not used: an offer already decided is a 422 page"},
    415: {"description": "The body is not a form post"},
}


def _page(request: Request, district: str, view: dict[str, Any], values: dict[str, Any],
          problems: Sequence[tuple[str, str]] = ()) -> Response:  # fmt: skip
    html = moderation_pages.offer_check_page(
        view, values, static_url=_static(request), action=request.url.path,
        patch_url=f"/patch/{quote(district)}#pm-pending-title",
        csrf_token=getattr(request.state, "csrf_token", None) or "", problems=problems,
    )  # fmt: skip
    return html_page(request, html, status_code=422 if problems else 200, headers=PRIVATE)


@router.get("/patch/{district}/offers/{submission_id}", response_class=HTMLResponse, responses=CHECK_ERRORS)
async def read_offer_check_page(
    request: Request,
    work: Work,
    actor: PageActor,
    district: Annotated[str, CODE],
    submission_id: Annotated[int, SUBMISSION],
) -> Response:
    """Check and approve one offer: the resident's words, and the record to publish in editable fields."""
    try:
        view = await work.run(moderation.check_view, actor, district, submission_id)
    except PatchmapError as exc:
        return _refused(request, exc)
    kind = view["submission"]["kind"]
    values = approval.form_values(kind, view["offer"], view["place"]) if kind != "help" else {}
    return _page(request, district, view, values)


@router.post(
    "/patch/{district}/offers/{submission_id}",
    response_class=HTMLResponse,
    responses=CHECK_ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": {
                "type": "object",
                "properties": {
                    **{f: {"type": "string", "maxLength": 5000} for f in FIELDS if f not in LISTS},
                    **{f: {"type": "array", "items": {"type": "string"}} for f in LISTS},
                    "csrf_token": {"type": "string"},
                },
            }}},
        }
    },
)  # fmt: skip
async def approve_offer_form(
    request: Request, work: Work, district: Annotated[str, CODE], submission_id: Annotated[int, SUBMISSION]
) -> Response:
    """Approve the offer with the form's corrections; the form again with each problem beside its field."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise UnsupportedMediaType(
            "This address takes the check page's form",
            "Send it as a form post, or use POST /moderation/{id}/approve with JSON.",
        )
    actor = await _form_actor(request, work)
    if isinstance(actor, Response):
        return actor
    posted = await request.form()
    form = {k: [v for v in posted.getlist(k) if isinstance(v, str)] for k in FIELDS}
    try:
        decision = await work.run(moderation.approve_from_form, actor, district, submission_id, form)
    except approval.InvalidCorrections as exc:
        view = await work.run(moderation.check_view, actor, district, submission_id)
        values = {k: (v if k in LISTS else (v[-1] if v else "")) for k, v in form.items()}
        problems = [(approval.FORM_FIELD.get(f, f.split(".")[0]), p) for f, p in exc.problems]
        return _page(request, district, view, values, problems)
    except PatchmapError as exc:
        return _refused(request, exc)
    where = f"/patch/{quote(district)}?approved={quote(decision['reference'])}#pm-pending-title"
    return RedirectResponse(where, status_code=303)
