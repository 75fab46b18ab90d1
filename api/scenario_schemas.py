"""Request and response models of the what-if (POST /analysis/scenarios)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.analysis_schemas import OverlayRow, OverlaySettings
from api.routes.analysis import AnalysisQuery
from layers.analysis.scenarios import MAX_CHANGES, AddAsset, CloseAsset


class AddChange(BaseModel):
    """Add a hypothetical hub or group: where (easting/northing in metres, or lon/lat, or a postcode) and its size."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["add"]
    kind: Literal["hub", "group"]
    easting_m: float | None = Field(
        default=None, examples=[622_000], description="British National Grid, metres"
    )
    northing_m: float | None = Field(default=None, examples=[310_500])
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    postcode: str | None = Field(default=None, max_length=10, examples=["NR3 2AB"])
    category: str | None = Field(
        default=None,
        max_length=40,
        description="a hub's kind (default community_centre) or a group's category",
    )
    rooms: int = Field(default=1, ge=1, le=100, description="a hub's rooms (its capacity for capacity=rooms)")
    room_hours: float = Field(
        default=0, ge=0, le=10_000, description="bookable room-hours a week (capacity=hours)"
    )
    name: str | None = Field(default=None, max_length=200)

    def asset(self) -> AddAsset:
        """The change for layers."""
        return AddAsset(self.kind, self.easting_m, self.northing_m, self.lon, self.lat, self.postcode,
                        self.category, self.rooms, self.room_hours, self.name)  # fmt: skip


class CloseChange(BaseModel):
    """Close an existing group, hub or space (as if it were gone), by kind and id."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["close"]
    kind: Literal["group", "hub", "space"]
    id: int = Field(ge=1, le=2**31 - 1)

    def asset(self) -> CloseAsset:
        """The change for layers."""
        return CloseAsset(self.kind, self.id)


class ScenarioRequest(AnalysisQuery):
    """The overlay to change (level, district, measures) and the changes: 1 to 20 adds or closes."""

    level: Literal["ward", "district", "lsoa", "locality"] = "ward"
    within: str | None = Field(
        default=None, max_length=32, pattern=r"^[A-Za-z0-9_-]+$", examples=["E07000148"]
    )
    changes: list[Annotated[AddChange | CloseChange, Field(discriminator="action")]] = Field(
        min_length=1, max_length=MAX_CHANGES
    )


class ScenarioChangeMade(BaseModel):
    """A change as made: what, where (metres, EPSG:27700) and how big."""

    action: Literal["add", "close"]
    kind: Literal["group", "hub", "space"]
    id: int | None = Field(description="the closed asset's id; null for an added one")
    name: str
    easting_m: float | None
    northing_m: float | None
    categories: list[str]
    rooms: int
    room_hours: float


class ScenarioSide(OverlayRow):
    """An area's record on one side of the what-if (the explanation only where the area changed)."""

    explanation: str | None = Field(description="why it ranks where it does; given for areas that changed")  # type: ignore[assignment]


class ScenarioArea(BaseModel):
    """One area before and after."""

    code: str
    name: str
    changed: bool = Field(description="a measure, the rank, the class or whether it is scored changed")
    before: ScenarioSide
    after: ScenarioSide


class ScenarioAnswer(OverlaySettings):
    """Every area now and with the changes, the changes as made and the change in words; nothing is written."""

    changes: list[ScenarioChangeMade]
    sentences: list[str] = Field(description="the change in words, most moved areas first")
    changed: list[str] = Field(description="codes of the areas that changed, most moved first")
    areas: list[ScenarioArea] = Field(description="every area, in the after side's priority order")
