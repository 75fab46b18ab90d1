"""Where a record from the browser's forms is: at a hub, at a public venue found by postcode, at a place
already on Patchmap found by its name or address, at a point (a map click or typed coordinates), or, for a
group, serving wards or the district. Sets the record's place columns (``location_precision``, ``hub_id``,
``venue_address``, ``postcode``; the point is set by the caller) and finds the district the place is in.

A group's point is public, so it is never a home: a venue needs its public name and address and a tick saying
it is a public place (a place found by the search is public already); a group that meets at someone's home is
shown by the areas it serves only.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, text

from layers.access.scope import Actor, require_district
from layers.areas.postcodes import normalise_postcode
from layers.records.form_fields import FOUND_MOST, PLACE_MODES, Field, Form, one, value_of


def point_at(conn: Connection, sql: str, params: dict[str, Any]) -> tuple[float, float] | None:
    """The (lon, lat) a query of ST_X, ST_Y answers, if any."""
    row = conn.execute(text(sql), params).first()
    return (float(row[0]), float(row[1])) if row is not None and row[0] is not None else None


def place(conn: Connection, kind: str, form: Form, problems: dict[str, str], columns: dict[str, Any]) -> Any:
    """Set the place's columns from the form; the point (lon, lat), or the area codes a group serves."""
    mode = one(form, "place")
    if mode not in PLACE_MODES[kind]:
        problems["place"] = "choose where it is"
        return None
    postcode = normalise_postcode(one(form, "postcode")) if one(form, "postcode") else None
    if one(form, "postcode") and postcode is None:
        problems["postcode"] = "enter a full postcode like NR2 1AW"
    columns["postcode"] = postcode
    if kind == "group":
        columns.update(hub_id=None, venue_address=None, location_precision="venue")
    if mode == "area":
        codes = list(dict.fromkeys(c for c in form.get("areas") or () if c))
        known = conn.execute(
            text("SELECT code FROM areas WHERE code = ANY(:c) AND kind IN ('ward', 'district')"), {"c": codes}
        ).scalars().all()  # fmt: skip
        if not codes or len(known) != len(codes):
            problems["areas"] = "choose the wards (or the whole district) the group serves"
        columns.update(location_precision="area", geom=None, postcode=None)
        return sorted(known)
    point = None
    found = one(form, "found") if mode == "address" else ""
    if mode == "hub" or found.startswith("hub:"):
        hub = one(form, "hub_id") if mode == "hub" else found[4:]
        row = conn.execute(
            text("SELECT id, ST_X(geom), ST_Y(geom), postcode, address FROM hubs WHERE id = :i"),
            {"i": int(hub) if re.fullmatch(r"[0-9]{1,9}", hub) else 0},
        ).first()
        if row is None:
            problems["hub_id" if mode == "hub" else "found"] = "choose a hub from the list"
            return None
        point = (float(row[1]), float(row[2]))
        if kind == "group":
            columns.update(hub_id=row[0], location_precision="hub", postcode=row[3] or postcode)
            return point
        columns["address"] = columns.get("address") or row[4]
    elif mode == "address":
        space = found[6:] if found.startswith("space:") else ""
        row = conn.execute(
            text("SELECT ST_X(geom), ST_Y(geom), name, address FROM spaces WHERE id = :i"),
            {"i": int(space) if re.fullmatch(r"[0-9]{1,9}", space) else 0},
        ).first()
        if row is None:
            problems["found"] = "search for a place by name or address, then choose one"
            return None
        point = (float(row[0]), float(row[1]))
        if kind == "group" and not one(form, "venue_address"):
            columns["venue_address"] = ", ".join(p for p in (row[2], row[3]) if p)
        if kind != "group":
            columns["address"] = columns.get("address") or row[3]
    elif mode == "postcode":
        point = (
            None
            if postcode is None
            else point_at(
                conn, "SELECT ST_X(geom), ST_Y(geom) FROM postcodes WHERE postcode = :p", {"p": postcode}
            )
        )
        if postcode is None:
            problems.setdefault("postcode", "enter the postcode")
        elif point is None:
            problems["postcode"] = "Patchmap does not know this postcode: place it on the map instead"
    elif mode == "map":
        try:
            lon, lat = float(one(form, "lon")), float(one(form, "lat"))
        except ValueError:
            lon = lat = float("nan")
        if not (-9 <= lon <= 2.5 and 49 <= lat <= 61):
            problems["lon"] = "click the map, or enter a longitude and latitude in Great Britain"
        else:
            point = (lon, lat)
    if kind == "group" and mode != "hub":
        venue = columns.get("venue_address") or value_of(
            Field("venue_address", "short", "Venue"), form, problems
        )
        if not venue:
            problems.setdefault("venue_address", "give the public venue's name and address")
        elif mode != "address" and one(form, "venue_public") != "yes":
            problems["venue_public"] = "confirm this is a public place, not someone's home"
        columns["venue_address"] = venue
    return point


def districts_of(conn: Connection, where: Any) -> set[str]:
    """The districts of a point (through its LSOA) or of a group's areas."""
    if isinstance(where, tuple):
        found = conn.execute(
            text("SELECT parent_code FROM areas WHERE code = patchmap_lsoa_of(ST_SetSRID(ST_MakePoint(:x, :y), 4326))"),
            {"x": where[0], "y": where[1]},
        ).scalar()  # fmt: skip
        return {found} if found else set()
    rows = conn.execute(
        text("SELECT CASE WHEN kind = 'district' THEN code ELSE parent_code END FROM areas WHERE code = ANY(:c)"),
        {"c": list(where or [])},
    ).scalars()  # fmt: skip
    return {r for r in rows if r}


def check_place(conn: Connection, actor: Actor, where: Any, problems: dict[str, str]) -> str | None:
    """The district the place is in (the actor must cover it: Forbidden); None with a problem if none."""
    districts = districts_of(conn, where)
    if not districts:
        problems["place"] = "that place is outside the areas Patchmap knows: choose another"
        return None
    require_district(actor, districts)
    return min(districts)


def find_places(conn: Connection, query: str) -> list[dict[str, Any]]:
    """Hubs and spaces whose name or address holds the words searched (every word), nearest name first."""
    words = [w for w in re.split(r"\s+", query.strip())[:6] if w][:6]
    if not words or len(query) > 200:
        return []
    like = ["%" + re.sub(r"([%_\\])", r"\\\1", w) + "%" for w in words]
    rows = conn.execute(text(
        "SELECT * FROM (SELECT 'hub:' || id AS value, name, address, 'Community hub' AS what, source FROM hubs "
        "UNION ALL SELECT 'space:' || id, name, address, 'Space', source FROM spaces) p "
        "WHERE (SELECT bool_and(coalesce(p.name, '') || ' ' || coalesce(p.address, '') ILIKE w) FROM unnest(CAST(:w AS text[])) w) "
        "ORDER BY p.name, p.value LIMIT :n"), {"w": like, "n": FOUND_MOST + 1}).mappings().all()  # fmt: skip
    return [{**dict(r), "sample": "sample" in (r["source"] or "").lower()} for r in rows]
