"""What approving a resident's offer publishes, and the moderator's corrections to it.

Approval keeps everything the resident gave. A group suggestion's ticked days and its "when" words become a
structured meeting (``meets``: days, 24-hour start and end, how often), so "Tuesday" and "14:00-16:00" both
survive; whatever the words say that a meeting cannot hold ("the first Tuesday of the month") stays in the
description as "Meets: ...". A space's days and words become its availability (weekdays, evenings, weekends,
notes). The resident's own words stay untouched in the submission; this module builds the record's fields.

Corrections are fields of the published record (the names of ``layers.records.versions``' ``GroupChanges``
and ``SpaceChanges``), checked here field by field, vocabulary included, so a bad value is reported beside its
field (``InvalidCorrections``) and nothing is written. A group's ``place`` says where it is shown: ``venue``
(the submission's point) or ``area`` (the ward it serves, no point).
"""

from __future__ import annotations

import re
from typing import Any, Final

from pydantic import ValidationError

from layers.errors import InvalidInput
from layers.records.hours import EVENING_STARTS
from layers.records.versions import CHANGES, EDITABLE
from layers.taxonomy import COST_BANDS, GROUP_CATEGORIES, GROUP_STATUSES, PRICE_BANDS, SPACE_KINDS, WEEKDAYS

DAY_NAMES: Final = {
    "mo": "Monday",
    "tu": "Tuesday",
    "we": "Wednesday",
    "th": "Thursday",
    "fr": "Friday",
    "sa": "Saturday",
    "su": "Sunday",
}
PLACES: Final = ("venue", "area")
#: the record fields a moderator may correct before approving, by kind: every editable field but the private
#: contact (it is the resident's, set from the submission) and the postcode (it goes with the point)
CORRECTABLE: Final[dict[str, frozenset[str]]] = {
    kind: EDITABLE[kind] - {"private_contact", "postcode"} for kind in ("group", "space")
}
VOCABULARY: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "group": {"cost": COST_BANDS, "status": GROUP_STATUSES},
    "space": {"kind": tuple(SPACE_KINDS), "price_band": PRICE_BANDS},
}

_DAY_WORDS: Final = {
    "mo": r"mon(?:day)?s?",
    "tu": r"tue(?:s(?:day)?)?s?",
    "we": r"wed(?:nesday)?s?",
    "th": r"thu(?:r(?:s(?:day)?)?)?s?",
    "fr": r"fri(?:day)?s?",
    "sa": r"sat(?:urday)?s?",
    "su": r"sun(?:day)?s?",
}
_CLOCK = r"(?:(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?|(noon|midday|midnight))"
_RANGE = re.compile(rf"\b{_CLOCK}\s*(?:-|–|—|to|until|till)\s*{_CLOCK}", re.IGNORECASE)
_FILLER = re.compile(
    r"\b(?:on|from|every|each|and|at|in|the|weekly|a|week|fortnightly|monthly|daily|day|days|"
    r"weekdays?|weekends?|evenings?|mornings?|afternoons?|or|between|usually|most|noon|midday)\b|[,;:&/()+.\-–—]",
    re.IGNORECASE,
)


class InvalidCorrections(InvalidInput):
    """Corrections with one or more problems, each (field, what to do)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        count = "a problem" if len(problems) == 1 else f"{len(problems)} problems"
        super().__init__(f"The corrections have {count}", "; ".join(f"{w}: {p}" for w, p in problems) + ".")
        self.problems = problems


def _minutes(hour: str | None, minute: str | None, half: str | None, word: str | None) -> tuple[int, bool]:
    """Minutes after midnight of one clock time, and whether it said am or pm."""
    if word:
        return (0 if word.lower() == "midnight" else 720), True
    h, m = int(hour or 0), min(int(minute or 0), 59)
    half = (half or "").lower().replace(".", "")
    if half == "pm" and h < 12:
        h += 12
    elif half == "am" and h == 12:
        h = 0
    return h * 60 + m, bool(half)


def time_range(words: str | None) -> tuple[str, str, re.Match[str]] | None:
    """The first "14:00-16:00", "10am to noon" or "7-9pm" in the words, as 24-hour (start, end), and its match."""
    found = _RANGE.search(words or "")
    if found is None:
        return None
    start, start_said = _minutes(*found.group(1, 2, 3, 4))
    end, end_said = _minutes(*found.group(5, 6, 7, 8))
    if not start_said and end_said and found.group(7) and found.group(7).lower().startswith("p"):
        if start + 720 < end:  # "2-4pm": the start is in the afternoon too
            start += 720
    elif not start_said and not end_said and end <= start and end < 720:  # "10-2": ends after noon
        end += 720
    if not 0 <= start < end <= 1440:
        return None
    end = min(end, 1439)
    return f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}", found


def named_days(words: str | None) -> list[str]:
    """Days named in the words ("Tuesdays", "weekdays", "weekends", "every day"), in week order."""
    text = (words or "").lower()
    days = {d for d, pattern in _DAY_WORDS.items() if re.search(rf"\b{pattern}\b", text)}
    if re.search(r"\bweekdays?\b", text):
        days |= {"mo", "tu", "we", "th", "fr"}
    if re.search(r"\bweekends?\b", text):
        days |= {"sa", "su"}
    if re.search(r"\b(every ?day|daily)\b", text):
        days |= set(WEEKDAYS)
    return [d for d in WEEKDAYS if d in days]


def _frequency(words: str) -> str | None:
    text = words.lower()
    if re.search(r"\b(fortnight(ly)?|every (other|second) week|alternate)\b", text):
        return "fortnightly"
    if re.search(r"\b(monthly|month|first|second|third|fourth|last)\b", text):
        return "monthly"
    if re.search(r"\b(every ?day|daily)\b", text):
        return "daily"
    if re.search(r"\b(weekly|every|each)\b", text) or re.search(r"[a-z]days\b", text):
        return "weekly"
    return None


def _leftover(words: str, matched: re.Match[str] | None) -> str:
    """What the words say beyond days, times and how often (kept in the description if anything)."""
    text = words if matched is None else words[: matched.start()] + " " + words[matched.end() :]
    for pattern in _DAY_WORDS.values():
        text = re.sub(rf"\b{pattern}\b", " ", text, flags=re.IGNORECASE)
    text = _FILLER.sub(" ", text)
    return " ".join(text.split())


def when_words(details: dict[str, Any]) -> str:
    """When it meets or is free, in words: the days ticked and the resident's own words, both kept."""
    ticked = [d for d in WEEKDAYS if d in (details.get("days") or [])]
    words = str(details.get("when") or "").strip()
    days = ", ".join(DAY_NAMES[d] for d in ticked)
    if ticked and not set(ticked) <= set(named_days(words)):
        return f"{days}: {words}" if words else days
    return words or days


def meetings(details: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """A group suggestion's days and words as ``meets`` entries, and whether the words say more than that."""
    words = str(details.get("when") or "")
    days = [d for d in WEEKDAYS if d in set(details.get("days") or []) | set(named_days(words))]
    found = time_range(words)
    if not days or found is None:
        return [], bool(words.strip()) or bool(days)
    start, end, matched = found
    meeting: dict[str, Any] = {"days": days, "start": start, "end": end}
    if (frequency := _frequency(words)) is not None:
        meeting["frequency"] = frequency
    leftover = _leftover(words, matched)
    monthly = frequency == "monthly"  # "first Tuesday of the month": a meeting cannot say which week
    return [meeting], bool(leftover) or monthly


def availability(details: dict[str, Any]) -> dict[str, Any]:
    """A space offer's days and words as its availability: weekdays, evenings, weekends (None: not said), notes."""
    words = str(details.get("when") or "")
    days = set(details.get("days") or []) | set(named_days(words))
    found = time_range(words)
    evening: bool | None = None
    if re.search(r"\b(evenings?|nights?)\b", words, re.IGNORECASE):
        evening = True
    elif found is not None:
        end = int(found[1][:2]) * 60 + int(found[1][3:])
        evening = end > EVENING_STARTS
    return {
        "weekdays": bool(days & {"mo", "tu", "we", "th", "fr"}) if days else None,
        "evenings": evening,
        "weekends": bool(days & {"sa", "su"}) if days else None,
        "notes": when_words(details) or None,
    }


def _private(contact: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (contact or {}).items() if k in ("name", "email", "phone")}


def group_fields(details: dict[str, Any], contact: dict[str, Any] | None) -> dict[str, Any]:
    """A group suggestion as a group's fields: name, description, categories, meets, venue, web site."""
    meets, more = meetings(details)
    description = str(details.get("description") or "")
    when = when_words(details)
    if more and when:
        description = f"{description}\n\nMeets: {when}" if description else f"Meets: {when}"
    fields: dict[str, Any] = {
        "name": details.get("name"),
        "description": description,
        "categories": list(details.get("categories") or []),
        "meets": meets,
        "website": details.get("website"),
        "venue_address": details.get("venue"),
    }
    if details.get("is_organiser"):
        fields["private_contact"] = _private(contact)
    return fields


def space_fields(details: dict[str, Any], contact: dict[str, Any] | None) -> dict[str, Any]:
    """An offer of a space as a space's fields, its availability included."""
    return {
        "name": details.get("name"),
        "kind": details.get("space_kind"),
        "description": details.get("description"),
        "address": details.get("address"),
        "capacity": details.get("capacity"),
        "price_band": details.get("price_band"),
        "step_free": details.get("step_free"),
        "availability": availability(details),
        "private_contact": _private(contact),
    }


def offered(kind: str, details: dict[str, Any], contact: dict[str, Any] | None) -> dict[str, Any]:
    """What approving the submission publishes, before any correction."""
    return group_fields(details, contact) if kind == "group" else space_fields(details, contact)


def _problem(error: Any) -> tuple[str, str]:
    loc = [str(p) for p in error.get("loc", ())]
    field = ".".join(loc) or "corrections"
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "extra_forbidden":
        return field, "cannot be corrected here: leave it out"
    if kind in ("string_too_long", "too_long"):
        return field, f"too long: at most {ctx.get('max_length')}"
    if kind == "string_pattern_mismatch" and loc[-1:] in (["start"], ["end"]):
        return field, "give a 24-hour time like 14:00"
    if kind == "value_error":
        return field, str(ctx.get("error", error.get("msg", "")))
    return field, str(error.get("msg", "is not valid")).lower()


def check_corrections(kind: str, corrections: dict[str, Any]) -> dict[str, Any]:
    """The corrections checked field by field (shape and vocabulary); InvalidCorrections listing each problem."""
    if kind not in CORRECTABLE:
        raise InvalidInput(f"An offer of {kind} has nothing to correct", "Approve it without corrections.")
    problems = [
        (f, "cannot be corrected here: leave it out") for f in corrections if f not in CORRECTABLE[kind]
    ]
    try:
        parsed = CHANGES[kind].model_validate(
            {k: v for k, v in corrections.items() if k in CORRECTABLE[kind]}
        )
        out = parsed.model_dump(mode="json", exclude_unset=True, by_alias=True)
    except ValidationError as exc:
        problems += [_problem(e) for e in exc.errors(include_url=False)]
        raise InvalidCorrections(problems) from None
    for field, allowed in VOCABULARY[kind].items():
        if out.get(field) is not None and out[field] not in allowed:
            problems.append((field, f"choose one of {', '.join(allowed)}"))
    for field in ("name", "kind") if kind == "space" else ("name",):
        if field in out and not out[field]:
            problems.append((field, "this is required"))
    if kind == "group":
        problems += _group_problems(out)
    if problems:
        raise InvalidCorrections(problems)
    return out


def _group_problems(out: dict[str, Any]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    unknown = [c for c in out.get("categories") or [] if c not in GROUP_CATEGORIES]
    if unknown:
        problems.append(("categories", f"not a category: {', '.join(unknown[:3])}"))
    if "categories" in out and not out["categories"]:
        problems.append(("categories", "choose at least 1"))
    for i, m in enumerate(out.get("meets") or []):
        if [d for d in m["days"] if d not in WEEKDAYS]:
            problems.append((f"meets.{i}.days", "use mo, tu, we, th, fr, sa, su"))
        if m["start"] >= m["end"]:
            problems.append((f"meets.{i}.end", "the end must be after the start"))
    youngest, oldest = out.get("age_min"), out.get("age_max")
    if youngest is not None and oldest is not None and youngest > oldest:
        problems.append(("age_max", "must be at least the youngest age"))
    return problems


def check_place(kind: str, place: str | None) -> str | None:
    """Where a group is shown (venue or area); None to decide from the submission."""
    if place is None:
        return None
    if kind != "group":
        raise InvalidCorrections([("place", "only a group is placed this way: leave it out")])
    if place not in PLACES:
        raise InvalidCorrections([("place", "choose venue or area")])
    return place


def corrected(offer: dict[str, Any], corrections: dict[str, Any]) -> dict[str, list[Any]]:
    """The fields a correction changed, as {field: [offered, corrected]} (for the first version's record)."""
    return {k: [offer.get(k), v] for k, v in corrections.items() if offer.get(k) != v}


# ---------------------------------------------------------------- the check page's form (plain strings)

TRI: Final = {"": None, "yes": True, "no": False}
#: where a problem with a nested field is shown on the check page's flat form
FORM_FIELD: Final = {"meets.0.days": "days", "meets.0.start": "start", "meets.0.end": "end",
                     "meets.0.frequency": "frequency", "meets": "days", "availability.weekdays": "weekdays",
                     "availability.evenings": "evenings", "availability.weekends": "weekends",
                     "availability.notes": "notes", "availability": "notes"}  # fmt: skip


def _tri(value: bool | None) -> str:
    return "" if value is None else "yes" if value else "no"


def form_values(kind: str, fields: dict[str, Any], place: str | None) -> dict[str, Any]:
    """A record's fields as the check page's flat form values (strings, and lists for the tick boxes)."""
    if kind == "group":
        meets = (fields.get("meets") or [{}])[0]
        return {
            "name": fields.get("name") or "", "description": fields.get("description") or "",
            "categories": list(fields.get("categories") or []), "days": list(meets.get("days") or []),
            "start": meets.get("start") or "", "end": meets.get("end") or "", "frequency": meets.get("frequency") or "",
            "venue_address": fields.get("venue_address") or "", "website": fields.get("website") or "",
            "cost": fields.get("cost") or "", "step_free": _tri(fields.get("step_free")), "place": place or "area",
        }  # fmt: skip
    a = fields.get("availability") or {}
    return {
        "name": fields.get("name") or "", "kind": fields.get("kind") or "", "description": fields.get("description") or "",
        "address": fields.get("address") or "", "capacity": "" if fields.get("capacity") is None else str(fields["capacity"]),
        "price_band": fields.get("price_band") or "", "weekdays": _tri(a.get("weekdays")), "evenings": _tri(a.get("evenings")),
        "weekends": _tri(a.get("weekends")), "notes": a.get("notes") or "", "step_free": _tri(fields.get("step_free")),
    }  # fmt: skip


def _one(form: dict[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[-1].strip()


def corrections_from_form(kind: str, form: dict[str, list[str]]) -> tuple[dict[str, Any], str | None]:
    """The check page's form as (corrections, place); InvalidCorrections for what cannot even be read."""
    problems: list[tuple[str, str]] = []
    for name in ("step_free", "weekdays", "evenings", "weekends"):
        if _one(form, name) not in TRI:
            problems.append((name, "choose yes, no or not known"))
    tri = {n: TRI.get(_one(form, n)) for n in ("step_free", "weekdays", "evenings", "weekends")}
    text_of = {n: _one(form, n) or None for n in form}
    if kind == "group":
        days, start, end = form.get("days") or [], _one(form, "start"), _one(form, "end")
        meets: list[dict[str, Any]] = []
        if days or start or end:
            if not days:
                problems.append(("days", "tick the days it meets, or clear the times"))
            if not start:
                problems.append(("start", "give the time it starts, like 14:00"))
            if not end:
                problems.append(("end", "give the time it ends, like 16:00"))
            meets = [{"days": days, "start": start, "end": end, "frequency": text_of.get("frequency")}]
        out: dict[str, Any] = {
            "name": text_of.get("name"), "description": text_of.get("description"),
            "categories": form.get("categories") or [], "meets": meets, "venue_address": text_of.get("venue_address"),
            "website": text_of.get("website"), "cost": text_of.get("cost"), "step_free": tri["step_free"],
        }  # fmt: skip
        place = _one(form, "place") or None
    else:
        capacity: Any = text_of.get("capacity")
        if capacity is not None:
            try:
                capacity = int(capacity)
            except ValueError:
                problems.append(("capacity", "give a whole number of people, like 30"))
        out = {
            "name": text_of.get("name"), "kind": text_of.get("kind"), "description": text_of.get("description"),
            "address": text_of.get("address"), "capacity": capacity, "price_band": text_of.get("price_band"),
            "step_free": tri["step_free"], "availability": {"weekdays": tri["weekdays"], "evenings": tri["evenings"],
            "weekends": tri["weekends"], "notes": text_of.get("notes")},
        }  # fmt: skip
        place = None
    if problems:
        raise InvalidCorrections(problems)
    return out, place
