"""Database health check."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection


async def database_health(conn: AsyncConnection[Any]) -> dict[str, Any]:
    """Whether the database answers, its PostGIS version and how many areas are loaded."""
    try:
        cur = await conn.execute(
            "SELECT postgis_lib_version() AS postgis, (SELECT count(*) FROM areas) AS areas"
        )
        row = await cur.fetchone()
    except Exception as exc:  # any failure means the same to a health check
        return {"database": f"error: {type(exc).__name__}", "postgis": None, "areas": None}
    assert row is not None
    return {"database": "ok", "postgis": row["postgis"], "areas": row["areas"]}
