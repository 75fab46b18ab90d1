"""GET /health: is the service up and can it reach PostGIS?"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import pooled
from api.errors import DATABASE_AWAY
from layers.queries.health import database_health

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The service's health."""

    status: str
    database: str
    postgis: str | None = None
    areas: int | None = None


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
async def read_health(request: Request) -> Health | JSONResponse:
    """Check that the database answers and has PostGIS (503 with Retry-After when it does not)."""
    try:
        async with pooled(request) as conn:
            result = await database_health(conn)
    except DATABASE_AWAY as exc:
        result = {"database": f"unreachable: {type(exc).__name__}", "postgis": None, "areas": None}
    if result["database"] != "ok":
        retry = str(request.app.state.settings.database.retry_after_s)
        return JSONResponse(
            Health(status="unavailable", **result).model_dump(),
            status_code=503,
            headers={"Retry-After": retry},
        )
        return JSONResponse(Health(status="unavailable", **result).model_dump(), status_code=503)
    return Health(status="ok", **result)
