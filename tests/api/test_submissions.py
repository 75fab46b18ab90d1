"""Residents' forms: POST /submissions/group|space|help, against the demo data.

How these tests keep the session database clean: each test builds its own app (``create_app`` with the
session's settings and a known secret) and overrides ``api.deps.get_conn`` to yield one psycopg
AsyncConnection inside a transaction opened with ``force_rollback=True``, so it is rolled back when the test
ends. Requests go through httpx's ASGITransport on the test's own event loop (``pytest.mark.anyio``), so the
app, the connection and the test share one loop; a submission's own transaction becomes a savepoint inside
the test's, and the test reads the rows it caused through the same connection. Nothing is committed and
nothing is deleted. (The lifespan does not run: the app's pool is never opened, as no route here needs it.)
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from pydantic import TypeAdapter

from api.deps import get_conn
from api.main import create_app
from api.routes.submissions import SubmissionReceipt
from layers.offers import submissions
from layers.settings import Settings, SubmissionSettings
from tests.api_checks import error_body as _error

pytestmark = pytest.mark.anyio

SECRET = "a test secret, not a real one"
CLIENT_IP, OTHER_IP = "203.0.113.7", "198.51.100.23"
REFERENCE = re.compile(r"^PM-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{8}$")
MANCROFT, NORWICH = "E05005882", "E07000148"
LIBRARY = {"lon": 1.29095, "lat": 52.62773}
HOSTILE = "<img src=x onerror=alert(1)>"
CONTACT = {"name": "Sam Example", "email": "sam.example@example.org", "phone": "01603 212121"}
FORM = "application/x-www-form-urlencoded"
PAYLOADS: dict[str, dict[str, Any]] = {
    "group": {
        "name": "Friday Knit and Natter",
        "description": "Knitting, tea and a chat for anyone who likes company.",
        "categories": ["arts-culture", "older-people"],
        "days": ["fr"],
        "when": "Fridays 10am to noon",
        "venue": "The Forum, Millennium Plain",
        "website": "https://knit.example.org",
        "postcode": "nr21aw",
        "contact": CONTACT,
        "consent": True,
    },
    "space": {
        "name": "Back room at St Mark's",
        "space_kind": "room",
        "description": "A quiet room for twenty people with a kitchen next door.",
        "capacity": 20,
        "price_band": "free",
        "days": ["mo", "tu"],
        "step_free": True,
        "postcode": "NR2 1AW",
        "contact": CONTACT,
        "consent": True,
    },
    "help": {
        "offer": "An hour a week of shopping for a neighbour.",
        "skills": ["driving", "gardening"],
        "categories": ["mutual-aid"],
        "days": ["sa"],
        "when": "Saturday mornings",
        "postcode": "NR2 1AW",
        "contact": CONTACT,
        "consent": True,
    },
}


@pytest.fixture
def anyio_backend() -> str:
    """Run the async tests on asyncio."""
    return "asyncio"


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[AsyncConnection[DictRow]]:
    """A connection inside a transaction that is always rolled back."""
    conn = await AsyncConnection.connect(settings.database.url, row_factory=dict_row)
    try:
        async with conn.transaction(force_rollback=True):
            yield conn
    finally:
        await conn.close()


def _app(settings: Settings, db: AsyncConnection[DictRow], **submission: Any) -> FastAPI:
    """An app whose routes use the test's connection."""
    options = {
        "submission_secret": SECRET,
        "submission_limit": 5,
        "submission_window_minutes": 60,
        **submission,
    }
    app = create_app(settings.model_copy(update={"submissions": SubmissionSettings(**options)}))

    async def test_conn() -> AsyncIterator[AsyncConnection[DictRow]]:
        yield db

    app.dependency_overrides[get_conn] = test_conn
    return app


def _client(app: FastAPI, ip: str = CLIENT_IP) -> httpx.AsyncClient:
    """An HTTP client on the app, calling from the address ip."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(ip, 50123)), base_url="http://test"
    )


@pytest.fixture
def app(settings: Settings, db: AsyncConnection[DictRow]) -> FastAPI:
    """A fresh app (limit 5 an hour) on the test's connection."""
    return _app(settings, db)


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the app, from CLIENT_IP."""
    async with _client(app) as c:
        yield c


async def _rows(db: AsyncConnection[DictRow]) -> list[dict[str, Any]]:
    """Every submission the test can see, with the point as lon/lat and the whole row as JSON text."""
    cur = await db.execute(
        "SELECT s.*, ST_X(geom) AS lon, ST_Y(geom) AS lat, row_to_json(s)::text AS whole "
        "FROM submissions s ORDER BY id"
    )
    return await cur.fetchall()


def _receipt(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    """Check a receipt: status, JSON, the response model and the reference's format."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == "application/json"
    body: dict[str, Any] = response.json()
    TypeAdapter(SubmissionReceipt).validate_python(body, strict=True)
    assert REFERENCE.match(body["reference"])
    assert body["status"] == "pending"
    assert body["reference"] in body["message"] and body["message"].startswith("Thank you.")
    return body


# ---------------------------------------------------------------- accepted and stored


@pytest.mark.parametrize("kind", ["group", "space", "help"])
async def test_each_kind_is_stored_pending(
    api: httpx.AsyncClient, db: AsyncConnection[DictRow], kind: str
) -> None:
    """Each kind is accepted (201 with a reference) and stored as pending, located in its ward."""
    body = _receipt(await api.post(f"/submissions/{kind}", json=PAYLOADS[kind]))
    assert body["kind"] == kind
    [row] = await _rows(db)
    assert (row["reference"], row["kind"], row["status"]) == (body["reference"], kind, "pending")
    assert (row["postcode"], row["ward_code"], row["district_code"]) == ("NR2 1AW", MANCROFT, NORWICH)
    assert row["lon"] == pytest.approx(1.29, abs=0.02) and row["lat"] == pytest.approx(52.63, abs=0.02)
    assert row["details"]["where"] == {"given": "postcode", "approximate": True}  # the demo's postcodes
    sent = {k: v for k, v in PAYLOADS[kind].items() if k not in {"postcode", "contact", "consent"}}
    assert {k: row["details"][k] for k in sent} == sent
    expected = hmac.new(SECRET.encode(), CLIENT_IP.encode(), hashlib.sha256).hexdigest()
    assert row["client_key"] == expected


async def test_contact_is_stored_only_in_contact(
    api: httpx.AsyncClient, db: AsyncConnection[DictRow]
) -> None:
    """The name, email and phone are in `contact` (with the consent given) and nowhere else in the row."""
    _receipt(await api.post("/submissions/help", json=PAYLOADS["help"]))
    [row] = await _rows(db)
    assert row["contact"] == {**CONTACT, "consent": submissions.CONSENT_TEXT}
    rest = {k: v for k, v in row.items() if k not in {"contact", "whole"}}
    for value in CONTACT.values():
        assert value not in str(rest)
    assert set(row["details"]) == {*submissions.DETAILS["help"].model_fields, "where"}


async def test_no_raw_address_is_stored(api: httpx.AsyncClient, db: AsyncConnection[DictRow]) -> None:
    """The client's IP address appears nowhere in the row: only its keyed hash."""
    _receipt(await api.post("/submissions/group", json=PAYLOADS["group"]))
    [row] = await _rows(db)
    assert CLIENT_IP not in row["whole"]
    assert (
        len(row["client_key"]) == 64 and row["client_key"] != hashlib.sha256(CLIENT_IP.encode()).hexdigest()
    )


async def test_references_are_unique(
    api: httpx.AsyncClient, db: AsyncConnection[DictRow], monkeypatch: pytest.MonkeyPatch
) -> None:
    """References have the PM-XXXXXXXX form and differ; a reference already taken is drawn again."""
    drawn = {submissions.new_reference() for _ in range(2000)}
    assert len(drawn) == 2000 and all(REFERENCE.match(r) for r in drawn)
    first = _receipt(await api.post("/submissions/help", json=PAYLOADS["help"]))["reference"]
    queue = [first, first, "PM-22222222"]
    monkeypatch.setattr(submissions, "new_reference", lambda: queue.pop(0))
    second = _receipt(await api.post("/submissions/help", json=PAYLOADS["help"]))["reference"]
    assert second == "PM-22222222" and not queue
    assert [r["reference"] for r in await _rows(db)] == [first, second]


@pytest.mark.parametrize(
    ("where", "postcode", "ward", "district", "given"),
    [
        ({"postcode": "NR2"}, "NR2", None, NORWICH, {"given": "outward code", "approximate": True}),
        (LIBRARY, None, MANCROFT, NORWICH, {"given": "point", "approximate": False}),
        (
            {"area_code": MANCROFT},
            None,
            MANCROFT,
            NORWICH,
            {"given": "area", "area_code": MANCROFT, "area_kind": "ward", "approximate": True},
        ),
        (
            {"area_code": NORWICH},
            None,
            None,
            NORWICH,
            {"given": "area", "area_code": NORWICH, "area_kind": "district", "approximate": True},
        ),
    ],
)
async def test_where_by_outward_code_point_or_area(
    api: httpx.AsyncClient,
    db: AsyncConnection[DictRow],
    where: dict[str, Any],
    postcode: str | None,
    ward: str | None,
    district: str,
    given: dict[str, Any],
) -> None:
    """An outward code, a point or an area code locate the offer and file it under its ward and district."""
    payload = {**{k: v for k, v in PAYLOADS["group"].items() if k != "postcode"}, **where}
    _receipt(await api.post("/submissions/group", json=payload))
    [row] = await _rows(db)
    assert (row["postcode"], row["ward_code"], row["district_code"]) == (postcode, ward, district)
    assert row["details"]["where"] == given and row["lon"] is not None


# ---------------------------------------------------------------- refused


def _with(kind: str = "group", **changes: Any) -> dict[str, Any]:
    """A valid payload with some fields changed (None removes one)."""
    payload = {**PAYLOADS[kind], **changes}
    return {k: v for k, v in payload.items() if v is not None}


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        (_with(contact=None), "contact", "required"),
        (_with(contact={"name": "Sam"}), "contact", "email address or a phone number"),
        (_with(consent=False), "consent", "tick the box"),
        (_with(postcode="NR2 1A"), "postcode", "not a UK postcode"),
        (_with(categories=["knitting"]), "categories.0", "unknown category 'knitting'"),
        (_with(description="x" * 2001), "description", "at most 2000 characters"),
        (_with(name="Knit\x00ting"), "name", "control characters"),
    ],
)
async def test_invalid_fields_are_refused(
    api: httpx.AsyncClient, db: AsyncConnection[DictRow], payload: dict[str, Any], field: str, words: str
) -> None:
    """An invalid field gives 422 naming the field and what to do, and stores nothing (all rules: see
    tests/layers/test_submission_forms.py)."""
    body = _error(await api.post("/submissions/group", json=payload), 422)
    assert f"{field}: " in body["detail"] and words in body["detail"], body["detail"]
    assert await _rows(db) == []


@pytest.mark.parametrize(
    ("where", "words"),
    [
        ({"postcode": "SW1A 1AA"}, "not in the areas this map covers"),
        ({"postcode": "EC1"}, "not in the areas this map covers"),
        ({"lat": 51.5, "lon": -0.12}, "No ward, district or LSOA contains this point"),
        ({"area_code": "E05999999"}, "No area has the code"),
    ],
)
async def test_places_outside_the_map_are_refused(
    api: httpx.AsyncClient, db: AsyncConnection[DictRow], where: dict[str, Any], words: str
) -> None:
    """A postcode, point or area the map does not hold gives 422 saying so, and stores nothing."""
    payload = {**_with(postcode=None), **where}
    assert words in _error(await api.post("/submissions/group", json=payload), 422)["error"]
    assert await _rows(db) == []


@pytest.mark.parametrize(
    ("content", "content_type", "status", "words"),
    [
        (b'{"name": "Knit', "application/json", 422, "not valid JSON"),
        (b"name: Knit", "text/plain", 415, "does not read text/plain"),
        (b"{}", "", 415, "without a content type"),
    ],
)
async def test_unreadable_bodies_are_refused(
    api: httpx.AsyncClient, content: bytes, content_type: str, status: int, words: str
) -> None:
    """Malformed JSON, a wrong or missing content type: a 4xx saying what to send."""
    response = await api.post("/submissions/group", content=content, headers={"content-type": content_type})
    assert words in _error(response, status)["error"]


async def test_oversized_bodies_are_refused(api: httpx.AsyncClient, db: AsyncConnection[DictRow]) -> None:
    """A body over the limit gives 413, whether it declares its length or streams without one."""
    big = {**PAYLOADS["group"], "description": "x" * 70_000}
    _error(await api.post("/submissions/group", json=big), 413)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b" " * 4096

    response = await api.post(
        "/submissions/group", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    _error(response, 413)
    assert await _rows(db) == []


async def test_no_way_to_read_submissions(api: httpx.AsyncClient) -> None:
    """Nothing about a submission is public: no GET route exists under /submissions."""
    assert (await api.get("/submissions/group")).status_code == 405
    assert (await api.get("/submissions")).status_code == 404
    paths = (await api.get("/openapi.json")).json()["paths"]
    routes = {p: set(ops) for p, ops in paths.items() if p.startswith("/submissions")}
    assert routes == {f"/submissions/{k}": {"post"} for k in ("group", "space", "help")}
    content = paths["/submissions/help"]["post"]["requestBody"]["content"]
    assert "contact_email" in content[FORM]["schema"]["properties"]
    assert "email" in content["application/json"]["schema"]["properties"]["contact"]["properties"]


# ---------------------------------------------------------------- rate limit and trap field


async def test_rate_limit_per_client(
    app: FastAPI, db: AsyncConnection[DictRow], api: httpx.AsyncClient
) -> None:
    """The sixth submission in an hour from one client gets 429 with Retry-After; another client does not."""
    for kind in ("group", "space", "help", "group", "space"):
        _receipt(await api.post(f"/submissions/{kind}", json=PAYLOADS[kind]))
    response = await api.post("/submissions/help", json=PAYLOADS["help"])
    body = _error(response, 429)
    assert "5 offers in the last 60 minutes" in body["error"]
    assert 0 < int(response.headers["retry-after"]) <= 3600
    assert len(await _rows(db)) == 5
    async with _client(app, OTHER_IP) as other:
        _receipt(await other.post("/submissions/help", json=PAYLOADS["help"]))
    keys = [r["client_key"] for r in await _rows(db)]
    assert len(keys) == 6 and len(set(keys)) == 2


async def test_rate_limit_counts_the_window(settings: Settings, db: AsyncConnection[DictRow]) -> None:
    """Submissions older than the window do not count; Retry-After is when the oldest leaves it."""
    async with _client(_app(settings, db, submission_limit=2, submission_window_minutes=10)) as api:
        _receipt(await api.post("/submissions/help", json=PAYLOADS["help"]))
        await db.execute("UPDATE submissions SET created_at = now() - interval '11 minutes'")
        _receipt(await api.post("/submissions/help", json=PAYLOADS["help"]))
        await db.execute(
            "UPDATE submissions SET created_at = now() - interval '4 minutes' WHERE created_at = now()"
        )
        _receipt(await api.post("/submissions/help", json=PAYLOADS["help"]))
        response = await api.post("/submissions/help", json=PAYLOADS["help"])
        _error(response, 429)
        assert 355 <= int(response.headers["retry-after"]) <= 361  # the 4-minute-old one leaves in 6 minutes


async def test_trap_field_stores_nothing(api: httpx.AsyncClient, db: AsyncConnection[DictRow]) -> None:
    """A filled website_url (hidden from people) gets an accepting-looking 202, and nothing is stored."""
    body = _receipt(
        await api.post("/submissions/group", json={**PAYLOADS["group"], "website_url": "http://spam"}), 202
    )
    assert body["kind"] == "group"
    assert await _rows(db) == []
    _receipt(await api.post("/submissions/group", json={**PAYLOADS["group"], "website_url": ""}))
    assert len(await _rows(db)) == 1


# ---------------------------------------------------------------- form posts and pages


def _form(kind: str, **changes: Any) -> str:
    """A payload as an HTML form would send it: flat contact_* fields, repeated keys for lists, consent=on."""
    payload = {**PAYLOADS[kind], **changes}
    pairs: list[tuple[str, Any]] = [(f"contact_{k}", v) for k, v in payload.pop("contact").items()]
    if payload.pop("consent"):
        pairs.append(("consent", "on"))
    for key, value in payload.items():
        pairs.extend((key, v) for v in (value if isinstance(value, list) else [value]))
    return urlencode([*pairs, ("website_url", ""), ("send", "Send")])


async def test_form_posts_are_accepted(api: httpx.AsyncClient, db: AsyncConnection[DictRow]) -> None:
    """A form-encoded post is stored like JSON: lists from repeated keys, contact from contact_* fields."""
    body = _receipt(
        await api.post("/submissions/group", content=_form("group"), headers={"content-type": FORM})
    )
    [row] = await _rows(db)
    assert row["reference"] == body["reference"]
    assert row["details"]["categories"] == PAYLOADS["group"]["categories"]
    assert row["contact"] == {**CONTACT, "consent": submissions.CONSENT_TEXT}
    skills = urlencode({"skills": "driving, first aid"})
    _receipt(
        await api.post(
            "/submissions/help",
            content=_form("help", skills=[]) + "&" + skills,
            headers={"content-type": FORM},
        )
    )
    assert (await _rows(db))[-1]["details"]["skills"] == ["driving", "first aid"]


async def test_form_post_from_a_browser_gets_a_page(
    api: httpx.AsyncClient, db: AsyncConnection[DictRow]
) -> None:
    """A browser's form post (Accept: text/html) gets an HTML acknowledgement with the reference."""
    headers = {"content-type": FORM, "accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    response = await api.post("/submissions/space", content=_form("space"), headers=headers)
    assert response.status_code == 201 and response.headers["content-type"].startswith("text/html")
    [row] = await _rows(db)
    page = response.text
    assert '<html lang="en">' in page and "<h1>Thank you</h1>" in page and row["reference"] in page
    assert "waiting for a council officer to check it" in page


async def test_hostile_text_is_stored_verbatim_and_escaped(
    api: httpx.AsyncClient, db: AsyncConnection[DictRow]
) -> None:
    """A name with markup is stored as typed and escaped on every page that shows it."""
    headers = {"content-type": FORM, "accept": "text/html"}
    content = _form("group", name=HOSTILE, contact={**CONTACT, "name": HOSTILE})
    page = (await api.post("/submissions/group", content=content, headers=headers)).text
    [row] = await _rows(db)
    assert row["details"]["name"] == HOSTILE and row["contact"]["name"] == HOSTILE
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    bad = _form("group", categories=[HOSTILE])
    response = await api.post("/submissions/group", content=bad, headers=headers)
    assert response.status_code == 422 and response.headers["content-type"].startswith("text/html")
    assert "<img" not in response.text and "&lt;img src=x" in response.text
    assert 'role="alert"' in response.text and "Categories" in response.text


async def test_unticked_consent_in_a_browser_gets_a_page(
    api: httpx.AsyncClient, db: AsyncConnection[DictRow]
) -> None:
    """A form post without the consent box ticked gets a 422 page saying to tick it; nothing is stored."""
    headers = {"content-type": FORM, "accept": "text/html"}
    response = await api.post("/submissions/help", content=_form("help", consent=False), headers=headers)
    assert response.status_code == 422 and "tick the box" in response.text
    assert await _rows(db) == []


# ---------------------------------------------------------------- secrets and logs


def test_secret_is_random_per_process_when_unset(caplog: pytest.LogCaptureFixture) -> None:
    """Without PATCHMAP_SUBMISSION_SECRET a random key is made, with a warning; with it, it is used."""
    with caplog.at_level(logging.WARNING, logger="patchmap.submissions"):
        first = submissions.submission_secret(SubmissionSettings(submission_secret=None))
        second = submissions.submission_secret(SubmissionSettings(submission_secret=""))
    assert len(first) == 32 and first != second
    assert "PATCHMAP_SUBMISSION_SECRET is not set" in caplog.text
    assert submissions.submission_secret(SubmissionSettings(submission_secret=SECRET)) == SECRET.encode()
    assert "submission_secret" in repr(SubmissionSettings(submission_secret=SECRET))
    assert SECRET not in repr(SubmissionSettings(submission_secret=SECRET))


async def test_logs_hold_no_personal_data(api: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    """Log lines of accepted, refused, limited and trapped submissions name no person, place or address."""
    with caplog.at_level(logging.DEBUG):
        _receipt(await api.post("/submissions/help", json=PAYLOADS["help"]))
        await api.post("/submissions/help", json={**PAYLOADS["help"], "consent": False})
        await api.post("/submissions/help", json={**PAYLOADS["help"], "website_url": "x"})
        for _ in range(5):
            await api.post("/submissions/help", json=PAYLOADS["help"])
    assert "stored help submission PM-" in caplog.text and "rate limit" in caplog.text
    for secret in [*CONTACT.values(), "NR2 1AW", "NR21AW", CLIENT_IP]:
        assert secret not in caplog.text
