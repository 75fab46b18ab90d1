"""The residents' forms without HTTP or a database: validation, plain-English problems and body parsing.

The API tests (``tests/api/test_submissions.py``) send a few of these through the endpoints; here every rule is
checked directly against ``layers.offers.forms``.
"""

from __future__ import annotations

from typing import Any

import pytest

from layers.errors import InvalidInput, UnsupportedMediaType
from layers.offers.forms import (
    CONSENT_PROBLEM,
    DETAILS,
    FORMS,
    InvalidSubmission,
    form_payload,
    parse_payload,
    validate,
)

CONTACT = {"name": "Sam Example", "email": "sam.example@example.org", "phone": "01603 212121"}
VALID: dict[str, dict[str, Any]] = {
    "group": {
        "name": "Knit and Natter",
        "description": "Knitting and tea.",
        "categories": ["arts-culture"],
        "postcode": "NR2 1AW",
        "contact": CONTACT,
        "consent": True,
    },
    "space": {
        "name": "Back room",
        "space_kind": "room",
        "description": "A quiet room.",
        "postcode": "NR2 1AW",
        "contact": CONTACT,
        "consent": True,
    },
    "help": {"offer": "Shopping.", "postcode": "NR2 1AW", "contact": CONTACT, "consent": True},
}


def _with(kind: str = "group", **changes: Any) -> dict[str, Any]:
    """A valid payload with some fields changed (None removes one)."""
    return {k: v for k, v in {**VALID[kind], **changes}.items() if v is not None}


def _problems(kind: str, payload: dict[str, Any]) -> dict[str, str]:
    """The problems validate() reports, by field."""
    with pytest.raises(InvalidSubmission) as caught:
        validate(kind, payload)
    assert caught.value.message.startswith("The form has")
    return dict(caught.value.problems)


@pytest.mark.parametrize(
    ("kind", "payload", "field", "words"),
    [
        ("group", _with(contact=None), "contact", "this is required"),
        ("group", _with(contact={"name": "Sam"}), "contact", "email address or a phone number"),
        ("group", _with(contact={"email": "sam@example.org"}), "contact.name", "this is required"),
        ("group", _with(consent=False), "consent", CONSENT_PROBLEM),
        ("group", _with(consent=None), "consent", CONSENT_PROBLEM),
        ("group", _with(postcode="NR2 1A"), "postcode", "not a UK postcode"),
        ("group", _with(categories=["knitting"]), "categories.0", "unknown category 'knitting': use one of"),
        ("group", _with(categories=[]), "categories", "at least 1"),
        (
            "group",
            _with(categories=["food", "youth", "faith", "carers", "disability", "environment"]),
            "categories",
            "5",
        ),
        ("group", _with(name="x" * 201), "name", "too long: at most 200 characters"),
        ("group", _with(description="x" * 2001), "description", "at most 2000 characters"),
        ("group", _with(name="   "), "name", "this is required"),
        ("group", _with(name="two\nlines"), "name", "one line"),
        ("group", _with(name="Knit\x00ting"), "name", "control characters"),
        ("group", _with(description="\ud800"), "description", "not valid text"),
        ("group", _with(website="javascript:alert(1)"), "website", "web address"),
        ("group", _with(postcode=None), "location", "say where"),
        ("group", _with(lat=52.6), "location", "lat and lon"),
        ("group", _with(lat=52.6, lon=1.3), "location", "one way only"),
        ("group", _with(lat=95, lon=1.2, postcode=None), "lat", "less than or equal to 90"),
        ("group", _with(lat=float("nan"), lon=1.2, postcode=None), "lat", "finite"),
        ("group", _with(favourite="tea"), "favourite", "not a field"),
        ("group", _with(contact={**CONTACT, "email": "sam at example"}), "contact.email", "email address"),
        ("group", _with(contact={**CONTACT, "phone": "12345"}), "contact.phone", "UK phone number"),
        ("group", _with(contact="Sam"), "contact", "valid dictionary"),
        ("space", _with("space", space_kind="castle"), "space_kind", "unknown space kind 'castle'"),
        ("space", _with("space", capacity=-3), "capacity", "greater than or equal to 1"),
        ("space", _with("space", price_band="cheap"), "price_band", "unknown price band"),
        ("help", _with("help", days=["someday"]), "days.0", "unknown day"),
        ("help", _with("help", skills=["x" * 61]), "skills.0", "at most 60 characters"),
        ("help", _with("help", offer=None), "offer", "this is required"),
    ],
)
def test_each_problem_is_named_and_explained(
    kind: str, payload: dict[str, Any], field: str, words: str
) -> None:
    """Every invalid field is reported with its name and what to do."""
    problems = _problems(kind, payload)
    assert field in problems and words in problems[field], problems


def test_all_problems_are_reported_at_once() -> None:
    """A form with several mistakes lists them all, in one detail string too."""
    with pytest.raises(InvalidSubmission) as caught:
        validate("group", {"name": "", "contact": {"name": "Sam"}, "consent": False, "postcode": "NR2"})
    fields = [where for where, _ in caught.value.problems]
    assert set(fields) == {"name", "description", "categories", "contact", "consent"}
    assert (
        caught.value.message == "The form has 5 problems" and "consent: tick the box" in caught.value.detail
    )


def test_values_are_normalised() -> None:
    """Postcodes, day names, category case, bare web addresses and blank fields are tidied, not refused."""
    offer = validate(
        "group",
        _with(
            postcode=" nr21aw ",
            days="Monday, tue, fr, fr",
            categories="Arts-Culture, food",
            website="www.knit.example.org",
            venue="  ",
            contact={**CONTACT, "phone": "+44 1603-212121"},
        ),
    )
    assert offer.postcode == "NR2 1AW"
    assert offer.model_dump(include={"days", "categories", "website", "venue"}) == {
        "days": ["mo", "tu", "fr"],
        "categories": ["arts-culture", "food"],
        "website": "https://www.knit.example.org",
        "venue": None,
    }
    assert validate("help", _with("help", postcode="nr2")).postcode == "NR2"


def test_details_schemas_hold_no_private_field() -> None:
    """The publishable schemas have no contact, consent, place or trap field; the forms add exactly those."""
    private = {"contact", "consent", "postcode", "lat", "lon", "area_code", "website_url"}
    for kind, details in DETAILS.items():
        assert not private & set(details.model_fields)
        assert set(FORMS[kind].model_fields) == set(details.model_fields) | private


def test_form_fields_become_the_json_shape() -> None:
    """contact_* fields go into contact, repeated keys make lists, unknown keys and blanks are dropped."""
    pairs = [
        ("offer", "Shopping"),
        ("days", "mo"),
        ("days", "sa"),
        ("skills", "driving, first aid"),
        ("contact_name", "Sam"),
        ("contact_phone", "07700 900123"),
        ("contact_email", ""),
        ("postcode", "NR2 1AW"),
        ("consent", "on"),
        ("website_url", ""),
        ("send", "Send"),
    ]
    payload = form_payload("help", pairs)
    assert "send" not in payload and payload["days"] == ["mo", "sa"]
    assert payload["contact"] == {"name": "Sam", "phone": "07700 900123", "email": ""}
    offer = validate("help", payload)
    assert offer.model_dump(include={"skills", "days", "consent"}) == {
        "skills": ["driving", "first aid"],
        "days": ["mo", "sa"],
        "consent": True,
    }
    assert offer.contact.email is None
    unticked = form_payload("help", [p for p in pairs if p[0] != "consent"])
    assert _problems("help", unticked) == {"consent": CONSENT_PROBLEM}


@pytest.mark.parametrize(
    ("body", "content_type", "error", "words"),
    [
        (b'{"name": "Knit', "application/json", InvalidInput, "not valid JSON"),
        (b"[1, 2]", "application/json", InvalidInput, "not a JSON object"),
        (b"\xff\xfe", "application/json", InvalidInput, "not valid JSON"),
        (b"[" * 50_000, "application/json", InvalidInput, "not valid JSON"),
        (b"name=%FF", "application/x-www-form-urlencoded", InvalidInput, "could not be read"),
        (b"&".join([b"a=1"] * 201), "application/x-www-form-urlencoded", InvalidInput, "could not be read"),
        (b"name: Knit", "text/plain", UnsupportedMediaType, "does not read text/plain"),
        (b"--x\r\n", "multipart/form-data; boundary=x", UnsupportedMediaType, "multipart/form-data"),
        (b"{}", "", UnsupportedMediaType, "without a content type"),
    ],
)
def test_unreadable_bodies_are_refused(
    body: bytes, content_type: str, error: type[Exception], words: str
) -> None:
    """Malformed JSON or forms, and other content types, are refused with what to send instead."""
    with pytest.raises(error) as caught:
        parse_payload("group", body, content_type)
    assert words in str(caught.value)


def test_json_with_a_charset_is_read() -> None:
    """A content type with parameters (charset) is read by its media type."""
    assert parse_payload("group", b'{"name": "Knit"}', "Application/JSON; charset=utf-8") == {"name": "Knit"}
