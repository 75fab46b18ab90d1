"""GET /health: is the service up and can it reach PostGIS?"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import Conn
from layers.queries.health import database_health

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The service's health."""

    status: str
    database: str
    postgis: str | None = None
    areas: int | None = None


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
async def read_health(conn: Conn) -> Health | JSONResponse:
    """Check that the database answers and has PostGIS."""
    result = await database_health(conn)
    if result["database"] != "ok":
        return JSONResponse(Health(status="unavailable", **result).model_dump(), status_code=503)
    return Health(status="ok", **result)
