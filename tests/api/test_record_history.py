"""A record page's History list (api/routes/record_pages.py, layers/records/history.py) as plain form posts:
every version with its number, time, author and fields changed, markup shown as text; "Restore this version"
puts the record back as a new version, once (a second press writes nothing); it needs the form's CSRF token,
a covering actor and the record's own district's address.

Its own database (the fixtures of tests/api/test_record_forms.py), dropped at the end.
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from layers.settings import Settings
from tests.api.test_record_forms import (
    BRECKLAND,
    NORWICH,
    XSS,
    app_settings,
    db,
    form_key,
    hub_in,
    sign_in,
    web,
)

__all__ = ["app_settings", "web"]  # module fixtures, used by name


def versions_of(settings: Settings, kind: str, record_id: int) -> list[tuple[int, str]]:
    """A record's versions as stored: (version, action), oldest first."""
    rows = db(settings, "SELECT version, action FROM record_versions WHERE object_type = %s AND object_id = %s "
              "ORDER BY version", kind, record_id)  # fmt: skip
    return [(int(v), str(a)) for v, a in rows]


def restore_buttons(page: str) -> list[str]:
    """The addresses the History list's restore buttons post to."""
    return re.findall(r'<form method="post" action="([^"]+/restore)"', page)


def test_a_rooms_history_and_restore_from_its_page(web: TestClient, app_settings: Settings) -> None:
    csrf = sign_in(web, "norwich")
    hub_id, _ = hub_in(app_settings, NORWICH)
    new_room = f"/patch/{NORWICH}/hubs/{hub_id}/rooms/new"
    room = {"csrf_token": csrf, "name": "History hall " + XSS, "capacity": "80", "facilities": "stage",
            "step_free": "yes", "form_key": form_key(web, new_room)}  # fmt: skip
    r = web.post(new_room, data=room, follow_redirects=False)
    assert r.status_code == 303
    edit = r.headers["location"].split("?")[0]
    room_id = int(edit.split("/")[-2])
    assert web.post(edit, data={**room, "capacity": "75"}, follow_redirects=False).status_code == 303
    assert versions_of(app_settings, "room", room_id) == [(1, "create"), (2, "update")]

    page = web.get(edit).text
    history = page[page.index('id="pm-history"') :]
    assert "Version 2</strong>: Changed on" in history and "Version 1</strong>: Added on" in history
    assert "by Forms coordinator" in history and "Changed: Capacity (people)" in history
    restore = f"/patch/{NORWICH}/rooms/{room_id}/versions/1/restore"
    assert restore_buttons(history) == [restore]  # none for the newest: it is how the room is now
    assert "<script>alert" not in page and "&lt;script&gt;" in page

    r = web.post(restore, data={"csrf_token": csrf}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, f"{edit}?saved=restored")
    assert db(app_settings, "SELECT capacity FROM rooms WHERE id = %s", room_id) == [(80,)]
    assert versions_of(app_settings, "room", room_id)[-1] == (3, "restore")
    shown = web.get(r.headers["location"]).text
    assert "Restored: the room is back as it was at that version" in shown
    assert "Version 3</strong>: Restored on" in shown
    # pressed again (or retried): it already is so, and nothing more is written
    r = web.post(restore, data={"csrf_token": csrf}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, f"{edit}?saved=unchanged")
    assert len(versions_of(app_settings, "room", room_id)) == 3
    assert "Nothing to restore" in web.get(r.headers["location"]).text

    # refused: the wrong security token, no such version, another district's co-ordinator, nobody signed in
    r = web.post(restore, data={"csrf_token": "wrong"})
    assert r.status_code == 403 and "security token" in r.text
    r = web.post(f"/patch/{NORWICH}/rooms/{room_id}/versions/99/restore", data={"csrf_token": csrf})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    other = sign_in(web, "breckland")
    r = web.post(restore.replace("/1/", "/2/"), data={"csrf_token": other})
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
    web.cookies.clear()
    r = web.post(restore.replace("/1/", "/2/"), data={"csrf_token": ""}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/sign-in")
    assert len(versions_of(app_settings, "room", room_id)) == 3
    assert db(app_settings, "SELECT capacity FROM rooms WHERE id = %s", room_id) == [(80,)]


def test_a_hubs_history_and_restore_from_its_page(web: TestClient, app_settings: Settings) -> None:
    csrf = sign_in(web, "officer")
    hub_id, name = hub_in(app_settings, NORWICH)
    headers = {"x-csrf-token": csrf}
    r = web.patch(f"/hubs/{hub_id}", json={"name": "History renamed hub"}, headers=headers)
    assert r.status_code == 200, r.text
    page = web.get(f"/patch/{NORWICH}/hubs/{hub_id}/edit").text
    history = page[page.index('id="pm-history"') :]
    assert "by Forms officer" in history and "Changed: Name" in history
    assert "by an import" in history  # the demo's import wrote its first version
    first = int(versions_of(app_settings, "hub", hub_id)[-2][0])
    restore = f"/patch/{NORWICH}/hubs/{hub_id}/versions/{first}/restore"
    assert restore in restore_buttons(history)
    # the address must be the record's own district's, even for an officer
    wrong = web.post(restore.replace(NORWICH, BRECKLAND), data={"csrf_token": csrf})
    assert wrong.status_code == 404
    r = web.post(restore, data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("?saved=restored")
    assert db(app_settings, "SELECT name FROM hubs WHERE id = %s", hub_id) == [(name,)]


def test_a_new_records_page_has_no_history(web: TestClient) -> None:
    sign_in(web, "norwich")
    page = web.get(f"/patch/{NORWICH}/spaces/new")
    assert page.status_code == 200 and 'id="pm-history"' not in page.text
