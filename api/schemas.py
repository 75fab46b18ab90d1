"""Public response models: what anyone may read about groups, hubs and spaces, and nearby search.

Only public fields are declared here. Private fields (``private_contact``, a home address, submission
contacts, client keys) have no place in these models, and the SQL behind them never selects those columns,
so a private field cannot leak by accident. A group's location is never more precise than its venue or its
hub: a group known only by the areas it serves has no point, address, postcode or ward.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["group", "hub", "space"]
#: What a search can find: a group, hub or space; with free_from, a hub's room or a whole space to book.
SearchKind = Literal["group", "hub", "space", "room"]
AreaKind = Literal["ward", "district", "lsoa", "county", "locality"]
Day = Literal["mo", "tu", "we", "th", "fr", "sa", "su"]


class AreaRef(BaseModel):
    """An area's code and name."""

    code: str
    name: str


class AreaContactPublic(BaseModel):
    """A district's or locality's named council contact: a work role, email, phone and office hours.

    Public by design (it is a council role, not a resident); nothing else about the contact is published."""

    area_code: str = Field(examples=["E07000148"], description="the district or locality it is kept for")
    area_name: str = Field(examples=["Norwich"])
    role_name: str = Field(examples=["Community Connector for Norwich"])
    email: str | None = Field(examples=["connector@norwich.example.org"])
    phone: str | None = Field(examples=["01603 212121"])
    office_hours: str | None = Field(examples=["Monday to Friday, 9am to 5pm"])


class AreaServed(BaseModel):
    """An area a group serves."""

    code: str
    name: str
    kind: AreaKind


class Ref(BaseModel):
    """Another record's id and name, to link to its page."""

    id: int
    name: str


class Meeting(BaseModel):
    """When a group meets (24-hour times; an end at or before the start runs past midnight)."""

    days: list[Day]
    start: str = Field(examples=["18:30"])
    end: str = Field(examples=["20:00"])
    frequency: str | None


class Availability(BaseModel):
    """When a space is available: weekdays (Mo-Fr before 17:00), evenings (Mo-Fr from 17:00), weekends."""

    model_config = ConfigDict(populate_by_name=True)

    weekdays: bool | None
    evenings: bool | None
    weekends: bool | None
    available_from: str | None = Field(alias="from", description="available from (a date, as given)")
    until: str | None = Field(description="available until (a date, as given)")
    notes: str | None


# ---------------------------------------------------------------- search


class SearchOrigin(BaseModel):
    """Where a search started (EPSG:4326) and how that point was found."""

    lon: float
    lat: float
    located_by: Literal["point", "postcode", "outward_code"]
    postcode: str | None = Field(description="the postcode whose point was used")
    outward_code: str | None = Field(description="the outward code of the postcode given")
    approximate: bool | None = Field(description="whether the postcode's point is only approximate")
    postcodes: int | None = Field(description="how many postcodes' points were averaged")


class SearchFilters(BaseModel):
    """The filters applied, normalised (open_at as 'mo 18:30')."""

    category: str | None
    community: str | None
    q: str | None
    open_at: str | None
    cost: Literal["free", "low-cost"] | None
    step_free: bool
    volunteers_wanted: bool
    free_from: str | None = Field(
        default=None, description="free-room search: the window's start, Europe/London with its offset"
    )
    free_until: str | None = Field(default=None, description="free-room search: the window's end")
    free_for_minutes: int | None = Field(default=None, description="free-room search: the window's length")
    capacity: int | None = Field(default=None, description="free-room search: people it must hold")
    max_price: float | None = Field(default=None, description="free-room search: most GBP per hour")


class NearbyResult(BaseModel):
    """A group, hub or space near the point: a public summary and its true distance in metres."""

    kind: Kind
    id: int
    name: str
    subtype: str | None = Field(description="hub kind, space kind, or a group's first category")
    url: str = Field(examples=["/hubs/35"])
    distance_m: int = Field(description="metres on the WGS84 spheroid, rounded to the metre")
    lon: float
    lat: float
    ward: AreaRef | None
    address: str | None
    postcode: str | None
    cost: str | None = Field(description="a group's cost or a space's price band")
    step_free: bool | None
    opening_hours: str | None = Field(description="a hub's OpenStreetMap opening_hours")
    meets: list[Meeting] | None = Field(description="when a group meets")
    availability: Availability | None = Field(description="when a space is available")
    status: str | None = Field(description="a group's or a space's status")
    last_verified_at: datetime | None = Field(description="when the record was last confirmed")
    book_url: str | None = Field(default=None, description="a bookable space's booking page")
    rooms_to_book: int | None = Field(
        default=None, description="a hub's rooms that can be booked (GET /hubs/{id})"
    )


class FreeResult(BaseModel):
    """A bookable room of a hub, or a whole space, free for the whole window asked (a free-room search)."""

    kind: Literal["room", "space"]
    id: int = Field(description="the room's or the space's id")
    resource_id: int = Field(description="its bookable resource's id")
    name: str
    subtype: str | None = Field(description="a space's kind, or a room's hub's kind")
    url: str = Field(examples=["/rooms/12", "/spaces/7"])
    book_url: str = Field(examples=["/book/room/12"], description="the page to book it on")
    distance_m: int = Field(description="metres on the WGS84 spheroid, rounded to the metre")
    lon: float
    lat: float
    ward: AreaRef | None
    address: str | None
    postcode: str | None
    step_free: bool | None
    capacity: int | None = Field(description="people it holds, when known")
    price_per_hour: float = Field(description="GBP per hour")
    rate_band: Literal["free", "low-cost", "market"] = Field(description="the community rate band")
    currency: Literal["GBP"]
    approval: Literal["instant", "request"] = Field(description="booked at once, or on request")
    hub: Ref | None = Field(description="the hub a room (or a space) is in")
    sample: bool = Field(description="made-up demo data: show it as sample")


class ServingGroup(BaseModel):
    """A group with no public venue that serves an area holding the point (so it has no distance)."""

    kind: Literal["group"]
    id: int
    name: str
    subtype: str | None
    url: str
    serves_your_area: Literal[True]
    served_area: AreaServed = Field(description="the most local area it serves that holds the point")
    cost: str | None
    step_free: bool | None
    meets: list[Meeting]
    status: str
    last_verified_at: datetime | None


class NearbyPage(BaseModel):
    """Nearby search results (nearest first) and the groups serving the area."""

    origin: SearchOrigin
    radius_m: float
    kinds: list[SearchKind] = Field(
        description="the kinds searched, after filters that apply to some only (room, space with free_from)"
    )
    filters: SearchFilters
    notes: list[str] = Field(description="how the point was found, and kinds a filter left out")
    results: list[NearbyResult | FreeResult] = Field(
        description="groups, hubs and spaces; with free_from, rooms and spaces to book (FreeResult)"
    )
    serving_your_area: list[ServingGroup]
    limit: int
    offset: int
    more_results: bool
    more_serving: bool
    contact: AreaContactPublic | None = Field(
        description="the searched place's named council contact: its locality's, else its district's; "
        "null when none is kept"
    )


class PointGeometry(BaseModel):
    """A GeoJSON point (lon, lat in EPSG:4326)."""

    type: Literal["Point"]
    coordinates: tuple[float, float]


class NearbyProperties(BaseModel):
    """A nearby result's properties in GeoJSON (its point is the geometry)."""

    kind: Kind
    id: int
    name: str
    subtype: str | None
    url: str
    distance_m: int
    ward: AreaRef | None
    address: str | None
    postcode: str | None
    cost: str | None
    step_free: bool | None
    opening_hours: str | None
    meets: list[Meeting] | None
    availability: Availability | None
    status: str | None
    last_verified_at: datetime | None
    book_url: str | None = Field(default=None, description="a bookable space's booking page")
    rooms_to_book: int | None = Field(default=None, description="a hub's rooms that can be booked")


class FreeProperties(BaseModel):
    """A free-room search result's properties in GeoJSON (its point is the geometry)."""

    kind: Literal["room", "space"]
    id: int
    resource_id: int
    name: str
    subtype: str | None
    url: str
    book_url: str
    distance_m: int
    ward: AreaRef | None
    address: str | None
    postcode: str | None
    step_free: bool | None
    capacity: int | None
    price_per_hour: float
    rate_band: Literal["free", "low-cost", "market"]
    currency: Literal["GBP"]
    approval: Literal["instant", "request"]
    hub: Ref | None
    sample: bool


class NearbyFeature(BaseModel):
    """A nearby result as a GeoJSON Feature."""

    type: Literal["Feature"]
    id: str = Field(examples=["hub/35", "room/12"])
    geometry: PointGeometry
    properties: NearbyProperties | FreeProperties


class NearbyFeatureCollection(BaseModel):
    """Nearby results as GeoJSON; the rest of the answer rides along as foreign members (RFC 7946)."""

    type: Literal["FeatureCollection"]
    features: list[NearbyFeature]
    origin: SearchOrigin
    radius_m: float
    kinds: list[SearchKind]
    filters: SearchFilters
    notes: list[str]
    serving_your_area: list[ServingGroup]
    limit: int
    offset: int
    more_results: bool
    more_serving: bool
    contact: AreaContactPublic | None = Field(
        description="the searched place's named council contact: its locality's, else its district's; "
        "null when none is kept"
    )


# ---------------------------------------------------------------- pages


class GroupPublic(BaseModel):
    """What anyone may read about a group. Its point is its venue's or its hub's, or none."""

    id: int
    name: str
    description: str | None
    categories: list[str]
    communities_of_identity: list[str]
    communities_of_interest: list[str]
    activities: list[str]
    meets: list[Meeting]
    status: Literal["active", "dormant", "closed"]
    location_precision: Literal["venue", "hub", "area"]
    venue_sample: bool = Field(
        default=False, description="true when the venue is made up (sample data), though the group is real"
    )
    venue_address: str | None = Field(description="a public venue; never a home")
    postcode: str | None = Field(description="the venue's postcode")
    lon: float | None
    lat: float | None
    ward: AreaRef | None
    hub: Ref | None
    areas_served: list[AreaServed]
    website: str | None
    email: str | None = Field(description="the group's public address, if it gave one")
    phone: str | None = Field(description="the group's public number, if it gave one")
    step_free: bool | None
    accessibility: dict[str, str]
    cost: str | None
    age_min: int | None
    age_max: int | None
    languages: list[str]
    volunteers_wanted: bool
    skills_sought: list[str]
    last_verified_at: datetime | None = Field(description="last confirmed")


class PlacePublic(BaseModel):
    """What every public hub and space says first: what and where it is."""

    id: int
    name: str
    kind: str
    description: str | None
    address: str | None
    postcode: str | None
    lon: float
    lat: float
    ward: AreaRef | None


class HubRoom(BaseModel):
    """A hub's room, as anyone may read it, with how it is booked (no resource: not bookable here)."""

    id: int
    name: str
    capacity: int | None
    floor_area_m2: float | None
    facilities: list[str]
    step_free: bool | None
    resource_id: int | None = Field(description="its bookable resource; see GET /rooms/{id}")
    bookable: bool
    price_per_hour: float | None = Field(description="GBP")
    rate_band: Literal["free", "low-cost", "market"] | None
    sample: bool = Field(description="made up for the demo: show it as sample")


class HubPublic(PlacePublic):
    """What anyone may read about a hub."""

    facilities: list[str]
    opening_hours: str | None
    operator_name: str | None
    operator_type: str
    step_free: bool | None
    accessibility: dict[str, str]
    website: str | None
    email: str | None
    phone: str | None
    groups: list[Ref] = Field(description="groups that meet here (not closed)")
    spaces: list[Ref] = Field(description="spaces here that are available or under offer")
    rooms: list[HubRoom] = Field(default_factory=list, description="its rooms, and how each is booked")
    last_verified_at: datetime | None = Field(description="last confirmed")


class SpacePublic(PlacePublic):
    """What anyone may read about a space. The owner's name is not published."""

    hub: Ref | None
    floor_area_m2: float | None
    capacity: int | None
    price_amount: float | None = Field(description="GBP per price_unit")
    price_unit: str | None
    price_band: str | None
    availability: Availability
    terms: str | None
    status: Literal["available", "under_offer", "let", "unavailable"]
    step_free: bool | None
    accessibility: dict[str, str]
    website: str | None
    email: str | None
    phone: str | None
    last_verified_at: datetime | None = Field(description="last confirmed")
