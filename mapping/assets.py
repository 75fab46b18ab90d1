"""The front-end files the app serves itself from ``mapping/static`` (pinned; never from a CDN)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

LEAFLET_VERSION = "1.9.4"
LEAFLET_DIR = f"vendor/leaflet-{LEAFLET_VERSION}"
MARKERCLUSTER_VERSION = "1.5.3"
MARKERCLUSTER_DIR = f"vendor/leaflet.markercluster-{MARKERCLUSTER_VERSION}"


@dataclass(frozen=True)
class Asset:
    """A file under ``mapping/static``; vendored files carry the SHA-256 of the published file."""

    path: str
    sha256: str | None = None

    def url(self, static_url: str) -> str:
        """The file's URL under the app's static mount (e.g. ``/static``)."""
        return f"{static_url.rstrip('/')}/{self.path}"


# From the npm tarball leaflet-1.9.4.tgz (dist/), unmodified.
LEAFLET_JS = Asset(
    f"{LEAFLET_DIR}/leaflet.js", "db49d009c841f5ca34a888c96511ae936fd9f5533e90d8b2c4d57596f4e5641a"
)
LEAFLET_CSS = Asset(
    f"{LEAFLET_DIR}/leaflet.css", "a7837102824184820dfa198d1ebcd109ff6d0ff9a2672a074b9a1b4d147d04c6"
)
# From the npm tarball leaflet.markercluster-1.5.3.tgz (dist/), unmodified. The page styles clusters
# itself (for contrast), so MarkerCluster.Default.css is vendored with the release but not loaded.
MARKERCLUSTER_JS = Asset(
    f"{MARKERCLUSTER_DIR}/leaflet.markercluster.js",
    "1e4e1d22972a3926f48598e0caf14e3fe7049835d428a344fed4f9e3665b3508",
)
MARKERCLUSTER_CSS = Asset(
    f"{MARKERCLUSTER_DIR}/MarkerCluster.css",
    "614dea0a98ff3f4ead74f04918f6b1d1b9ba435c25b5fc23b21a394d1e3e4d87",
)
# From the npm tarball leaflet.vectorgrid-1.3.0.tgz (dist/, pinned in package.json), unmodified: the officers'
# map draws LSOAs from the app's vector tiles with it. tests/mapping/test_map_page.py checks it against
# node_modules when `make npm-deps` has installed it.
VECTORGRID_VERSION = "1.3.0"
VECTORGRID_DIR = f"vendor/leaflet.vectorgrid-{VECTORGRID_VERSION}"
VECTORGRID_JS = Asset(
    f"{VECTORGRID_DIR}/Leaflet.VectorGrid.bundled.min.js",
    "ed1e89e4c9582593890d0e869d03ed7a4ab56f511c6d2036392d6d50938aa4d5",
)
CORE_JS = Asset("js/patchmap-core.js")  # what every page's scripts share: loaded first, after Leaflet
SWAGGER_UI_VERSION = "5.35.0"
SWAGGER_UI_DIR = f"vendor/swagger-ui-{SWAGGER_UI_VERSION}"
# From the npm tarball swagger-ui-dist-5.35.0.tgz (sha256 1b8e8918…6ea6), unmodified: the API's /docs.
SWAGGER_UI_JS = Asset(
    f"{SWAGGER_UI_DIR}/swagger-ui-bundle.js",
    "e6a898692f2d768e807c3ba4626068a69a2c5dd960dd6c76f3e4d3a3de180af2",
)
SWAGGER_UI_CSS = Asset(
    f"{SWAGGER_UI_DIR}/swagger-ui.css", "5ed08757e53da3e026d6cbecc61fe5d43585c9560b302d534ad56692519a273d"
)
SWAGGER_UI_ICON = Asset(f"{SWAGGER_UI_DIR}/favicon-32x32.png")
RESIDENT_JS = Asset("js/patchmap-resident.js")
DETAILS_JS = Asset("js/patchmap-details.js")
SEARCH_JS = Asset("js/patchmap-search.js")
FORMS_JS = Asset("js/patchmap-forms.js")
PAGE_CSS = Asset("css/patchmap.css")
AREAMAP_JS = Asset("js/patchmap-areamap.js")  # what the officers' and the patch maps share
AREATILES_JS = Asset("js/patchmap-areatiles.js")  # areas from vector tiles (with VECTORGRID_JS)
OFFICER_JS = Asset("js/patchmap-officer.js")
WHATIF_JS = Asset("js/patchmap-whatif.js")  # the officers' map's "What if?" panel
OFFICER_CSS = Asset("css/patchmap-officer.css")
PATCH_JS = Asset("js/patchmap-patch.js")
PATCH_ACTIONS_JS = Asset("js/patchmap-patch-actions.js")
PATCH_CSS = Asset("css/patchmap-patch.css")

#: What the residents' map loads, in order: (folium link name, asset).
RESIDENT_PAGE_JS: tuple[tuple[str, Asset], ...] = (
    ("leaflet", LEAFLET_JS),
    ("markercluster", MARKERCLUSTER_JS),
    ("patchmap_core", CORE_JS),
    ("patchmap_details", DETAILS_JS),
    ("patchmap_resident", RESIDENT_JS),
    ("patchmap_search", SEARCH_JS),
    ("patchmap_forms", FORMS_JS),
)
RESIDENT_PAGE_CSS: tuple[tuple[str, Asset], ...] = (
    ("leaflet_css", LEAFLET_CSS),
    ("markercluster_css", MARKERCLUSTER_CSS),
    ("patchmap_css", PAGE_CSS),
)

#: What the officers' map loads: Leaflet, the shared helpers and its own script and styles.
OFFICER_PAGE_JS: tuple[tuple[str, Asset], ...] = (
    ("leaflet", LEAFLET_JS),
    ("vectorgrid", VECTORGRID_JS),
    ("patchmap_core", CORE_JS),
    ("patchmap_details", DETAILS_JS),
    ("patchmap_areamap", AREAMAP_JS),
    ("patchmap_areatiles", AREATILES_JS),
    ("patchmap_officer", OFFICER_JS),
    ("patchmap_whatif", WHATIF_JS),
)
OFFICER_PAGE_CSS: tuple[tuple[str, Asset], ...] = (
    ("leaflet_css", LEAFLET_CSS),
    ("patchmap_css", PAGE_CSS),
    ("patchmap_officer_css", OFFICER_CSS),
)

#: What the co-ordinator's patch map loads: the officers' map's styles and shared helpers, and its own script.
PATCH_PAGE_JS: tuple[tuple[str, Asset], ...] = (
    ("leaflet", LEAFLET_JS),
    ("vectorgrid", VECTORGRID_JS),
    ("patchmap_core", CORE_JS),
    ("patchmap_details", DETAILS_JS),
    ("patchmap_areamap", AREAMAP_JS),
    ("patchmap_areatiles", AREATILES_JS),
    ("patchmap_patch", PATCH_JS),
    ("patchmap_patch_actions", PATCH_ACTIONS_JS),
)
PATCH_PAGE_CSS: tuple[tuple[str, Asset], ...] = (
    ("leaflet_css", LEAFLET_CSS),
    ("patchmap_css", PAGE_CSS),
    ("patchmap_officer_css", OFFICER_CSS),
    ("patchmap_patch_css", PATCH_CSS),
)
#: The co-ordinator's pages without a map (sign-in, ward pack, messages): styles only.
PATCH_DOCUMENT_CSS: tuple[tuple[str, Asset], ...] = (
    ("patchmap_css", PAGE_CSS),
    ("patchmap_patch_css", PATCH_CSS),
)


def static_dir() -> Path:
    """The folder the app mounts at ``/static``."""
    return Path(str(files("mapping") / "static"))


def asset_problems() -> list[str]:
    """What is missing or altered among the page assets (an empty list when all is well)."""
    problems: list[str] = []
    pages = (*RESIDENT_PAGE_JS, *RESIDENT_PAGE_CSS, *OFFICER_PAGE_JS, *OFFICER_PAGE_CSS)
    for _, asset in (*pages, *PATCH_PAGE_JS, *PATCH_PAGE_CSS):
        path = static_dir() / asset.path
        if not path.is_file():
            problems.append(f"{asset.path} is missing")
        elif asset.sha256 and hashlib.sha256(path.read_bytes()).hexdigest() != asset.sha256:
            problems.append(f"{asset.path} differs from the pinned release")
    return problems
