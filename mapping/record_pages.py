"""The co-ordinator's forms for groups, hubs, spaces and a hub's rooms: every field of the record, each problem
beside its field and listed at the top (the GOV.UK error summary), and the place chosen without JavaScript (a
hub, a postcode, a search of places already on Patchmap, typed coordinates, or the areas a group serves).
``patchmap-place-picker.js`` adds a small map to click on. Built from data handed in (``layers.records.forms``);
nothing here reads a database. Jinja autoescapes every value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from layers import taxonomy as tx
from layers.records import form_fields as forms
from mapping import assets
from mapping.assets import Asset
from mapping.booking_pages import BOOK_CSS
from mapping.pages import TEMPLATES

PICKER_JS: Final = Asset("js/patchmap-place-picker.js")
KIND_WORDS: Final = {"group": "group", "hub": "hub", "space": "space", "room": "room"}
DAYS: Final = (("mo", "Monday"), ("tu", "Tuesday"), ("we", "Wednesday"), ("th", "Thursday"), ("fr", "Friday"),
               ("sa", "Saturday"), ("su", "Sunday"))  # fmt: skip
FREQUENCIES: Final = (("", "Not said"), *((f, f.capitalize()) for f in tx.FREQUENCIES))
PLACE_WORDS: Final = {
    "hub": "At one of the district's hubs",
    "postcode": "At a public venue, found by its postcode",
    "address": "At a place already on Patchmap, found by its name or address",
    "map": "At a point on the map",
    "area": "It serves an area: no venue is shown",
}
LONDON: Final = ZoneInfo("Europe/London")
ACTION_WORDS: Final = {"create": "Added", "update": "Changed", "import": "Imported", "restore": "Restored",
                       "confirm": "Confirmed as still right"}  # fmt: skip
CHANGE_WORDS: Final = {"areas": "Areas it serves", "last_verified_at": "Last confirmed",
                       "corrected": "Corrected when approved", "accessibility": "Accessibility",
                       "private_contact": "Private contact", "meets": "When it meets", "geom": "Point on the map",
                       "availability": "Availability"}  # fmt: skip
OTHER_LABELS: Final = {
    "place": "Where it is",
    "hub_id": "Hub",
    "postcode": "Postcode",
    "found": "Place found",
    "find": "Name or address to search for",
    "lon": "Longitude",
    "lat": "Latitude",
    "areas": "Areas it serves",
    "venue_address": "Public venue's name and address",
    "venue_public": "This is a public place, not someone's home",
}


@dataclass(frozen=True)
class MapSettings:
    """What the place picker's map needs: tiles, attribution and the first view."""

    tile_url: str
    tile_attribution: str
    centre_lon: float
    centre_lat: float
    zoom: int


@dataclass(frozen=True)
class RecordForm:
    """Everything a record's form page shows: the kind, its values and problems, and what may be chosen."""

    kind: str  # group, hub, space or room
    action: str
    patch_url: str
    static_url: str
    csrf_token: str
    form_key: str
    values: Mapping[str, Sequence[str]]
    problems: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    places: Sequence[Mapping[str, Any]] | None = None
    record: Mapping[str, Any] | None = None  # the record being edited (None: a new one)
    hub: Mapping[str, Any] | None = None  # a room's hub
    rooms: Sequence[Mapping[str, Any]] = ()
    saved: str = ""
    map: MapSettings | None = None
    #: A real postcode of the record's district for the postcode hint (layers.areas.defaults), if any.
    example_postcode: str | None = None
    history: Sequence[Mapping[str, Any]] = ()  # the record's versions, newest first (layers.records.history)

    def restore_url(self, version: int) -> str:
        """Where the History list's "Restore this version" button posts."""
        return f"{self.action.removesuffix('/edit')}/versions/{version}/restore"

    def value(self, name: str) -> str:
        """The first value of a field, as the form shows it."""
        found = self.values.get(name) or ()
        return str(found[0]) if found else ""

    def chosen(self, name: str) -> list[str]:
        """Every value of a field (checkboxes)."""
        return [str(v) for v in self.values.get(name) or ()]


def labels(kind: str) -> dict[str, str]:
    """Each field's label, for the error summary's links."""
    out = {f.name: f.label for f in forms.fields_of(kind)} | OTHER_LABELS
    for i in range(14):
        out |= {f"meet_days_{i}": f"Meeting {i + 1}: days", f"meet_start_{i}": f"Meeting {i + 1}: starts",
                f"meet_end_{i}": f"Meeting {i + 1}: ends", f"meet_often_{i}": f"Meeting {i + 1}: how often"}  # fmt: skip
    return out


def sections(kind: str) -> list[tuple[str, tuple[forms.Field, ...]]]:
    """The form's field sets in order, after the place: (legend, fields)."""
    if kind == "room":
        return [("About the room", forms.ROOM)]
    return [
        ("About it", forms.ABOUT),
        ("Details", forms.KIND_FIELDS[kind]),
        ("Public contact", forms.PUBLIC),
        ("Access", forms.ACCESS),
        ("Private contact: only staff who cover the district see this", forms.PRIVATE),
    ]


def history_rows(data: RecordForm) -> list[dict[str, Any]]:
    """The record's versions in words: number, what was done, when (London time), by whom, fields changed."""
    names = labels(data.kind) | CHANGE_WORDS
    rows = []
    for v in data.history:
        at = v.get("changed_at")
        when = at.astimezone(LONDON) if isinstance(at, datetime) else None
        fields = [names.get(f, f.replace("_", " ").capitalize()) for f in v.get("fields") or ()]
        rows.append({
            "version": v["version"], "action": ACTION_WORDS.get(v["action"], str(v["action"]).capitalize()),
            "iso": when.isoformat(timespec="minutes") if when else "",
            "when": f"{when.day} {when:%B %Y}, {when:%H:%M}" if when else "",
            "author": v.get("author") or "", "fields": fields, "restore_url": data.restore_url(int(v["version"])),
        })  # fmt: skip
    return rows


def record_form_page(data: RecordForm) -> str:
    """A record's form: to add a group, hub, space or room, or to change one."""
    name = (data.record or {}).get("name")
    what = KIND_WORDS[data.kind]
    heading = f"Change {name}" if name else f"Add a {what}"
    css = [a.url(data.static_url) for _, a in assets.PATCH_DOCUMENT_CSS]
    css += [BOOK_CSS.url(data.static_url), assets.LEAFLET_CSS.url(data.static_url)]
    scripts = [assets.LEAFLET_JS.url(data.static_url), PICKER_JS.url(data.static_url)] if data.map else []
    return TEMPLATES.get_template("record_form.html").render(
        title=("Error: " if data.problems else "") + f"{heading}: Patchmap",
        heading=heading,
        d=data,
        what=what,
        sections=sections(data.kind),
        labels=labels(data.kind),
        modes=[(m, PLACE_WORDS[m]) for m in forms.PLACE_MODES.get(data.kind, ())],
        meet_rows=range(forms.meet_rows(data.values)),
        days=DAYS,
        frequencies=FREQUENCIES,
        home_rule=forms.HOME_RULE,
        found_most=forms.FOUND_MOST,
        css=css,
        scripts=scripts,
        history=history_rows(data),
    )
