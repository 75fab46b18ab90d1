"""A district co-ordinator's patch: what needs doing in one district, and one ward's pack.

Every function here checks the actor first (``require_patch``): a co-ordinator sees only their districts;
officers and admins see any. Nothing returned holds a resident's private contact: a pending submission is its
id, reference, kind, date and what was offered (name, what, when: the words the resident wrote for publishing,
for the district's own moderators), and records carry public fields only. The contact is read only through the
moderation API (``layers.offers.moderation.get_submission``), which checks the actor again.

A record's district is its LSOA's district (``areas.parent_code`` via ``lsoa_code``), or, for a group with
no point, the districts it serves, as in ``layers.access.scope.record_districts``.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, text

from layers.access.scope import Actor, require_district, require_user
from layers.analysis import export
from layers.analysis.tables import area_geometries, area_profile, overlay_table
from layers.errors import NotFound
from layers.offers import notices as offer_notices
from layers.offers.moderation import DAY_NAMES
from layers.sql import sql
from layers.taxonomy import GROUP_CATEGORIES, HUB_KINDS, SPACE_KINDS

KEY_NEEDS = 5
RECENT_CHANGES = 12
KIND_WORDS = {"group": "Groups", "hub": "Community hubs", "space": "Spaces to use"}
SUBMISSION_WORDS = {"group": "A group", "space": "A space", "help": "An offer of help"}


def require_patch(conn: Connection, actor: Actor, district: str) -> dict[str, str]:
    """The district (code and name) if the actor may see its patch; Unauthorized, NotFound or Forbidden."""
    require_user(actor)
    row = conn.execute(
        text("SELECT code, name FROM areas WHERE code = :c AND kind = 'district'"), {"c": district}
    ).first()
    if row is None:
        raise NotFound(f"No district {district!r}", "Use a district code such as E07000148 (Norwich).")
    require_district(actor, {district})
    return {"code": row[0], "name": row[1]}


def category_label(kind: str, key: str) -> str:
    """A group category, hub kind or space kind in plain words (the short form, before any bracket)."""
    if kind == "group" and key == "group":
        return "No category yet"
    names = {"group": GROUP_CATEGORIES, "hub": HUB_KINDS, "space": SPACE_KINDS}.get(kind, {})
    return names.get(key, key.replace("_", " ").replace("-", " ").capitalize()).split(" (")[0]


def patch_records(conn: Connection, district: str) -> list[dict[str, Any]]:
    """The district's current groups, hubs and spaces: public fields and when each was last confirmed."""
    rows = conn.execute(text(sql("patch_records.sql")), {"district": district}).mappings()
    return [dict(r) for r in rows]


def asset_counts(records: list[dict[str, Any]]) -> dict[str, Any]:
    """How many groups, hubs and spaces, and how many of each category or kind (a group counts in each of its
    categories), most first."""
    by_kind = Counter(r["kind"] for r in records)
    by_category: Counter[tuple[str, str]] = Counter()
    for r in records:
        keys = r["categories"] if r["kind"] == "group" and r["categories"] else [r["subtype"]]
        by_category.update((r["kind"], k) for k in keys)
    return {
        "total": len(records),
        "by_kind": [{"kind": k, "label": KIND_WORDS[k], "count": by_kind.get(k, 0)} for k in KIND_WORDS],
        "by_category": [
            {"kind": kind, "category": key, "label": category_label(kind, key), "count": n}
            for (kind, key), n in sorted(by_category.items(), key=lambda item: (-item[1], item[0]))
        ],
    }


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": record["kind"],
        "id": record["id"],
        "name": record["name"],
        "type": category_label(record["kind"], record["subtype"]),
        "address": record["address"],
        "postcode": record["postcode"],
        "url": f"/{record['kind']}s/{record['id']}",
        "sample": bool(record.get("sample")),
    }


def stale_records(
    conn: Connection, district: str, records: list[dict[str, Any]], *, days: int
) -> dict[str, Any]:
    """Records that need checking: never confirmed, or not confirmed within ``days``; never-confirmed first,
    then the longest unconfirmed. One definition with ``GET /districts/{d}/stale``: both read
    ``records_stale.sql``, so the page's count and the API's list agree. Every one is listed."""
    rows = conn.execute(text(sql("records_stale.sql")), {"district": district, "days": days}).all()
    by_key = {(r["kind"], r["id"]): r for r in records}
    listed = [by_key[(r.kind, r.id)] | {"reason": r.reason} for r in rows if (r.kind, r.id) in by_key]
    return {
        "after_days": days,
        "count": len(listed),
        "records": [
            {
                **_public(r),
                "confirmed_at": r["confirmed_at"].isoformat(),
                "ever_confirmed": r["confirmed"],
                "reason": r["reason"],  # "no answer to two reminders" when freshness flagged it, else None
            }
            for r in listed
        ],
    }


def available_spaces(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Spaces whose status is 'available' now."""
    spaces = [r for r in records if r["kind"] == "space" and r["status"] == "available"]
    return {"count": len(spaces), "spaces": [_public(r) for r in spaces]}


def offered(kind: str, details: dict[str, Any]) -> dict[str, str]:
    """What a submission offers, in words for its moderator: its name, what it is, and when (each may be "")."""
    days = ", ".join(DAY_NAMES[d] for d in DAY_NAMES if d in (details.get("days") or []))
    what = details.get("offer") if kind == "help" else details.get("description")
    return {
        "name": str(details.get("name") or ""),
        "what": str(what or ""),
        "when": str(details.get("when") or days),
    }


def pending_submissions(conn: Connection, district: str) -> dict[str, Any]:
    """Residents' offers waiting for a decision in the district: id, reference, kind, date and what was
    offered; never the contact."""
    rows = conn.execute(
        text(
            "SELECT s.id, s.reference, s.kind, s.created_at, s.details, s.decision_reason, "
            + offer_notices.REPLIES_COLUMN
            + " FROM submissions s WHERE s.district_code = :d AND s.status = 'pending' "
            "ORDER BY s.created_at, s.reference"
        ),
        {"d": district},
    ).all()
    return {
        "count": len(rows),
        "submissions": [
            {
                "id": r[0],
                "reference": r[1],
                "kind": r[2],
                "label": SUBMISSION_WORDS.get(r[2], r[2]),
                "at": r[3].isoformat(),
                "offer": offered(r[2], r[4] or {}),
                # the question asked and the resident's answers (private: the patch covers its district)
                "asked": r[5] if r[6] else None,
                "replies": r[6] or [],
            }
            for r in rows
        ],
    }


def recent_changes(conn: Connection, district: str, limit: int = RECENT_CHANGES) -> list[dict[str, Any]]:
    """The latest audit entries for the district: action, object, time and the actor's role (no names)."""
    rows = conn.execute(
        text(
            "SELECT action, object_type, object_id, at, actor_role FROM audit_log WHERE district_code = :d "
            "ORDER BY at DESC, id DESC LIMIT :n"
        ),
        {"d": district, "n": limit},
    ).mappings()
    return [{**dict(r), "at": r["at"].isoformat()} for r in rows]


def district_partners(conn: Connection, district: str) -> list[dict[str, Any]]:
    """The organisations in the district's partner list, by name."""
    rows = conn.execute(
        text("SELECT id, name, role, website FROM partners WHERE district_code = :d ORDER BY name, id"),
        {"d": district},
    ).mappings()
    return [dict(r) for r in rows]


def key_needs(conn: Connection, district: str, n: int = KEY_NEEDS) -> dict[str, Any]:
    """The district's wards with the largest gaps between need and provision (the overlay's defaults)."""
    rows = export.records(overlay_table(conn, level="ward", within=district))
    ranked = [r for r in rows if r["priority"] is not None]
    fields = ("code", "name", "priority", "bivariate_class", "gap", "explanation")
    return {
        "wards_ranked": len(ranked),
        "classes": dict(Counter(r["bivariate_class"] for r in ranked if r["bivariate_class"])),
        "wards": [{k: r[k] for k in fields} for r in ranked[:n]],
    }


def patch_summary(
    conn: Connection, actor: Actor, district: str, *, stale_after_days: int = 365
) -> dict[str, Any]:
    """Everything on a district's patch page: needs, assets, stale records, pending offers, spaces, changes,
    partners. Checks the actor covers the district."""
    place = require_patch(conn, actor, district)
    records = patch_records(conn, district)
    return {
        "district": place,
        "key_needs": key_needs(conn, district),
        "assets": asset_counts(records),
        "stale": stale_records(conn, district, records, days=stale_after_days),
        "pending": pending_submissions(conn, district),
        "spaces_available": available_spaces(records),
        "recent_changes": recent_changes(conn, district),
        "partners": district_partners(conn, district),
    }


# ---------------------------------------------------------------- one ward's pack


def _num(v: Any, digits: int = 1) -> str:
    return "not known" if v is None else f"{v:,.{digits}f}"


def _pct(v: Any) -> str:
    return "not known" if v is None else f"{100 * v:.0f}%"


def class_words(bivariate_class: str | None) -> str:
    """A need × provision class in words: "high-low" is "High need, low provision"."""
    if not bivariate_class:
        return "Not scored: no residents"
    need, _, provision = bivariate_class.partition("-")
    return f"{need.capitalize()} need, {provision} provision"


def ward_measures(record: dict[str, Any], ranked: int, radius_m: float) -> list[tuple[str, str]]:
    """A ward's measures as (name, value in words), for the pack's page and spreadsheet."""
    dep = record["deprivation"]
    priority = record["priority"]
    return [
        ("Priority", f"{priority} of {ranked} wards (1 = largest gap)" if priority else "Not ranked"),
        ("Need and provision", class_words(record["bivariate_class"])),
        ("Residents", _num(record["population_total"], 0)),
        ("Aged 0 to 15", _num(record["population_0_15"], 0)),
        ("Aged 60 and over", _num(record["population_60_plus"], 0)),
        ("IMD decile (1 = most deprived tenth of England)", _num(dep.get("imd_decile"))),
        ("Groups", str(record["groups"])),
        ("Community hubs", str(record["hubs"])),
        ("Spaces", str(record["spaces"])),
        ("Groups, hubs and spaces per 1,000 residents", _num(record["assets_per_1000"])),
        (f"Residents within {radius_m:g} m of one", _pct(record["coverage"])),
        ("Accessibility (E2SFCA, per 1,000 residents)", _num(record["access_e2sfca"], 2)),
        ("Gap (need percentile minus provision percentile)", _num(record["gap"], 2)),
    ]


def ward_pack(conn: Connection, actor: Actor, district: str, ward: str) -> dict[str, Any]:
    """One ward of the district: its measures, explanation, boundary and its groups, hubs and spaces."""
    place = require_patch(conn, actor, district)
    found = conn.execute(
        text("SELECT 1 FROM areas WHERE code = :w AND kind = 'ward' AND parent_code = :d"),
        {"w": ward, "d": district},
    ).first()
    if found is None:
        raise NotFound(f"No ward {ward!r} in {place['name']}", "Choose a ward from the patch page's map.")
    profile = area_profile(conn, ward)
    result = profile["result"]
    record = next(r for r in export.records(result) if r["code"] == ward)
    assets = profile["assets"]
    ids = {k: [a["id"] for a in assets if a["kind"] == k] for k in ("group", "hub", "space")}
    extra = conn.execute(
        text(sql("patch_ward_assets.sql")),
        {"groups": ids["group"], "hubs": ids["hub"], "spaces": ids["space"]},
    ).mappings()
    details = {(r["kind"], r["id"]): dict(r) for r in extra}
    listed = []
    for a in assets:
        more = details.get((a["kind"], a["id"]), {})
        confirmed = more.get("last_verified_at")
        listed.append(
            {
                "kind": a["kind"],
                "id": a["id"],
                "name": a["name"],
                "type": category_label(a["kind"], a["subtype"])
                if a["subtype"]
                else KIND_WORDS[a["kind"]][:-1],
                "address": more.get("address"),
                "postcode": more.get("postcode"),
                "works_across_area": bool(a["serves_only"]),
                "last_confirmed": confirmed.date().isoformat() if confirmed else None,
                "lon": more.get("lon"),
                "lat": more.get("lat"),
                "url": a["url"],
            }
        )
    shapes = area_geometries(conn, [ward])
    return {
        "district": place,
        "ward": {"code": ward, "name": record["name"]},
        "record": record,
        "explanation": record["explanation"],
        "measures": ward_measures(record, profile["siblings"], result.options.radius_m),
        "assets": listed,
        "neighbours": profile["neighbours"],
        "geometry": shapes.geometry.iloc[0].__geo_interface__ if len(shapes) else None,
        "made_at": datetime.now(UTC).isoformat(timespec="minutes"),
    }
