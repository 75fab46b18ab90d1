"""A ward pack (``layers.patch.summary.ward_pack``) as spreadsheet-safe CSV and as GeoJSON (EPSG:4326)."""

from __future__ import annotations

from typing import Any

from layers.formats.features import feature, geojson_bytes, point_features
from layers.formats.tables import csv_text

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
    return csv_text(rows, CSV_COLUMNS)


def ward_pack_geojson(pack: dict[str, Any]) -> bytes:
    """The ward's boundary with its measures (first feature), then one point per group, hub and space; a group
    working across the ward without a meeting place has no geometry."""
    ward = feature(
        pack["ward"]["code"],
        pack["geometry"],
        {
            "kind": "ward",
            **{k: v for k, v in pack["record"].items() if k != "by_category"},
            "measures": dict(pack["measures"]),
        },
    )
    return geojson_bytes(
        [ward, *point_features(pack["assets"])],
        name=f"patchmap-ward-pack-{pack['ward']['code']}",
        ward=pack["ward"],
        district=pack["district"],
    )
