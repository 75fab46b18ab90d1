"""What if: the officers' overlay with hypothetical hubs or groups added or assets closed (writes nothing)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from api.deps import Work
from api.html import html_page
from api.scenario_schemas import ScenarioAnswer, ScenarioRequest
from layers.analysis.scenario_export import scenario_answer
from layers.analysis.scenarios import AddAsset, CloseAsset
from layers.errors import InvalidInput, NotFound
from mapping.whatif_pages import whatif_page

router = APIRouter(prefix="/analysis", tags=["analysis"])

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such district, asset to close, or postcode"},
    422: {
        "description": "Invalid changes (kind, a point outside the grid, too many) or parameters: the body says which"
    },
}


@router.post("/scenarios", response_model=ScenarioAnswer, responses=ERRORS)
async def create_scenario(work: Work, body: ScenarioRequest) -> Any:
    """Every area now and with the changes (add a hub or group, close an asset), and the change in words."""
    changes = [c.asset() for c in body.changes]
    return await work.run(scenario_answer, changes, level=body.level, within=body.within, **body.measures())


class WhatIfForm(BaseModel):
    """The what-if page's plain form (GET): one change, in the officers' district, ward by ward."""

    within: str = Field(default="E07000148", max_length=32, pattern=r"^[A-Za-z0-9_-]*$")
    action: Literal["add", "close"] | None = None
    kind: Literal["hub", "group"] = "hub"
    rooms: int = Field(default=1, ge=1, le=100)
    postcode: str = Field(default="", max_length=10)
    easting_m: str = Field(default="", max_length=20)
    northing_m: str = Field(default="", max_length=20)
    lon: str = Field(default="", max_length=20)
    lat: str = Field(default="", max_length=20)
    close_kind: Literal["group", "hub", "space"] = "hub"
    close_id: str = Field(default="", max_length=12)

    def change(self) -> AddAsset | CloseAsset:
        """The one change the form asks for (a typed place wins over one picked on the map)."""
        if self.action == "close":
            if not self.close_id.strip().isdigit():
                raise InvalidInput("Which one to close?", "Give its number, such as 12 for /hubs/12/page.")
            return CloseAsset(self.close_kind, int(self.close_id))
        e, n, lon, lat = (_number(v) for v in (self.easting_m, self.northing_m, self.lon, self.lat))
        postcode = self.postcode.strip() or None
        if e is not None or n is not None or postcode:
            lon = lat = None
        if postcode and (e is not None or n is not None):
            postcode = None
        return AddAsset(self.kind, e, n, lon, lat, postcode, rooms=self.rooms)


def _number(text: str) -> float | None:
    if not text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a number", "Give the easting and northing in metres.") from None


# A page for browsers without JavaScript, like the forms' answers: not part of the JSON API's document.
@router.get("/what-if", response_class=HTMLResponse, include_in_schema=False)
async def read_whatif_page(
    request: Request, work: Work, form: Annotated[WhatIfForm, Query()]
) -> HTMLResponse:
    """The what-if form, and (when a change was sent) its answer, rendered on the server."""
    answer, problem, status = None, None, 200
    if form.action:
        try:
            answer = await work.run(
                scenario_answer, [form.change()], level="ward", within=form.within or None
            )
        except (InvalidInput, NotFound) as exc:
            problem, status = (
                f"{exc.message} {exc.detail}".strip(),
                422 if isinstance(exc, InvalidInput) else 404,
            )
    name = answer["within"]["name"] if answer and answer.get("within") else form.within
    html = whatif_page(
        static_url=request.url_for("static", path="").path,
        action=request.url_for("read_whatif_page").path,
        map_url=request.url_for("read_officer_map_page").path,
        district_code=form.within,
        district_name=name,
        form={k: "" if v is None else str(v) for k, v in form.model_dump().items()},
        answer=answer,
        problem=problem,
    )
    return html_page(request, html, status_code=status)
