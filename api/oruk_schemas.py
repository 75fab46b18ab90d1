"""Response models of the Open Referral UK 3.0 API (``/oruk/``): the profile's objects, as far as Patchmap
fills them. They document the answers (the tests validate the answers against the profile's own JSON Schemas
too); an empty value is left out of an answer rather than sent as null.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class OrukInfo(BaseModel):
    """What the API says of itself."""

    version: str = Field(description="the HSDS version of this API")
    profile: str = Field(description="where the profile this API follows is described")
    openapi_url: str = Field(description="the OpenAPI document that defines this API")


class Page(BaseModel, Generic[T]):
    """One page of a listing, as the profile's OpenAPI's Page."""

    total_items: int
    total_pages: int
    page_number: int
    size: int = Field(description="how many items this page holds")
    first_page: bool
    last_page: bool
    empty: bool
    contents: list[T]


class TaxonomyTerm(BaseModel):
    """One group category as a term of Patchmap's taxonomy; ``term`` is Patchmap's key for it."""

    id: str
    name: str
    description: str
    taxonomy: str | None = None
    taxonomy_id: str | None = None
    term: str | None = None


class Taxonomy(BaseModel):
    """A taxonomy Patchmap publishes (its terms in a single taxonomy's answer)."""

    id: str
    name: str
    description: str
    version: str | None = None
    taxonomy_terms: list[TaxonomyTerm] | None = None


class Organization(BaseModel):
    """A group as an organisation: its public website and email only."""

    id: str
    name: str
    description: str
    email: str | None = None
    website: str | None = None


class Address(BaseModel):
    """A location's postal address."""

    id: str
    location_id: str
    address_1: str
    city: str = Field(description="the district the location lies in, when known")
    state_province: str = Field(description="the county the location lies in, when known")
    postal_code: str
    country: str
    address_type: str


class LocationBrief(BaseModel):
    """A hub or public venue (one-to-one fields)."""

    id: str
    location_type: str
    name: str | None = None
    description: str | None = None
    latitude: float | None = None
    longitude: float | None = None


class Location(LocationBrief):
    """A hub or public venue with its address."""

    addresses: list[Address] | None = None


class Schedule(BaseModel):
    """When a group meets (RRULE-style)."""

    id: str
    service_id: str
    freq: str | None = Field(default=None, description="WEEKLY or MONTHLY; none for an occasional meeting")
    interval: int | None = None
    byday: str | None = None
    opens_at: str | None = None
    closes_at: str | None = None
    description: str | None = None
    attending_type: str | None = None


class CostOption(BaseModel):
    """A group's cost band (free, low cost or paid)."""

    id: str
    service_id: str
    option: str | None = None
    amount: float | None = None
    amount_description: str | None = None


class ServiceArea(BaseModel):
    """An area a group serves; ``uri`` is the ONS linked-data address of a GSS code."""

    id: str
    service_id: str
    name: str | None = None
    extent: str | None = None
    extent_type: str | None = None
    uri: str | None = None


class Attribute(BaseModel):
    """A group's category: its service linked to a taxonomy term."""

    id: str
    link_id: str
    link_type: str
    taxonomy_term_id: str
    taxonomy_term: TaxonomyTerm


class ServiceBrief(BaseModel):
    """A group's service (one-to-one fields) with its organisation."""

    id: str
    organization_id: str
    name: str
    description: str | None = None
    url: str | None = None
    email: str | None = None
    status: str
    minimum_age: float | None = None
    maximum_age: float | None = None
    last_modified: str | None = None
    organization: Organization


class ServiceAtLocation(BaseModel):
    """A service at its location."""

    id: str
    service_id: str
    location_id: str
    location: Location


class ServiceNested(ServiceBrief):
    """A service with all its related data but its locations (inside a service at a location)."""

    schedules: list[Schedule] | None = None
    service_areas: list[ServiceArea] | None = None
    cost_options: list[CostOption] | None = None
    attributes: list[Attribute] | None = None


class Service(ServiceNested):
    """A service fully nested, with its location."""

    service_at_locations: list[ServiceAtLocation] | None = None


class OrganizationFull(Organization):
    """An organisation with its service fully nested."""

    services: list[Service]


class ServiceAtLocationBrief(BaseModel):
    """A page item of services at locations."""

    id: str
    service_id: str
    location_id: str
    location: LocationBrief
    service: ServiceBrief


class ServiceAtLocationFull(ServiceAtLocation):
    """A service at its location with the service fully nested."""

    service: ServiceNested
