"""One input policy: a corpus of hostile input over every write path (read from the app's own OpenAPI, so
a new write is covered the day it is added) and every query path, sent as an admin. Each must be refused
with a 4xx that says why, and change nothing in the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from api.main import create_app
from layers.access import auth
from layers.db import make_engine
from layers.settings import ServerSettings, SubmissionSettings
from tests.live_app import demo_database

ADMIN = "hostile.admin@example.gov.uk"
NUL, BELL, ESC = "\x00", "\x07", "\x1b"
WRITE_METHODS = {"post", "patch", "put", "delete"}
#: Every table's content, fingerprinted before and after the corpus (but api_tokens, whose last_used_at
#: each authenticated request sets).
FINGERPRINT = """
SELECT string_agg(t.relname || ':' || (xpath('/row/c/text()',
         query_to_xml(format('SELECT md5(coalesce(string_agg(x::text, ''|'' ORDER BY x::text), '''')) AS c
                              FROM %I.%I x', t.schemaname, t.relname), false, true, '')))[1]::text, ','
       ORDER BY t.relname)
FROM pg_stat_user_tables t WHERE t.schemaname = 'public' AND t.relname NOT IN ('spatial_ref_sys', 'api_tokens')
"""


def _setup(conn: Connection) -> None:
    auth.create_user(conn, email=ADMIN, name="Hostile Admin", role="admin", password="correct horse battery")


@pytest.fixture(scope="module")
def world(server_url: str) -> Iterator[tuple[TestClient, Engine, str]]:
    """The app on a database of this module's own (writes would commit), an admin token, an engine."""
    parts: dict[str, Any] = {
        "submissions": SubmissionSettings(submission_limit=100_000),
        "server": ServerSettings(max_body_bytes=65_536),
    }
    with demo_database(server_url, prefix="patchmap_hostile", setup=_setup, **parts) as settings:
        engine = make_engine(settings.database)
        with engine.begin() as conn:
            token = auth.create_token(conn, ADMIN)
        with TestClient(create_app(settings)) as client:
            yield client, engine, token
        engine.dispose()


def _writes(client: TestClient) -> list[tuple[str, str, bool]]:
    """Every write operation of the API: (method, path with ids filled in, whether it takes a body)."""
    found = []
    for path, ops in client.get("/openapi.json").json()["paths"].items():
        for method, op in ops.items():
            if method in WRITE_METHODS:
                found.append((method.upper(), re.sub(r"\{[^}]+\}", _id_for, path), "requestBody" in op))
    return found


def _id_for(match: re.Match[str]) -> str:
    name = match.group(0)[1:-1]
    return {"code": "E07000148", "district": "E07000148", "ward": "E05005883"}.get(name, "1")


#: Refused at the edge whatever the operation: these apply to writes that take no body too.
EDGE = {"NUL in JSON", "bell in JSON", "escape in JSON", "NUL in a form", "oversized JSON", "oversized form"}


def _corpus() -> list[tuple[str, dict[str, Any]]]:
    """(what, request kwargs): bodies no write should ever take."""
    huge = "x" * 70_000
    return [
        ("NUL in JSON", {"json": {"name": f"a{NUL}b", "reason": f"r{NUL}", "website": "https://x.org"}}),
        ("bell in JSON", {"json": {"name": f"a{BELL}b", "question": f"q{BELL}"}}),
        ("escape in JSON", {"json": {"description": f"{ESC}[31mred", "reason": f"{ESC}x"}}),
        ("NUL in a form", {"data": {"email": f"a{NUL}b@x.org", "password": "p", "name": f"n{NUL}"}}),
        ("oversized JSON", {"json": {"name": huge, "reason": huge}}),
        ("oversized form", {"data": {"offer": huge}}),
        ("javascript: URL", {"json": {"website": "javascript:alert(1)"}}),
        ("data: URL", {"json": {"website": "data:text/html,<script>alert(1)</script>"}}),
        ("tab-split scheme", {"json": {"website": "java\tscript:alert(1)"}}),
        ("vbscript: URL", {"json": {"website": "vbscript:msgbox(1)"}}),
        (
            "deep JSON",
            {"content": ("[" * 5000 + "]" * 5000).encode(), "headers": {"content-type": "application/json"}},
        ),
        ("private contact too long", {"json": {"private_contact": {"a": "x" * 600}}}),
        ("not JSON", {"content": b"{not json", "headers": {"content-type": "application/json"}}),
        ("wrong type", {"content": b"<xml/>", "headers": {"content-type": "application/xml"}}),
    ]


CORPUS = _corpus()


def test_every_write_refuses_hostile_input_and_changes_nothing(world: tuple[TestClient, Engine, str]) -> None:
    """Each (write, hostile body) as an admin: a 4xx with {"error", "detail"}, and the database unchanged."""
    client, engine, token = world
    writes = _writes(client)
    assert len(writes) >= 15, writes
    with engine.connect() as conn:
        before = conn.execute(text(FINGERPRINT)).scalar_one()
    sent, refusals = 0, []
    headers = {"authorization": f"Bearer {token}"}
    for method, path, takes_body in writes:
        for what, kwargs in CORPUS:
            if not takes_body and what not in EDGE:
                continue  # a body the operation does not read is not input to it
            extra = {**headers, **kwargs.get("headers", {})}
            answer = client.request(
                method, path, **{k: v for k, v in kwargs.items() if k != "headers"}, headers=extra
            )
            sent += 1
            body = (
                answer.json() if answer.headers.get("content-type", "").startswith("application/json") else {}
            )
            refusals.append((method, path, what, answer.status_code, bool(body.get("error"))))
    wrong = [r for r in refusals if not (400 <= r[3] < 500 and r[4])]
    print(
        f"hostile input: {sent} requests over {len(writes)} writes, {sent - len(wrong)} refused with a reason"
    )
    assert not wrong, f"{len(wrong)} of {sent} hostile requests were not refused with a reason: {wrong}"
    with engine.connect() as conn:
        after = conn.execute(text(FINGERPRINT)).scalar_one()
    assert after == before, "a refused request changed the database"


QUERIES = (
    "/areas?q=%00",
    "/areas/%00",
    "/areas/lookup?postcode=NR2%001AW",
    "/search/nearby?postcode=NR2%201AW&q=%07bell",
    "/groups/1?x=%1b",
    "/analysis/overlay?level=ward&within=E07%00000148",
)


@pytest.mark.parametrize("path", QUERIES)
def test_control_characters_in_the_address_are_a_422(
    world: tuple[TestClient, Engine, str], path: str
) -> None:
    client, _, _ = world
    answer = client.get(path)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "The address holds a control character"


def test_a_body_over_the_cap_is_a_413(world: tuple[TestClient, Engine, str]) -> None:
    client, _, _ = world
    answer = client.post(
        "/submissions/help", content=b"x" * 70_000, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 413 and "larger than 65,536 bytes" in answer.json()["error"]


@pytest.mark.parametrize("website", ["https://example.org", "http://example.org/x?y=1", "www.example.org"])
def test_patch_takes_web_addresses(world: tuple[TestClient, Engine, str], website: str) -> None:
    """The same rule as the forms: http(s) kept, a bare www. address gets https://."""
    client, _, token = world
    answer = client.patch(
        "/groups/1", json={"website": website}, headers={"authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, answer.text
    assert client.get("/groups/1").json()["website"].startswith(("https://", "http://"))


def test_adding_a_partner_twice_with_one_key_adds_it_once(world: tuple[TestClient, Engine, str]) -> None:
    """A retried POST with the same Idempotency-Key gets the first answer and adds nothing; the same key
    with another body is refused."""
    client, engine, token = world
    headers = {"authorization": f"Bearer {token}", "idempotency-key": "partner-retry-1"}
    body = {"name": "Retry Trust", "role": "Advice"}
    first = client.post("/districts/E07000148/partners", json=body, headers=headers)
    again = client.post("/districts/E07000148/partners", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM partners WHERE name = 'Retry Trust'")).scalar_one() == 1
        )
    other = client.post("/districts/E07000148/partners", json={**body, "role": "Food"}, headers=headers)
    assert (
        other.status_code == 422 and "Idempotency-Key was used for another request" in other.json()["error"]
    )
