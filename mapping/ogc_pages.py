"""The HTML pages of the OGC API: each JSON document (``layers.ogc.documents``) shown as a page, its values
escaped by the one autoescaped template environment. Nothing here reads a database."""

from __future__ import annotations

from typing import Any

from mapping.pages import TEMPLATES


def ogc_value(value: Any) -> str:
    """A property value as text: lists joined, nothing for null."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(ogc_value(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


TEMPLATES.filters.setdefault("ogc_value", ogc_value)


def ogc_page(kind: str, doc: dict[str, Any], *, root: str, title: str, description: str = "") -> str:
    """The page of one document of ``kind`` (landing, conformance, collections, collection, queryables, items, item)."""
    columns: list[str] = []
    if kind == "items":
        for feature in doc.get("features", []):
            columns += [c for c in feature.get("properties", {}) if c not in columns and c != "id"]
    self_href = next((k["href"] for k in doc.get("links", []) if k["rel"] == "self"), "")
    items_url = self_href.split("?")[0]
    return TEMPLATES.get_template("ogc_page.html").render(
        kind=kind,
        doc=doc,
        root=root,
        title=title,
        description=description,
        columns=columns,
        items_url=items_url,
        css=[],
    )
