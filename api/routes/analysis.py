"""Officers' asset-versus-needs analysis: the overlay table per level, and one area's profile."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Connection

from api.access import CurrentActor
from api.analysis_schemas import AreaProfile, MappedArea, OverlayTable
from api.deps import Work
from api.formats import CSV, GEOJSON, GPKG, file_response, negotiate
from api.written import encoded, json_response
from layers.analysis import mapped
from layers.analysis.export import overlay_answer, profile_answer
from layers.analysis.overlay import DEFAULT_CATCHMENT_M, DEFAULT_RADIUS_M, KINDS, OverlayOptions
from layers.errors import InvalidInput

router = APIRouter(prefix="/analysis", tags=["analysis"])

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such area or district"},
    422: {"description": "Invalid parameters: the body says which and what to do"},
}


class AnalysisQuery(BaseModel):
    """Which assets count, how far, and which need and provision measures to compare."""

    model_config = ConfigDict(extra="forbid")

    kinds: str = Field(
        default="group,hub,space", max_length=40, description="comma list of group, hub, space"
    )
    category: str | None = Field(
        default=None, max_length=40, description="a group category, hub or space kind"
    )
    radius_m: float = Field(
        default=DEFAULT_RADIUS_M, gt=0, le=20_000, description="coverage distance, metres"
    )
    catchment_m: float = Field(
        default=DEFAULT_CATCHMENT_M, gt=0, le=20_000, description="2SFCA catchment, metres"
    )
    capacity: Literal["one", "rooms", "hours"] = Field(
        default="one", description="2SFCA capacity: 1 per asset, a hub's rooms, or bookable room-hours a week"
    )
    counting: Literal["provision", "potential", "both"] = Field(
        default="provision",
        description="what counts: provision (groups, hubs, bookable spaces), potential (empty spaces offered) or both",
    )
    need: str = Field(
        default="imd", max_length=64, pattern=r"^[a-z0-9_]+$",
        description="imd, a domain (income, health, ...) or an imported indicator key",
    )  # fmt: skip
    need_direction: Literal["higher", "lower"] = Field(
        default="higher", description="for an imported indicator: does a higher value mean more need?"
    )
    provision: Literal["per_1000", "coverage", "access"] = "per_1000"

    def options(self) -> OverlayOptions:
        """The overlay options these parameters ask for."""
        kinds = tuple(k.strip() for k in self.kinds.split(",") if k.strip())
        if len(set(kinds)) != len(kinds) or not set(kinds) <= set(KINDS):
            raise InvalidInput(
                f"Unknown or repeated kinds in {self.kinds!r}", "Use a comma list of group, hub, space."
            )
        return OverlayOptions(
            kinds, self.category, self.radius_m, self.catchment_m, self.capacity, self.counting
        )

    def measures(self) -> dict[str, Any]:
        """The keyword arguments of overlay_table for the need and provision measures."""
        return {
            "options": self.options(),
            "need": self.need,
            "need_higher_is_more": self.need_direction == "higher",
            "provision": self.provision,
        }


class OverlayQuery(AnalysisQuery):
    """The level and district of an overlay, its measures, and the format of the answer."""

    level: Literal["ward", "district", "lsoa", "locality"] = "ward"
    within: str | None = Field(
        default=None, max_length=32, pattern=r"^[A-Za-z0-9_-]+$", examples=["E07000148"]
    )
    f: Literal["json", "csv", "geojson", "gpkg"] | None = Field(
        default=None,
        description="or Accept: text/csv, GeoJSON, GeoPackage (CSV, GeoJSON and GeoPackage share "
        "one flat field layout)",
    )
    crs: int = Field(
        default=4326,
        description="the CRS of GeoJSON and GeoPackage boundaries: 4326 (lon/lat) or 27700 (British "
        "National Grid)",
        json_schema_extra={"enum": [4326, 27700]},
    )

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, value: int) -> int:
        if value not in (4326, 27700):
            raise ValueError("use 4326 (longitude/latitude) or 27700 (British National Grid)")
        return value


@router.get(
    "/overlay",
    response_model=OverlayTable,
    responses={
        200: {"content": {CSV: {}, GEOJSON: {}, GPKG: {}}, "description": "JSON, CSV, GeoJSON or GeoPackage"},
        **ERRORS,
    },
)
async def read_overlay(request: Request, work: Work, query: Annotated[OverlayQuery, Query()]) -> Any:
    """Every ward, district, LSOA or locality with its need, provision, gap and explanation, largest gap first."""
    fmt = negotiate(request, query.f, ("json", "geojson", "csv", "gpkg"))
    if fmt == "json":
        # Written with orjson, not validated again: England's 7,681 wards are 16 MB, which pydantic took 0.3 s
        # to check and write. overlay_answer builds the OverlayTable shape (tests check answers against it).
        # The JSON and its gzip are kept with the kept answer (api/written.py).
        gzip = "gzip" in request.headers.get("Accept-Encoding", "")
        body, gzipped = await work.run(_overlay_json, gzip, level=query.level, within=query.within,
                                       crs=query.crs, **query.measures())  # fmt: skip
        return json_response(body, gzipped)
    answer = await work.run(
        overlay_answer, fmt, level=query.level, within=query.within, crs=query.crs, **query.measures()
    )
    stem = f"patchmap-overlay-{query.level}-{query.within or 'all'}"
    name = f"{stem}.{fmt}" if fmt in ("csv", "gpkg") else None
    return file_response(answer, fmt, filename=name)  # type: ignore[arg-type]


def _overlay_json(conn: Connection, /, gzip: bool, **question: Any) -> tuple[bytes, bool]:
    """The overlay's JSON answer, written (and gzipped) once per kept answer."""
    return encoded(overlay_answer(conn, "json", **question), gzip)


@router.get("/areas/{code}", response_model=AreaProfile, responses=ERRORS)
async def read_area_profile(
    work: Work,
    code: Annotated[str, Path(max_length=32, pattern=r"^[A-Za-z0-9_-]+$")],
    query: Annotated[AnalysisQuery, Query()],
) -> Any:
    """One area's measures, its rank among its siblings, its assets and its neighbours."""
    return await work.run(profile_answer, code, **query.measures())


CODE = Path(max_length=32, pattern=r"^[A-Za-z0-9_-]+$", examples=["E07000148"])
MAPPED_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "Not an officer or admin, or the CSRF token is missing"},
    404: {"description": "No such area (or, to remove, it is not marked)"},
    422: {"description": "Not a district or locality, or unknown kinds: the body says which"},
}


class MarkMapped(BaseModel):
    """Mark a district or locality as mapped: its register holds every asset of these kinds."""

    model_config = ConfigDict(extra="forbid")

    kinds: list[Literal["group", "hub", "space"]] = Field(
        default=["group", "hub", "space"], min_length=1, max_length=3
    )
    source: str | None = Field(default=None, max_length=500, examples=["Ward walk, November 2026"])
    note: str | None = Field(default=None, max_length=2000)


def _mapped_list(conn: Any) -> list[dict[str, Any]]:
    return [mapped.as_json(m) for m in mapped.mapped_areas(conn)]


@router.get("/mapped", response_model=list[MappedArea])
async def read_mapped(work: Work) -> Any:
    """Where the asset register is complete: the analysis ranks only areas inside this extent."""
    return await work.run(_mapped_list)


@router.put("/mapped/{code}", response_model=MappedArea, responses=MAPPED_ERRORS)
async def mark_mapped(work: Work, actor: CurrentActor, code: Annotated[str, CODE], body: MarkMapped) -> Any:
    """Mark a district or locality as mapped for some kinds (an officer or admin; replaces an earlier mark)."""

    def mark(conn: Any) -> dict[str, Any]:
        return mapped.as_json(
            mapped.mark_as(conn, actor, code, body.kinds, source=body.source, note=body.note)
        )

    return await work.run(mark)


@router.delete("/mapped/{code}", status_code=204, responses=MAPPED_ERRORS)
async def unmark_mapped(work: Work, actor: CurrentActor, code: Annotated[str, CODE]) -> Response:
    """Take away a district's or locality's mark (an officer or admin): it is no longer scored."""
    await work.run(mapped.unmark_as, actor, code)
    return Response(status_code=204)
