"""What if: the officers' overlay with hypothetical hubs or groups added or assets closed (writes nothing)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import Work
from api.scenario_schemas import ScenarioAnswer, ScenarioRequest
from layers.analysis.scenario_export import scenario_answer

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
