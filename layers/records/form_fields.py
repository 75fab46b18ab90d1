"""The fields of the browser's record forms (groups, hubs, spaces, rooms): each field's name, kind, label,
hint and choices, how one value is checked (a problem per field, in plain words, from the rules of
``layers.fields``), a group's meeting rows, and a stored record turned back into its form's values.

A form is ``{name: [values]}`` (a plain form post), handed back the same way so a page with problems shows
exactly what was sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from layers import taxonomy as tx
from layers.fields import EMAIL, PHONE, Email, Name, Phone, Short, Text, Url, Word, checked

Form = Mapping[str, Sequence[str]]
MEET_ROWS: Final = 3  # blank rows the no-JavaScript form offers below a group's meetings
TRI: Final = (("", "Not known"), ("yes", "Yes"), ("no", "No"))
FOUND_MOST: Final = 50  # places a search shows; one more says "add a word"
HOME_RULE: Final = (
    "Never give a home address here: a group that meets at someone's home is shown by the area it serves "
    "only (choose \u201cserves an area\u201d), and the address may go in the private contact below."
)
PLACE_MODES: Final = {
    "group": ("hub", "postcode", "address", "map", "area"),
    "hub": ("postcode", "address", "map"),
    "space": ("postcode", "address", "map"),
}


@dataclass(frozen=True)
class Field:
    """One form field: its name (the column, or a part of one), kind, label, hint and choices."""

    name: str
    kind: str  # name text short url email phone int num choice tri bool words multi hours
    label: str
    hint: str = ""
    options: tuple[tuple[str, str], ...] = ()
    low: float = 0
    high: float = 100_000


def _opts(values: Mapping[str, str] | Sequence[str], blank: str | None = None) -> tuple[tuple[str, str], ...]:
    pairs = [(k, v) for k, v in values.items()] if isinstance(values, Mapping) else [(v, v) for v in values]
    pairs = [(k, v.replace("_", " ").capitalize() if k == v else v) for k, v in pairs]
    return ((("", blank),) if blank is not None else ()) + tuple(pairs)


WORDS_HINT = "Separate them with commas"
ABOUT: Final = (
    Field("name", "name", "Name"),
    Field("description", "text", "Description", "What it is and what happens there, in a few sentences"),
)
PUBLIC: Final = (
    Field("website", "url", "Website", "For example https://example.org"),
    Field("email", "email", "Public email address", "Shown to everyone"),
    Field("phone", "phone", "Public phone number", "Shown to everyone"),
)
ACCESS: Final = (
    Field("step_free", "tri", "Step-free access", options=TRI),
    Field(
        "accessibility_notes", "short", "Accessibility notes", "For example: hearing loop; accessible toilet"
    ),
)
PRIVATE: Final = (
    Field("contact_name", "short", "Contact's name"),
    Field("contact_email", "email", "Contact's email address"),
    Field("contact_phone", "phone", "Contact's phone number"),
    Field("contact_notes", "short", "Private notes", "For example a home address: never shown to residents"),
)
GROUP: Final = (
    Field("categories", "multi", "What kind of group", options=_opts(tx.GROUP_CATEGORIES)),
    Field("communities_of_identity", "multi", "Communities of identity", options=_opts(tx.COMMUNITIES_OF_IDENTITY)),
    Field("communities_of_interest", "multi", "Communities of interest", options=_opts(tx.COMMUNITIES_OF_INTEREST)),
    Field("activities", "words", "Activities", WORDS_HINT),
    Field("cost", "choice", "Cost to take part", options=_opts(tx.COST_BANDS, "Not known")),
    Field("age_min", "int", "Youngest age", "In years; leave blank for any age", high=120),
    Field("age_max", "int", "Oldest age", "In years; leave blank for any age", high=120),
    Field("languages", "words", "Languages spoken", WORDS_HINT),
    Field("volunteers_wanted", "bool", "The group wants volunteers"),
    Field("skills_sought", "words", "Skills it is looking for", WORDS_HINT + ", for example drivers, cooks"),
    Field("accepts_introductions", "bool",
          "The organiser agrees we may pass a volunteer's contact to them and theirs to the volunteer"),
    Field("status", "choice", "Status", options=_opts(tx.GROUP_STATUSES)),
)  # fmt: skip
HUB: Final = (
    Field("kind", "choice", "Kind of hub", options=_opts(tx.HUB_KINDS)),
    Field("address", "short", "Address"),
    Field("facilities", "words", "Facilities", WORDS_HINT + ", for example kitchen, wifi, parking"),
    Field("opening_hours", "hours", "Opening hours",
          "As OpenStreetMap writes them: days, then times, rules split by semicolons, for example "
          "Mo-Fr 09:00-17:00; Sa 10:00-13:00"),
    Field("operator_name", "short", "Run by"),
    Field("operator_type", "choice", "Kind of operator", options=_opts(tx.OPERATOR_TYPES)),
)  # fmt: skip
SPACE: Final = (
    Field("kind", "choice", "Kind of space", options=_opts(tx.SPACE_KINDS)),
    Field("address", "short", "Address"),
    Field("status", "choice", "Status", options=_opts(tx.SPACE_STATUSES)),
    Field("floor_area_m2", "num", "Floor area (square metres)", low=0.1, high=1_000_000),
    Field("capacity", "int", "Capacity (people)"),
    Field("price_amount", "num", "Price (£)", "Leave blank if not known; 0 if free", high=10_000_000),
    Field("price_unit", "choice", "Price per", options=_opts(("hour", "day", "week", "month"), "Not given")),
    Field("price_band", "choice", "Price band", options=_opts(tx.PRICE_BANDS, "Not known")),
    Field("avail_weekdays", "tri", "Available on weekdays", options=TRI),
    Field("avail_evenings", "tri", "Available in the evenings", options=TRI),
    Field("avail_weekends", "tri", "Available at weekends", options=TRI),
    Field("avail_from", "short", "Available from", "For example 1 March 2027"),
    Field("avail_until", "short", "Available until"),
    Field("avail_notes", "short", "Notes on availability"),
    Field("terms", "short", "Terms", "For example short-term meanwhile use"),
    Field("owner_name", "short", "Owner"),
)
ROOM: Final = (
    Field("name", "name", "Name of the room"),
    Field("description", "text", "Description"),
    Field("capacity", "int", "Capacity (people)"),
    Field("floor_area_m2", "num", "Floor area (square metres)", low=0.1, high=1_000_000),
    Field("facilities", "words", "Facilities", WORDS_HINT),
    Field("step_free", "tri", "Step-free access", options=TRI),
)
KIND_FIELDS: Final = {"group": GROUP, "hub": HUB, "space": SPACE}
_TYPES: Final = {"name": Name, "text": Text, "short": Short, "url": Url, "email": Email, "phone": Phone}


def fields_of(kind: str) -> tuple[Field, ...]:
    """Every plain field of a kind's form, in order (the place and meetings are parsed apart)."""
    if kind == "room":
        return ROOM
    return (*ABOUT, *KIND_FIELDS[kind], *PUBLIC, *ACCESS, *PRIVATE)


def one(form: Form, name: str) -> str:
    """The first value of a form field, trimmed ('' when absent)."""
    values = form.get(name) or ()
    return str(values[0]).strip() if values else ""


def value_of(f: Field, form: Form, problems: dict[str, str]) -> Any:
    """A field's value as stored, or None with a problem noted."""
    raw = one(form, f.name)
    try:
        if f.kind == "multi":
            allowed = {k for k, _ in f.options}
            picked = list(dict.fromkeys(v for v in form.get(f.name) or () if v))
            if any(v not in allowed for v in picked):
                raise ValueError("choose from the list")
            return picked
        if f.kind == "words":
            words = list(dict.fromkeys(w.strip() for w in raw.split(",") if w.strip()))
            if len(words) > 30:
                raise ValueError("give at most 30, separated by commas")
            return [checked(Word, w) for w in words]
        if f.kind == "bool":
            return raw in ("yes", "true", "on", "1")
        if f.kind == "tri":
            if raw not in ("", "yes", "no"):
                raise ValueError("choose yes, no or not known")
            return None if raw == "" else raw == "yes"
        if f.kind == "choice":
            if raw not in {k for k, _ in f.options}:
                raise ValueError("choose one from the list")
            return raw or None
        if not raw:
            if f.kind == "name":
                raise ValueError("enter a name")
            return None
        if f.kind in ("int", "num"):
            number: float | None = None
            if re.fullmatch(r"[0-9]{1,9}" if f.kind == "int" else r"[0-9]{1,9}(\.[0-9]{1,2})?", raw):
                number = int(raw) if f.kind == "int" else float(raw)
            if number is None or not f.low <= number <= f.high:
                whole = "a whole number" if f.kind == "int" else "a number"
                raise ValueError(f"enter {whole} from {f.low:g} to {f.high:g}")
            return number
        if f.kind == "hours":
            return checked(Short, raw)
        value = checked(_TYPES[f.kind], raw)
        if f.kind == "email" and not EMAIL.match(value):
            raise ValueError("enter an email address like name@example.org")
        if f.kind == "phone" and not PHONE.match(re.sub(r"[\s.()\-]", "", value)):
            raise ValueError("enter a UK phone number like 01603 212121")
        return value
    except ValueError as exc:
        problems[f.name] = str(exc)
        return None


def meets_of(form: Form, problems: dict[str, str]) -> list[dict[str, Any]]:
    """The meeting rows: a row with anything in it needs days, a start and an end (24-hour HH:MM)."""
    meets = []
    for i in range(14):
        days = [d for d in form.get(f"meet_days_{i}") or () if d]
        start, end, often = (
            one(form, f"meet_start_{i}"),
            one(form, f"meet_end_{i}"),
            one(form, f"meet_often_{i}"),
        )
        if not (days or start or end or often):
            continue
        if not days or any(d not in tx.WEEKDAYS for d in days):
            problems[f"meet_days_{i}"] = "choose the days it meets"
        for name, at in ((f"meet_start_{i}", start), (f"meet_end_{i}", end)):
            if not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", at):
                problems[name] = "enter a time like 14:00"
        if often and often not in tx.FREQUENCIES:
            problems[f"meet_often_{i}"] = "choose one from the list"
        if start and end and start >= end and f"meet_end_{i}" not in problems:
            problems[f"meet_end_{i}"] = "the end must be after the start"
        meets.append({"days": days, "start": start, "end": end, "frequency": often or None})
    return meets


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def form_values(kind: str, record: Mapping[str, Any], areas: list[str]) -> dict[str, list[str]]:
    """A stored record as its form's values, so the edit form starts from what is kept."""
    values: dict[str, list[str]] = {}
    access = record.get("accessibility") or {}
    private = record.get("private_contact") or {}
    availability = record.get("availability") or {}
    for f in fields_of(kind):
        if f.name.startswith("contact_"):
            raw: Any = private.get(f.name[8:])
        elif f.name.startswith("avail_"):
            raw = availability.get(f.name[6:])
        else:
            raw = access.get("notes") if f.name == "accessibility_notes" else record.get(f.name)
        if f.kind == "multi":
            values[f.name] = [str(v) for v in raw or []]
        elif f.kind == "words":
            values[f.name] = [", ".join(str(v) for v in raw or [])]
        elif f.kind in ("tri", "bool"):
            values[f.name] = ["" if raw is None else "yes" if raw else "no"]
        elif f.kind == "num" and raw is not None:
            values[f.name] = [f"{float(raw):g}"]
        else:
            values[f.name] = [_text(raw)]
    if kind == "room":
        return values
    point = (record.get("geom") or {}).get("coordinates") or ["", ""]
    values.update(postcode=[_text(record.get("postcode"))], lon=[_text(point[0])], lat=[_text(point[1])])
    values["place"] = ["map" if point[0] != "" else "area" if kind == "group" else ""]
    if kind == "group":
        precision = record.get("location_precision")
        values["place"] = ["hub" if precision == "hub" and record.get("hub_id") else values["place"][0]]
        if precision == "area":
            values["place"] = ["area"]
        values.update(hub_id=[_text(record.get("hub_id"))], venue_address=[_text(record.get("venue_address"))],
                      venue_public=["yes" if precision == "venue" else ""], areas=list(areas))  # fmt: skip
        for i, meet in enumerate(record.get("meets") or []):
            values[f"meet_days_{i}"] = list(meet.get("days") or [])
            values[f"meet_start_{i}"], values[f"meet_end_{i}"] = (
                [_text(meet.get("start"))],
                [_text(meet.get("end"))],
            )
            values[f"meet_often_{i}"] = [_text(meet.get("frequency"))]
    return values


def meet_rows(values: Mapping[str, Sequence[str]]) -> int:
    """How many meeting rows the form shows: those filled in, and MEET_ROWS blank ones (14 at most)."""
    used = [
        i for i in range(14) if any(values.get(f"meet_{p}_{i}") for p in ("days", "start", "end", "often"))
    ]
    return min(14, (max(used) + 1 if used else 0) + MEET_ROWS)
