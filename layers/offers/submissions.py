"""Residents' offers (suggest a group, offer a space, offer help): located and stored as pending.

Nothing here is public: there is no read of submissions until moderation exists. ``details`` keeps only the
fields of the kind's ``*Details`` schema (``layers.offers.forms``); ``contact`` keeps how to reach the
resident and is never published. A client's address is never stored: only an HMAC-SHA256 of it keyed with a
server secret, for the rate limit, which is counted in the database. Log lines name the kind and the
reference, never a name, email, phone, postcode or address.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import asdict, dataclass
from typing import Any, Final, NamedTuple

import orjson
from psycopg import AsyncConnection, AsyncCursor
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from layers.areas.lookup import lookup_point
from layers.errors import InvalidInput, NotFound, RateLimited
from layers.idempotency import earlier_answer
from layers.offers import notices
from layers.offers.forms import CONSENT_TEXT, DETAILS, HONEYPOT, Reply, validate
from layers.settings import SubmissionSettings
from layers.sql import sql

log = logging.getLogger("patchmap.submissions")

REFERENCE_ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L or U: easy to read out
REFERENCE_LENGTH: Final = 8
EMAILED: Final = (
    " We have emailed you this reference, with a link to withdraw your offer if you change your mind."
)
NOUNS: Final = {"group": "suggestion", "space": "offer of a space", "help": "offer of help"}


class Place(NamedTuple):
    """Where an offer is: a point (EPSG:4326) and the codes it is filed under."""

    lon: float
    lat: float
    postcode: str | None
    ward_code: str | None
    district_code: str | None
    where: dict[str, Any]


class Idempotency(NamedTuple):
    """A client's Idempotency-Key for one write, with a keyed hash of the request it came with."""

    key: str
    request_hash: str


def idempotency(secret: bytes, key: str | None, kind: str, payload: dict[str, Any]) -> Idempotency | None:
    """The key and an HMAC-SHA256 of the request (kind and payload, canonical JSON), or None without a key.

    Keyed with the server's secret, so the stored hash tells nothing about what a resident wrote.
    """
    if not key:
        return None
    canonical = orjson.dumps({"kind": kind, "payload": payload}, option=orjson.OPT_SORT_KEYS)
    return Idempotency(key, hmac.new(secret, canonical, hashlib.sha256).hexdigest())


@dataclass(frozen=True)
class Receipt:
    """What the resident is told; ``stored`` is False when the trap field was filled and nothing was kept."""

    reference: str
    kind: str
    status: str
    message: str
    title: str
    stored: bool = True
    emailed: bool = False  # an acknowledgement was queued to the email address given


def submission_secret(settings: SubmissionSettings) -> bytes:
    """The HMAC key for client addresses: the configured secret, else a random one for this process."""
    if settings.submission_secret is not None and settings.submission_secret.get_secret_value():
        return settings.submission_secret.get_secret_value().encode("utf-8")
    log.warning(
        "PATCHMAP_SUBMISSION_SECRET is not set: using a random key for this process, so submission rate "
        "limits start again when the app restarts and are counted per worker"
    )
    return secrets.token_bytes(32)


def client_key(secret: bytes, address: str) -> str:
    """The keyed hash (HMAC-SHA256, hex) standing for a client's address; the address is never stored."""
    return hmac.new(secret, address.encode("utf-8"), hashlib.sha256).hexdigest()


def new_reference() -> str:
    """A random reference like PM-7K3Q9XF2, in an alphabet without look-alike characters."""
    return "PM-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


async def locate(conn: AsyncConnection[Any], offer: Reply) -> Place:
    """The point, ward and district of an offer's postcode, outward code, point or area code."""
    cur = conn.cursor(row_factory=dict_row)
    if offer.lat is not None and offer.lon is not None:
        try:
            found = await lookup_point(conn, offer.lon, offer.lat)
        except NotFound as exc:
            raise InvalidInput(exc.message, exc.detail) from None
        ward = found["ward"]["code"] if found["ward"] else None
        district = found["district"]["code"] if found["district"] else None
        return Place(offer.lon, offer.lat, None, ward, district, {"given": "point", "approximate": False})
    if offer.postcode is not None:
        full = " " in offer.postcode
        params = {"postcode": offer.postcode if full else None, "outward": None if full else offer.postcode}
        await cur.execute(sql("submission_postcode.sql"), params)
        row = await cur.fetchone()
        if row is None or not row["postcodes"] or not row["held"]:
            raise InvalidInput(
                f"Postcode {offer.postcode} is not in the areas this map covers",
                "Check the postcode, or give your area's code or a point (lat and lon) instead.",
            )
        given = "postcode" if full else "outward code"
        return Place(
            row["lon"],
            row["lat"],
            offer.postcode,
            row["ward_code"] if full else None,
            row["district_code"],
            {"given": given, "approximate": bool(row["approximate"]) or not full},
        )
    await cur.execute(sql("submission_area.sql"), {"code": offer.area_code})
    row = await cur.fetchone()
    if row is None:
        raise InvalidInput(
            f"No area has the code {str(offer.area_code)[:32]!r}",
            "Find area codes with GET /areas?kind=ward.",
        )
    return Place(
        row["lon"],
        row["lat"],
        None,
        row["ward_code"],
        row["district_code"],
        {"given": "area", "area_code": row["code"], "area_kind": row["kind"], "approximate": True},
    )


async def submit(
    conn: AsyncConnection[Any],
    kind: str,
    payload: dict[str, Any],
    *,
    client: str,
    limit: int,
    window_minutes: int,
    once: Idempotency | None = None,
    notify: notices.Notify | None = None,
) -> Receipt:
    """Validate, locate and store an offer as pending, at most ``limit`` per client key per window.

    With ``once`` (a client's Idempotency-Key), a retry of the same request gets the first receipt and
    stores nothing; the same key with another request is refused (InvalidInput). With ``notify``, an offer
    with an email address gets an acknowledgement queued in the same transaction (``layers.offers.notices``).
    """
    if str(payload.get(HONEYPOT) or "").strip():
        log.info("trap field filled on a %s submission: nothing stored", kind)
        decoy = new_reference()  # looks like a receipt, so a robot learns nothing; it is stored nowhere
        return Receipt(decoy, kind, "pending", _message(kind, decoy), "", stored=False)
    offer = validate(kind, payload)
    async with conn.transaction():
        cur = conn.cursor(row_factory=dict_row)
        scope = f"submission:{kind}"
        if once is not None and (earlier := await _claim(cur, scope, once)) is not None:
            return earlier
        await cur.execute(sql("submission_lock.sql"), {"client_key": client})
        limit_params = {"client_key": client, "window_minutes": window_minutes, "limit": limit}
        await cur.execute(sql("submission_recent.sql"), limit_params)
        row = await cur.fetchone()
        if row is not None:
            log.info("rate limit reached on a %s submission", kind)
            raise RateLimited(
                f"You have sent {limit} offers in the last {window_minutes} minutes",
                "Thank you: a council officer will check them. Please try again later.",
                retry_after_s=max(1, int(row["retry_after_s"])),
            )
        place = await locate(conn, offer)
        details = {
            **offer.model_dump(mode="json", include=set(DETAILS[kind].model_fields)),
            "where": place.where,
        }
        contact = {**offer.contact.model_dump(mode="json", exclude_none=True), "consent": CONSENT_TEXT}
        params = {
            "kind": kind,
            "details": Jsonb(details),
            "contact": Jsonb(contact),
            "lon": place.lon,
            "lat": place.lat,
            "postcode": place.postcode,
            "ward_code": place.ward_code,
            "district_code": place.district_code,
            "client_key": client,
        }
        for _ in range(5):
            reference = new_reference()
            await cur.execute(sql("submission_insert.sql"), {**params, "reference": reference})
            if (inserted := await cur.fetchone()) is not None:
                break
        else:  # 29**8 references: five clashes in a row means something else is wrong
            raise RuntimeError("could not draw an unused submission reference")
        title = str(details.get("name") or details.get("offer") or "")
        emailed = notify is not None and await notices.acknowledge(
            cur, submission_id=inserted["id"], reference=reference, kind=kind, details=details, contact=contact,
            district_code=place.district_code, ward_code=place.ward_code, notify=notify,
        )  # fmt: skip
        message = _message(kind, reference) + (EMAILED if emailed else "")
        receipt = Receipt(reference, kind, "pending", message, title[:120], emailed=emailed)
        if once is not None:
            done = {"scope": scope, "key": once.key, "status": 201, "response": Jsonb(asdict(receipt))}
            await cur.execute(sql("idempotency_done.sql"), done)
    log.info("stored %s submission %s as pending", kind, reference)
    return receipt


async def _claim(cur: AsyncCursor[dict[str, Any]], scope: str, once: Idempotency) -> Receipt | None:
    """Claim the key for this write (None), or the receipt of the write it was first used for."""
    params = {"scope": scope, "key": once.key, "hash": once.request_hash}
    await cur.execute(sql("idempotency_claim.sql"), params)
    if await cur.fetchone() is not None:
        return None
    await cur.execute(sql("idempotency_earlier.sql"), params)
    answer = earlier_answer(await cur.fetchone(), once.request_hash)
    log.info("repeated %s submission %s answered as the first time", scope, answer.get("reference"))
    return Receipt(**answer)


def _message(kind: str, reference: str) -> str:
    """The plain-English acknowledgement."""
    return (
        f"Thank you. Your {NOUNS.get(kind, 'offer')} is waiting for a council officer to check it. "
        f"Your reference is {reference}. Nothing is shown on the map until it has been checked."
    )
