"""Response models of a district co-ordinator's patch summary (``GET /patch/{district}/summary``).

Public fields only: a pending submission is a reference, a kind and a date; partners are the council's own list.
"""

from __future__ import annotations

from pydantic import BaseModel


class Place(BaseModel):
    """A district's code and name."""

    code: str
    name: str


class KeyNeed(BaseModel):
    """A ward with one of the largest gaps between need and provision, and why."""

    code: str
    name: str
    priority: int
    bivariate_class: str | None
    gap: float | None
    explanation: str


class KeyNeeds(BaseModel):
    """The district's wards with the largest gaps (largest first), and how many wards are in each class."""

    wards_ranked: int
    classes: dict[str, int]
    wards: list[KeyNeed]


class KindCount(BaseModel):
    """How many of one kind (group, hub, space)."""

    kind: str
    label: str
    count: int


class CategoryCount(BaseModel):
    """How many of one group category, hub kind or space kind."""

    kind: str
    category: str
    label: str
    count: int


class AssetCounts(BaseModel):
    """The district's groups, hubs and spaces, counted by kind and by category."""

    total: int
    by_kind: list[KindCount]
    by_category: list[CategoryCount]


class RecordLink(BaseModel):
    """A group, hub or space: public fields and its public record's path."""

    kind: str
    id: int
    name: str
    type: str
    address: str | None
    postcode: str | None
    url: str
    sample: bool = False  # made up for the demo: shown with a "sample" badge


class StaleRecord(RecordLink):
    """A record not confirmed for too long: when it was last confirmed (or added, if never)."""

    confirmed_at: str
    ever_confirmed: bool
    reason: str | None = None  # "no answer to two reminders" when flagged by the freshness reminders


class Stale(BaseModel):
    """Records that need checking: never confirmed, or not within ``after_days`` (never-confirmed first, then
    oldest; all listed, the same list as ``GET /districts/{code}/stale``)."""

    after_days: int
    count: int
    records: list[StaleRecord]


class PendingSubmission(BaseModel):
    """A resident's offer awaiting a decision: no contact or personal details."""

    reference: str
    kind: str
    label: str
    at: str


class Pending(BaseModel):
    """Offers awaiting a decision in the district, oldest first."""

    count: int
    submissions: list[PendingSubmission]


class SpacesAvailable(BaseModel):
    """Spaces available now (all listed)."""

    count: int
    spaces: list[RecordLink]


class Change(BaseModel):
    """An audit entry for the district: what was done, to what, when, and the actor's role (no names)."""

    action: str
    object_type: str | None
    object_id: str | None
    at: str
    actor_role: str


class PartnerPublic(BaseModel):
    """An organisation in the district's partner list."""

    id: int
    name: str
    role: str | None
    website: str | None


class PatchSummary(BaseModel):
    """Everything on a district's patch page."""

    district: Place
    key_needs: KeyNeeds
    assets: AssetCounts
    stale: Stale
    pending: Pending
    spaces_available: SpacesAvailable
    recent_changes: list[Change]
    partners: list[PartnerPublic]
