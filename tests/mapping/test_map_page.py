"""The map page's HTML and the GeoJSON layers it loads (tests/mapping/test_resident_map.py drives it in Chromium)."""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from api.routes.map_data import AreaLayer, AssetLayer, MarkerLayer
from layers.queries import map_clusters
from layers.taxonomy import GROUP_CATEGORIES
from mapping import assets, styles
from mapping.pages import ResidentMapData, resident_map_page

GEOJSON = "application/geo+json"
NORFOLK = "0.1,52.3,1.8,53.0"
NORWICH = "1.20,52.59,1.36,52.67"
LIBRARY = "Norfolk and Norwich Millennium Library"
PUBLIC_FIELDS = {
    "id",
    "kind",
    "subtype",
    "name",
    "address",
    "postcode",
    "opening_hours",
    "website",
    "step_free",
}


def _layer(client: TestClient, path: str, model: Any, **params: Any) -> Any:
    """GET a map layer; check status, content type and body against the model; return the body."""
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == GEOJSON
    body = response.json()
    TypeAdapter(model).validate_python(body, strict=True)
    return body


# ---------------------------------------------------------------- the layers the page loads


def test_area_layer_by_bbox(client: TestClient) -> None:
    """Wards meeting a bbox; simplifying makes the layer smaller; kind=lsoa works too."""
    full = _layer(client, "/map/areas.geojson", AreaLayer, bbox=NORWICH)
    codes = {f["properties"]["code"] for f in full["features"]}
    assert "E05005882" in codes and all(f["properties"]["kind"] == "ward" for f in full["features"])
    assert all(f["id"] == f["properties"]["code"] for f in full["features"])
    coarse = client.get("/map/areas.geojson", params={"bbox": NORWICH, "simplify_m": 50})
    assert coarse.status_code == 200 and all(
        f["geometry"]["type"] == "MultiPolygon" for f in coarse.json()["features"]
    )
    assert len(coarse.content) < 0.8 * len(client.get("/map/areas.geojson", params={"bbox": NORWICH}).content)
    assert len(_layer(client, "/map/areas.geojson", AreaLayer, bbox=NORFOLK)["features"]) == 205
    lsoas = _layer(client, "/map/areas.geojson", AreaLayer, bbox=NORWICH, kind="lsoa")["features"]
    assert lsoas and all(f["properties"]["kind"] == "lsoa" for f in lsoas)
    assert _layer(client, "/map/areas.geojson", AreaLayer, bbox="-1,51,-0.5,51.5")["features"] == []


def test_asset_layer_is_public_only(client: TestClient) -> None:
    """Hubs and spaces in a bbox, each with the public fields and nothing else."""
    body = _layer(client, "/map/assets.geojson", AssetLayer, bbox=NORFOLK)
    props = [f["properties"] for f in body["features"]]
    assert all(set(p) == PUBLIC_FIELDS for p in props)
    assert "private_contact" not in str(body) and "email" not in str(body).lower().replace("e-mail", "")
    libraries = [p for p in props if p["kind"] == "hub" and p["subtype"] == "library"]
    assert len(libraries) == 19
    assert LIBRARY in {p["name"] for p in libraries}
    assert sum(p["kind"] == "space" and p["subtype"] == "vacant_shop" for p in props) == 31
    ids = [f["id"] for f in body["features"]]
    assert len(ids) == len(set(ids))
    small = _layer(client, "/map/assets.geojson", AssetLayer, bbox="1.2905,52.6273,1.2915,52.6282")
    assert LIBRARY in {f["properties"]["name"] for f in small["features"]}


@pytest.mark.parametrize(
    "bbox",
    [
        "",
        "1,2,3",
        "1,2,3,4,5",
        "a,b,c,d",
        "2,52,1,53",
        "1,53,2,52",
        "1,52,1,53",
        "-181,52,1,53",
        "1,52,2,91",
        "nan,52,1,53",
        "1,52,inf,53",
    ],
)
@pytest.mark.parametrize("path", ["/map/areas.geojson", "/map/assets.geojson"])
def test_bad_bbox_is_422(client: TestClient, path: str, bbox: str) -> None:
    """A bbox that is not four numbers in range with min < max is 422 with the standard body."""
    response = client.get(path, params={"bbox": bbox})
    assert response.status_code == 422, response.text
    assert set(response.json()) == {"error", "detail"}


# ---------------------------------------------------------------- the resident map's markers


def test_marker_layer_is_lean_and_public(client: TestClient) -> None:
    """Few markers in view: each one, with the fields a marker needs and nothing private."""
    body = _layer(client, "/map/markers.geojson", MarkerLayer, bbox=NORWICH, zoom=13)
    props = [f["properties"] for f in body["features"]]
    assert props and all(set(p) == {"id", "kind", "subtype", "name", "sample"} for p in props)
    assert {p["kind"] for p in props} >= {"hub", "space"}
    assert LIBRARY in {p["name"] for p in props if p["kind"] == "hub"}
    hubs_and_spaces = _layer(client, "/map/assets.geojson", AssetLayer, bbox=NORWICH)["features"]
    assert sum(p["kind"] != "group" for p in props) == len(hubs_and_spaces)
    assert all(f["id"] == f"{f['properties']['kind']}/{f['properties']['id']}" for f in body["features"])
    assert all(
        len(str(c).split(".")[-1]) <= 5 for f in body["features"] for c in f["geometry"]["coordinates"]
    )


def test_marker_layer_clusters_a_busy_view(client: TestClient) -> None:
    """Above cluster_over markers the view comes as grid cells whose counts add up to every marker."""
    every = _layer(client, "/map/markers.geojson", MarkerLayer, bbox=NORFOLK, zoom=9)["features"]
    assert every and all(f["properties"]["kind"] != "cluster" for f in every)
    cells = _layer(client, "/map/markers.geojson", MarkerLayer, bbox=NORFOLK, zoom=9, cluster_over=10)
    props = [f["properties"] for f in cells["features"]]
    assert props and all(p["kind"] == "cluster" for p in props)
    assert sum(p["count"] for p in props) == len(every)
    assert all(p["count"] == p["hubs"] + p["spaces"] + p["groups"] for p in props)
    assert len(props) < len(every)
    finer = _layer(client, "/map/markers.geojson", MarkerLayer, bbox=NORFOLK, zoom=14, cluster_over=10)
    assert len(finer["features"]) > len(props)  # a closer zoom has smaller cells


def test_grid_cells_are_square_on_screen() -> None:
    """A cell is about CELL_PX pixels: 360/2^z * CELL_PX/256 degrees of longitude, less of latitude."""
    lon, lat = map_clusters.grid_cell(12, 52.63)
    assert lon == pytest.approx(360 / 4096 * map_clusters.CELL_PX / 256)
    assert lat == pytest.approx(lon * 0.6072, rel=1e-3)


@pytest.mark.parametrize(
    "params",
    [
        {"bbox": NORWICH},
        {"bbox": NORWICH, "zoom": 23},
        {"bbox": NORWICH, "zoom": 12, "cluster_over": 0},
        {"bbox": NORWICH, "zoom": 12, "cluster_over": 5001},
        {"bbox": "1,2,3", "zoom": 12},
    ],
)
def test_bad_marker_parameters_are_422(client: TestClient, params: dict[str, Any]) -> None:
    """A missing zoom, a zoom or cluster_over out of range or a bad bbox is 422 with the standard body."""
    response = client.get("/map/markers.geojson", params=params)
    assert response.status_code == 422, response.text
    assert set(response.json()) == {"error", "detail"}


# ---------------------------------------------------------------- the page's HTML


class _Controls(HTMLParser):
    """The page's form controls, labels and forms, as a browser's accessibility tree would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.forms: list[dict[str, str | None]] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "label" and a.get("for"):
            self.label_for.add(str(a["for"]))
        if tag in ("input", "select", "textarea"):
            self.controls.append(a)
        if tag == "form":
            self.forms.append(a)


def test_page_html_loads_nothing_from_elsewhere(client: TestClient) -> None:
    """GET / is HTML whose scripts and stylesheets are all the app's own, pinned and present."""
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<html lang="en">' in html and "<title>" in html and "<h1>" in html
    links = re.findall(r'(?:src|href|action)="([^"]*)"', html)
    assert links and all(link.startswith(("/", "#", "data:")) for link in links if link), links
    for forbidden in ("cdn.", "jsdelivr", "cdnjs", "jquery", "bootstrap", "fontawesome", "awesome-markers"):
        assert forbidden not in html.lower()
    assert assets.asset_problems() == []
    for _, asset in (*assets.RESIDENT_PAGE_JS, *assets.RESIDENT_PAGE_CSS):
        url = asset.url("/static")
        assert url in html
        assert client.get(url).status_code == 200
    assert client.get(f"/static/{assets.LEAFLET_DIR}/images/layers.png").status_code == 200
    assert len(response.content) < 60_000  # no data in the page: markers load from the API
    assert "FeatureCollection" not in html


def test_vendored_files_are_the_published_ones() -> None:
    """Leaflet.markercluster's files and licence are present; the pinned ones match their SHA-256."""
    folder = assets.static_dir() / assets.MARKERCLUSTER_DIR
    for name in ("leaflet.markercluster.js", "MarkerCluster.css", "MarkerCluster.Default.css", "LICENSE"):
        assert (folder / name).is_file(), name
    for asset in (assets.MARKERCLUSTER_JS, assets.MARKERCLUSTER_CSS, assets.LEAFLET_JS):
        digest = hashlib.sha256((assets.static_dir() / asset.path).read_bytes()).hexdigest()
        assert digest == asset.sha256, asset.path


def test_vectorgrid_is_the_pinned_npm_release() -> None:
    """Leaflet.VectorGrid is pinned in package.json and the served file is its npm release's dist file."""
    root = assets.static_dir().parents[1]
    package = json.loads((root / "package.json").read_text(encoding="utf-8"))
    assert package["dependencies"]["leaflet.vectorgrid"] == assets.VECTORGRID_VERSION
    served = (assets.static_dir() / assets.VECTORGRID_JS.path).read_bytes()
    assert hashlib.sha256(served).hexdigest() == assets.VECTORGRID_JS.sha256
    assert (assets.static_dir() / assets.VECTORGRID_DIR / "LICENSE").is_file()
    installed = root / "node_modules" / "leaflet.vectorgrid" / "dist" / "Leaflet.VectorGrid.bundled.min.js"
    assert installed.read_bytes() == served  # make npm-deps (make test) installs it from package-lock.json


def test_every_control_has_a_label_and_forms_work_without_script(client: TestClient) -> None:
    """Every control has a label; the three offer forms post to the submissions API as plain HTML."""
    parsed = _Controls()
    parsed.feed(client.get("/").text)
    for control in parsed.controls:
        if control.get("type") == "hidden":
            continue
        assert control.get("id") in parsed.label_for or control.get("aria-label"), control
    assert len(parsed.ids) == len(set(parsed.ids)), "ids repeat"
    posts = {f.get("action"): f.get("method") for f in parsed.forms if f.get("data-form")}
    assert posts == {f"/submissions/{k}": "post" for k in ("help", "group", "space")}
    names = {c.get("name") for c in parsed.controls}
    assert {
        "contact_name",
        "contact_email",
        "contact_phone",
        "consent",
        "postcode",
        "offer",
        "name",
        "description",
        "categories",
        "space_kind",
        "website_url",
    } <= names
    search = {c.get("name") for c in parsed.controls if str(c.get("id")).startswith("pm-")}
    assert {
        "where",
        "radius_m",
        "kinds",
        "category",
        "q",
        "day",
        "time",
        "cost",
        "step_free",
        "community",
        "volunteers_wanted",
    } <= search


def _page_data(**changes: Any) -> ResidentMapData:
    base: dict[str, Any] = {
        "static_url": "/static",
        "markers_url": "/map/markers.geojson",
        "search_url": "/search/nearby",
        "areas_url": "/areas",
        "detail_urls": {"group": "/groups/", "hub": "/hubs/", "space": "/spaces/"},
        "submission_urls": {k: f"/submissions/{k}" for k in ("group", "space", "help")},
        "tile_url": "https://tiles.example/{z}/{x}/{y}.png",
        "tile_attribution": "Tiles by Example",
        "data_attribution": "Contains OS data",
        "centre_lon": 1.29,
        "centre_lat": 52.63,
        "zoom": 12,
    }
    return ResidentMapData(**{**base, **changes})


def test_page_builder_escapes_text_and_script_data() -> None:
    """Settings text is escaped in the page; JSON handed to the script cannot close the script element."""
    html = resident_map_page(
        _page_data(data_attribution="<script>alert(1)</script> & co", markers_url="/x</script><b>")
    )
    assert (
        "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    )
    assert "/x</script><b>" not in html


def test_page_with_and_without_a_base_map() -> None:
    """The tile URL and attribution come from settings; an empty tile URL gives no tile layer at all."""
    with_tiles = resident_map_page(_page_data())
    assert "L.tileLayer" in with_tiles and "tiles.example" in with_tiles and "Tiles by Example" in with_tiles
    html = resident_map_page(_page_data(tile_url=""))
    assert "L.tileLayer" not in html and "tiles.example" not in html


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_colours_have_enough_contrast() -> None:
    """Markers and clusters stand out 4.5:1 from white and the map background; shapes differ too."""
    for marker in (*styles.RESIDENT_MARKERS, *styles.MARKERS):
        assert _contrast(marker.fill, "#ffffff") >= 4.5, marker
        assert _contrast(marker.fill, styles.MAP_BACKGROUND) >= 4.5, marker
    assert _contrast(styles.CLUSTER_FILL, "#ffffff") >= 4.5
    assert _contrast(styles.SELECTED, "#ffffff") >= 3
    assert len({m.shape for m in styles.RESIDENT_MARKERS}) == len(styles.RESIDENT_MARKERS)
    assert _contrast(styles.WARD.color, styles.MAP_BACKGROUND) >= 3


def test_every_category_has_a_short_name() -> None:
    """The list's and filters' short category names cover the taxonomy exactly."""
    assert set(styles.CATEGORY_NAMES) == set(GROUP_CATEGORIES)
