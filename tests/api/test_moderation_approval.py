"""Approval keeps everything the resident gave, and the moderator's corrections (issue 14).

Each offered field survives approval (a group's days, times, venue, categories and web site; a space's kind,
capacity, price band, step-free access and its weekdays/evenings/weekends; an accepted offer of help is left
open for follow-up). Corrections replace what the resident gave in the published record and its first
version, never in the submission; bad corrections are a 422 naming the field, and change nothing.
Uses test_moderation's fixtures: a demo database of this module's own (see that module's docstring).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from layers.offers import approval
from tests.api import test_moderation as base
from tests.api.test_moderation import CONTACT, NORWICH, audit_count, insert_submission, ok, refused

# the fixtures of test_moderation (a demo database of this module's own)
own_settings, own_engine, api, people = base.own_settings, base.own_engine, base.api, base.people


def submission_id(engine: Engine, reference: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT id FROM submissions WHERE reference = :r"), {"r": reference}
            ).scalar_one()
        )


def row_of(engine: Engine, table: str, record_id: int) -> dict[str, Any]:
    """A record's stored row (private columns too) as a dict."""
    assert table in ("groups", "spaces")
    with engine.connect() as conn:
        found = conn.execute(
            text(f"SELECT to_jsonb(r) - 'geom' - 'geom_bng' - 'search_text' FROM {table} r WHERE id = :i"),
            {"i": record_id},
        ).scalar_one()
    return dict(found)


def state(engine: Engine, sid: int) -> tuple[Any, ...]:
    """What a refused approval must leave as it was."""
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM groups), (SELECT count(*) FROM spaces), "
                    "(SELECT count(*) FROM record_versions), (SELECT count(*) FROM audit_log), "
                    "(SELECT status || coalesce(published_as, '') || details::text FROM submissions WHERE id = :i)"
                ),
                {"i": sid},
            ).one()
        )


# ---------------------------------------------------------------- what the resident's words become


@pytest.mark.parametrize(
    ("days", "when", "meets", "kept"),
    [
        (["tu"], "14:00–16:00", [{"days": ["tu"], "start": "14:00", "end": "16:00"}], ""),
        ([], "Tuesdays 10am to noon", [{"days": ["tu"], "start": "10:00", "end": "12:00", "frequency": "weekly"}], ""),
        (["we", "fr"], "2-4pm", [{"days": ["we", "fr"], "start": "14:00", "end": "16:00"}], ""),
        ([], "first Tuesday of the month, 7-9pm",
         [{"days": ["tu"], "start": "19:00", "end": "21:00", "frequency": "monthly"}], "first Tuesday of the month"),
        (["mo"], "mornings", [], "Monday: mornings"),
        ([], "whenever the weather is fine", [], "whenever the weather is fine"),
    ],
)  # fmt: skip
def test_when_words_become_meetings_and_nothing_is_lost(
    days: list[str], when: str, meets: list[dict[str, Any]], kept: str
) -> None:
    fields = approval.group_fields({"name": "G", "description": "About.", "days": days, "when": when}, None)
    assert fields["meets"] == meets
    if kept:
        assert "Meets: " in fields["description"] and kept in fields["description"]
    else:
        assert fields["description"] == "About."


def test_space_days_and_words_become_availability() -> None:
    a = approval.availability({"days": ["mo", "sa"], "when": "weekday evenings and Saturday mornings"})
    assert (a["weekdays"], a["evenings"], a["weekends"]) == (True, True, True)
    assert a["notes"] == "weekday evenings and Saturday mornings"  # the words name both days ticked
    b = approval.availability({"days": ["tu"], "when": "10:00-12:00"})
    assert (b["weekdays"], b["evenings"], b["weekends"]) == (True, False, False)
    assert approval.availability({}) == {"weekdays": None, "evenings": None, "weekends": None, "notes": None}


# ---------------------------------------------------------------- through the API


def test_a_group_keeps_its_day_time_venue_and_categories(
    api: TestClient, own_engine: Engine, people: dict[str, dict[str, str]]
) -> None:
    payload = {"name": f"Tuesday Natter {uuid.uuid4().hex[:6]}", "description": "Tea and a chat.",
               "categories": ["older-people", "arts-culture"], "days": ["tu"], "when": "14:00–16:00",
               "venue": "St Peter Mancroft church hall", "website": "https://natter.example.org",
               "is_organiser": True, "postcode": "NR2 1AW", "contact": CONTACT, "consent": True}  # fmt: skip
    sid = submission_id(own_engine, ok(api.post("/submissions/group", json=payload), 201)["reference"])
    decision = ok(api.post(f"/moderation/{sid}/approve", headers=people["norwich"], json={"place": "venue"}))
    group_id = int(decision["published_as"].split("/")[1])

    public = ok(api.get(f"/groups/{group_id}"))
    assert public["meets"] == [{"days": ["tu"], "start": "14:00", "end": "16:00", "frequency": None}]
    assert public["venue_address"] == payload["venue"] and public["location_precision"] == "venue"
    assert public["lon"] is not None and public["ward"]["code"] == "E05005882"
    assert public["categories"] == payload["categories"] and public["website"] == payload["website"]
    assert public["description"] == "Tea and a chat."
    stored = row_of(own_engine, "groups", group_id)
    assert stored["private_contact"]["email"] == CONTACT["email"]  # they run it: private, never public
    assert CONTACT["email"] not in str(public)


def test_a_space_keeps_everything_it_offered(
    api: TestClient, own_engine: Engine, people: dict[str, dict[str, str]]
) -> None:
    payload = {"name": f"Back room {uuid.uuid4().hex[:6]}", "space_kind": "room", "description": "Seats 30.",
               "address": "1 Example Street", "capacity": 30, "price_band": "low-cost", "days": ["mo", "sa"],
               "when": "Monday evenings 6-10pm and Saturdays", "step_free": True, "postcode": "NR2 1AW",
               "contact": CONTACT, "consent": True}  # fmt: skip
    sid = submission_id(own_engine, ok(api.post("/submissions/space", json=payload), 201)["reference"])
    decision = ok(api.post(f"/moderation/{sid}/approve", headers=people["norwich"]))
    space_id = int(decision["published_as"].split("/")[1])
    public = ok(api.get(f"/spaces/{space_id}"))
    assert (public["name"], public["kind"], public["capacity"]) == (payload["name"], "room", 30)
    assert (public["price_band"], public["step_free"], public["address"]) == (
        "low-cost",
        True,
        "1 Example Street",
    )
    availability = public["availability"]
    assert (availability["weekdays"], availability["evenings"], availability["weekends"]) == (
        True,
        True,
        True,
    )
    assert availability["notes"] == "Monday evenings 6-10pm and Saturdays"  # the words name both days ticked
    assert public["description"] == "Seats 30."


def test_an_accepted_offer_of_help_is_open_for_follow_up(
    api: TestClient, own_engine: Engine, people: dict[str, dict[str, str]]
) -> None:
    sid = insert_submission(own_engine, "help")
    ok(api.post(f"/moderation/{sid}/approve", headers=people["norwich"]))
    with own_engine.connect() as conn:
        row = conn.execute(text("SELECT status, follow_up FROM submissions WHERE id = :i"), {"i": sid}).one()
    assert tuple(row) == ("approved", "open")


def test_corrections_go_into_the_record_and_its_first_version_not_the_submission(
    api: TestClient, own_engine: Engine, people: dict[str, dict[str, str]]
) -> None:
    sid = insert_submission(own_engine, "group")
    with own_engine.connect() as conn:
        details = conn.execute(text("SELECT details FROM submissions WHERE id = :i"), {"i": sid}).scalar_one()
    fixed = {"name": "Friday Tea Club", "cost": "free", "step_free": True,
             "meets": [{"days": ["fr"], "start": "10:00", "end": "12:00", "frequency": "weekly"}]}  # fmt: skip
    decision = ok(
        api.post(f"/moderation/{sid}/approve", headers=people["norwich"], json={"corrections": fixed})
    )
    group_id = int(decision["published_as"].split("/")[1])
    public = ok(api.get(f"/groups/{group_id}"))
    assert (public["name"], public["cost"], public["step_free"]) == ("Friday Tea Club", "free", True)
    assert public["meets"] == fixed["meets"]
    assert public["categories"] == details["categories"]  # what was not corrected is what the resident gave
    with own_engine.connect() as conn:
        after = conn.execute(text("SELECT details FROM submissions WHERE id = :i"), {"i": sid}).scalar_one()
        version = conn.execute(
            text(
                "SELECT version, changes, snapshot FROM record_versions WHERE object_type = 'group' AND object_id = :i"
            ),
            {"i": group_id},
        ).one()
    assert after == details  # the resident's own words stay as they were
    assert version.version == 1 and version.snapshot["name"] == "Friday Tea Club"
    assert version.changes["corrected"]["name"] == [details["name"], "Friday Tea Club"]
    assert version.changes["corrected"]["cost"] == [None, "free"]


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("group", {"corrections": {"cost": "cheap"}}, "cost"),
        ("group", {"corrections": {"categories": ["not-a-category"]}}, "categories"),
        ("group", {"corrections": {"meets": [{"days": ["tu"], "start": "16:00", "end": "14:00"}]}}, "meets.0.end"),
        ("group", {"corrections": {"meets": [{"days": ["tu"], "start": "25:00", "end": "26:00"}]}}, "start"),
        ("group", {"corrections": {"name": ""}}, "name"),
        ("group", {"corrections": {"capacity": 10}}, "capacity"),
        ("group", {"corrections": {"private_contact": {"name": "x"}}}, "private_contact"),
        ("group", {"place": "somewhere"}, "place"),
        ("space", {"corrections": {"capacity": -1}}, "capacity"),
        ("space", {"corrections": {"kind": "castle"}}, "kind"),
        ("space", {"corrections": {"price_band": "dear"}}, "price_band"),
        ("space", {"place": "venue"}, "place"),
        ("help", {"corrections": {"name": "x"}}, "Corrections"),
        ("group", {"corrections": {"name": "x"}, "merge_into_kind": "group", "merge_into_id": 1}, "Corrections"),
    ],
)  # fmt: skip
def test_bad_corrections_are_refused_naming_the_field_and_change_nothing(
    api: TestClient,
    own_engine: Engine,
    people: dict[str, dict[str, str]],
    kind: str,
    body: dict[str, Any],
    field: str,
) -> None:
    sid = insert_submission(own_engine, kind)
    before = state(own_engine, sid)
    answer = refused(api.post(f"/moderation/{sid}/approve", headers=people["norwich"], json=body), 422)
    assert field in json.dumps(answer)
    assert state(own_engine, sid) == before


def test_another_districts_coordinator_cannot_approve_with_corrections(
    api: TestClient, own_engine: Engine, people: dict[str, dict[str, str]]
) -> None:
    sid = insert_submission(own_engine, "group")
    before = state(own_engine, sid)
    body = {"corrections": {"name": "Taken over"}, "place": "venue"}
    refused(api.post(f"/moderation/{sid}/approve", headers=people["breckland"], json=body), 404)
    refused(api.post(f"/moderation/{sid}/approve", json=body), 401)
    assert state(own_engine, sid) == before
    assert audit_count(own_engine) == before[3]
    assert NORWICH  # the submission is Norwich's
