"""A what-if as JSON: the overlay's summary, the changes as made, the sentences, and every area before and after
(priority order of the after side; the explanations are given for the areas that changed)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from layers.analysis.export import records, summary
from layers.analysis.scenarios import AddAsset, CloseAsset, Scenario, what_if
from layers.analysis.whatif import Change


def change_record(change: Change) -> dict[str, Any]:
    """A resolved change: what, where (EPSG:27700 metres) and how big."""
    return {
        "action": change.action,
        "kind": change.kind,
        "id": change.id if change.action == "close" else None,
        "name": change.name,
        "easting_m": None if change.served else round(change.x, 1),
        "northing_m": None if change.served else round(change.y, 1),
        "categories": list(change.categories),
        "rooms": change.rooms,
        "room_hours": change.room_hours,
    }


def scenario_records(s: Scenario) -> list[dict[str, Any]]:
    """Every area with its before and after records, in the after side's priority order."""
    before = {r["code"]: r for r in records(s.before)}
    changed = set(s.changed)
    return [
        {
            "code": r["code"],
            "name": r["name"],
            "changed": r["code"] in changed,
            "before": before[r["code"]],
            "after": r,
        }
        for r in records(s.after)
    ]


def scenario_answer(
    conn: Connection,
    /,
    changes: list[AddAsset | CloseAsset],
    *,
    level: str,
    within: str | None,
    **measures: Any,
) -> dict[str, Any]:
    """The what-if as the API gives it (nothing is written): summary, changes, sentences, areas."""
    s = what_if(conn, changes, level=level, within=within, **measures)
    return {
        **summary(s.after),
        "notes": s.after.notes + s.notes,
        "changes": [change_record(c) for c in s.changes],
        "sentences": s.sentences,
        "changed": s.changed,
        "areas": scenario_records(s),
    }
