"""The Open Referral UK 3.0 profile's JSON Schemas (tests/fixtures/openreferral-uk-3.0), ready to validate with.

Every schema file is registered (``referencing``) under the address the profile's OpenAPI refers to it by, so
the OpenAPI's own response schemas resolve their ``$ref``s here, offline. ``strict`` validators use copies
in which no object may hold a property its schema does not declare (the profile's schemas allow any), so an
undeclared field, a private one say, fails; formats (uuid, email, date-time, uri) are checked too.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

HERE: Final = Path(__file__).parent / "fixtures" / "openreferral-uk-3.0"
BASE: Final = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/"
OPENAPI: Final = BASE + "openapi.json"
PAGE_KEYS: Final = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty",
                    "contents"}  # fmt: skip

FORMATS = FormatChecker(["uuid", "email", "date"])


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    return (
        not isinstance(value, str) or datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None
    )


@FORMATS.checks("uri", raises=ValueError)
def _uri(value: object) -> bool:
    return not isinstance(value, str) or bool(urlsplit(value).scheme and urlsplit(value).netloc)


def _closed(schema: Any) -> Any:
    """A copy of ``schema`` where every object with properties allows no others."""
    if isinstance(schema, dict):
        out = {k: _closed(v) for k, v in schema.items()}
        if isinstance(schema.get("properties"), dict) and "additionalProperties" not in schema:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_closed(v) for v in schema]
    return schema


@cache
def registry(strict: bool) -> Registry:
    """Every schema of the profile (and its OpenAPI document), by the address the OpenAPI uses."""
    resources = []
    for path in sorted((HERE / "schema").rglob("*.json")):
        name = path.relative_to(HERE / "schema").as_posix()
        contents = json.loads(path.read_text(encoding="utf-8"))
        if strict and name != "openapi.json":
            contents = _closed(copy.deepcopy(contents))
        resources.append((BASE + name, Resource.from_contents(contents, default_specification=DRAFT202012)))
    return Registry().with_resources(resources)


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def answer_schema(path: str) -> dict[str, Any]:
    """The schema of a 200 answer of ``path`` (e.g. ``/services/{id}``) as the profile's OpenAPI gives it."""
    where = _pointer("paths", path, "get", "responses", "200", "content", "application/json", "schema")
    return {"$ref": f"{OPENAPI}#/{where}"}


def page_schema(items: str) -> dict[str, Any]:
    """A page (the OpenAPI's Page) whose contents are ``items`` (a schema file's name)."""
    return {
        "allOf": [{"$ref": f"{OPENAPI}#/components/schemas/Page"}],
        "properties": {"contents": {"type": "array", "items": {"$ref": BASE + items}}},
    }


@cache
def _validator(schema: str, strict: bool) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema), registry=registry(strict), format_checker=FORMATS)


def errors(schema: dict[str, Any], body: Any, *, strict: bool) -> list[str]:
    """Every validation error of ``body`` against ``schema`` (empty: valid)."""
    validator = _validator(json.dumps(schema, sort_keys=True), strict)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]


@cache
def declared_names() -> frozenset[str]:
    """Every property name the profile's schemas and OpenAPI declare (the names an ORUK answer may use)."""
    names: set[str] = set(PAGE_KEYS)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("properties"), dict):
                names.update(node["properties"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in (HERE / "schema").rglob("*.json"):
        walk(json.loads(path.read_text(encoding="utf-8")))
    return frozenset(names)
