"""The filters of ORUK's ``/services`` and ``/service_at_locations`` (the profile's OpenAPI), checked and turned
into the bound parameters of ``oruk_services.sql``; anything Patchmap cannot honour is refused, never ignored.

- ``search``: words in the name, activities, categories or description (Patchmap's full-text search, the same
  ``search_text`` as the residents' search), or the text itself anywhere in the name or description;
- ``taxonomy_term_id``: a term of Patchmap's taxonomy (its UUID, or its ``term`` key such as ``food``);
- ``taxonomy_id``: Patchmap's one taxonomy (services filed under any of its terms);
- ``organization_id``: the service of that organisation;
- ``modified_after``: changed on or after that date and time (UTC when it gives no offset);
- ``minimum_age`` / ``maximum_age``: as the profile words them, services whose own minimum age is at least
  the value (no minimum counts as 0), and whose own maximum age is at most the value (no maximum is no limit,
  so never at most a value);
- ``day``, ``start_time``, ``end_time``: a meeting on that day (MO…SU or Monday…Sunday), starting at or after
  ``start_time`` and ending at or before ``end_time`` (HH:MM, 24:00 for midnight at the end of the day); all
  given must hold for one and the same meeting;
- ``postcode``: services covering it: one serving an area that holds the postcode, or one that names no area;
  ``proximity`` (metres, needs ``postcode``): services whose location is that close to the postcode's point,
  or, having no location, whose area served holds it. With a postcode, nearest first (those with no location
  last).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from psycopg import AsyncConnection

from layers.areas.lookup import lookup_postcode
from layers.errors import BadParameter, InvalidInput, NotFound
from layers.oruk.ids import is_uuid, taxonomy_id, term_id
from layers.taxonomy import GROUP_CATEGORIES

#: The parameters of a listing of services (or services at locations), besides paging.
FILTERS: Final = ("search", "taxonomy_term_id", "taxonomy_id", "organization_id", "modified_after", "minimum_age",
                  "maximum_age", "day", "start_time", "end_time", "postcode", "proximity")  # fmt: skip
PAGING: Final = ("page", "per_page")
#: Parameters the profile defines that Patchmap does not honour, and why.
REFUSED: Final = {
    "full": "Pages hold each service's one-to-one fields; ask /oruk/services/{id} for one fully nested.",
    "full_service": "Pages hold each service's one-to-one fields; ask /oruk/services/{id} for one fully nested.",
    "minimal": "Pages hold each service's one-to-one fields; page through them with page and per_page.",
    "format": "Answers are JSON only (no ndjson); page through them with page and per_page.",
}
MAX_SEARCH: Final = 200
MAX_PROXIMITY_M: Final = 200_000.0
DAYS: Final = {"mo": "monday", "tu": "tuesday", "we": "wednesday", "th": "thursday", "fr": "friday",
               "sa": "saturday", "su": "sunday"}  # fmt: skip
_TIME: Final = re.compile(r"^(?:([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?|(24):(00)(?::(00))?)$")
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class ServiceFilters:
    """The filters a client gave a listing of services, as received (None: not given)."""

    search: str | None = None
    taxonomy_term_id: str | None = None
    taxonomy_id: str | None = None
    organization_id: str | None = None
    modified_after: str | None = None
    minimum_age: float | None = None
    maximum_age: float | None = None
    day: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    postcode: str | None = None
    proximity: float | None = None


#: The SQL parameters of no filter at all.
NO_FILTER: Final[dict[str, Any]] = {
    "search": None, "like": None, "categories": None, "modified_after": None, "minimum_age": None,
    "maximum_age": None, "day": None, "start_minute": None, "end_minute": None, "postcode_areas": None,
    "lon": None, "lat": None, "proximity": None,
}  # fmt: skip


def check_names(given: Sequence[tuple[str, str]], allowed: Sequence[str]) -> None:
    """BadParameter (400) naming a parameter the listing does not take, or one given twice."""
    seen: set[str] = set()
    for name, _ in given:
        if name in REFUSED and name not in allowed:
            raise BadParameter(f"Patchmap does not support the parameter {name!r}", REFUSED[name])
        if name not in allowed:
            raise BadParameter(
                f"Unknown parameter {name[:40]!r}",
                f"This address takes {', '.join(allowed)}; a parameter it does not know is refused rather than "
                "ignored.",
            )
        if name in seen:
            raise BadParameter(f"The parameter {name!r} is given twice", "Give each parameter once.")
        seen.add(name)


def _text(name: str, value: str, longest: int = MAX_SEARCH) -> str:
    text = value.strip()
    if _CONTROL.search(text) or len(text) > longest:
        raise InvalidInput(
            f"{name} is not valid", f"Give {name} as plain text of at most {longest} characters."
        )
    return text


def _like(text: str) -> str:
    """``text`` as an ILIKE pattern matching it anywhere (its own % _ and \\ taken literally)."""
    return "%" + re.sub(r"([%_\\])", r"\\\1", text) + "%"


def categories(term: str | None, taxonomy: str | None) -> list[str] | None:
    """The category keys a service must have one of (None: any service), from a term and a taxonomy."""
    keys: list[str] | None = None
    if taxonomy is not None:
        if taxonomy.strip().lower() != taxonomy_id():
            raise InvalidInput(
                f"taxonomy_id {taxonomy[:80]!r} is not a taxonomy Patchmap publishes",
                f"Patchmap publishes one taxonomy, {taxonomy_id()}: see /oruk/taxonomies.",
            )
        keys = list(GROUP_CATEGORIES)
    if term is not None:
        wanted = term.strip().lower()
        found = [k for k in GROUP_CATEGORIES if wanted in (k, term_id(k))]
        if not found:
            raise InvalidInput(
                f"taxonomy_term_id {term[:80]!r} is not a term Patchmap publishes",
                "Give the id (a UUID) or the term of one of Patchmap's taxonomy terms: see /oruk/taxonomy_terms.",
            )
        keys = [k for k in found if keys is None or k in keys]
    return keys


def when(value: str) -> datetime:
    """``modified_after`` as a datetime (ISO 8601, a date alone being its midnight; UTC without an offset)."""
    try:
        parsed = datetime.fromisoformat(_text("modified_after", value, 40))
    except ValueError:
        raise InvalidInput(
            f"modified_after {value[:40]!r} is not a date and time",
            "Give an ISO 8601 date and time, e.g. 2025-01-31T09:00:00Z, or a date, e.g. 2025-01-31.",
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def day_code(value: str) -> str:
    """``day`` as Patchmap's two-letter day (mo…su), from MO…SU or the day's English name."""
    said = value.strip().lower()
    for code, name in DAYS.items():
        if said in (code, name, name[:3]):
            return code
    raise InvalidInput(
        f"day {value[:20]!r} is not a day of the week",
        "Give MO, TU, WE, TH, FR, SA or SU (or Monday…Sunday).",
    )


def minutes(name: str, value: str) -> float:
    """A time of day given as HH:MM (or HH:MM:SS, or 24:00 for the end of the day) as minutes after midnight."""
    m = _TIME.match(value.strip())
    if m is None:
        raise InvalidInput(
            f"{name} {value[:20]!r} is not a time of day", f"Give {name} as HH:MM, e.g. 18:30."
        )
    hours, mins, secs = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(4), m.group(5), None)
    return int(hours) * 60 + int(mins) + int(secs or 0) / 60


async def _origin(conn: AsyncConnection[Any], postcode: str) -> dict[str, Any]:
    """The postcode's point and the codes of the areas holding it; InvalidInput if it is not known."""
    try:
        found = await lookup_postcode(conn, postcode)
    except NotFound as exc:
        raise InvalidInput(exc.message, exc.detail) from None
    codes = [a["code"] for a in (found["ward"], found["district"], found["lsoa"], found["county"]) if a]
    codes += [a["code"] for a in found["localities"]]
    return {"postcode_areas": codes, "lon": found["point"]["lon"], "lat": found["point"]["lat"]}


async def sql_params(conn: AsyncConnection[Any], f: ServiceFilters) -> dict[str, Any]:
    """The filters checked, as the parameters of ``oruk_services.sql``; InvalidInput (422) for a bad value."""
    out = dict(NO_FILTER)
    if f.search is not None and (text := _text("search", f.search)):
        out |= {"search": text, "like": _like(text)}
    out["categories"] = categories(f.taxonomy_term_id, f.taxonomy_id)
    if f.organization_id is not None:
        if not is_uuid(f.organization_id.strip()):
            raise InvalidInput(
                f"organization_id {f.organization_id[:80]!r} is not an ORUK id",
                "ORUK ids are UUIDs: take one from a page of /oruk/organizations.",
            )
        out["organization_id"] = f.organization_id.strip().lower()
    if f.modified_after is not None:
        out["modified_after"] = when(f.modified_after)
    if f.minimum_age is not None and f.maximum_age is not None and f.minimum_age > f.maximum_age:
        raise InvalidInput(
            "minimum_age is above maximum_age", "Give a minimum_age no higher than maximum_age."
        )
    out |= {"minimum_age": f.minimum_age, "maximum_age": f.maximum_age}
    if f.day is not None:
        out["day"] = day_code(f.day)
    if f.start_time is not None:
        out["start_minute"] = minutes("start_time", f.start_time)
    if f.end_time is not None:
        out["end_minute"] = minutes("end_time", f.end_time)
    if f.proximity is not None and f.postcode is None:
        raise InvalidInput("proximity needs a postcode", "Give the postcode to measure the proximity from.")
    if f.postcode is not None:
        out |= await _origin(conn, f.postcode)
        out["proximity"] = f.proximity
    return out
