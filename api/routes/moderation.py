"""Moderating residents' offers: the queue, one submission, approve, reject, ask for more information.

Who may see and decide what is checked in ``layers.offers.moderation``: anonymous callers get 401, and a
co-ordinator gets 404 for another district's submission (that it exists is private).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from api.access import CurrentActor
from api.deps import Work
from layers.fields import plain
from layers.offers import moderation
from layers.records.versions import GroupChanges, SpaceChanges

router = APIRouter(prefix="/moderation", tags=["moderation"])

Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "Signed in, but not for that district"},
    404: {"description": "No such submission in your districts"},
    422: {"description": "Invalid input, or the submission is already decided"},
}


class SubmissionPrivate(BaseModel):
    """A submission as a moderator sees it: what was offered and, for a covered district, how to reply."""

    id: int
    reference: str
    kind: Literal["group", "space", "help"]
    status: Literal["pending", "approved", "rejected", "needs_info", "withdrawn"]
    created_at: datetime
    district_code: str | None
    ward_code: str | None
    postcode: str | None
    details: dict[str, Any] = Field(description="what the resident offered")
    contact: dict[str, Any] | None = Field(description="private: only for actors covering the district")
    moderated_by: int | None
    moderated_at: datetime | None
    decision_reason: str | None
    published_as: str | None = Field(examples=["group/12"])
    erased_at: datetime | None
    replies: list[dict[str, Any]] | None = Field(
        default=None,
        description="private: the resident's answers to a question (body, at), oldest first; only for actors "
        "covering the district",
    )


class Decision(BaseModel):
    """What a moderator's decision did."""

    id: int
    reference: str
    kind: Literal["group", "space", "help"]
    status: Literal["approved", "rejected", "needs_info"]
    outcome: Literal["published", "merged", "accepted", "rejected", "needs_info"]
    published_as: str | None = Field(description="the public record, e.g. group/12 (none for help)")


class ApproveBody(BaseModel):
    """Optionally, corrections to what is published, or an existing record to merge the submission into."""

    model_config = ConfigDict(extra="forbid")

    merge_into_kind: Literal["group", "space"] | None = None
    merge_into_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    corrections: GroupChanges | SpaceChanges | None = Field(
        default=None,
        description=(
            "Fields of the new group or space that replace what the resident gave (as in PATCH /groups/{id} "
            "or /spaces/{id}; not private_contact or postcode). The resident's own words stay in the "
            "submission; the first version of the record lists what was corrected. Each bad value is a 422 "
            "naming its field, and nothing is written."
        ),
        examples=[
            {
                "name": "Tuesday Knit and Natter",
                "cost": "free",
                "meets": [{"days": ["tu"], "start": "14:00", "end": "16:00"}],
            }
        ],
    )
    place: Literal["venue", "area"] | None = Field(
        default=None,
        description=(
            "A group only: venue shows it on the map at the point the resident gave; area shows it as serving "
            "its ward, with no point. Left out: at the point only if the resident named a venue and gave a "
            "precise place."
        ),
    )

    @model_validator(mode="after")
    def _both_or_neither(self) -> ApproveBody:
        """merge_into_kind and merge_into_id come together."""
        if (self.merge_into_kind is None) != (self.merge_into_id is None):
            raise ValueError("give both merge_into_kind and merge_into_id, or neither")
        return self

    def merge_into(self) -> tuple[str, int] | None:
        """The record to merge into, if any."""
        if self.merge_into_kind is None or self.merge_into_id is None:
            return None
        return self.merge_into_kind, self.merge_into_id


class RejectBody(BaseModel):
    """Why the submission is rejected (kept with it; erased with its personal details later)."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, AfterValidator(plain)] = Field(min_length=1, max_length=moderation.MAX_REASON)


class InfoBody(BaseModel):
    """What to ask the resident."""

    model_config = ConfigDict(extra="forbid")

    question: Annotated[str, AfterValidator(plain)] = Field(min_length=1, max_length=moderation.MAX_REASON)


@router.get("/queue", response_model=list[SubmissionPrivate], responses=ERRORS)
async def list_queue(
    work: Work,
    actor: CurrentActor,
    district: Annotated[str | None, Query(max_length=32, pattern=r"^[A-Za-z0-9_-]+$")] = None,
    status: Literal["pending", "approved", "rejected", "needs_info", "withdrawn"] = "pending",
) -> Any:
    """Submissions in your districts (officers: all, or one district) with a status, oldest first."""
    return await work.run(moderation.queue, actor, district=district, status=status)


@router.get("/{submission_id}", response_model=SubmissionPrivate, responses=ERRORS)
async def read_submission(work: Work, actor: CurrentActor, submission_id: Id) -> Any:
    """One submission, with the resident's contact."""
    return await work.run(moderation.get_submission, actor, submission_id)


@router.post("/{submission_id}/approve", response_model=Decision, responses=ERRORS)
async def approve_submission(
    work: Work,
    actor: CurrentActor,
    submission_id: Id,
    body: Annotated[ApproveBody | None, Body()] = None,
) -> Any:
    """Approve: publish a group or space (with any corrections), merge it into a record, or accept an offer of
    help (kept private, open for follow-up)."""
    merge = body.merge_into() if body else None
    fixed = (
        body.corrections.model_dump(mode="json", exclude_unset=True, by_alias=True)
        if body and body.corrections
        else None
    )
    place = body.place if body else None
    return await work.run(
        moderation.approve, actor, submission_id, merge_into=merge, corrections=fixed, place=place
    )


@router.post("/{submission_id}/reject", response_model=Decision, responses=ERRORS)
async def reject_submission(work: Work, actor: CurrentActor, submission_id: Id, body: RejectBody) -> Any:
    """Reject, saying why."""
    return await work.run(moderation.reject, actor, submission_id, body.reason)


@router.post("/{submission_id}/needs-info", response_model=Decision, responses=ERRORS)
async def ask_for_info(work: Work, actor: CurrentActor, submission_id: Id, body: InfoBody) -> Any:
    """Ask the resident for more information before deciding."""
    return await work.run(moderation.ask_for_info, actor, submission_id, body.question)
