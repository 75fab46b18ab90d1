"""Response models of the officers' analysis (/analysis/overlay, /analysis/areas/{code})."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Level = Literal["ward", "district", "lsoa", "locality"]
Third = Literal["low", "medium", "high"]


class AreaName(BaseModel):
    """An area's code and name."""

    code: str
    name: str


class NeedMeasure(BaseModel):
    """The need measure compared."""

    measure: str = Field(description="IMD, a domain, or an imported indicator key")
    higher_is_more_need: bool


class MappedArea(BaseModel):
    """A district or locality whose asset register is complete for some kinds: who said so, and when."""

    code: str
    name: str
    kind: Literal["district", "locality"]
    kinds: list[Literal["group", "hub", "space"]]
    mapped_by: str
    source: str | None
    note: str | None
    mapped_at: str = Field(description="ISO 8601")


class ClassWords(BaseModel):
    """How the 3×3 need × provision classes are made, and every class in words."""

    rule: str
    words: dict[str, str] = Field(description="class (need-provision, e.g. high-low) → what it means")


class OverlaySettings(BaseModel):
    """What an overlay was computed with."""

    level: Level
    within: AreaName | None
    kinds: list[Literal["group", "hub", "space"]] = Field(description="the kinds counted, after the category")
    category: str | None
    radius_m: float = Field(description="coverage: straight-line distance from each LSOA's point, metres")
    catchment_m: float = Field(description="2SFCA and E2SFCA catchment, metres")
    capacity: Literal["one", "rooms", "hours"] = Field(
        description="2SFCA capacity: 1 per asset, a hub's rooms, or bookable room-hours a week (else rooms)"
    )
    need: NeedMeasure
    provision: Literal["per_1000", "coverage", "access"]
    counting: Literal["provision", "potential", "both"] = Field(
        description="provision: active groups, hubs and bookable spaces; potential: spaces empty and offered"
    )
    notes: list[str] = Field(description="what to know before reading the table: what is not scored and why")
    mapped_extent: list[MappedArea] = Field(description="where the asset register is complete")
    classes: ClassWords


class OverlayRow(BaseModel):
    """One area's measures, gap and explanation."""

    code: str
    name: str
    kind: Level
    parent_code: str | None
    population_total: float = Field(description="residents, mid-2015, apportioned from LSOAs")
    population_0_15: float
    population_60_plus: float
    deprivation: dict[str, float | None] = Field(
        description="IoD2019 ranks and deciles: population-weighted means of the area's LSOAs (1 = most deprived)"
    )
    groups: float = Field(
        description="groups counted: 1 each with a place here; a share of each serving several areas"
    )
    hubs: float
    spaces: float = Field(description="spaces counted as provision (bookable here), unless counting says")
    assets: float = Field(description="groups + hubs + spaces counted; each asset counts once over all areas")
    potential: float = Field(description="potential spaces here: empty and offered, not bookable here")
    groups_area_wide: float = Field(
        description="groups with no single place that serve this area, in full (not shared; does not add up)"
    )
    by_category: dict[str, float]
    groups_per_1000: float | None
    hubs_per_1000: float | None
    spaces_per_1000: float | None
    assets_per_1000: float | None
    coverage: float | None = Field(
        description="share of residents within radius_m of an asset counted, 0 to 1"
    )
    access_2sfca: float | None = Field(description="2SFCA: assets (or rooms) per 1,000 residents in reach")
    access_e2sfca: float | None = Field(description="E2SFCA (Gaussian decay), per 1,000 residents in reach")
    need_value: float | None
    provision_value: float | None
    need_percentile: float | None = Field(description="0 to 1 within the areas compared; 1 = most need")
    provision_percentile: float | None = Field(description="0 to 1; 1 = most provision")
    gap: float | None = Field(description="need percentile − provision percentile, −1 to 1")
    need_class: Third | None
    provision_class: Third | None
    bivariate_class: str | None = Field(description="need-provision, e.g. high-low")
    priority: int | None = Field(description="1 = largest gap; null when not scored")
    rank_low: int | None = Field(description="best priority across the reasonable choices (see notes)")
    rank_high: int | None = Field(description="worst priority across the reasonable choices")
    rank_stable: bool = Field(description="the rank moves by at most the places the notes give")
    scored: bool = Field(
        description="ranked and classed: residents, inside the mapped extent, assets to compare"
    )
    not_scored: str | None = Field(description="why not, when not scored")
    counted: Literal["provision", "potential", "both"]
    explanation: str = Field(description="why it ranks where it does, with the numbers used")


class OverlayTable(OverlaySettings):
    """Every area of a level with its measures, in priority order."""

    areas: list[OverlayRow]


class AreaAsset(BaseModel):
    """A public group, hub or space in an area."""

    kind: Literal["group", "hub", "space"]
    id: int
    name: str
    subtype: str | None
    url: str
    serves_only: bool = Field(description="a group with no venue that serves the area (or its district)")


class AreaProfile(OverlaySettings):
    """One area: its measures among its siblings, its assets and its neighbours."""

    area: OverlayRow
    siblings_ranked: int = Field(description="areas it was ranked among (same level and district)")
    assets: list[AreaAsset]
    neighbours: list[AreaName]
