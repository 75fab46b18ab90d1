"""The authorisation matrix: every endpoint (read from the app's own OpenAPI, so a new one is covered the day
it is added) × {anonymous, officer, co-ordinator of Norwich, co-ordinator of Breckland, admin} × records in
Norwich and in Breckland.

- Anonymous: every field of every public JSON answer is on an allow-list, and a marker planted in every
  private field (a record's private contact, a submission's contact) never appears in any answer.
- Writes: every cross-district write is refused (403, or 404 where existence is private), and leaves the
  record as it was; anonymous writes get 401.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api.main import create_app
from layers.access import auth
from layers.booking import BookingRequest, book
from layers.db import make_engine
from layers.settings import Settings
from tests import oruk_profile
from tests.api.test_api_assets import ALLOWED as ASSET_FIELDS
from tests.live_app import demo_database

NORWICH, BRECKLAND = "E07000148", "E07000143"
MARKER = "PRIVATE-" + uuid.uuid4().hex[:10]
PASSWORD = "correct horse battery staple"
BRECKLAND_POINT = (0.85, 52.52)  # Thetford area, in a Breckland LSOA
NORWICH_POINT = (1.2930, 52.6309)

#: The OGC API's (/ogc) names: the public-field allow-list tests/api/test_api_assets.py keeps for its
#: collections, and the standard's own envelope of collections, extents and conformance.
OGC_FIELDS = ASSET_FIELDS | {
    "collections", "crs", "extent", "spatial", "bbox", "itemType", "storageCrs", "templated", "conformsTo",
}  # fmt: skip
#: Field names a public (anonymous) JSON answer may carry. A new name fails this test until someone has
#: decided it is public and added it here.
PUBLIC_FIELDS = {
    "venue_sample",  # a group's venue is made up (the demo's groups): public so residents are told
    "access_2sfca", "access_e2sfca", "accessibility", "activities", "address", "age_max", "age_min",
    "approximate", "area", "areas", "areas_served", "assets", "assets_per_1000", "availability",
    "bivariate_class", "by_category", "capacity", "catchment_m", "categories", "category", "code",
    "communities_of_identity", "communities_of_interest", "community", "coordinates", "cost", "county",
    "coverage", "csrf_token", "database", "deprivation", "derived", "description", "distance_m", "district",
    "districts", "email", "evenings", "explanation", "facilities", "features", "filters", "floor_area_m2",
    "from", "gap", "geometry", "groups", "groups_per_1000", "hub", "hubs", "hubs_per_1000", "id", "indicators",
    "kind", "kinds", "languages", "last_verified_at", "lat", "level", "limit", "localities", "located_by",
    "location_precision", "lon", "lsoa", "measure", "meets", "members", "more_results", "more_serving", "name",
    "need", "need_class", "need_percentile", "need_value", "neighbours", "notes", "offset", "open_at",
    "opening_hours", "operator_name", "operator_type", "origin", "outward_code", "parent_code", "period",
    "phone", "point", "postcode", "postcodes", "postgis", "price_amount", "price_band", "price_unit",
    "priority", "properties", "provision", "provision_class", "provision_percentile", "provision_value", "q",
    "radius_m", "results", "role", "sample", "served_area", "serves_only", "serves_your_area",
    "serving_your_area", "siblings_ranked", "signed_in", "skills_sought", "source", "spaces",
    "spaces_per_1000", "status", "step_free", "subtype", "terms", "type", "until", "url", "user_id", "value",
    "venue_address", "vintage", "volunteers_wanted", "ward", "website", "weekdays", "weekends", "within",
    "error", "detail", "where", "problem", "next", "higher_is_more_need",
    # the OpenActive feeds (RPDE pages, FacilityUse and Slot items: api/routes/openactive.py)
    "items", "license", "state", "modified", "data", "@context", "@type", "@id", "identifier", "facilityType",
    "prefLabel", "inScheme", "location", "streetAddress", "addressLocality", "addressRegion", "postalCode",
    "addressCountry", "geo", "latitude", "longitude", "provider", "offers", "price", "priceCurrency",
    "accessibilityInformation", "facilityUse", "startDate", "endDate", "duration", "remainingUses",
    "maximumUses", "validFromBeforeStartDate", "validThroughBeforeStartDate",
    # free-room search filters, rooms and availability (GET /search/nearby, /hubs/{id}, /spaces/{id}/availability)
    "free_from", "free_until", "free_for_minutes", "max_price", "rooms", "resource_id", "bookable",
    "price_per_hour", "rate_band", "book_url", "rooms_to_book", "currency", "approval", "resource", "timezone", "free", "busy",
    "closed", "date", "reason", "ward_code", "booking", "weekly_hours", "slot_minutes", "min_minutes",
    "max_minutes", "lead_minutes", "horizon_days", "buffer_minutes", "to", "start", "end",
    # the overlay's evidence (issue 15): what counts, conserved shares, scoring and its reasons, rank ranges,
    # the mapped extent (who marked it is public by design: it is the council's statement of completeness)
    "counting", "counted", "potential", "groups_area_wide", "scored", "not_scored", "rank_low", "rank_high",
    "rank_stable", "mapped_extent", "mapped_by", "mapped_at", "note", "classes", "rule", "words",
    "high-low", "high-medium", "high-high", "medium-low", "medium-medium", "medium-high", "low-low",
    "low-medium", "low-high",
    # OGC API - Tiles descriptions (api/routes/tiles.py): the tile matrix sets list
    "tileMatrixSets", "title", "uri", "links", "href", "rel",
}  # fmt: skip
#: A named council contact (layers.areas.contacts.PUBLIC_FIELDS) is public by design (a council role, a work
#: email and phone), so its fields are allowed only as the whole ``contact`` object of these answers (or the
#: whole answer, ""), with exactly these keys; nowhere else. ("contact" itself stays off PUBLIC_FIELDS: a
#: submission's private contact has that name.)
AREA_CONTACT_FIELDS = {"area_code", "area_name", "role_name", "email", "phone", "office_hours"}
AREA_CONTACT_AT = {"/areas/lookup": "contact", "/search/nearby": "contact", "/areas/{code}/contact": ""}
#: Keys that are data, not field names: area codes, IoD keys, categories and kinds used as dict keys.
DATA_KEY = re.compile(
    r"^(E\d{8}|SAMPLE-[A-Z-]+|[a-z_]+_(rank|decile)|population_[a-z0-9_]+|category:[a-z_-]+)$"
)
TAXONOMY_KEYS: set[str] = set()
#: Each district's booking (its reference), made by the world fixture.
references: dict[str, str] = {}


@pytest.fixture(scope="module")
def world(server_url: str) -> Iterator[dict[str, Any]]:
    """Users of every role with tokens, and a hub, space, group and submission in Norwich and in Breckland,
    each with the marker in its private fields; on a database of this module's own, as allowed writes commit."""
    with demo_database(server_url) as settings:
        engine = make_engine(settings.database)
        try:
            yield from _world(settings, engine)
        finally:
            engine.dispose()


def _world(settings: Settings, engine: Engine) -> Iterator[dict[str, Any]]:
    from layers.taxonomy import GROUP_CATEGORIES, HUB_KINDS, SPACE_KINDS

    TAXONOMY_KEYS.update(GROUP_CATEGORIES, HUB_KINDS, SPACE_KINDS)
    tag = uuid.uuid4().hex[:6]
    tokens: dict[str, str] = {}
    records: dict[str, dict[str, int]] = {NORWICH: {}, BRECKLAND: {}}
    references.clear()
    user_ids: dict[str, int] = {}  # for the users pages and API (/users, /admin/users)
    with engine.begin() as conn:
        for persona, role, districts in (
            ("officer", "officer", []),
            ("norwich", "coordinator", [NORWICH]),
            ("breckland", "coordinator", [BRECKLAND]),
            ("admin", "admin", []),
        ):
            email = f"{persona}-{tag}@example.gov.uk"
            user_ids[persona] = auth.create_user(
                conn, email=email, name=persona, role=role, password=PASSWORD, districts=districts
            )
            tokens[persona] = auth.create_token(conn, email, days=1)
        records[NORWICH]["user"], records[BRECKLAND]["user"] = user_ids["norwich"], user_ids["breckland"]
        private = f'{{"email": "{MARKER}@example.com", "note": "{MARKER}"}}'
        for district, (lon, lat) in ((NORWICH, NORWICH_POINT), (BRECKLAND, BRECKLAND_POINT)):
            point = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
            p = {"lon": lon, "lat": lat, "pc": private, "n": f"Matrix {district} {tag}"}
            records[district]["hub"] = conn.execute(text(
                f"INSERT INTO hubs (name, kind, geom, private_contact) VALUES (:n, 'community_centre', {point}, "
                "CAST(:pc AS jsonb)) RETURNING id"), p).scalar_one()  # fmt: skip
            records[district]["space"] = conn.execute(text(
                f"INSERT INTO spaces (name, kind, geom, private_contact) VALUES (:n, 'room', {point}, "
                "CAST(:pc AS jsonb)) RETURNING id"), p).scalar_one()  # fmt: skip
            records[district]["group"] = conn.execute(text(
                f"INSERT INTO groups (name, geom, location_precision, private_contact) VALUES (:n, {point}, "
                "'venue', CAST(:pc AS jsonb)) RETURNING id"), p).scalar_one()  # fmt: skip
            records[district]["submission"] = conn.execute(text(
                "INSERT INTO submissions (reference, kind, details, contact, geom, district_code, client_key) "
                f"VALUES (:ref, 'group', CAST(:d AS jsonb), CAST(:pc AS jsonb), {point}, :dist, 'x') RETURNING id"),
                {**p, "ref": f"M{tag}{district[-2:]}", "d": f'{{"name": "{MARKER} group"}}', "dist": district},
            ).scalar_one()  # fmt: skip
            records[district]["help"] = conn.execute(text(  # an accepted offer of help, followed up
                "INSERT INTO submissions (reference, kind, status, follow_up, details, contact, geom, district_code,"
                f" client_key) VALUES (:ref, 'help', 'approved', 'open', CAST(:d AS jsonb), CAST(:pc AS jsonb), {point},"
                " :dist, 'x') RETURNING id"),
                {**p, "ref": f"H{tag}{district[-2:]}", "d": '{"offer": "help", "share_contact": true}', "dist": district},
            ).scalar_one()  # fmt: skip
        for district in (NORWICH, BRECKLAND):  # the space bookable on request, and a booking of it waiting
            r = records[district]
            r["resource"] = conn.exec_driver_sql(
                "INSERT INTO resources (space_id, weekly_hours, approval, lead_minutes, rate_band, manager_email) "
                "VALUES (%(s)s, 'Mo-Su 00:00-24:00', 'request', 0, 'free', %(m)s) RETURNING id",
                {"s": r["space"], "m": f"{MARKER}@example.com"},
            ).scalar_one()
            when = (datetime.now(UTC) + timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
            request = BookingRequest.model_validate({
                "kind": "space", "id": r["space"], "start": when.isoformat(), "minutes": 60, "name": MARKER,
                "email": f"{MARKER}@example.com", "purpose": "The matrix's booking", "attendees": 1, "consent": True,
            })  # fmt: skip
            booked = book(conn, request, settings=settings.booking, client=f"matrix-{district}")
            references[district] = booked["reference"]
            r["room"] = conn.exec_driver_sql(  # a room of the hub, for the room forms
                "INSERT INTO rooms (hub_id, name) VALUES (%(h)s, 'Matrix room') RETURNING id", {"h": r["hub"]}
            ).scalar_one()
            r["listing_change"] = (
                conn.exec_driver_sql(  # an organiser's new name, waiting for the co-ordinator
                    "INSERT INTO listing_changes (object_type, object_id, changes, district_code) VALUES ('group', "
                    '%(g)s, \'{"name": ["old", "Renamed by the matrix"]}\', %(d)s) RETURNING id',
                    {"g": r["group"], "d": district},
                ).scalar_one()
            )
    with TestClient(create_app(settings)) as client:
        yield {"client": client, "tokens": tokens, "records": records, "tag": tag, "engine": engine}


def _fill(path: str, district: str, records: dict[str, dict[str, int]]) -> str | None:
    """A path with its parameters filled for a record in the district (None if a parameter is unknown)."""
    r = records[district]
    ward = "E05005883" if district == NORWICH else None
    values = {
        "code": district, "district": district, "group_id": r["group"], "hub_id": r["hub"],
        "space_id": r["space"], "id": r["submission"], "submission_id": r["submission"], "ward": ward,
        "version": 1, "partner_id": r.get("partner", 999_999), "resource_id": r["resource"],
        "room_id": r["room"],
        "reference": references[district], "offer_id": r["help"], "change_id": r["listing_change"],
        "user_id": r.get("user"),
    }  # fmt: skip
    out = path
    for name in re.findall(r"\{(\w+)\}", path):
        if name not in values or values[name] is None:
            return None
        out = out.replace("{" + name + "}", str(values[name]))
    return out


QUERIES = {
    "/areas/lookup": {"postcode": "NR2 1AW"},
    "/search/nearby": {"lat": NORWICH_POINT[1], "lon": NORWICH_POINT[0], "radius_m": 50000, "limit": 100},
    "/map/areas.geojson": {"kind": "ward", "bbox": "0.6,52.4,1.5,52.8"},
    "/map/assets.geojson": {"bbox": "0.6,52.4,1.5,52.8"},
    "/map/markers.geojson": {"bbox": "0.6,52.4,1.5,52.8", "zoom": 16},
    "/analysis/overlay": {"level": "district"},
}


def _field_names(value: Any, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, where
            yield from _field_names(v, f"{where}.{k}")
    elif isinstance(value, list):
        for v in value:
            yield from _field_names(v, f"{where}[]")


def _without_area_contact(path: str, body: Any, seen: list[str]) -> Any:
    """The answer without its area contact, once that is checked to hold exactly the contact's public fields."""
    key = AREA_CONTACT_AT.get(path)
    if key is None or not isinstance(body, dict):
        return body
    contact = body if key == "" else body.get(key)
    if contact is None:
        return body
    assert set(contact) == AREA_CONTACT_FIELDS, (path, sorted(contact))
    seen.append(path)
    return {} if key == "" else {k: v for k, v in body.items() if k != key}


def _get_paths(client: TestClient) -> list[str]:
    spec = client.app.openapi()  # type: ignore[attr-defined]
    return [p for p, ops in spec["paths"].items() if "get" in ops]


def test_anonymous_answers_hold_only_public_fields_and_never_a_private_value(world: dict[str, Any]) -> None:
    client: TestClient = world["client"]
    checked, contacts, unlisted = 0, [], set()
    for path in _get_paths(client):
        for district in (NORWICH, BRECKLAND):
            url = _fill(path, district, world["records"])
            if url is None:
                continue
            r = client.get(url, params=QUERIES.get(path, {}), follow_redirects=False)
            assert r.status_code < 500, (url, r.text[:300])
            assert MARKER not in r.text, f"a private value reached {url}"
            if r.status_code == 200 and "json" in r.headers.get("content-type", ""):
                for name, where in _field_names(_without_area_contact(path, r.json(), contacts)):
                    if name in PUBLIC_FIELDS or name in TAXONOMY_KEYS or DATA_KEY.match(name):
                        continue
                    if path.startswith("/ogc") and name in OGC_FIELDS:
                        continue
                    if path.startswith("/oruk/") and name in oruk_profile.declared_names():
                        continue  # a name of the profile's own (tests/api/test_oruk.py: no undeclared field)
                    unlisted.add(f"{url}: field {name!r} at {where or 'top'}")
                checked += 1
    assert not unlisted, "not on the public allow-list: " + "; ".join(sorted(unlisted))
    assert checked >= 15
    assert set(contacts) == set(AREA_CONTACT_AT), contacts  # the demo's Norwich contact was in each


def test_private_field_names_are_not_on_the_allow_list() -> None:
    for name in ("private_contact", "contact", "client_key", "password_hash", "token_hash", "session_hash",
                 "decision_reason", "moderated_by", "erased_at"):  # fmt: skip
        assert name not in PUBLIC_FIELDS and name not in TAXONOMY_KEYS and not DATA_KEY.match(name)


#: A valid body for each write, so that a refusal is the scope check's and not the body's validation.
BODIES: dict[tuple[str, str], dict[str, Any] | None] = {
    ("POST", "/analysis/scenarios"): {
        "within": "E07000148",
        "changes": [{"action": "add", "kind": "hub", "easting_m": 622_000, "northing_m": 310_500}],
    },
    ("PATCH", "/groups/{group_id}"): {"description": "changed by the matrix"},
    ("PATCH", "/hubs/{hub_id}"): {"description": "changed by the matrix"},
    ("PATCH", "/spaces/{space_id}"): {"description": "changed by the matrix"},
    ("POST", "/moderation/{submission_id}/approve"): {},
    ("POST", "/moderation/{submission_id}/reject"): {"reason": "not a community group"},
    ("POST", "/moderation/{submission_id}/needs-info"): {"question": "Where does it meet?"},
    ("POST", "/districts/{code}/partners"): {"name": "Matrix partner"},
    ("POST", "/bookings/{reference}/decline"): {"reason": "the hall is being painted"},
    ("PATCH", "/resources/{resource_id}"): {"price_per_hour": 99},
    ("PUT", "/areas/{code}/contact"): {"role_name": "Matrix connector", "phone": "01632 960555"},
    ("POST", "/help-offers/{offer_id}/introduce"): {"group_id": 1},
    ("POST", "/help-offers/{offer_id}/close"): {"reason": "closed by the matrix"},
    ("POST", "/users"): {"name": "Matrix user", "email": "matrix.user@example.gov.uk", "role": "officer"},
    ("PATCH", "/users/{user_id}"): {"role": "admin"},
    ("PUT", "/analysis/mapped/{code}"): {"kinds": ["hub"]},
}
#: A valid form for each of the patch page's form posts.
FORMS: dict[str, dict[str, str]] = {
    "/patch/{district}/bookings/{reference}/decline": {"reason": "the hall is being painted"},
    "/patch/{district}/resources/{resource_id}": {"price_per_hour": "99"},
    "/patch/{district}/contacts/{code}": {"role_name": "Matrix connector", "phone": "01632 960555"},
    "/patch/{district}/contacts/{code}/clear": {"csrf_token": ""},
    # the record forms (api/routes/record_pages.py): a hub, a space, a group serving the district, a room
    "/patch/{district}/hubs/new": {
        "name": "Matrix form",
        "place": "map",
        "lon": "1.29",
        "lat": "52.63",
        "kind": "community_centre",
        "operator_type": "unknown",
    },
    "/patch/{district}/spaces/new": {
        "name": "Matrix form",
        "place": "map",
        "lon": "1.29",
        "lat": "52.63",
        "kind": "room",
        "status": "available",
    },
    "/patch/{district}/groups/new": {
        "name": "Matrix form",
        "place": "area",
        "areas": "E07000148",
        "status": "active",
    },
    "/patch/{district}/hubs/{hub_id}/rooms/new": {"name": "Matrix room 2"},
    "/patch/{district}/rooms/{room_id}/edit": {"name": "Matrix room renamed"},
    # a record's History list's "Restore this version" buttons (a form with only the CSRF token)
    "/patch/{district}/groups/{group_id}/versions/{version}/restore": {"csrf_token": ""},
    "/patch/{district}/hubs/{hub_id}/versions/{version}/restore": {"csrf_token": ""},
    "/patch/{district}/spaces/{space_id}/versions/{version}/restore": {"csrf_token": ""},
    "/patch/{district}/rooms/{room_id}/versions/{version}/restore": {"csrf_token": ""},
    "/patch/{district}/help-offers/{offer_id}/introduce": {"group_id": "1"},
    "/patch/{district}/help-offers/{offer_id}/close": {"reason": "closed by the matrix"},
    "/patch/{district}/listing-changes/{change_id}/reject": {"reason": "not this name"},
    # the check page's approve-with-corrections (api/routes/moderation_pages.py): a valid correction of the group
    "/patch/{district}/offers/{submission_id}": {
        "name": "Matrix corrected",
        "categories": "older-people",
        "place": "area",
    },
}
#: Writes anyone may make (residents' offers, signing in and out): not scoped to a district.
OPEN_WRITES = {
    "/auth/sign-in",
    "/auth/sign-out",
    "/submissions/group",
    "/submissions/space",
    "/submissions/help",
    "/bookings",  # anyone may book; the booker's own changes need the manage token, not a role
    "/bookings/{reference}/cancel",
    # a resident's own offer: by its reference and email, or by the emailed link's secret (tested in
    # tests/api/test_offer_answers.py: another offer's, a used or an expired secret is refused, changing nothing)
    "/offers/status",
    "/offers/status/withdraw-link",
    "/offers/withdraw",
    "/offers/answer",
    # an organiser's own listing: by the emailed link's secret and the session it starts, for one record only
    # (tested in tests/api/test_organisers.py: another record, a used or an expired link is refused, unchanged)
    "/organisers/sign-in",
    "/organisers/session",
    "/organisers/still-right",
    "/organisers/listing/{kind}/{record_id}",
    "/organisers/sign-out",
    # a new user's password, by the emailed link's secret (tested in tests/api/test_users_admin.py: a used,
    # expired, superseded or other purpose's link is refused and nothing changes)
    "/set-password",
    # a what-if computes and writes nothing (no asset table is touched), so anyone may ask, like GET /analysis/overlay
    "/analysis/scenarios",
}
#: Reads of private things (a queue, versions, stale lists, partners, users): scoped like writes.
SCOPED_READ = re.compile(r"^/(moderation|districts)/|/versions$|^/bookings$|/help-offers$|^/(admin/)?users")


def _scoped_calls(client: TestClient) -> list[tuple[str, str]]:
    spec = client.app.openapi()  # type: ignore[attr-defined]
    calls = []
    for path, ops in spec["paths"].items():
        for method in ops:
            if method == "get" and SCOPED_READ.search(path):
                calls.append(("GET", path))
            elif method != "get" and path not in OPEN_WRITES:
                calls.append((method.upper(), path))
    return calls


def _snapshot(engine: Engine, records: dict[str, int]) -> tuple[Any, ...]:
    """The district's matrix records as stored, and its bookings (a refused call must change none)."""
    tables = (("hub", "hubs"), ("space", "spaces"), ("group", "groups"), ("submission", "submissions"),
              ("resource", "resources"), ("help", "submissions"), ("room", "rooms"),
              ("listing_change", "listing_changes"))  # fmt: skip
    with engine.connect() as conn:
        rows = [
            conn.execute(
                text(f"SELECT to_jsonb(t) - 'updated_at' FROM {table} t WHERE id = :i"), {"i": records[kind]}
            ).scalar()
            for kind, table in tables
        ]
        bookings = conn.execute(
            text("SELECT jsonb_agg(to_jsonb(b) ORDER BY id) FROM bookings b WHERE resource_id = :r"),
            {"r": records["resource"]},
        ).scalar_one()
    contacts = _contacts(engine)  # every area's named contact (PUT/DELETE /areas/{code}/contact, the forms)
    with engine.connect() as conn:  # the users, their districts and set-password links (/users, /admin/users)
        users = conn.execute(text(
            "SELECT jsonb_agg(to_jsonb(u) - 'last_login_at' ORDER BY id), (SELECT count(*) FROM user_districts), "
            "(SELECT count(*) FROM link_tokens WHERE purpose = 'set_password') FROM users u")).one()  # fmt: skip
    return (*rows, bookings, contacts, tuple(users))


def _contacts(engine: Engine) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT jsonb_agg(to_jsonb(c) ORDER BY area_code) FROM area_contacts c")
        ).scalar_one()


def test_every_scoped_call_is_refused_across_districts_and_to_anonymous(world: dict[str, Any]) -> None:
    client: TestClient = world["client"]
    calls = _scoped_calls(client)
    assert len(calls) >= 20, calls  # moderation, edits, versions, confirm, partners, stale
    refused = 0
    for method, path in calls:
        body = BODIES.get((method, path))
        for persona, district in (("breckland", NORWICH), ("norwich", BRECKLAND), (None, NORWICH)):
            url = _fill(path, district, world["records"])
            if url is None:
                continue
            before = _snapshot(world["engine"], world["records"][district])
            headers = {"Authorization": f"Bearer {world['tokens'][persona]}"} if persona else {}
            query = {"district": district} if path in ("/moderation/queue", "/bookings") else {}
            if path.startswith(("/patch/", "/admin/")):  # plain forms: pages, and sign-in for strangers
                form = FORMS.get(path, {})
                r = client.request(method, url, data=form, headers=headers, follow_redirects=False)
                if persona is None:
                    assert r.status_code == 303 and r.headers["location"].startswith("/sign-in"), (
                        url,
                        r.text,
                    )
                else:
                    assert r.status_code in {403, 404}, (persona, method, url, r.status_code, r.text[:200])
                    assert r.headers["content-type"].startswith("text/html"), (
                        persona,
                        method,
                        url,
                        r.text[:200],
                    )
            else:
                r = client.request(method, url, json=body, headers=headers, params=query)
                expected = {401} if persona is None else {403, 404}
                assert r.status_code in expected, (persona, method, url, r.status_code, r.text[:200])
                assert set(r.json()) == {"error", "detail"}
            assert _snapshot(world["engine"], world["records"][district]) == before, (persona, method, url)
            refused += 1
    assert refused >= 3 * 20


def test_the_same_calls_are_allowed_inside_the_district(world: dict[str, Any]) -> None:
    """The refusals above are the scope's: the district's own co-ordinator, an officer and an admin may."""
    client: TestClient = world["client"]
    for persona in ("norwich", "officer", "admin"):
        headers = {"Authorization": f"Bearer {world['tokens'][persona]}"}
        r = world["records"][NORWICH]
        for method, url in (
            ("GET", f"/moderation/{r['submission']}"),
            ("PATCH", f"/hubs/{r['hub']}"),
            ("POST", f"/groups/{r['group']}/confirm"),
            ("GET", f"/spaces/{r['space']}/versions"),
            ("GET", f"/rooms/{r['room']}/versions"),  # a hub's room: in its hub's district
            ("GET", f"/districts/{NORWICH}/stale"),
            ("GET", f"/districts/{NORWICH}/help-offers"),
            ("GET", f"/patch/{NORWICH}/offers/{r['submission']}"),  # the check page (HTML)
        ):
            body = {"description": f"edited by {persona}"} if method == "PATCH" else None
            answer = client.request(method, url, json=body, headers=headers)
            assert answer.status_code == 200, (persona, method, url, answer.text[:200])
    # the Norwich co-ordinator sees the submission's private contact; nobody anonymous ever does
    queue = client.get("/moderation/queue", params={"district": NORWICH},
                       headers={"Authorization": f"Bearer {world['tokens']['norwich']}"})  # fmt: skip
    assert queue.status_code == 200 and MARKER in queue.text
