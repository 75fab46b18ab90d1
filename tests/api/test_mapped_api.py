"""The mapped extent over HTTP: anyone reads it; an officer or admin marks and unmarks a district or locality
(audited); a co-ordinator, a resident or bad input is refused with a clear 4xx and changes nothing; the overlay
follows at once. Also ``patchmap mapped`` and ``patchmap import groups --covers``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.main import create_app
from layers.access import auth
from layers.db import make_engine
from tests.api_checks import error_body
from tests.live_app import demo_database

NORWICH, BRECKLAND, MILE_CROSS = "E07000148", "E07000143", "E05005883"


@pytest.fixture(scope="module")
def world(server_url: str) -> Iterator[dict[str, Any]]:
    """The app on its own demo database, with an officer's and a co-ordinator's token."""
    with demo_database(server_url, prefix="patchmap_mapped") as settings:
        engine = make_engine(settings.database)
        tokens = {}
        with engine.begin() as conn:
            for persona, role, districts in (
                ("officer", "officer", []),
                ("norwich", "coordinator", [NORWICH]),
            ):
                email = f"mapped-{persona}-{uuid.uuid4().hex[:6]}@example.gov.uk"
                auth.create_user(conn, email=email, name=f"The {persona}", role=role, password="x" * 16,
                                 districts=districts)  # fmt: skip
                tokens[persona] = {"Authorization": f"Bearer {auth.create_token(conn, email, days=1)}"}
        with TestClient(create_app(settings)) as client:
            yield {"client": client, "engine": engine, "tokens": tokens, "settings": settings}
        engine.dispose()


def _marks(world: dict[str, Any]) -> list[tuple[str, list[str]]]:
    with world["engine"].connect() as c:
        rows = c.execute(
            text("SELECT a.code, x.kinds FROM mapped_areas x JOIN areas a ON a.id = x.area_id ORDER BY 1")
        )
        return [(r[0], list(r[1])) for r in rows]


def test_mark_and_unmark_as_an_officer(world: dict[str, Any]) -> None:
    client, officer = world["client"], world["tokens"]["officer"]
    listed = client.get("/analysis/mapped").json()
    assert [m["code"] for m in listed] == [NORWICH] and listed[0]["mapped_by"] == "demo import"
    before = client.get("/analysis/overlay", params={"level": "ward", "within": BRECKLAND}).json()
    assert all(a["priority"] is None for a in before["areas"])
    r = client.put(
        f"/analysis/mapped/{BRECKLAND}", json={"kinds": ["hub"], "source": "Ward walk"}, headers=officer
    )
    assert r.status_code == 200, r.text
    assert r.json()["kinds"] == ["hub"] and r.json()["mapped_by"] == "The officer"
    after = client.get(
        "/analysis/overlay", params={"level": "ward", "within": BRECKLAND, "kinds": "hub"}
    ).json()
    assert after["notes"][0].startswith("No hubs are recorded")  # mapped now, but there are none to compare
    with world["engine"].connect() as c:
        audited = c.execute(text("SELECT count(*) FROM audit_log WHERE action = 'mapped-add'")).scalar_one()
    assert audited == 1
    assert client.delete(f"/analysis/mapped/{BRECKLAND}", headers=officer).status_code == 204
    assert _marks(world) == [(NORWICH, ["group", "hub", "space"])]
    assert client.delete(f"/analysis/mapped/{BRECKLAND}", headers=officer).status_code == 404


@pytest.mark.parametrize(
    ("who", "code", "body", "status"),
    [
        (None, BRECKLAND, {}, 401),
        ("norwich", NORWICH, {}, 403),
        ("officer", "E99999999", {}, 404),
        ("officer", MILE_CROSS, {}, 422),  # a ward: mark its district or a locality
        ("officer", BRECKLAND, {"kinds": ["library"]}, 422),
        ("officer", BRECKLAND, {"kinds": []}, 422),
        ("officer", BRECKLAND, {"what": 1}, 422),
    ],
)
def test_refusals_change_nothing(
    world: dict[str, Any], who: str | None, code: str, body: dict[str, Any], status: int
) -> None:
    before = _marks(world)
    headers = world["tokens"][who] if who else {}
    r = world["client"].put(f"/analysis/mapped/{code}", json=body, headers=headers)
    assert r.status_code == status, r.text
    error_body(r, status)
    assert _marks(world) == before
