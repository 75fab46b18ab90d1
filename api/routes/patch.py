"""The district co-ordinator's pages: sign-in (`/sign-in`), the patch (`/patch/{district}`, and its data as
JSON), and a ward's printable pack with CSV and GeoJSON downloads.

Who may see what is decided in ``layers.patch.summary.require_patch`` (through ``layers.access.scope``). The HTML pages turn a
refusal into a page: not signed in → 303 to /sign-in; another district's co-ordinator → a 403 page. The JSON,
CSV and GeoJSON answers use the API's usual error bodies.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.access import CurrentActor, get_actor
from api.deps import AppSettings, Work
from api.formats import CSV, GEOJSON, file_response
from api.html import html_page
from api.patch_schemas import PatchSummary
from api.routes.pages import DETAIL_PATHS, PROFILE_PATH, base_map
from api.routes.tiles import TILES_PATH
from layers.access.scope import RESIDENT, Actor
from layers.areas import contacts as area_contacts
from layers.errors import Forbidden, NotFound, PatchmapError, Unauthorized
from layers.offers import matching
from layers.patch import bookings as patch_bookings
from layers.patch import export as patch_export
from layers.patch import summary as patch
from layers.records import organisers
from mapping import contact_pages, patch_pages
from mapping.patch_pages import PatchMapData, Viewer

router = APIRouter(tags=["patch"])

CODE = Path(max_length=32, pattern=r"^[A-Za-z0-9_-]+$", examples=["E07000148"])
WARD = Path(max_length=32, pattern=r"^[A-Za-z0-9_-]+$", examples=["E05005883"])
PRIVATE = {"Cache-Control": "private, no-store"}
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "Signed in, but not for this district"},
    404: {"description": "No such district, or no such ward in it"},
}


async def page_actor(request: Request, work: Work) -> Actor:
    """The caller, as for the API, except that a stale or revoked session is an anonymous visitor (so a page
    sends them to sign in rather than showing a JSON error)."""
    try:
        return await get_actor(request, work)
    except Unauthorized:
        return RESIDENT


PageActor = Annotated[Actor, Depends(page_actor)]


def _static(request: Request) -> str:
    return request.url_for("static", path="").path


def _refused(request: Request, exc: PatchmapError) -> Response:
    """A page's answer to a refusal: sign in first (303), or a page saying why (403, 404)."""
    if isinstance(exc, Unauthorized):
        return RedirectResponse("/sign-in", status_code=303)
    status = 403 if isinstance(exc, Forbidden) else 404 if isinstance(exc, NotFound) else 400
    heading = {403: "You cannot see this district", 404: "Page not found"}.get(status, "Something is wrong")
    html = patch_pages.message_page(
        static_url=_static(request), title=f"{heading}: Patchmap", heading=heading, message=exc.message,
        detail=exc.detail, links=(("/auth/me", "Who am I signed in as?"), ("/sign-in", "Sign in as someone else")),
    )  # fmt: skip
    return html_page(request, html, status_code=status, headers=PRIVATE)


@router.get("/sign-in", response_class=HTMLResponse)
async def read_sign_in_page(
    request: Request, failed: Annotated[str | None, Query(max_length=8, pattern=r"^(1|locked)$")] = None
) -> HTMLResponse:
    """The sign-in form (email and password), posting to /auth/sign-in; says why when a sign-in failed."""
    html = patch_pages.sign_in_page(
        static_url=_static(request), action=request.url_for("sign_in").path, failed=failed
    )
    return html_page(request, html, headers=PRIVATE)


@router.get("/patch/{district}/summary", response_model=PatchSummary, responses=ERRORS)
async def read_patch_summary(
    work: Work, actor: CurrentActor, settings: AppSettings, district: Annotated[str, CODE]
) -> Any:
    """A district's patch as data: key needs, assets, stale records, pending offers, spaces, changes, partners."""
    days = settings.access.stale_after_days
    return await work.run(patch.patch_summary, actor, district, stale_after_days=days)


@router.get("/patch/{district}", response_class=HTMLResponse, responses=ERRORS)
async def read_patch_page(
    request: Request, work: Work, actor: PageActor, settings: AppSettings, district: Annotated[str, CODE]
) -> Response:
    """A district co-ordinator's patch: the map of wards by need × provision beside the key needs, and lists."""
    days = settings.access.stale_after_days
    try:
        summary = await work.run(patch.patch_summary, actor, district, stale_after_days=days)
        bookings = await work.run(patch_bookings.patch_bookings, actor, district)
        contacts = contact_pages.patch_section(
            await work.run(area_contacts.district_contacts, actor, district)
        )
        help_offers = await work.run(matching.help_offers, actor, district)
        listing_changes = await work.run(organisers.pending_changes, actor, district)
    except PatchmapError as exc:
        return _refused(request, exc)
    data = PatchMapData(
        static_url=_static(request),
        overlay_url=request.url_for("read_overlay").path,
        profile_url=PROFILE_PATH,
        markers_url=request.url_for("map_markers").path,
        district_url=request.url_for("read_area", code=district).path,
        areas_url=request.url_for("list_areas").path,
        tiles_url=request.scope.get("root_path", "").rstrip("/") + TILES_PATH,
        summary_url=request.url_for("read_patch_summary", district=district).path,
        pack_base=f"/patch/{quote(district)}/wards/",
        detail_urls=dict(DETAIL_PATHS),
        **base_map(settings.map),
        summary=summary,
        user=Viewer(actor.name, actor.role),
        csrf_token=getattr(request.state, "csrf_token", None),
        bookings=bookings,
        contacts=contacts,
        help_offers=help_offers,
        listing_changes=listing_changes,
    )  # fmt: skip
    return html_page(request, patch_pages.patch_map_page(data), headers=PRIVATE)


@router.get("/patch/{district}/wards/{ward}/pack", response_class=HTMLResponse, responses=ERRORS)
async def read_ward_pack(
    request: Request,
    work: Work,
    actor: PageActor,
    settings: AppSettings,
    district: Annotated[str, CODE],
    ward: Annotated[str, WARD],
) -> Response:
    """A ward's printable pack: its measures and explanation, its groups, hubs and spaces, and downloads."""
    try:
        pack = await work.run(patch.ward_pack, actor, district, ward)
    except PatchmapError as exc:
        return _refused(request, exc)
    base = request.url.path
    html = patch_pages.ward_pack_page(
        pack, static_url=_static(request), patch_url=f"/patch/{quote(district)}",
        downloads={"csv": base + ".csv", "geojson": base + ".geojson"}, attribution=settings.map.data_attribution,
    )  # fmt: skip
    return html_page(request, html, headers=PRIVATE)


@router.get(
    "/patch/{district}/wards/{ward}/pack.csv",
    response_class=Response,
    responses={200: {"content": {CSV: {}}}, **ERRORS},
)
async def read_ward_pack_csv(
    work: Work, actor: CurrentActor, district: Annotated[str, CODE], ward: Annotated[str, WARD]
) -> Response:
    """The ward pack as one spreadsheet-safe CSV table: measures, then groups, hubs and spaces."""
    pack = await work.run(patch.ward_pack, actor, district, ward)
    name = f"patchmap-ward-pack-{ward}.csv"
    return file_response(patch_export.ward_pack_csv(pack), "csv", filename=name, **PRIVATE)


@router.get(
    "/patch/{district}/wards/{ward}/pack.geojson",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}, **ERRORS},
)
async def read_ward_pack_geojson(
    work: Work, actor: CurrentActor, district: Annotated[str, CODE], ward: Annotated[str, WARD]
) -> Response:
    """The ward pack as GeoJSON (EPSG:4326): the ward's boundary and measures, then its points."""
    pack = await work.run(patch.ward_pack, actor, district, ward)
    name = f"patchmap-ward-pack-{ward}.geojson"
    return file_response(patch_export.ward_pack_geojson(pack), "geojson", filename=name, **PRIVATE)
