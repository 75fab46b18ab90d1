"""Offers of help meet groups: the co-ordinator's follow-up of accepted offers of help.

- ``GET /districts/{district}/help-offers``: the district's accepted offers still followed up, each with its
  matching groups and the reason for each (``layers.offers.matching``);
- ``POST /help-offers/{id}/introduce`` ``{group_id}`` and ``POST /help-offers/{id}/close`` ``{reason}``:
  JSON, for the API (``layers.offers.introductions``);
- the same two as plain form posts from the patch page (``/patch/{district}/help-offers/{id}/...``), which
  work without JavaScript and answer by going back to the patch page (303) or with a page saying what is
  wrong.

No answer holds an email address or phone number: the contacts travel only in the two messages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.access import CurrentActor
from api.deps import AppSettings, Work
from api.html import FORM_ONLY, FORM_POST
from api.routes.booking_pages import _form_actor, _patch_problem
from api.routes.patch import CODE
from layers.errors import PatchmapError
from layers.offers import introductions, matching

router = APIRouter(tags=["offers of help"])

OFFER_ID = Path(ge=1, le=2_147_483_647, description="the offer's id (as listed)")
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "Signed in, but not for this district"},
    404: {"description": "No such district"},
}
ACT_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "Not allowed (the security token of a signed-in browser is missing or wrong)"},
    404: {"description": "No such offer of help in your districts, or no such group"},
    409: {
        "description": "Not done, nothing changed: the offer is not accepted or is closed, the group is not "
        "asking for volunteers, or one side has not agreed to be introduced"
    },
    422: {"description": "A value is not valid"},
}
FORM_ERRORS: dict[int | str, dict[str, Any]] = {
    303: {"description": "Done (or not signed in): back to the patch page (or to sign in)"},
    403: {"description": "Not this district's co-ordinator, or the form's security token is wrong (a page)"},
    404: {"description": "No such offer of help in this district, or no such group (a page)"},
    409: {"description": "Not done, nothing changed (a page saying why)"},
    422: {"description": "A form field is missing or not valid (the usual JSON error body)"},
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MatchedGroup(_Strict):
    group_id: int
    name: str
    sample: bool = Field(description="made up for the demo")
    rank: int = Field(description="1 is the best match")
    reason: str = Field(examples=["wants drivers; food; 0.8 km"])
    distance_m: int = Field(
        description="EPSG:27700 metres from the offer to the group, or to the area it serves"
    )
    located_by: str = Field(description="point: the group's own place; area: only the area it serves")
    categories_matched: list[str]
    skills_matched: list[str]
    accepts_introductions: bool
    introduced: bool
    can_introduce: bool
    why_not: str | None = Field(description="why it cannot be introduced now, in words")


class Introduced(_Strict):
    group_id: int
    name: str
    at: datetime
    reason: str | None


class HelpOfferFollowUp(_Strict):
    id: int
    reference: str
    volunteer: str = Field(description="the volunteer's name (private: only for the district's staff)")
    sample: bool
    offer: str
    skills: list[str]
    categories: list[str]
    days: list[str]
    when: str | None
    ward: str | None
    accepted_at: datetime
    follow_up: str = Field(description="open or introduced (listed until closed)")
    consented: bool = Field(description="the volunteer agreed to be introduced to a group")
    why_not: str | None
    introduced_to: list[Introduced]
    matches: list[MatchedGroup]


class DistrictName(_Strict):
    code: str
    name: str


class HelpOffers(_Strict):
    district: DistrictName
    match_limit: int
    offers: list[HelpOfferFollowUp]


class IntroduceBody(_Strict):
    group_id: int = Field(ge=1, le=2_147_483_647)


class CloseBody(_Strict):
    reason: str | None = Field(default=None, max_length=introductions.MAX_REASON)


class GroupRef(_Strict):
    id: int
    name: str


class FollowUpDone(_Strict):
    id: int
    reference: str
    follow_up: str
    already: bool = Field(description="true when this repeated an earlier request and changed nothing")
    group: GroupRef | None = None
    reason: str | None = None
    introduced_at: datetime | None = None


@router.get("/districts/{district}/help-offers", response_model=HelpOffers, responses=ERRORS)
async def list_help_offers(work: Work, actor: CurrentActor, district: Annotated[str, CODE]) -> Any:
    """A district's accepted offers of help to follow up (until closed), each with its nearest matching
    groups ranked, the reason for each, and whether it can be introduced now."""
    return await work.run(matching.help_offers, actor, district)


@router.post("/help-offers/{offer_id}/introduce", response_model=FollowUpDone, responses=ACT_ERRORS)
async def introduce_help_offer(
    work: Work,
    actor: CurrentActor,
    settings: AppSettings,
    offer_id: Annotated[int, OFFER_ID],
    body: IntroduceBody,
) -> Any:
    """Introduce an accepted offer of help to a group (both must have agreed): each is emailed the other's
    contact. A repeat of the same introduction answers the same and sends nothing more."""
    url = settings.booking.public_url
    return await work.run(introductions.introduce, actor, offer_id, body.group_id, public_url=url)


@router.post("/help-offers/{offer_id}/close", response_model=FollowUpDone, responses=ACT_ERRORS)
async def close_help_offer(
    work: Work, actor: CurrentActor, offer_id: Annotated[int, OFFER_ID], body: CloseBody
) -> Any:
    """Close an accepted offer of help: it leaves the patch page's follow-up list."""
    return await work.run(introductions.close, actor, offer_id, body.reason)


async def _act(request: Request, work: Work, district: str, offer_id: int, fn: Any, *args: Any,
               **kwargs: Any) -> Response:  # fmt: skip
    actor = await _form_actor(request, work)
    if isinstance(actor, Response):
        return actor
    try:
        await work.run(introductions.in_district, actor, district, offer_id, fn, *args, **kwargs)
    except PatchmapError as exc:
        return _patch_problem(request, exc, district)
    return RedirectResponse(f"/patch/{quote(district)}#pm-help-offer-{offer_id}", status_code=303)


@router.post(
    "/patch/{district}/help-offers/{offer_id}/introduce", **FORM_POST, responses={**FORM_ERRORS, **FORM_ONLY}
)
async def introduce_help_offer_form(
    request: Request,
    work: Work,
    settings: AppSettings,
    district: Annotated[str, CODE],
    offer_id: Annotated[int, OFFER_ID],
    group_id: Annotated[int, Form(ge=1, le=2_147_483_647)],
    csrf_token: Annotated[str | None, Form(max_length=128)] = None,
) -> Response:
    """Introduce an offer of help to a group from the patch page's form; back to the patch page."""
    url = settings.booking.public_url
    return await _act(request, work, district, offer_id, introductions.introduce, group_id, public_url=url)


@router.post(
    "/patch/{district}/help-offers/{offer_id}/close", **FORM_POST, responses={**FORM_ERRORS, **FORM_ONLY}
)
async def close_help_offer_form(
    request: Request,
    work: Work,
    district: Annotated[str, CODE],
    offer_id: Annotated[int, OFFER_ID],
    reason: Annotated[str | None, Form(max_length=introductions.MAX_REASON)] = None,
    csrf_token: Annotated[str | None, Form(max_length=128)] = None,
) -> Response:
    """Close an offer of help from the patch page's form, with an optional reason; back to the patch page."""
    return await _act(request, work, district, offer_id, introductions.close, reason)
