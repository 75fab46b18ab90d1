"""A ward pack (``layers.patch.ward_pack``) as spreadsheet-safe CSV and as GeoJSON (EPSG:4326)."""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson

from layers.analysis.export import safe_cell

CSV_COLUMNS = (
    "section", "name", "value", "kind", "id", "type", "address", "postcode",
    "works_across_area", "last_confirmed", "public_record",
)  # fmt: skip


def ward_pack_csv(pack: dict[str, Any]) -> str:
    """One table: the ward's measures (section "measure"), then its groups, hubs and spaces ("asset").

    Every text cell goes through ``safe_cell``, so a name like "=HYPERLINK(...)" stays text in a spreadsheet.
    """
    rows: list[dict[str, Any]] = [
        {"section": "ward", "name": pack["ward"]["name"], "value": pack["ward"]["code"]},
        {"section": "explanation", "name": pack["ward"]["name"], "value": pack["explanation"]},
    ]
    rows += [{"section": "measure", "name": name, "value": value} for name, value in pack["measures"]]
    for a in pack["assets"]:
        rows.append(
            {
                "section": "asset",
                "name": a["name"],
                "kind": a["kind"],
                "id": a["id"],
                "type": a["type"],
                "address": a["address"],
                "postcode": a["postcode"],
                "works_across_area": "yes" if a["works_across_area"] else "no",
                "last_confirmed": a["last_confirmed"] or "never",
                "public_record": a["url"],
            }
        )
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: safe_cell(row.get(k)) for k in CSV_COLUMNS} for row in rows)
    return buffer.getvalue()


def ward_pack_geojson(pack: dict[str, Any]) -> bytes:
    """The ward's boundary with its measures (first feature), then one point per group, hub and space; a group
    working across the ward without a meeting place has no geometry."""
    ward = {
        "type": "Feature",
        "id": pack["ward"]["code"],
        "geometry": pack["geometry"],
        "properties": {
            "kind": "ward",
            **{k: v for k, v in pack["record"].items() if k != "by_category"},
            "measures": dict(pack["measures"]),
        },
    }
    points = [
        {
            "type": "Feature",
            "id": f"{a['kind']}/{a['id']}",
            "geometry": None if a["lon"] is None else {"type": "Point", "coordinates": [a["lon"], a["lat"]]},
            "properties": {k: v for k, v in a.items() if k not in ("lon", "lat")},
        }
        for a in pack["assets"]
    ]
    return orjson.dumps(
        {
            "type": "FeatureCollection",
            "name": f"patchmap-ward-pack-{pack['ward']['code']}",
            "ward": pack["ward"],
            "district": pack["district"],
            "features": [ward, *points],
        }
    )
