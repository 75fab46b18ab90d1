"""The ORUK API's answers: the API's own description, pages of services, organisations, services at locations,
taxonomies and taxonomy terms (services and services at locations filtered as ``layers.oruk.filters`` says;
``page``/``per_page``, with the profile's ``total_items``, ``total_pages``,
``page_number``, ``size``, ``first_page``, ``last_page``, ``empty``), and each one by its id.

Groups are read with ``oruk_services.sql`` (public fields only) and shaped by ``layers.oruk.shapes``. The
taxonomy is Patchmap's own list of group categories (``layers.taxonomy``), so it needs no database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from layers.errors import NotFound
from layers.oruk import filters, shapes
from layers.oruk.ids import is_uuid, taxonomy_id, term_id
from layers.sql import sql
from layers.taxonomy import GROUP_CATEGORIES

HSDS_VERSION: Final = "3.0"
PROFILE_URL: Final = "https://github.com/openreferral/uk-profile"
PER_PAGE: Final = 50
MAX_PER_PAGE: Final = 500


@dataclass(frozen=True)
class Paging:
    """Which page a client asked for: ``page`` from 1, ``per_page`` items a page."""

    page: int = 1
    per_page: int = PER_PAGE

    @property
    def offset(self) -> int:
        """How many items come before this page."""
        return (self.page - 1) * self.per_page


def api_info(base_url: str, openapi_url: str) -> dict[str, str]:
    """What ``/oruk/`` says of itself: the HSDS version, the profile, and where its OpenAPI document is."""
    return {
        "version": HSDS_VERSION,
        "profile": PROFILE_URL,
        "openapi_url": base_url.rstrip("/") + openapi_url,
    }


def page_of(contents: list[dict[str, Any]], total: int, paging: Paging) -> dict[str, Any]:
    """One page in the profile's shape (its components' ``Page`` with ``contents``)."""
    pages = -(-total // paging.per_page)
    return {
        "total_items": total, "total_pages": pages, "page_number": paging.page, "size": len(contents),
        "first_page": paging.page == 1, "last_page": paging.page >= pages, "empty": not contents,
        "contents": contents,
    }  # fmt: skip


async def _services(
    conn: AsyncConnection[Any],
    *,
    limit: int,
    offset: int = 0,
    located: bool = False,
    ids: dict[str, str] | None = None,
    filtered: dict[str, Any] | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """The total of groups matching and one page of their rows (``oruk_services.sql``); ``ids`` filter by
    service_id, organization_id or service_at_location_id; ``filtered`` are a listing's checked filters
    (``filters.sql_params``)."""
    params: dict[str, Any] = {"service_id": None, "organization_id": None, "service_at_location_id": None}
    params |= filters.NO_FILTER | (filtered or {}) | (ids or {})
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            sql("oruk_services.sql"), params | {"located": located, "limit": limit, "offset": offset}
        )
        rows = await cur.fetchall()
    return int(rows[0]["total_items"]), [r for r in rows if r["id"] is not None]


async def _paged(
    conn: AsyncConnection[Any],
    paging: Paging,
    shape: Callable[[dict[str, Any]], dict[str, Any]],
    located: bool,
    filtered: dict[str, Any] | None = None,
) -> dict[str, Any]:
    total, rows = await _services(
        conn, limit=paging.per_page, offset=paging.offset, located=located, filtered=filtered
    )
    return page_of([shape(r) for r in rows], total, paging)


async def _one(conn: AsyncConnection[Any], what: str, id_: str, key: str) -> dict[str, Any]:
    """The row of the group published under ``id_`` as a ``what`` (its ``key`` column), or NotFound."""
    if is_uuid(id_):
        _, rows = await _services(conn, limit=1, located=key == "service_at_location_id", ids={key: id_})
        if rows:
            return rows[0]
    raise _missing(what, id_)


PATHS: Final = {"service": "services", "organization": "organizations", "taxonomy": "taxonomies",
                 "service at location": "service_at_locations", "taxonomy term": "taxonomy_terms"}  # fmt: skip


def _missing(what: str, id_: str) -> NotFound:
    return NotFound(
        f"No {what} has the id {id_[:80]!r}",
        f"ORUK ids are UUIDs: take one from a page of /oruk/{PATHS[what]}.",
    )


async def services_page(
    conn: AsyncConnection[Any], paging: Paging, wanted: filters.ServiceFilters | None = None
) -> dict[str, Any]:
    """A page of the services ``wanted`` (all by default) with their one-to-one fields and organisation."""
    filtered = await filters.sql_params(conn, wanted or filters.ServiceFilters())
    return await _paged(conn, paging, shapes.service_list_item, located=False, filtered=filtered)


async def service(conn: AsyncConnection[Any], id_: str) -> dict[str, Any]:
    """One service fully nested, or NotFound."""
    return shapes.service_full(await _one(conn, "service", id_, "service_id"))


async def organizations_page(conn: AsyncConnection[Any], paging: Paging) -> dict[str, Any]:
    """A page of organisations with their one-to-one fields."""
    return await _paged(conn, paging, shapes.organization, located=False)


async def organization(conn: AsyncConnection[Any], id_: str) -> dict[str, Any]:
    """One organisation with its service fully nested, or NotFound."""
    return shapes.organization_full(await _one(conn, "organization", id_, "organization_id"))


async def service_at_locations_page(
    conn: AsyncConnection[Any], paging: Paging, wanted: filters.ServiceFilters | None = None
) -> dict[str, Any]:
    """A page of services at their locations (services with a hub or public venue only), those ``wanted``."""
    filtered = await filters.sql_params(conn, wanted or filters.ServiceFilters())
    return await _paged(conn, paging, shapes.service_at_location_list_item, located=True, filtered=filtered)


async def service_at_location(conn: AsyncConnection[Any], id_: str) -> dict[str, Any]:
    """One service at its location, fully nested, or NotFound."""
    return shapes.service_at_location_full(
        await _one(conn, "service at location", id_, "service_at_location_id")
    )


def _listed(items: Sequence[dict[str, Any]], paging: Paging) -> dict[str, Any]:
    return page_of(list(items[paging.offset : paging.offset + paging.per_page]), len(items), paging)


def taxonomies_page(paging: Paging) -> dict[str, Any]:
    """A page of the taxonomies Patchmap publishes (one: its group categories)."""
    return _listed([shapes.taxonomy()], paging)


def taxonomy(id_: str) -> dict[str, Any]:
    """A taxonomy with its terms, or NotFound."""
    if id_.lower() != taxonomy_id():
        raise _missing("taxonomy", id_) from None
    return shapes.taxonomy(with_terms=True)


def taxonomy_terms_page(paging: Paging) -> dict[str, Any]:
    """A page of the terms of Patchmap's taxonomy."""
    return _listed([shapes.taxonomy_term(k) for k in GROUP_CATEGORIES], paging)


def taxonomy_term(id_: str) -> dict[str, Any]:
    """A taxonomy term, or NotFound."""
    for key in GROUP_CATEGORIES:
        if term_id(key) == id_.lower():
            return shapes.taxonomy_term(key)
    raise _missing("taxonomy term", id_)
