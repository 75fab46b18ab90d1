"""Answers that come back to residents who make an offer: the acknowledgement, each decision's message, the
status page, withdrawing from the emailed link and answering a question from it; tokens single use, expiring,
stored as digests and bound to their purpose; nothing private in public answers or in the log.

Messages are read from a real local SMTP server (aiosmtpd), sent by the app's own background sender. The module
has a database of its own (the demo, a named contact for Norwich, and co-ordinators), because the app commits.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api.main import create_app
from layers.access import auth
from layers.db import make_engine
from layers.settings import AccessSettings, PeopleSettings, Settings, SubmissionSettings
from tests.conftest import SUITE_LOG
from tests.layers.messages.mailroom import WAIT_S, SmtpServer
from tests.live_app import demo_database

NORWICH, BRECKLAND = "E07000148", "E07000143"
LIBRARY = (1.29095, 52.62773)  # a point in Mancroft ward, Norwich
PASSWORD = "correct horse battery staple"
CONTACT_ROLE = "Community Connector, Norwich"
CONTACT_EMAIL = "connect.norwich@example.gov.uk"
FORM = {"Accept": "text/html,application/xhtml+xml"}
NOT_FOUND = "We couldn&#39;t find an offer with that reference and email address"


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def own_settings(server_url: str, smtp_server: SmtpServer) -> Iterator[Settings]:
    """The demo on a database of this module's own, with a named contact for Norwich, sending to the server."""

    def contact(conn: Any) -> None:
        conn.execute(text("DELETE FROM area_contacts"))  # the demo's sample contacts: only ours here
        conn.execute(
            text(
                "INSERT INTO area_contacts (area_code, role_name, email, phone, office_hours) "
                "VALUES (:c, :r, :e, '01603 212020', 'Monday to Friday, 9am to 5pm') "
                "ON CONFLICT (area_code) DO UPDATE SET role_name = excluded.role_name, email = excluded.email"
            ),
            {"c": NORWICH, "r": CONTACT_ROLE, "e": CONTACT_EMAIL},
        )

    with demo_database(
        server_url,
        "patchmap_offers",
        setup=contact,
        submissions=SubmissionSettings(submission_secret="a test secret", submission_limit=1000),
        mail=smtp_server.mail(mail_interval_s=0.05),
        access=AccessSettings(secure_cookies=False),
        people=PeopleSettings(status_lookup_limit=10_000),
    ) as s:
        yield s


@pytest.fixture(scope="module")
def own_engine(own_settings: Settings) -> Iterator[Engine]:
    """An engine on this module's database."""
    e = make_engine(own_settings.database)
    yield e
    e.dispose()


@pytest.fixture(scope="module")
def api(own_settings: Settings) -> Iterator[TestClient]:
    """A client on the app (status lookups effectively unlimited: one test checks the limit on its own app)."""
    with TestClient(create_app(own_settings)) as c:
        yield c


@pytest.fixture(scope="module")
def people(own_engine: Engine) -> dict[str, dict[str, str]]:
    """Bearer headers of the co-ordinators of Norwich and of Breckland."""
    out: dict[str, dict[str, str]] = {}
    for who, districts in (("norwich", [NORWICH]), ("breckland", [BRECKLAND])):
        email = f"{who}-{uuid.uuid4().hex[:8]}@example.gov.uk"
        with own_engine.begin() as conn:
            auth.create_user(conn, email=email, name=who, role="coordinator", password=PASSWORD,
                             districts=districts)  # fmt: skip
            out[who] = {"Authorization": f"Bearer {auth.create_token(conn, email)}"}
    return out


def resident() -> str:
    """A new resident's email address (each test's own, so its messages are told apart)."""
    return f"resident.{uuid.uuid4().hex[:10]}@example.org"


def offer(api: TestClient, email: str | None, *, kind: str = "group", headers: dict[str, str] | None = None,
          **more: Any) -> dict[str, Any]:  # fmt: skip
    """Send an offer with JSON (201); the receipt."""
    contact = {"name": "Sam Resident", **({"email": email} if email else {"phone": "01603 212121"})}
    bodies = {
        "group": {"name": f"Knit and Natter {uuid.uuid4().hex[:6]}", "description": "Knitting and tea.",
                  "categories": ["older-people"], "days": ["tu"], "when": "Tuesdays 2pm to 4pm",
                  "venue": "The Forum", "lat": LIBRARY[1], "lon": LIBRARY[0]},
        "help": {"offer": "I can drive people to appointments.", "skills": ["driving"], "days": ["sa"],
                 "lat": LIBRARY[1], "lon": LIBRARY[0]},
    }  # fmt: skip
    body = {**bodies[kind], "contact": contact, "consent": True, **more}
    r = api.post(f"/submissions/{kind}", json=body, headers=headers or {})
    assert r.status_code == 201, r.text
    return dict(r.json())


def mail_to(smtp: SmtpServer, to: str, subject: str, count: int = 1) -> list[EmailMessage]:
    """Wait until ``count`` messages to ``to`` whose subject has ``subject`` have arrived; all of them."""
    inbox = smtp.inbox

    def found() -> list[EmailMessage]:
        return [a.message for a in inbox.arrived if to in a.rcpt_tos and subject in str(a.message["Subject"])]

    with inbox.changed:
        assert inbox.changed.wait_for(lambda: len(found()) >= count, WAIT_S), (
            f"no message {subject!r} to {to}"
        )
        return found()


def body_of(message: EmailMessage) -> str:
    """The plain text of a message."""
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def link_in(body: str, path: str) -> str:
    """The secret of the first link to ``path`` in a message."""
    found = re.search(r"https?://\S+" + re.escape(path) + r"\?token=(\S+)", body)
    assert found, body
    return found.group(1)


def submission(engine: Engine, reference: str) -> Any:
    """The submission row with this reference."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT * FROM submissions WHERE reference = :r"), {"r": reference}).one()


def scalar(engine: Engine, query: str, **params: Any) -> Any:
    """One value."""
    with engine.connect() as conn:
        return conn.execute(text(query), params).scalar()


# ---------------------------------------------------------------- the acknowledgement


def test_an_offer_with_email_is_acknowledged_once_naming_the_contact(
    api: TestClient, own_engine: Engine, smtp_server: SmtpServer
) -> None:
    """The message has the reference, what happens next, the named contact, the status page and a withdraw
    link; the secret is stored only as its SHA-256 digest; the receipt says a message was sent."""
    email = resident()
    first = offer(api, email)
    reference = first["reference"]
    assert "We have emailed you this reference" in first["message"]
    [message] = mail_to(smtp_server, email, reference)
    body = body_of(message)
    assert message["Subject"] == f"We have your suggestion of a group {reference}"
    assert f"Your reference is {reference}." in body and "What happens next" in body
    assert f"Your council contact for Norwich: {CONTACT_ROLE}" in body and CONTACT_EMAIL in body
    assert f"/offers/status?reference={reference}" in body
    secret = link_in(body, "/offers/withdraw")
    with own_engine.connect() as conn:
        rows = conn.execute(
            text("SELECT token_hash, action, expires_at - created_at AS lasts FROM link_tokens "
                 "WHERE object_type = 'submission' AND object_id = :i"), {"i": submission(own_engine, reference).id}
        ).all()  # fmt: skip
        outbox = conn.execute(
            text("SELECT count(*) FROM outbox WHERE about = :a"), {"a": f"submission/{reference}"}
        )
        assert outbox.scalar() == 1
    assert [(r.token_hash, r.action) for r in rows] == [
        (hashlib.sha256(secret.encode()).hexdigest(), "withdraw")
    ]
    assert 89 <= rows[0].lasts.days <= 90  # settings.people.offer_link_days
    assert scalar(own_engine, "SELECT count(*) FROM link_tokens WHERE token_hash = :s", s=secret) == 0


def test_a_retried_offer_queues_nothing_twice(api: TestClient, own_engine: Engine) -> None:
    """The same Idempotency-Key and body: the first receipt, one submission, one message."""
    email, key = resident(), str(uuid.uuid4())
    body = {"offer": "Gardening on Sundays.", "skills": ["gardening"], "lat": LIBRARY[1], "lon": LIBRARY[0],
            "contact": {"name": "Sam", "email": email}, "consent": True}  # fmt: skip
    answers = [api.post("/submissions/help", json=body, headers={"Idempotency-Key": key}) for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 201] and answers[0].json() == answers[1].json()
    reference = answers[0].json()["reference"]
    assert scalar(own_engine, "SELECT count(*) FROM outbox WHERE recipient = :e", e=email) == 1
    assert scalar(own_engine, "SELECT count(*) FROM submissions WHERE contact->>'email' = :e", e=email) == 1
    assert reference in answers[1].json()["message"]


def test_an_offer_without_email_gets_no_message_and_the_page_says_nothing_was_sent(
    api: TestClient, own_engine: Engine
) -> None:
    before = scalar(own_engine, "SELECT count(*) FROM outbox")
    receipt = offer(api, None)
    assert "emailed" not in receipt["message"]
    page = api.post("/submissions/group", headers=FORM, data={
        "name": "Phone only club", "description": "A club.", "categories": "older-people", "postcode": "NR2 1AW",
        "contact_name": "Pat", "contact_phone": "01603 212121", "consent": "true"})  # fmt: skip
    assert page.status_code == 201 and "check its status" not in page.text and "emailed" not in page.text
    assert scalar(own_engine, "SELECT count(*) FROM outbox") == before
    emailed = api.post("/submissions/group", headers=FORM, data={
        "name": "Email club", "description": "A club.", "categories": "older-people", "postcode": "NR2 1AW",
        "contact_name": "Pat", "contact_email": resident(), "consent": "true"})  # fmt: skip
    assert (
        emailed.status_code == 201
        and "check its status" in emailed.text
        and "/offers/status?reference=PM-" in emailed.text
    )


def test_where_no_contact_is_kept_the_message_names_the_community_team(
    api: TestClient, own_engine: Engine, smtp_server: SmtpServer
) -> None:
    ward = scalar(own_engine, "SELECT code FROM areas WHERE kind = 'ward' AND parent_code = :d ORDER BY code LIMIT 1",
                  d=BRECKLAND)  # fmt: skip
    email = resident()
    body = {"offer": "Dog walking.", "skills": ["driving"], "area_code": ward,
            "contact": {"name": "Sam", "email": email}, "consent": True}  # fmt: skip
    r = api.post("/submissions/help", json=body)
    assert r.status_code == 201, r.text
    text_ = body_of(mail_to(smtp_server, email, r.json()["reference"])[0])
    assert "contact your council's community team, quoting your reference" in text_
    assert "Your council contact" not in text_


# ---------------------------------------------------------------- decisions come back


def test_each_decision_sends_its_message(
    api: TestClient, own_engine: Engine, smtp_server: SmtpServer, people: dict[str, dict[str, str]]
) -> None:
    """Approved (with the published record's link), rejected (with the reason), questioned (with the question
    and a single-use answer link); each names the contact."""
    accepted, rejected, asked = resident(), resident(), resident()
    refs = {who: offer(api, who)["reference"] for who in (accepted, rejected, asked)}
    ids = {who: submission(own_engine, ref).id for who, ref in refs.items()}
    r = api.post(f"/moderation/{ids[accepted]}/approve", headers=people["norwich"])
    assert r.status_code == 200, r.text
    record = r.json()["published_as"]
    reason = "We already list this group & <its> twin."
    assert api.post(f"/moderation/{ids[rejected]}/reject", headers=people["norwich"],
                    json={"reason": reason}).status_code == 200  # fmt: skip
    question = "Which room at The Forum do you meet in?"
    assert api.post(f"/moderation/{ids[asked]}/needs-info", headers=people["norwich"],
                    json={"question": question}).status_code == 200  # fmt: skip

    yes = body_of(mail_to(smtp_server, accepted, "has been accepted")[0])
    assert refs[accepted] in yes
    # the link is the residents' map, searching where the group is for its name (not a JSON record)
    link = re.search(r"(https?://\S+/\?where=\S+)", yes)
    assert link, yes
    asked_for = parse_qs(urlsplit(link.group(1)).query)
    name, ward = scalar(own_engine, "SELECT g.name || '|' || w.name FROM groups g JOIN areas w ON w.kind = 'ward' "
                        "AND w.code = g.ward_code WHERE g.id = :i", i=int(record.split("/")[1])).split("|")  # fmt: skip
    assert asked_for == {"where": [ward], "q": [name]}
    no = body_of(mail_to(smtp_server, rejected, "was not accepted")[0])
    assert f"The reason: {reason}" in no and CONTACT_ROLE in no
    q = body_of(mail_to(smtp_server, asked, "A question about")[0])
    assert question in q and CONTACT_ROLE in q
    secret = link_in(q, "/offers/answer")
    assert scalar(own_engine, "SELECT action FROM link_tokens WHERE token_hash = :h",
                  h=hashlib.sha256(secret.encode()).hexdigest()) == "answer"  # fmt: skip
    # Another district's co-ordinator cannot decide (404) and nothing is sent.
    other = offer(api, resident())["reference"]
    before = scalar(own_engine, "SELECT count(*) FROM outbox")
    sid = submission(own_engine, other).id
    assert (
        api.post(f"/moderation/{sid}/reject", headers=people["breckland"], json={"reason": "x"}).status_code
        == 404
    )
    assert scalar(own_engine, "SELECT count(*) FROM outbox") == before


def test_the_resident_answers_and_the_moderator_sees_it(
    api: TestClient, own_engine: Engine, smtp_server: SmtpServer, people: dict[str, dict[str, str]]
) -> None:
    """GET shows the question and changes nothing; POST keeps the answer, the offer is pending again, the
    moderator's queue shows the answer; the link works once."""
    email = resident()
    reference = offer(api, email)["reference"]
    sid = submission(own_engine, reference).id
    api.post(
        f"/moderation/{sid}/needs-info", headers=people["norwich"], json={"question": "Is it step-free?"}
    )
    secret = link_in(body_of(mail_to(smtp_server, email, "A question about")[0]), "/offers/answer")

    for _ in range(2):  # opening it twice (a mail scanner, then the resident) changes nothing
        page = api.get("/offers/answer", params={"token": secret})
        assert page.status_code == 200 and "Is it step-free?" in page.text
        assert (
            f'name="token" value="{secret}"' in page.text and page.headers["referrer-policy"] == "no-referrer"
        )
    assert submission(own_engine, reference).status == "needs_info"

    empty = api.post("/offers/answer", data={"token": secret, "answer": "   "})
    assert (
        empty.status_code == 422 and "Write your answer" in empty.text and 'aria-invalid="true"' in empty.text
    )
    words = "Yes: there is a ramp <and> a lift."
    done = api.post("/offers/answer", data={"token": secret, "answer": words})
    assert done.status_code == 200 and "Thank you for your answer" in done.text
    assert "Waiting for a decision" in done.text
    assert submission(own_engine, reference).status == "pending"
    item = api.get(f"/moderation/{sid}", headers=people["norwich"]).json()
    assert [r["body"] for r in item["replies"]] == [words]
    queued = {i["id"]: i for i in api.get("/moderation/queue", headers=people["norwich"]).json()}
    assert [r["body"] for r in queued[sid]["replies"]] == [words]
    assert sid not in {i["id"] for i in api.get("/moderation/queue", headers=people["breckland"]).json()}

    again = api.post("/offers/answer", data={"token": secret, "answer": "A second answer"})
    assert again.status_code == 403 and "already been used" in again.text
    assert scalar(own_engine, "SELECT count(*) FROM submission_replies WHERE submission_id = :i", i=sid) == 1
    assert api.get("/offers/answer", params={"token": secret}).status_code == 403


# ---------------------------------------------------------------- tokens


def test_expired_wrong_purpose_and_unknown_tokens_are_refused_and_change_nothing(
    api: TestClient, own_engine: Engine, smtp_server: SmtpServer, people: dict[str, dict[str, str]]
) -> None:
    email = resident()
    reference = offer(api, email)["reference"]
    sid = submission(own_engine, reference).id
    withdraw = link_in(body_of(mail_to(smtp_server, email, reference)[0]), "/offers/withdraw")
    api.post(f"/moderation/{sid}/needs-info", headers=people["norwich"], json={"question": "When?"})
    answer = link_in(body_of(mail_to(smtp_server, email, "A question about")[0]), "/offers/answer")
    audits = scalar(own_engine, "SELECT count(*) FROM audit_log")

    # A withdraw link is not an answer link, nor the other way round.
    wrong = api.post("/offers/answer", data={"token": withdraw, "answer": "Mondays"})
    assert wrong.status_code == 403 and "not for this page" in wrong.text
    assert api.post("/offers/withdraw", data={"token": answer}).status_code == 403
    for bad in ("", "not-a-token", "x" * 129):
        assert api.post("/offers/withdraw", data={"token": bad}).status_code in (403, 422)
        assert api.get("/offers/withdraw", params={"token": bad[:128]}).status_code == 403
    # Expired: refused, and the offer is unchanged.
    with own_engine.begin() as conn:
        conn.execute(text("UPDATE link_tokens SET expires_at = now() - interval '1 minute' "
                          "WHERE object_id = :i AND object_type = 'submission'"), {"i": sid})  # fmt: skip
    for path, data in (
        ("/offers/withdraw", {"token": withdraw}),
        ("/offers/answer", {"token": answer, "answer": "x"}),
    ):
        late = api.post(path, data=data)
        assert late.status_code == 403 and "expired" in late.text
    row = submission(own_engine, reference)
    assert row.status == "needs_info"
    assert scalar(own_engine, "SELECT count(*) FROM submission_replies WHERE submission_id = :i", i=sid) == 0
    assert scalar(own_engine, "SELECT count(*) FROM link_tokens WHERE object_id = :i AND used_at IS NOT NULL "
                  "AND object_type = 'submission'", i=sid) == 0  # fmt: skip
    assert scalar(own_engine, "SELECT count(*) FROM audit_log") == audits


# ---------------------------------------------------------------- status


def test_status_by_reference_and_email(
    api: TestClient, own_engine: Engine, people: dict[str, dict[str, str]]
) -> None:
    """The right pair shows the status in words with the contact; a wrong email and an unknown reference get
    the same 404 page; the email is never in the page; a rejected offer shows its reason."""
    email = resident()
    reference = offer(api, email)["reference"]
    form = api.get("/offers/status", params={"reference": reference})
    assert form.status_code == 200 and f'value="{reference}"' in form.text
    found = api.post(
        "/offers/status", data={"reference": reference.lower().replace("pm-", ""), "email": email.upper()}
    )
    assert found.status_code == 200, found.text
    assert "Received: a council officer will check it soon" in found.text and CONTACT_ROLE in found.text
    assert email not in found.text.lower() and found.headers["cache-control"] == "private, no-store"
    wrong = api.post("/offers/status", data={"reference": reference, "email": resident()})
    unknown = api.post("/offers/status", data={"reference": "PM-ZZZZZZZZ", "email": email})
    assert wrong.status_code == unknown.status_code == 404
    assert NOT_FOUND in wrong.text and NOT_FOUND in unknown.text
    strip = lambda html: re.sub(r'value="[^"]*"', "", html)  # noqa: E731 (the typed reference is kept in the form)
    assert strip(wrong.text) == strip(unknown.text)
    assert api.post("/offers/status", data={"reference": "", "email": ""}).status_code == 422
    sid = submission(own_engine, reference).id
    api.post(f"/moderation/{sid}/reject", headers=people["norwich"], json={"reason": "It is a <duplicate>."})
    after = api.post("/offers/status", data={"reference": reference, "email": email})
    assert "Not accepted" in after.text and "It is a &lt;duplicate&gt;." in after.text
    assert "Email me a link to withdraw" not in after.text


def test_status_lookups_are_limited_per_client(own_settings: Settings) -> None:
    """The limit is kept in the database: a second app (another worker, or after a restart) counts on; another
    client is not limited."""
    limited_settings = own_settings.model_copy(update={"people": PeopleSettings(status_lookup_limit=3)})
    form = {"reference": "PM-ZZZZZZZZ", "email": "a@example.org"}
    with TestClient(create_app(limited_settings), client=("198.51.100.7", 50000)) as c:
        codes = [c.post("/offers/status", data=form).status_code for _ in range(2)]
    with TestClient(create_app(limited_settings), client=("198.51.100.7", 50000)) as c:
        codes += [c.post("/offers/status", data=form).status_code for _ in range(2)]
        assert codes == [404, 404, 404, 429]
        limited = c.post("/offers/status", data=form)
        assert int(limited.headers["retry-after"]) > 0 and "try again" in limited.text
    with TestClient(create_app(limited_settings), client=("198.51.100.8", 50000)) as other:
        assert other.post("/offers/status", data=form).status_code == 404


# ---------------------------------------------------------------- withdraw


def test_withdraw_from_the_link(
    api: TestClient, own_engine: Engine, smtp_server: SmtpServer, people: dict[str, dict[str, str]]
) -> None:
    """GET shows one button and changes nothing; POST withdraws, audits, confirms by email, and the patch's
    queue no longer lists it; the link works once."""
    email = resident()
    reference = offer(api, email)["reference"]
    sid = submission(own_engine, reference).id
    secret = link_in(body_of(mail_to(smtp_server, email, reference)[0]), "/offers/withdraw")
    page = api.get("/offers/withdraw", params={"token": secret})
    assert page.status_code == 200 and "Withdraw my offer" in page.text and 'method="post"' in page.text
    assert submission(own_engine, reference).status == "pending"
    assert sid in {i["id"] for i in api.get("/moderation/queue", headers=people["norwich"]).json()}
    done = api.post("/offers/withdraw", data={"token": secret})
    assert done.status_code == 200 and "Your offer is withdrawn" in done.text
    assert submission(own_engine, reference).status == "withdrawn"
    assert scalar(own_engine, "SELECT count(*) FROM audit_log WHERE action = 'submission-withdraw' AND object_id = :i",
                  i=str(sid)) == 1  # fmt: skip
    assert "is withdrawn" in body_of(mail_to(smtp_server, email, "is withdrawn")[0])
    assert sid not in {i["id"] for i in api.get("/moderation/queue", headers=people["norwich"]).json()}
    assert api.post("/offers/withdraw", data={"token": secret}).status_code == 403


def test_an_accepted_offer_cannot_be_withdrawn_and_the_link_still_works_after(
    api: TestClient, own_engine: Engine, smtp_server: SmtpServer, people: dict[str, dict[str, str]]
) -> None:
    email = resident()
    reference = offer(api, email, kind="help")["reference"]
    sid = submission(own_engine, reference).id
    secret = link_in(body_of(mail_to(smtp_server, email, reference)[0]), "/offers/withdraw")
    assert api.post(f"/moderation/{sid}/approve", headers=people["norwich"]).status_code == 200
    refused = api.post("/offers/withdraw", data={"token": secret})
    assert (
        refused.status_code == 409
        and "already been accepted" in refused.text
        and CONTACT_ROLE in refused.text
    )
    assert submission(own_engine, reference).status == "approved"
    assert scalar(own_engine, "SELECT used_at FROM link_tokens WHERE token_hash = :h",
                  h=hashlib.sha256(secret.encode()).hexdigest()) is None  # fmt: skip
    help_mail = body_of(mail_to(smtp_server, email, "has been accepted")[0])
    assert "It stays private" in help_mail


def test_a_new_withdraw_link_from_the_status_page(
    api: TestClient, own_engine: Engine, smtp_server: SmtpServer
) -> None:
    """The status page's button emails a new link (the old one stops working); the form carries no email."""
    email = resident()
    reference = offer(api, email)["reference"]
    old = link_in(body_of(mail_to(smtp_server, email, reference)[0]), "/offers/withdraw")
    page = api.post("/offers/status", data={"reference": reference, "email": email}).text
    proof = re.search(r'name="proof" value="([0-9a-f]{64})"', page)
    assert proof and email not in page
    forged = api.post("/offers/status/withdraw-link", data={"reference": reference, "proof": "0" * 64})
    assert forged.status_code == 404
    sent = api.post("/offers/status/withdraw-link", data={"reference": reference, "proof": proof.group(1)})
    assert sent.status_code == 200 and "We have emailed you a new link" in sent.text
    new = link_in(body_of(mail_to(smtp_server, email, "Withdrawing your offer")[0]), "/offers/withdraw")
    assert new != old
    assert api.get("/offers/withdraw", params={"token": old}).status_code == 403
    assert api.get("/offers/withdraw", params={"token": new}).status_code == 200
    codes = [api.post("/offers/status/withdraw-link", data={"reference": reference, "proof": proof.group(1)}).status_code
             for _ in range(3)]  # fmt: skip
    assert codes == [200, 200, 429]  # three new links a day at most


def test_no_email_or_secret_reaches_the_log(api: TestClient, smtp_server: SmtpServer) -> None:
    email = resident()
    reference = offer(api, email)["reference"]
    secret = link_in(body_of(mail_to(smtp_server, email, reference)[0]), "/offers/withdraw")
    api.get("/offers/withdraw", params={"token": secret})
    api.post("/offers/status", data={"reference": reference, "email": email})
    api.post("/offers/withdraw", data={"token": secret})
    for handler in logging.getLogger().handlers:
        handler.flush()
    log = SUITE_LOG.read_text(encoding="utf-8", errors="replace")
    assert secret not in log and email not in log and "resident." not in log


def test_the_pages_forms_take_form_posts_only(api: TestClient) -> None:
    """JSON (or anything but a form post) to a page's form address is a 415 with {error, detail}."""
    for path in ("/offers/status", "/offers/status/withdraw-link", "/offers/withdraw", "/offers/answer"):
        r = api.post(path, json={"token": "x", "reference": "PM-ZZZZZZZZ", "email": "a@example.org"})
        assert r.status_code == 415 and set(r.json()) == {"error", "detail"}, (path, r.text)
