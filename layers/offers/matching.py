"""Offers of help meet groups: the accepted offers a co-ordinator follows up, and the groups each could join.

An accepted offer of help (status ``approved``) is followed up until the co-ordinator closes it:
``follow_up`` is ``open`` (or not yet set, for offers accepted before follow-up existed), then
``introduced`` once it has been introduced to at least one group; it stays listed (it may be introduced to
more groups) until it is ``closed``.

For each offer, ``matches_for`` runs one query (``layers/sql/help_offer_matches.sql``): the nearest active
groups that want volunteers and whose categories, or the skills they seek, match what the resident offered,
measured from the offer's point in EPSG:27700 metres with the KNN index on ``groups.geom_bng``. Groups with
no point (they serve areas only) are ranked after every group with one, nearest served area first. Each
match carries its reason in words ("wants drivers; food; 0.8 km") and whether it can be introduced now:
both sides must have consented (the resident ticked the box, the group ``accepts_introductions``) and
both must have an email address to write to. Nothing returned holds an email address or phone number.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Connection, text

from layers.access.scope import Actor
from layers.patch.summary import require_patch
from layers.sql import sql

MATCH_LIMIT: Final = 5
FOLLOWED_UP: Final = ("open", "introduced")
#: Category keys in a few plain words (as the residents' map names them, lower case).
CATEGORY_WORDS: Final[dict[str, str]] = {
    "advice-support": "advice and support",
    "arts-culture": "arts and culture",
    "children-families": "children and families",
    "community-neighbourhood": "community and neighbourhood",
    "disability": "disability",
    "carers": "carers",
    "education-skills": "learning and skills",
    "environment": "environment and gardening",
    "faith": "faith",
    "food": "food",
    "health-wellbeing": "health and wellbeing",
    "heritage-history": "heritage and history",
    "housing-homelessness": "housing and homelessness",
    "mutual-aid": "mutual aid",
    "older-people": "older people",
    "sport-activity": "sport and exercise",
    "volunteering": "volunteering",
    "youth": "young people",
}
OFFERS = text(
    """
    SELECT s.id, s.reference, s.details, s.contact ->> 'name' AS volunteer,
           nullif(btrim(s.contact ->> 'email'), '') IS NOT NULL AS has_email,
           coalesce(s.follow_up, 'open') AS follow_up, s.moderated_at, s.created_at, s.ward_code,
           w.name AS ward_name,
           coalesce((SELECT json_agg(json_build_object('group_id', g.id, 'name', g.name, 'at', i.created_at,
                                                       'reason', i.reason) ORDER BY i.created_at, i.id)
                     FROM introductions i JOIN groups g ON g.id = i.group_id
                     WHERE i.submission_id = s.id), '[]') AS introduced_to
    FROM submissions s
    LEFT JOIN areas w ON w.code = s.ward_code
    WHERE s.kind = 'help' AND s.status = 'approved' AND s.erased_at IS NULL AND s.district_code = :district
      AND coalesce(s.follow_up, 'open') IN ('open', 'introduced')
    ORDER BY coalesce(s.moderated_at, s.created_at), s.id
    """
)


def words_list(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def distance_words(metres: int) -> str:
    """Metres as "0.8 km" (one decimal; "under 0.1 km" when closer than 50 m)."""
    return "under 0.1 km" if metres < 50 else f"{metres / 1000:.1f} km"


def reason(match: dict[str, Any]) -> str:
    """Why a group matches, in words: "wants drivers; food; 0.8 km" (or "...; serves Norwich")."""
    parts = []
    if match["skills_matched"]:
        parts.append("wants " + words_list(list(match["skills_matched"])))
    if match["categories_matched"]:
        parts.append(words_list([CATEGORY_WORDS.get(c, c) for c in match["categories_matched"]]))
    if match["located_by"] == "point":
        parts.append(distance_words(int(match["distance_m"])))
    elif match["distance_m"] == 0:
        parts.append(f"serves {match['area_name']}, which includes the volunteer (no meeting place given)")
    else:
        parts.append(
            f"serves {match['area_name']}, {distance_words(int(match['distance_m']))} away"
            " (no meeting place given)"
        )
    return "; ".join(parts)


def volunteer_consent(offer: dict[str, Any]) -> str | None:
    """Why this volunteer cannot be introduced to anyone, or None if they can."""
    if offer["details"].get("share_contact") is not True:
        return "The volunteer did not agree to their details being passed to a group."
    if not offer["has_email"]:
        return "The volunteer gave no email address, so we cannot send them a group's details."
    return None


def group_consent(match: dict[str, Any]) -> str | None:
    """Why this group cannot be sent a volunteer, or None if it can."""
    if not match["accepts_introductions"]:
        return "The group has not agreed to be introduced to volunteers."
    if not match["has_organiser_email"]:
        return "The group has no organiser email address on record."
    return None


def matches_for(
    conn: Connection, submission_id: int, *, limit: int = MATCH_LIMIT, group_id: int | None = None
) -> list[dict[str, Any]]:
    """The ranked matching groups for one offer (or only ``group_id``), each with its reason; no contacts."""
    params = {"submission_id": submission_id, "limit": limit, "group_id": group_id}
    found = []
    for rank, row in enumerate(conn.execute(text(sql("help_offer_matches.sql")), params).mappings(), 1):
        match = dict(row)
        match["categories_matched"] = list(match["categories_matched"])
        match["skills_matched"] = list(match["skills_matched"])
        match["rank"] = rank
        match["reason"] = reason(match)
        found.append(match)
    return found


def _offer_view(conn: Connection, row: dict[str, Any]) -> dict[str, Any]:
    details = row["details"] or {}
    offer = {
        "id": row["id"],
        "reference": row["reference"],
        "volunteer": row["volunteer"] or "",
        "sample": details.get("sample") is True,
        "offer": str(details.get("offer") or ""),
        "skills": list(details.get("skills") or []),
        "categories": list(details.get("categories") or []),
        "days": list(details.get("days") or []),
        "when": details.get("when"),
        "ward": row["ward_name"],
        "accepted_at": row["moderated_at"] or row["created_at"],
        "follow_up": row["follow_up"],
        "consented": details.get("share_contact") is True,
        "introduced_to": list(row["introduced_to"]),
    }
    why_not_volunteer = volunteer_consent({"details": details, "has_email": row["has_email"]})
    offer["why_not"] = why_not_volunteer
    matches = []
    for m in matches_for(conn, row["id"]):
        why_not = "Already introduced." if m["introduced"] else why_not_volunteer or group_consent(m)
        matches.append(
            {
                "group_id": m["id"],
                "name": m["name"],
                "sample": m["sample"],
                "rank": m["rank"],
                "reason": m["reason"],
                "distance_m": m["distance_m"],
                "located_by": m["located_by"],
                "categories_matched": m["categories_matched"],
                "skills_matched": m["skills_matched"],
                "accepts_introductions": m["accepts_introductions"],
                "introduced": m["introduced"],
                "can_introduce": why_not is None,
                "why_not": why_not,
            }
        )
    offer["matches"] = matches
    return offer


def help_offers(conn: Connection, actor: Actor, district: str) -> dict[str, Any]:
    """A district's accepted offers of help still followed up (open or introduced, oldest first), each with
    its matching groups. Checks the actor covers the district; no email address or phone is returned."""
    found = require_patch(conn, actor, district)
    rows = conn.execute(OFFERS, {"district": district}).mappings()
    offers = [_offer_view(conn, dict(r)) for r in rows]
    return {
        "district": {"code": district, "name": found["name"]},
        "match_limit": MATCH_LIMIT,
        "offers": offers,
    }
