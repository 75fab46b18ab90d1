"""Output formats and their writers, one home for both the API and the command line.

``FORMATS`` names each format Patchmap writes (its media type, file suffix and label); the API negotiates
among them with one rule (``api.formats.negotiate``: ``f=`` first, then ``Accept``) and the command line
picks one by the output file's suffix (``format_of_path``). The writers: ``tables`` (spreadsheet-safe CSV),
``features`` (GeoJSON, EPSG:4326, lon/lat) and ``geopackage``. A new export format is a row here and a
writer module beside these.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from layers.errors import InvalidInput


@dataclass(frozen=True)
class Format:
    """One output format: its name (as in ``f=``), media type, file suffix and a label for people."""

    name: str
    media_type: str
    suffix: str
    label: str


FORMATS: Final[dict[str, Format]] = {
    f.name: f
    for f in (
        Format("json", "application/json", ".json", "JSON"),
        Format("csv", "text/csv", ".csv", "CSV"),
        Format("geojson", "application/geo+json", ".geojson", "GeoJSON"),
        Format("gpkg", "application/geopackage+sqlite3", ".gpkg", "GeoPackage"),
        Format("html", "text/html", ".html", "HTML"),
    )
}


def format_of_path(path: Path, offered: tuple[str, ...]) -> Format:
    """The format a file's suffix names, among ``offered``; InvalidInput naming the suffixes that work."""
    by_suffix = {FORMATS[name].suffix: FORMATS[name] for name in offered}
    found = by_suffix.get(path.suffix.lower())
    if found is None:
        raise InvalidInput(
            f"Unknown output format {path.suffix or path.name!r}",
            f"End the file name with {', '.join(by_suffix)}.",
        )
    return found
