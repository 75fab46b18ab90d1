"""The OGC API collections, the conformance classes and the coordinate reference systems Patchmap offers.

Each collection is one view of schema ``ogc`` (migration 0021_public_views), which holds its public fields
and nothing else; ``properties`` names the view's columns other than ``geom`` in the view's order, and a
test checks the two agree. ``filters`` are the query parameters that select features by a property: equal
to it, or (``any``) one of an array's values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

from layers.errors import NotFound

#: The conformance classes this API implements (GET /ogc/conformance). A colleague adding OGC API – Tiles
#: appends its classes here.
CONFORMANCE: list[str] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
]

CRS84: Final = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_4326: Final = "http://www.opengis.net/def/crs/EPSG/0/4326"
BNG: Final = "http://www.opengis.net/def/crs/EPSG/0/27700"


@dataclass(frozen=True)
class Crs:
    """A CRS features can be sent or a bbox given in: its SRID, axis order and decimals written."""

    uri: str
    srid: int
    lat_first: bool  # EPSG:4326's axis order is latitude, longitude
    decimals: int  # 6 for degrees (about 0.1 m), 2 for metres


#: The CRSs offered, the storage CRS (CRS84: longitude, latitude in EPSG:4326) first.
CRSS: Final[dict[str, Crs]] = {
    CRS84: Crs(CRS84, 4326, lat_first=False, decimals=6),
    EPSG_4326: Crs(EPSG_4326, 4326, lat_first=True, decimals=6),
    BNG: Crs(BNG, 27700, lat_first=False, decimals=2),
}

FilterKind = Literal["text", "integer", "boolean", "any"]


@dataclass(frozen=True)
class Filter:
    """A query parameter selecting features by one property (``column``) of the view."""

    column: str
    kind: FilterKind = "text"


@dataclass(frozen=True)
class Collection:
    """One collection: its view, what its features are, their properties and filters."""

    id: str
    title: str
    description: str
    geometry: Literal["point", "multipolygon"]
    properties: tuple[str, ...]
    filters: dict[str, Filter] = field(default_factory=dict)
    id_kind: Literal["integer", "string"] = "integer"

    @property
    def view(self) -> tuple[str, str]:
        """The view's schema and name."""
        return ("ogc", self.id)


INDICATORS = (
    "population_total", "population_0_15", "population_16_59", "population_60_plus",
    "population_working_age", "imd_rank", "imd_decile", "income_decile", "employment_decile",
    "education_decile", "health_decile", "crime_decile", "housing_decile", "living_environment_decile",
)  # fmt: skip
AREA_NOTE = (
    " Each holds the latest stored value of the English Indices of Deprivation 2019 indicators (population "
    "mid-2015; ranks and deciles, 1 = most deprived tenth); a ward's or district's values are rolled up "
    "from its LSOAs (population-weighted). Null where none is stored. Each also holds the latest "
    "asset-versus-needs overlay under its default settings (as GET /analysis/overlay gives it with no "
    "parameters: every kind of asset, need = IMD, provision = assets per 1,000 residents): assets_per_1000, "
    "coverage_800m (share of residents within 800 m of an asset), access_2sfca (assets per 1,000 residents in "
    "reach, 2 km catchment), overlay_priority (1 = the largest gap of need over provision), overlay_class "
    "(need-provision thirds, e.g. high-low) and overlay_class_label; overlay_version and overlay_computed_at "
    "say from which data version and when it was computed (again whenever the data changes)."
)
#: The overlay's columns of the area views (migration 0022_area_overlay; layers.ogc.overlay stores them).
OVERLAY = (
    "assets_per_1000", "coverage_800m", "access_2sfca", "overlay_priority", "overlay_class",
    "overlay_class_label", "overlay_version", "overlay_computed_at",
)  # fmt: skip
WHERE = {
    "ward_code": Filter("ward_code"),
    "lsoa_code": Filter("lsoa_code"),
    "district_code": Filter("district_code"),
    "name": Filter("name"),
}
#: The area collections' filter on their latest overlay class (assets have no overlay of their own).
OVERLAY_CLASS = Filter("overlay_class")

_COLLECTIONS = (
    Collection(
        "hubs", "Hubs",
        "Community buildings (community centres, libraries, village halls...): public fields only.",
        "point",
        ("id", "name", "kind", "description", "address", "postcode", "ward_code", "lsoa_code", "district_code",
         "facilities", "opening_hours", "operator_name", "operator_type", "step_free", "website",
         "last_verified_at", "sample"),
        {**WHERE, "kind": Filter("kind"), "operator_type": Filter("operator_type")},
    ),
    Collection(
        "spaces", "Spaces",
        "Spaces offered for community use (vacant shops, rooms, halls, outdoor space), with their status.",
        "point",
        ("id", "name", "kind", "description", "address", "postcode", "ward_code", "lsoa_code", "district_code",
         "hub_id", "floor_area_m2", "capacity", "price_amount", "price_unit", "price_band", "terms", "status",
         "step_free", "website", "last_verified_at", "sample"),
        {**WHERE, "kind": Filter("kind"), "status": Filter("status"), "price_band": Filter("price_band"),
         "hub_id": Filter("hub_id", "integer")},
    ),
    Collection(
        "rooms", "Rooms",
        "Rooms in hubs, at their hub's point, with how each is booked (rate band, price per hour).",
        "point",
        ("id", "name", "description", "hub_id", "hub_name", "capacity", "floor_area_m2", "facilities",
         "step_free", "bookable", "price_per_hour", "rate_band", "ward_code", "lsoa_code", "district_code",
         "sample"),
        {**WHERE, "hub_id": Filter("hub_id", "integer"), "bookable": Filter("bookable", "boolean"),
         "rate_band": Filter("rate_band")},
    ),
    Collection(
        "groups", "Community groups",
        "Community groups that are not closed, at their venue or hub; a group known only by the areas it "
        "serves has no geometry (null), address, postcode or ward.",
        "point",
        ("id", "name", "description", "categories", "communities_of_identity", "communities_of_interest",
         "activities", "meets", "status", "location_precision", "venue_address", "postcode", "ward_code",
         "district_code", "hub_id", "hub_name", "cost", "age_min", "age_max", "languages",
         "volunteers_wanted", "skills_sought", "step_free", "website", "last_verified_at", "sample"),
        {"ward_code": WHERE["ward_code"], "district_code": WHERE["district_code"], "name": WHERE["name"],
         "category": Filter("categories", "any"), "status": Filter("status"), "cost": Filter("cost"),
         "hub_id": Filter("hub_id", "integer"), "location_precision": Filter("location_precision")},
    ),
    Collection(
        "wards", "Wards", "Electoral wards." + AREA_NOTE, "multipolygon",
        ("id", "name", "district_code", "vintage", *INDICATORS, *OVERLAY),
        {"district_code": WHERE["district_code"], "name": WHERE["name"], "overlay_class": OVERLAY_CLASS},
        "string",
    ),
    Collection(
        "districts", "Districts", "Local authority districts." + AREA_NOTE, "multipolygon",
        ("id", "name", "vintage", *INDICATORS, *OVERLAY),
        {"name": WHERE["name"], "overlay_class": OVERLAY_CLASS}, "string",
    ),
    Collection(
        "lsoas", "LSOAs", "Lower layer super output areas (census 2011)." + AREA_NOTE, "multipolygon",
        ("id", "name", "district_code", "vintage", *INDICATORS, *OVERLAY),
        {"district_code": WHERE["district_code"], "name": WHERE["name"], "overlay_class": OVERLAY_CLASS},
        "string",
    ),
    Collection(
        "localities", "Localities",
        "The council's own localities (groups of wards)." + AREA_NOTE, "multipolygon",
        ("id", "name", "vintage", *INDICATORS, *OVERLAY),
        {"name": WHERE["name"], "overlay_class": OVERLAY_CLASS}, "string",
    ),
)  # fmt: skip
COLLECTIONS: Final[dict[str, Collection]] = {c.id: c for c in _COLLECTIONS}


def list_collections() -> list[Collection]:
    """Every collection, in the order the API lists them (a colleague's tiles may add links to each)."""
    return list(COLLECTIONS.values())


def get_collection(collection_id: str) -> Collection:
    """The collection of that id; NotFound (404) naming those there are."""
    found = COLLECTIONS.get(collection_id)
    if found is None:
        raise NotFound(
            f"There is no collection {collection_id[:40]!r}",
            f"The collections are {', '.join(COLLECTIONS)} (GET /ogc/collections lists them).",
        )
    return found
