"""The district co-ordinator's pages: sign-in, the patch map (``/patch/{district}``), a printable ward pack, and a
plain message page (for 403 and 404). Built from data handed in (``layers.patch.summary`` assembles it); nothing here
reads a database.

The patch map reuses the officers' map's pieces: its palette, key and CSS (``mapping.styles``,
``patchmap-officer.css``), the shared text helpers (``patchmap-details.js``) and the same APIs
(``/analysis/overlay``, ``/analysis/areas/{code}``, ``/map/markers.geojson``). The lists are rendered here, on
the server, by autoescaped Jinja, so they work without JavaScript and every user-supplied string is escaped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup

from layers.taxonomy import HUB_KINDS, SPACE_KINDS
from mapping import assets, booking_pages, styles
from mapping.pages import TEMPLATES, PageFigure, labels, render_map_page

ROLE_WORDS = {"coordinator": "district co-ordinator", "officer": "council officer", "admin": "administrator"}
KIND_WORDS = {"group": "Groups", "hub": "Community hubs", "space": "Spaces"}
ACTION_WORDS = {
    "sign-in": "Signed in",
    "sign-out": "Signed out",
    "approve": "Approved",
    "reject": "Rejected",
    "needs-info": "Asked for more information",
    "update": "Edited",
    "create": "Added",
    "restore": "Restored an earlier version",
    "confirm": "Confirmed still right",
    "submission-approve": "Approved an offer",
    "submission-reject": "Rejected an offer",
    "submission-needs-info": "Asked a resident for more information",
    "record-update": "Edited a record",
    "record-create": "Added a record",
    "room-create": "Added a room",
    "room-update": "Edited a room",
    "record-restore": "Restored an earlier version",
    "record-confirm": "Confirmed a record still right",
    "partner-add": "Added a partner",
    "partner-remove": "Removed a partner",
    "submissions-erase": "Erased old personal details",
    "resource-rules": "Changed booking rules",
    "booking-confirm": "Confirmed a booking",
    "booking-decline": "Declined a booking",
    "help-introduce": "Introduced a volunteer to a group",
    "help-close": "Closed an offer of help",
}


def date_words(value: str | None, *, time: bool = False) -> str:
    """An ISO date-time as "3 March 2025" (with ", 14:05" when time), or "" for none."""
    if not value:
        return ""
    at = datetime.fromisoformat(value)
    text = f"{at.day} {at:%B %Y}"
    return f"{text}, {at:%H:%M}" if time else text


def safe_url(value: str | None) -> str | None:
    """A partner's website as a link target only if it is http(s) (so "javascript:" never becomes a link)."""
    if not value:
        return None
    value = value.strip()
    url = value if re.match(r"^[a-z][a-z0-9+.-]*:", value, re.IGNORECASE) else "https://" + value
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def reason(row: dict[str, Any]) -> str:
    """The explanation without the ward's name in front (the list shows the name already)."""
    text = str(row.get("explanation") or "")
    prefix = f"{row.get('name')}: "
    return text[len(prefix) :] if text.startswith(prefix) else text


@dataclass(frozen=True)
class Viewer:
    """Who is looking (for the header): name and role in words."""

    name: str
    role: str

    @property
    def role_words(self) -> str:
        """The role in plain words."""
        return ROLE_WORDS.get(self.role, self.role)


@dataclass(frozen=True)
class PatchMapData:
    """Everything the patch page needs: URLs, settings values, who is looking, and the district's summary."""

    static_url: str
    overlay_url: str
    profile_url: str
    markers_url: str
    district_url: str
    summary_url: str
    pack_base: str
    detail_urls: dict[str, str]
    tile_url: str
    tile_attribution: str
    data_attribution: str
    centre_lon: float
    centre_lat: float
    zoom: int
    summary: dict[str, Any]
    user: Viewer
    csrf_token: str | None
    sign_out_url: str = "/auth/sign-out"
    moderation_url: str = "/moderation/"
    officer_url: str = "/analysis"
    resident_url: str = "/"
    #: An area's boundary (/areas/{code}) and vector tiles of a collection's boundaries (api/routes/tiles.py).
    areas_url: str = "/areas"
    tiles_url: str = "/ogc/collections/{collection}/tiles/WebMercatorQuad/{z}/{y}/{x}"
    intro: str = "Where need is high and provision is low, what waits for you, and what needs checking."
    extra_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    bookings: dict[str, Any] | None = None  # layers.patch.bookings.patch_bookings: the bookings panels
    contacts: dict[str, Any] | None = None  # mapping.contact_pages.patch_section: the council contacts
    help_offers: dict[str, Any] | None = None  # layers.offers.matching.help_offers: help to follow up
    listing_changes: list[dict[str, Any]] | None = None  # layers.records.organisers.pending_changes

    @property
    def title(self) -> str:
        """The page's title."""
        return f"Patchmap: {self.summary['district']['name']} patch"

    @property
    def heading(self) -> str:
        """The page's main heading."""
        return f"{self.summary['district']['name']}: your patch"


def _extra() -> dict[str, Any]:
    return {
        "classes": styles.BIVARIATE,
        "notes": styles.BIVARIATE_NOTES,
        "class_names": {c.key: c.label for c in styles.BIVARIATE},
        "shapes": {m.key: m.shape for m in styles.RESIDENT_MARKERS},
        "kind_words": KIND_WORDS,
        "date": date_words,
        "role": lambda role: str(ROLE_WORDS.get(role, role)).capitalize(),
        "action": lambda action: ACTION_WORDS.get(action, str(action).replace("-", " ").capitalize()),
        "safe_url": safe_url,
        "reason": reason,
        "category_names": styles.CATEGORY_NAMES,
        **booking_pages.patch_helpers(),
    }


def patch_map_page(data: PatchMapData) -> str:
    """The HTML of a district's patch: key needs beside the map of wards, then the district's lists."""
    figure = PageFigure(data, "patch_map.html", styles.officer_page_css(), **_extra())
    return render_map_page(
        figure,
        data,
        aria_label=f"Map of {data.summary['district']['name']}'s wards by need and provision",
        js=(*assets.PATCH_PAGE_JS, ("patchmap_patch_bookings", booking_pages.PATCH_BOOKINGS_JS)),
        css=(*assets.PATCH_PAGE_CSS, ("patchmap_book_css", booking_pages.BOOK_CSS)),
        start="startPatchMap",
        config={
            "district": data.summary["district"],
            "overlayUrl": data.overlay_url,
            "profileUrl": data.profile_url,
            "markersUrl": data.markers_url,
            "districtUrl": data.district_url,
            "areasUrl": data.areas_url,
            "tilesUrl": data.tiles_url,
            "packBase": data.pack_base,
            "detailUrls": data.detail_urls,
            "styles": styles.officer_js_styles(),
            "labels": {**labels(), **data.extra_labels},
        },
    )


def _static(static_url: str) -> dict[str, list[str]]:
    return {"css": [a.url(static_url) for _, a in assets.PATCH_DOCUMENT_CSS]}


def sign_in_page(*, static_url: str, action: str, failed: str | None = None, email: str = "") -> str:
    """The sign-in form: email and password, with the reason when a sign-in failed ("1" or "locked")."""
    problem = None
    if failed == "locked":
        problem = "Too many failed sign-ins. Wait 15 minutes and try again, or ask an administrator for help."
    elif failed:
        problem = "The email address or password is wrong. Check them and try again."
    return TEMPLATES.get_template("sign_in.html").render(
        title="Sign in: Patchmap", action=action, problem=problem, email=email, **_static(static_url)
    )


def ward_pack_page(
    pack: dict[str, Any], *, static_url: str, patch_url: str, downloads: dict[str, str], attribution: str
) -> str:
    """A ward's printable pack: measures and explanation, its groups, hubs and spaces, and downloads."""
    return TEMPLATES.get_template("ward_pack.html").render(
        title=f"Ward pack: {pack['ward']['name']}, {pack['district']['name']}",
        pack=pack,
        patch_url=patch_url,
        downloads=downloads,
        attribution=attribution,
        # Made from constants in mapping.styles, never from data.
        page_css=Markup(styles.officer_page_css()),  # noqa: S704
        class_names={c.key: c.label for c in styles.BIVARIATE},
        kind_words={"group": "Group", "hub": "Community hub", "space": "Space"},
        subtypes={"hub": HUB_KINDS, "space": SPACE_KINDS},
        date=date_words,
        **_static(static_url),
    )


def message_page(*, static_url: str, title: str, heading: str, message: str, detail: str = "",
                 links: tuple[tuple[str, str], ...] = ()) -> str:  # fmt: skip
    """A plain page saying what went wrong and what to do (for 403 and 404 on the co-ordinator's pages)."""
    return TEMPLATES.get_template("message.html").render(
        title=title, heading=heading, message=message, detail=detail, links=links, **_static(static_url)
    )
