"""Rows of ``oruk_services.sql`` as Open Referral UK 3.0 objects: services, organisations, locations, schedules,
cost options and the taxonomy of group categories. Pure functions: data in, JSON-ready dicts out.

A Patchmap group is one ORUK organisation with one service; its hub or public venue is the service's one
location. Its meeting times are schedules (RRULE-style: WEEKLY or MONTHLY with BYDAY), its cost band a cost
option, its categories attributes linking the service to terms of Patchmap's published taxonomy. A venue or
group made up for the demo says "sample", as everywhere else. Empty values are left out, not sent as null.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final

from layers.oruk.ids import oruk_id, taxonomy_id, term_id
from layers.taxonomy import GROUP_CATEGORIES

TAXONOMY_NAME: Final = "Patchmap group categories"
TAXONOMY_DESCRIPTION: Final = "What a community group does: the categories Patchmap files groups under."
SAMPLE_VENUE: Final = "Where it meets is a sample venue, made up for the demo."
SAMPLE_PLACE: Final = "Sample venue, made up for the demo."
#: A meeting's frequency as (FREQ, INTERVAL); "occasional" (or none) has no rule.
RULES: Final[dict[str, tuple[str, int]]] = {
    "weekly": ("WEEKLY", 1),
    "daily": ("WEEKLY", 1),
    "fortnightly": ("WEEKLY", 2),
    "monthly": ("MONTHLY", 1),
}
WORDS: Final = {"weekly": "Weekly", "daily": "Daily", "fortnightly": "Fortnightly", "monthly": "Monthly"}
DAY_NAMES: Final = {"mo": "Monday", "tu": "Tuesday", "we": "Wednesday", "th": "Thursday", "fr": "Friday",
                    "sa": "Saturday", "su": "Sunday"}  # fmt: skip
OCCASIONALLY: Final = "Occasionally"
#: A cost band as (option, amount in GBP or None, amount_description).
COSTS: Final[dict[str, tuple[str, float | None, str]]] = {
    "free": ("Free", 0, "Free of charge"),
    "low-cost": ("Low cost", None, "A small charge or a donation"),
    "paid": ("Paid", None, "A charge: ask the group"),
}
_GSS: Final = re.compile(r"^[EWSNK]\d{8}$")
GSS_URI: Final = "http://statistics.data.gov.uk/id/statistical-geography/"


def _compact(obj: dict[str, Any]) -> dict[str, Any]:
    """The object without its empty values (None, "" and [] say nothing in ORUK)."""
    return {k: v for k, v in obj.items() if v is not None and v != "" and v != []}


def description(row: dict[str, Any]) -> str:
    """A group's public description, saying so when where it meets was made up for the demo."""
    note = SAMPLE_VENUE if row["venue_sample"] else ""
    return f"{row['description'] or ''} {note}".strip()


def _modified(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def organization(row: dict[str, Any]) -> dict[str, Any]:
    """The group as an organisation (the one-to-one fields)."""
    out = _compact({"id": row["organization_id"], "name": row["name"], "email": row["email"],
                    "website": row["website"]})  # fmt: skip
    return out | {"description": description(row)}  # required, so sent even when empty


def service_list_item(row: dict[str, Any]) -> dict[str, Any]:
    """The group's service with its one-to-one fields and organisation (a page of /services)."""
    return _compact({
        "id": row["service_id"], "organization_id": row["organization_id"], "name": row["name"],
        "description": description(row), "url": row["website"], "email": row["email"],
        "status": "active" if row["status"] == "active" else "inactive",
        "minimum_age": row["age_min"], "maximum_age": row["age_max"],
        "last_modified": _modified(row["updated_at"]), "organization": organization(row),
    })  # fmt: skip


def service_full(row: dict[str, Any], *, with_locations: bool = True) -> dict[str, Any]:
    """The group's service fully nested: schedules, areas served, location, cost options, categories."""
    sid = row["service_id"]
    nested = {
        "schedules": schedules(row["meets"] or [], sid),
        "service_areas": service_areas(row["areas_served"] or [], sid),
        "service_at_locations": [service_at_location(row)] if with_locations and row["location_id"] else [],
        "cost_options": cost_options(row["cost"], sid),
        "attributes": attributes(row["categories"] or [], sid),
    }
    return service_list_item(row) | _compact(nested)


def location(row: dict[str, Any], *, full: bool = True) -> dict[str, Any]:
    """The service's hub or public venue as a physical location (with its address when ``full``)."""
    lid = row["location_id"]
    about = row["location_description"] or (
        SAMPLE_PLACE if row["location_kind"] == "venue" and row["venue_sample"] else None
    )
    out = _compact({
        "id": lid, "location_type": "physical", "name": row["location_name"], "description": about,
        "latitude": row["latitude"], "longitude": row["longitude"],
    })  # fmt: skip
    if full and (row["location_address"] or row["location_postcode"]):
        out["addresses"] = [{
            "id": oruk_id("address", lid), "location_id": lid, "address_1": row["location_address"] or "",
            "city": row["city"] or "", "state_province": row["state_province"] or "",
            "postal_code": row["location_postcode"] or "", "country": "GB", "address_type": "physical",
        }]  # fmt: skip
    return out


def service_at_location(row: dict[str, Any]) -> dict[str, Any]:
    """The link between the service and its location, with the location in full."""
    return {
        "id": row["service_at_location_id"], "service_id": row["service_id"],
        "location_id": row["location_id"], "location": location(row),
    }  # fmt: skip


def service_at_location_list_item(row: dict[str, Any]) -> dict[str, Any]:
    """A page item of /service_at_locations: the link, its service's and location's one-to-one fields."""
    return {
        "id": row["service_at_location_id"], "service_id": row["service_id"],
        "location_id": row["location_id"], "location": location(row, full=False),
        "service": service_list_item(row),
    }  # fmt: skip


def service_at_location_full(row: dict[str, Any]) -> dict[str, Any]:
    """/service_at_locations/{id}: the link with its location and its service fully nested."""
    return {
        "id": row["service_at_location_id"], "service_id": row["service_id"],
        "location_id": row["location_id"], "location": location(row),
        "service": service_full(row, with_locations=False),
    }  # fmt: skip


def organization_full(row: dict[str, Any]) -> dict[str, Any]:
    """/organizations/{id}: the organisation with its one service fully nested."""
    return organization(row) | {"services": [service_full(row)]}


def schedules(meets: list[dict[str, Any]], service_id: str) -> list[dict[str, Any]]:
    """A group's meeting times ({days, start, end, frequency}) as schedules of its service."""
    out = []
    for i, meet in enumerate(meets):
        freq, interval = RULES.get(meet.get("frequency") or "", (None, None))
        days = " and ".join(DAY_NAMES[d] for d in meet["days"])
        word = WORDS.get(meet.get("frequency") or "", OCCASIONALLY if meet.get("frequency") else "")
        said = f"{word} on {days}" if word else days
        out.append(_compact({
            "id": oruk_id("schedule", service_id, i), "service_id": service_id, "freq": freq,
            "interval": interval, "byday": ",".join(d.upper() for d in meet["days"]),
            "opens_at": meet["start"], "closes_at": meet["end"],
            "description": f"{said}, {meet['start']} to {meet['end']}", "attending_type": "in person",
        }))  # fmt: skip
    return out


def cost_options(cost: str | None, service_id: str) -> list[dict[str, Any]]:
    """A group's cost band (free, low-cost, paid) as its service's one cost option; none when not known."""
    if cost not in COSTS:
        return []
    option, amount, said = COSTS[cost]
    return [_compact({"id": oruk_id("cost_option", service_id), "service_id": service_id, "option": option,
                      "amount": amount, "amount_description": said})]  # fmt: skip


def service_areas(areas: list[dict[str, str]], service_id: str) -> list[dict[str, Any]]:
    """The areas a group serves (code, name, kind), with the ONS linked-data address of a GSS code."""
    return [
        _compact(
            {
                "id": oruk_id("service_area", service_id, a["code"]),
                "service_id": service_id,
                "name": a["name"],
                "extent_type": "text",
                "extent": f"{a['kind']} {a['code']}",
                "uri": GSS_URI + a["code"] if _GSS.match(a["code"]) else None,
            }
        )
        for a in areas
    ]


def attributes(categories: list[str], service_id: str) -> list[dict[str, Any]]:
    """A group's categories as attributes linking its service to terms of Patchmap's taxonomy."""
    return [
        {
            "id": oruk_id("attribute", service_id, key),
            "link_id": service_id,
            "link_type": "service",
            "taxonomy_term_id": term_id(key),
            "taxonomy_term": taxonomy_term(key),
        }
        for key in categories
        if key in GROUP_CATEGORIES
    ]


def term_name(key: str) -> str:
    """A category's short name: its label up to the first bracket or colon."""
    return re.split(r" \(|:", GROUP_CATEGORIES[key], maxsplit=1)[0]


def taxonomy_term(key: str) -> dict[str, Any]:
    """One group category as a taxonomy term (``term`` is Patchmap's key for it)."""
    return {
        "id": term_id(key), "name": term_name(key), "description": GROUP_CATEGORIES[key],
        "taxonomy": TAXONOMY_NAME, "taxonomy_id": taxonomy_id(), "term": key,
    }  # fmt: skip


def taxonomy(*, with_terms: bool = False) -> dict[str, Any]:
    """Patchmap's published taxonomy of group categories (with its terms when ``with_terms``)."""
    out: dict[str, Any] = {
        "id": taxonomy_id(), "name": TAXONOMY_NAME, "description": TAXONOMY_DESCRIPTION, "version": "1",
    }  # fmt: skip
    if with_terms:
        out["taxonomy_terms"] = [taxonomy_term(k) for k in GROUP_CATEGORIES]
    return out
