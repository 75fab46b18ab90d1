"""OpenActive open data: Patchmap's bookable rooms and spaces as FacilityUse items and their times as Slot
items, published as Realtime Paged Data Exchange (RPDE 1.0) feeds, "modified timestamp and id" ordering.

Each page lists items after ``(afterTimestamp, afterId)`` in ``(modified, id)`` order, and ``next`` is the
same feed after its last item; a page with no items is the last, and its ``next`` is itself. ``modified``
is epoch milliseconds and only grows for an item (see the two .sql files for how each is derived), so a
consumer that keeps its place never misses a change. The data follows OpenActive Modelling Opportunity Data
2.0 (https://openactive.io/modelling-opportunity-data/): public fields only. The provider is the hub's
operator or Patchmap, never a private contact; nothing of any booking but whether a slot is taken.

Made-up (sample) rooms and spaces say "(sample)" in their name, as everywhere else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final
from urllib.parse import urlencode

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from layers.booking.rules import LONDON
from layers.sql import sql

LICENSE: Final = "https://creativecommons.org/licenses/by/4.0/"
CONTEXT: Final = "https://openactive.io/"
PAGE_SIZE: Final = 500  # the RPDE specification's recommended least number of items a page
SLOT_DAYS: Final = 14  # the Slot feed's window: today and the next 13 local dates
#: A change shows in the feeds once it is this old (milliseconds): an item's modified is its writing
#: transaction's start, so a write still committing when a consumer reads past that moment would otherwise
#: be skipped for ever. Longer than any booking write takes; a consumer polls every few seconds at most.
SETTLE_MS: Final = 3000
FACILITY_TYPES: Final = "https://openactive.io/facility-types"

#: Words in a room's or space's name, and the OpenActive facility type they mean (first match wins).
#: Anything else is a "Multi Purpose Room": what a community centre's bookable room is.
TYPE_WORDS: Final[tuple[tuple[tuple[str, ...], str, str], ...]] = (
    (("kitchen",), "bd63645d-f099-438e-aefd-4131bf6f30a8", "Kitchen"),
    (("sports hall",), "da364f9b-8bb2-490e-9e2f-1068790b9e35", "Sports Hall"),
    (("gym",), "821cc9e0-3cf3-4a1e-8e78-474241ac8419", "Gymnasium"),
    (("dance",), "2f7f901d-bc7c-4757-8f27-f8a5eece0cd1", "Dance Studio"),
    (("drama", "theatre"), "619f3a87-10e2-4611-b178-088a13748a98", "Drama Studio"),
    (("classroom", "class room", "training room"), "4d65cb89-21e9-4e90-bacd-9eb6401a8bfc", "Classroom"),
    (("hall", "function"), "4fff5e43-15dd-41d4-9f4c-0cfc478d7952", "Function Room"),
)
MULTI_PURPOSE: Final = ("d365ee78-4aab-48f7-848e-382fb721f7c4", "Multi Purpose Room")


async def facility_uses_page(
    conn: AsyncConnection[Any],
    *,
    feed_url: str,
    public_url: str,
    after_ts: int | None = None,
    after_id: int | None = None,
) -> dict[str, Any]:
    """One RPDE page of FacilityUse items after (after_ts, after_id); feed_url is this feed's own address."""
    rows = await _rows(
        conn, "openactive_facility_uses.sql", {"after_ts": after_ts, "after_id": after_id or 0}
    )
    items = [
        _item(
            "FacilityUse", row["id"], row["modified"], facility_use(row, public_url) if row["live"] else None
        )
        for row in rows
    ]
    return rpde_page(feed_url, items, after_ts, after_id)


async def slots_page(
    conn: AsyncConnection[Any],
    *,
    feed_url: str,
    public_url: str,
    after_ts: int | None = None,
    after_id: str | None = None,
) -> dict[str, Any]:
    """One RPDE page of Slot items (the next 14 days) after (after_ts, after_id)."""
    rows = await _rows(
        conn, "openactive_slots.sql", {"after_ts": after_ts, "after_id": after_id or "", "days": SLOT_DAYS}
    )
    items = [
        _item("Slot", row["item_id"], row["modified"], slot(row, public_url) if row["live"] else None)
        for row in rows
    ]
    return rpde_page(feed_url, items, after_ts, after_id)


def rpde_page(
    feed_url: str, items: list[dict[str, Any]], after_ts: int | None, after_id: int | str | None
) -> dict[str, Any]:
    """An RPDE page: its items, the licence, and next (after the last item; itself when there are none)."""
    if items:
        last = items[-1]
        query: dict[str, Any] | None = {"afterTimestamp": last["modified"], "afterId": last["id"]}
    elif after_ts is not None:
        query = {"afterTimestamp": after_ts, "afterId": after_id}
    else:
        query = None
    return {
        "next": f"{feed_url}?{urlencode(query)}" if query else feed_url,
        "items": items,
        "license": LICENSE,
    }


def facility_use(row: dict[str, Any], public_url: str) -> dict[str, Any]:
    """A bookable room or space as an OpenActive FacilityUse (public fields only)."""
    name = str(row["name"])
    title = f"{name} at {row['place_name']}" if row["kind"] == "room" and row["place_name"] else name
    data: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "FacilityUse",
        "@id": facility_use_id(public_url, row["id"]),
        "identifier": row["id"],
        "name": f"{title} (sample)" if row["sample"] else title,
        "description": _description(row),
        "url": f"{public_url.rstrip('/')}/book/{row['kind']}/{row['record_id']}",
        "facilityType": [facility_type(name)],
        "location": _place(row, public_url),
        "provider": _provider(row, public_url),
        "offers": [
            {
                "@type": "Offer",
                "@id": f"{facility_use_id(public_url, row['id'])}#/offers/per-hour",
                "name": f"Per hour ({row['rate_band']} community rate)",
                "price": round(float(row["price_per_hour"]), 2),
                "priceCurrency": "GBP",
            }
        ],
    }
    if row["step_free"]:
        data["accessibilityInformation"] = "Step-free access."
    return data


def slot(row: dict[str, Any], public_url: str) -> dict[str, Any]:
    """One slot of a bookable room or space as an OpenActive Slot: its times, whether it is free, the price."""
    slot_id = f"{public_url.rstrip('/')}/openactive/slots/{row['item_id']}"
    minutes = int(row["len"])
    offer: dict[str, Any] = {
        "@type": "Offer",
        "@id": f"{slot_id}#/offers/0",
        "name": f"Hire for {_minutes_words(minutes)}",
        "price": round(float(row["price_per_hour"]) * minutes / 60, 2),
        "priceCurrency": "GBP",
        "validFromBeforeStartDate": f"P{int(row['horizon_days'])}D",
    }
    if row["lead_minutes"]:
        offer["validThroughBeforeStartDate"] = iso_duration(int(row["lead_minutes"]))
    return {
        "@context": CONTEXT,
        "@type": "Slot",
        "@id": slot_id,
        "identifier": row["item_id"],
        "facilityUse": facility_use_id(public_url, row["resource_id"]),
        "startDate": _local(row["start_at"]),
        "endDate": _local(row["end_at"]),
        "duration": iso_duration(minutes),
        "remainingUses": 0 if row["taken"] else 1,
        "maximumUses": 1,
        "offers": [offer],
    }


def facility_use_id(public_url: str, resource_id: int) -> str:
    """The FacilityUse's @id (a resource's, stable)."""
    return f"{public_url.rstrip('/')}/openactive/facility-uses/{resource_id}"


def facility_type(name: str) -> dict[str, str]:
    """The OpenActive facility type a room's or space's name suggests, as a Concept."""
    lowered = name.lower()
    key, label = next(
        ((k, lab) for words, k, lab in TYPE_WORDS if any(w in lowered for w in words)), MULTI_PURPOSE
    )
    return {
        "@type": "Concept",
        "@id": f"{FACILITY_TYPES}#{key}",
        "prefLabel": label,
        "inScheme": FACILITY_TYPES,
    }


def iso_duration(minutes: int) -> str:
    """Minutes as an ISO 8601 duration: 90 -> PT1H30M, 2880 -> P2D."""
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    time = (f"{hours}H" if hours else "") + (f"{mins}M" if mins else "")
    return ("P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")) if minutes else "PT0M"


def _item(kind: str, id_: int | str, modified: int, data: dict[str, Any] | None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "state": "updated" if data is not None else "deleted",
        "kind": kind,
        "id": id_,
        "modified": int(modified),
    }
    if data is not None:
        item["data"] = data
    return item


def _provider(row: dict[str, Any], public_url: str) -> dict[str, Any]:
    """Who offers it: the hub's operator when known, else Patchmap (never a private contact)."""
    if row["operator_name"]:
        return {"@type": "Organization", "name": row["operator_name"]}
    return {"@type": "Organization", "name": "Patchmap", "url": public_url.rstrip("/") + "/"}


def _place(row: dict[str, Any], public_url: str) -> dict[str, Any]:
    """Where it is: the hub (a room) or the space, with a postal address when every part of one is known."""
    record = f"hubs/{row['hub_id']}" if row["kind"] == "room" else f"spaces/{row['record_id']}"
    place: dict[str, Any] = {
        "@type": "Place",
        "@id": f"{public_url.rstrip('/')}/{record}",
        "name": row["place_name"] or row["name"],
    }
    street, district = _street(row), row["district_name"]
    if street and row["postcode"] and district:
        place["address"] = {
            "@type": "PostalAddress",
            "streetAddress": street,
            "addressLocality": district,
            "addressRegion": row["county_name"] or district,
            "postalCode": row["postcode"],
            "addressCountry": "GB",
        }
    if row["lat"] is not None and row["lon"] is not None:
        place["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": round(float(row["lat"]), 6),
            "longitude": round(float(row["lon"]), 6),
        }
    return place


def _street(row: dict[str, Any]) -> str | None:
    """The address without the place's own name in front (OpenStreetMap addresses often start with it)."""
    street = row["street"]
    if not street:
        return None
    name = str(row["place_name"] or "")
    if name and street.startswith(name + ", "):
        street = street[len(name) + 2 :]
    return str(street).strip() or None


def _description(row: dict[str, Any]) -> str:
    what = "A room" if row["kind"] == "room" else "A space"
    parts = [str(row["description"]).strip()] if row["description"] else []
    parts.append(f"{what} to hire through Patchmap, by the hour, at a {row['rate_band']} community rate.")
    if row["capacity"]:
        parts.append(f"Up to {row['capacity']} people.")
    if row["sample"]:
        parts.append("Sample: made up for the demo; its rules and prices are not real.")
    return " ".join(parts)


def _minutes_words(minutes: int) -> str:
    hours, mins = divmod(minutes, 60)
    words = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    words += [f"{mins} minutes"] if mins else []
    return " ".join(words)


def _local(moment: datetime) -> str:
    return moment.astimezone(LONDON).isoformat(timespec="seconds")


async def _rows(conn: AsyncConnection[Any], name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(sql(name), {**params, "page": PAGE_SIZE, "settle_ms": SETTLE_MS})
    return [dict(row) for row in await cur.fetchall()]
