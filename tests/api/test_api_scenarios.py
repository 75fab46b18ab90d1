"""POST /analysis/scenarios: the what-if over the API (writes nothing), its answers and its refusals."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api.scenario_schemas import ScenarioAnswer
from tests.api_checks import error_body, ok_body

NORWICH = "E07000148"
MILE_CROSS = "E05005883"
HUB = {"action": "add", "kind": "hub", "easting_m": 622_000, "northing_m": 310_500, "rooms": 2}


def _counts(engine: Engine) -> tuple[int, ...]:
    with engine.connect() as c:
        return tuple(c.execute(text("SELECT (SELECT count(*) FROM hubs), (SELECT count(*) FROM groups), "
                                    "(SELECT count(*) FROM rooms), (SELECT count(*) FROM spaces)")).one())  # fmt: skip


def test_a_hub_added_gives_every_ward_before_and_after_and_writes_nothing(
    client: TestClient, engine: Engine
) -> None:
    stored = _counts(engine)
    body = ok_body(
        client.post("/analysis/scenarios", json={"within": NORWICH, "changes": [HUB]}), ScenarioAnswer
    )
    assert _counts(engine) == stored
    assert len(body["areas"]) == 13 and body["within"]["code"] == NORWICH
    mile_cross = next(a for a in body["areas"] if a["code"] == MILE_CROSS)
    assert mile_cross["changed"] and mile_cross["after"]["hubs"] == mile_cross["before"]["hubs"] + 1
    assert mile_cross["after"]["access_2sfca"] > mile_cross["before"]["access_2sfca"]
    assert mile_cross["after"]["explanation"].startswith("Mile Cross: ")
    assert body["changes"][0]["name"] == "a new hub in Mile Cross" and body["changes"][0]["id"] is None
    assert body["sentences"][0].startswith("Adding a new hub in Mile Cross (2 rooms)")
    assert any(s.startswith("Mile Cross ") for s in body["sentences"])
    assert [a["after"]["priority"] for a in body["areas"]] == list(range(1, 14))
    for area in body["areas"]:  # each changed area's own explanation, on both sides
        if area["changed"]:
            assert area["before"]["explanation"].startswith(area["name"] + ": ")
            assert area["after"]["explanation"].startswith(area["name"] + ": ")
    unchanged = [a for a in body["areas"] if not a["changed"]]
    assert all(a["before"] == a["after"] for a in unchanged)


def test_closing_a_hub_by_id(client: TestClient, engine: Engine) -> None:
    with engine.connect() as c:
        hub, name = c.execute(text("SELECT id, name FROM hubs WHERE ward_code = :w ORDER BY id"), {"w": MILE_CROSS}).first() or (None, None)  # fmt: skip
    if hub is None:
        pytest.fail("the demo has a hub in Mile Cross")
    close = {"action": "close", "kind": "hub", "id": hub}
    body = ok_body(
        client.post("/analysis/scenarios", json={"within": NORWICH, "changes": [close]}), ScenarioAnswer
    )
    assert body["changes"][0] == {**body["changes"][0], "action": "close", "id": hub, "name": name}
    mile_cross = next(a for a in body["areas"] if a["code"] == MILE_CROSS)
    assert mile_cross["after"]["hubs"] == mile_cross["before"]["hubs"] - 1


@pytest.mark.parametrize(
    ("changes", "status", "says"),
    [
        ([{"action": "close", "kind": "hub", "id": 999_999}], 404, "No hub 999999"),
        ([{**HUB, "easting_m": 900_000}], 422, "outside the British National Grid"),
        (
            [{**HUB, "lon": 10.0, "lat": 40.0, "easting_m": None, "northing_m": None}],
            422,
            "outside the British",
        ),
        ([{**HUB, "kind": "castle"}], 422, ""),
        ([{**HUB, "category": "castle"}], 422, "Unknown kind of hub"),
        ([HUB] * 21, 422, ""),
        ([], 422, ""),
        ([{"action": "add", "kind": "hub"}], 422, "Say where"),
        ([{**HUB, "postcode": "NR2 1AW"}], 422, "Say where"),
        ([{"action": "add", "kind": "group", "postcode": "NR1 9ZZ"}], 404, "No postcode"),
    ],
)
def test_bad_changes_get_a_clear_4xx(client: TestClient, changes: list[Any], status: int, says: str) -> None:
    body = error_body(
        client.post("/analysis/scenarios", json={"within": NORWICH, "changes": changes}), status
    )
    assert says in body["error"] + str(body["detail"])


def test_an_unknown_district_is_404(client: TestClient) -> None:
    error_body(client.post("/analysis/scenarios", json={"within": "E07999999", "changes": [HUB]}), 404)


def test_the_document_describes_the_route(client: TestClient) -> None:
    op = client.app.openapi()["paths"]["/analysis/scenarios"]["post"]  # type: ignore[attr-defined]
    assert {"200", "404", "422"} <= set(op["responses"])
    assert op["requestBody"]["required"] is True
