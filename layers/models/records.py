"""SQLAlchemy 2 models. Geometry is EPSG:4326 with a GiST index; metres are computed in EPSG:27700.

Enumerated text columns carry CHECK constraints built from ``layers.taxonomy`` so the database itself
refuses a value the application does not know.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, INT4MULTIRANGE, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from layers import taxonomy as tx
from layers.models.base import Base, Timestamped, _all_of, _one_of


def _tile_geometry(tolerance_m: float | None) -> Any:
    """A stored copy of an area's boundary in EPSG:3857 (rings CCW) for vector tiles, simplified to
    ``tolerance_m`` metres, or whole."""
    transformed = "ST_Transform(geom, 3857)"
    if tolerance_m is None:
        expression, what = transformed, "the whole boundary"
    else:
        expression = f"ST_Simplify({transformed}, {tolerance_m}, true)"
        what = f"the boundary simplified to {tolerance_m:g} m"
    return mapped_column(
        Geometry("GEOMETRY", srid=3857, spatial_index=False),
        Computed(f"ST_ForcePolygonCCW({expression})", persisted=True),
        comment=f"{what} in EPSG:3857, rings CCW: for vector tiles",
    )


class Area(Timestamped, Base):
    """A locality boundary: ward, district, LSOA, county or a custom locality (a named set of areas)."""

    __tablename__ = "areas"
    __table_args__ = (CheckConstraint(_one_of("kind", tx.AREA_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, comment="GSS code, or a custom code")
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    parent_code: Mapped[str | None] = mapped_column(String(32), index=True)
    vintage: Mapped[str | None] = mapped_column(String(16), comment="boundary vintage, e.g. 2013")
    source: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[Any] = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True))
    point_bng: Mapped[Any] = mapped_column(
        Geometry("POINT", srid=27700, spatial_index=False),
        Computed("ST_Transform(ST_PointOnSurface(geom), 27700)", persisted=True),
        comment="a point inside the area (ST_PointOnSurface), British National Grid: for distances in metres",
    )
    # The boundary in EPSG:3857 for the vector tiles (migration 0020, layers.tiles): whole, and simplified to
    # 19, 76 and 306 m for zooms 10-11, 8-9 and 0-7; rings counter-clockwise.
    tile_geom: Mapped[Any] = _tile_geometry(None)
    tile_geom_z10: Mapped[Any] = _tile_geometry(19.0)
    tile_geom_z8: Mapped[Any] = _tile_geometry(76.0)
    tile_geom_z0: Mapped[Any] = _tile_geometry(306.0)


class AreaPiece(Base):
    """A subdivided piece of an area (ST_Subdivide), so point lookups test small polygons (as MapIt).

    The area's kind, code and name are copied here (kept in step by ``rebuild_pieces``) so a lookup reads
    one small table: the join back to ``areas`` cost as much as the point-in-polygon test itself.
    """

    __tablename__ = "area_pieces"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(Text)
    geom: Mapped[Any] = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=True))


class LocalityMember(Base):
    """Membership of a custom locality: the wards or LSOAs that make it up."""

    __tablename__ = "locality_members"

    locality_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class AreaShare(Base):
    """Share of an LSOA's area lying in a ward (EPSG:27700 areas; shares of one LSOA sum to 1)."""

    __tablename__ = "area_shares"

    lsoa_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)
    share: Mapped[float] = mapped_column(Float)


class Indicator(Base):
    """One measure of one area for one period (IMD ranks, population, or a council's own indicator)."""

    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("area_code", "key", "period", name="uq_indicators_area_key_period"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(32), index=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    value: Mapped[float] = mapped_column(Float)
    period: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(Text)
    derived: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")


class AreaTileFacts(Base):
    """An area's latest IMD decile and population, as its vector tiles carry them (migration 0020_tiles_area_geometries keeps
    this in step with ``indicators`` by triggers; nothing else writes it)."""

    __tablename__ = "area_tile_facts"
    area_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    imd_decile: Mapped[float | None] = mapped_column(
        Float, comment="latest IMD decile (1 = most deprived tenth)"
    )
    population_total: Mapped[int | None] = mapped_column(Integer, comment="latest resident population")


class Contact:
    """A record's public ways to get in touch (a private contact is kept apart, never published)."""

    website: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)


class Access:
    """Whether a place is step-free, and what else a visitor should know about getting in."""

    step_free: Mapped[bool | None] = mapped_column(Boolean)
    accessibility: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")


class Located:
    """The ward and LSOA a record's point lies in (set by a trigger), and when it was last confirmed."""

    ward_code: Mapped[str | None] = mapped_column(
        String(32), comment="the ward holding the point (set by a trigger)"
    )
    lsoa_code: Mapped[str | None] = mapped_column(
        String(32), comment="the LSOA holding the point (set by a trigger)"
    )
    last_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Place(Contact, Access, Located, Timestamped):
    """What a hub and a space both are: a named, kinded point with an address and a source."""

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(String(10))
    geom: Mapped[Any] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))
    private_contact: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    source: Mapped[str] = mapped_column(String(32), default="manual", server_default="manual")
    source_id: Mapped[str | None] = mapped_column(Text, comment="e.g. OSM node/123")
    geom_bng: Mapped[Any] = mapped_column(
        Geometry("POINT", srid=27700, spatial_index=True),
        Computed("ST_Transform(geom, 27700)", persisted=True),
        comment="the point in British National Grid, for nearest-neighbour search in metres",
    )


class Hub(Place, Base):
    """A focal community building: community centre, library, hall, school, sports centre, ..."""

    __tablename__ = "hubs"
    __table_args__ = (
        CheckConstraint(_one_of("kind", list(tx.HUB_KINDS)), name="kind"),
        CheckConstraint(_one_of("operator_type", tx.OPERATOR_TYPES), name="operator_type"),
        UniqueConstraint("source", "source_id", name="uq_hubs_source_id"),
    )

    facilities: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    opening_hours: Mapped[str | None] = mapped_column(Text, comment="OpenStreetMap opening_hours syntax")
    opening_minutes: Mapped[Any | None] = mapped_column(
        INT4MULTIRANGE,
        comment="opening_hours as minutes of the week from Monday 00:00; NULL when not understood",
    )  # filled by the trigger hubs_opening_minutes from hours_parsed (migration 0016)
    operator_name: Mapped[str | None] = mapped_column(Text)
    operator_type: Mapped[str] = mapped_column(String(16), default="unknown", server_default="unknown")
    search_text: Mapped[Any] = mapped_column(
        TSVECTOR,
        Computed(
            "setweight(to_tsvector('english', coalesce(name, '')), 'A') || to_tsvector('english', coalesce(description, '') || ' ' || coalesce(address, '') || ' ' || patchmap_text(facilities))",
            persisted=True,
        ),
    )


class HoursParsed(Base):
    """Every opening_hours value met, parsed once by opening-hours-py (``layers.records.hours``)."""

    __tablename__ = "hours_parsed"
    __table_args__ = (
        {
            "comment": "opening_hours values parsed by opening-hours-py (layers.records.hours_store.register_hours)"
        },
    )

    hours: Mapped[str] = mapped_column(Text, primary_key=True, comment="an OpenStreetMap opening_hours value")
    minutes: Mapped[Any | None] = mapped_column(
        INT4MULTIRANGE, comment="minutes of an ordinary week from Monday 00:00; NULL when not understood"
    )
    parsed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Space(Place, Base):
    """A space people can use: an empty shop, a room to hire, a hall, an office, somewhere outdoors."""

    __tablename__ = "spaces"
    __table_args__ = (
        CheckConstraint(_one_of("kind", list(tx.SPACE_KINDS)), name="kind"),
        CheckConstraint(_one_of("status", tx.SPACE_STATUSES), name="status"),
        CheckConstraint(_one_of("price_band", tx.PRICE_BANDS), name="price_band"),
        CheckConstraint("price_unit IN ('hour', 'day', 'week', 'month')", name="price_unit"),
        CheckConstraint("floor_area_m2 IS NULL OR floor_area_m2 > 0", name="floor_area_m2"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity"),
        UniqueConstraint("source", "source_id", name="uq_spaces_source_id"),
    )

    floor_area_m2: Mapped[float | None] = mapped_column(Numeric(10, 1))
    capacity: Mapped[int | None] = mapped_column(Integer)
    price_amount: Mapped[float | None] = mapped_column(Numeric(10, 2), comment="GBP")
    price_unit: Mapped[str | None] = mapped_column(String(8))
    price_band: Mapped[str | None] = mapped_column(String(16), index=True)
    availability: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default="{}", comment="{weekdays, evenings, weekends, from, until, notes}"
    )
    availability_public: Mapped[Any | None] = mapped_column(
        JSONB,
        Computed("patchmap_public_availability(availability)", persisted=True),
        comment="availability as residents see it: known keys only",
    )
    terms: Mapped[str | None] = mapped_column(Text, comment="e.g. short-term meanwhile use")
    owner_name: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="available", server_default="available")
    hub_id: Mapped[int | None] = mapped_column(ForeignKey("hubs.id", ondelete="SET NULL"), index=True)
    search_text: Mapped[Any] = mapped_column(
        TSVECTOR,
        Computed(
            "setweight(to_tsvector('english', coalesce(name, '')), 'A') || to_tsvector('english', coalesce(description, '') || ' ' || coalesce(address, '') || ' ' || coalesce(terms, ''))",
            persisted=True,
        ),
    )


class Group(Contact, Access, Located, Timestamped, Base):
    """A voluntary organisation, club or mutual-aid group.

    Where it is: a hub (``hub_id``), a public venue (``venue_address`` + ``geom``), or only the areas it
    serves (``group_areas``). A home address goes in ``private_contact`` and is never published.
    """

    __tablename__ = "groups"
    __table_args__ = (
        CheckConstraint(_all_of("categories", list(tx.GROUP_CATEGORIES)), name="categories"),
        CheckConstraint(
            _all_of("communities_of_identity", list(tx.COMMUNITIES_OF_IDENTITY)), name="identity"
        ),
        CheckConstraint(
            _all_of("communities_of_interest", list(tx.COMMUNITIES_OF_INTEREST)), name="interest"
        ),
        CheckConstraint(_one_of("cost", tx.COST_BANDS), name="cost"),
        CheckConstraint(_one_of("status", tx.GROUP_STATUSES), name="status"),
        CheckConstraint(_one_of("location_precision", tx.LOCATION_PRECISIONS), name="location_precision"),
        CheckConstraint("age_min IS NULL OR age_max IS NULL OR age_min <= age_max", name="ages"),
        UniqueConstraint("source", "source_id", name="uq_groups_source_id"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    categories: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    communities_of_identity: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    communities_of_interest: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    activities: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    meets: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default="[]", comment="[{days: [mo..su], start: HH:MM, end, frequency}]"
    )
    meets_minutes: Mapped[Any | None] = mapped_column(
        INT4MULTIRANGE,
        Computed("patchmap_meets_minutes(meets)", persisted=True),
        comment="meets as minutes of the week from Monday 00:00",
    )
    meets_public: Mapped[Any | None] = mapped_column(
        JSONB,
        Computed("patchmap_public_meets(meets)", persisted=True),
        comment="meets as residents see it: well-formed entries only",
    )
    hub_id: Mapped[int | None] = mapped_column(ForeignKey("hubs.id", ondelete="SET NULL"), index=True)
    venue_address: Mapped[str | None] = mapped_column(Text, comment="a public venue, never a home")
    postcode: Mapped[str | None] = mapped_column(String(10))
    geom: Mapped[Any | None] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))
    location_precision: Mapped[str] = mapped_column(String(8), default="area", server_default="area")
    venue_sample: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false", comment="the venue is made up for the demo (sample)"
    )
    private_contact: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default="{}", comment="name, email, phone, home address: never public"
    )
    cost: Mapped[str | None] = mapped_column(String(16))
    age_min: Mapped[int | None] = mapped_column(Integer)
    age_max: Mapped[int | None] = mapped_column(Integer)
    languages: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    volunteers_wanted: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    skills_sought: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    accepts_introductions: Mapped[bool] = mapped_column(
        Boolean,
        default=False,
        server_default="false",
        comment="the organiser agreed to be emailed a volunteer's contact (and theirs passed on)",
    )
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    source: Mapped[str] = mapped_column(String(64), default="manual", server_default="manual")
    source_id: Mapped[str | None] = mapped_column(Text)
    geom_bng: Mapped[Any | None] = mapped_column(
        # indexed with category_keys: idx_groups_geom_bng_category, below the classes (migration 0008)
        Geometry("POINT", srid=27700, spatial_index=False),
        Computed("ST_Transform(geom, 27700)", persisted=True),
        comment="the point in British National Grid, for nearest-neighbour search in metres",
    )
    category_keys: Mapped[list[int] | None] = mapped_column(
        ARRAY(Integer),
        Computed("patchmap_category_keys(categories)", persisted=True),
        comment="categories as integer keys (patchmap_category_key), for the search index",
    )
    search_text: Mapped[Any] = mapped_column(
        TSVECTOR,
        Computed(
            "setweight(to_tsvector('english', coalesce(name, '')), 'A') || setweight(to_tsvector('english', patchmap_text(activities) || ' ' || patchmap_text(categories)), 'B') || to_tsvector('english', coalesce(description, '') || ' ' || patchmap_text(skills_sought))",
            persisted=True,
        ),
    )


class GroupArea(Base):
    """An area a group serves (its community of place)."""

    __tablename__ = "group_areas"

    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    area_id: Mapped[int] = mapped_column(
        ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Postcode(Base):
    """A postcode's point and the areas it falls in (ONS Postcode Directory, or approximate)."""

    __tablename__ = "postcodes"

    postcode: Mapped[str] = mapped_column(String(8), primary_key=True, comment="normalised, e.g. NR2 1AW")
    outward: Mapped[str] = mapped_column(String(4), index=True)
    geom: Mapped[Any] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))
    ward_code: Mapped[str | None] = mapped_column(String(32))
    district_code: Mapped[str | None] = mapped_column(String(32))
    lsoa_code: Mapped[str | None] = mapped_column(String(32))
    approximate: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    source: Mapped[str] = mapped_column(Text)


class Submission(Timestamped, Base):
    """A resident's offer (a group, a space or their help), pending until a moderator acts on it.

    ``details`` holds what the resident offered; ``contact`` holds how to reach them (private: never in a
    public response). ``client_key`` is a keyed hash of the client's address, for rate limiting only.
    """

    __tablename__ = "submissions"
    __table_args__ = (
        CheckConstraint("kind IN ('group', 'space', 'help')", name="kind"),
        CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'needs_info', 'withdrawn')", name="status"
        ),
        CheckConstraint(
            "follow_up IS NULL OR follow_up IN ('open', 'introduced', 'closed')", name="follow_up"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(8), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending", index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    contact: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    geom: Mapped[Any | None] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))
    postcode: Mapped[str | None] = mapped_column(String(8))
    ward_code: Mapped[str | None] = mapped_column(String(32))
    district_code: Mapped[str | None] = mapped_column(String(32), index=True)
    client_key: Mapped[str] = mapped_column(String(64))
    moderated_by: Mapped[int | None] = mapped_column(Integer, comment="users.id of the last moderator")
    moderated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_reason: Mapped[str | None] = mapped_column(Text, comment="why rejected, or what is asked")
    published_as: Mapped[str | None] = mapped_column(String(32), comment="e.g. group/12 once approved")
    follow_up: Mapped[str | None] = mapped_column(
        String(16), comment="an accepted offer of help: open, introduced or closed"
    )
    erased_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="when contact and personal details were erased (retention)"
    )


class IdempotencyKey(Base):
    """A client's Idempotency-Key for a write, stored with the write: a retry gets the first answer."""

    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(
        String(64), primary_key=True, comment="what the key is for, e.g. submission:help"
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True, comment="the client's Idempotency-Key")
    request_hash: Mapped[str] = mapped_column(String(64), comment="HMAC-SHA256 of the request (hex)")
    status: Mapped[int | None] = mapped_column(Integer, comment="the HTTP status answered; NULL until done")
    response: Mapped[dict[str, Any] | None] = mapped_column(JSONB, comment="what was answered")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )


Index("ix_submissions_client_recent", Submission.client_key, Submission.created_at)
Index("ix_hubs_search_text", Hub.search_text, postgresql_using="gin")
Index("ix_spaces_search_text", Space.search_text, postgresql_using="gin")
Index("ix_groups_search_text", Group.search_text, postgresql_using="gin")
# nearest groups of one category: the category is tested on the index entry (migration 0008)
Index(
    "idx_groups_geom_bng_category",
    Group.geom_bng,
    Group.category_keys,
    postgresql_using="gist",
    postgresql_ops={"category_keys": "gist__int_ops"},
)
Index("ix_groups_categories", Group.categories, postgresql_using="gin")
