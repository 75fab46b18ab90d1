"""The stable UUIDs of Patchmap's ORUK records: version 5 UUIDs over one namespace and a name (``group/12``).

The database computes the same ids with ``patchmap_oruk_uuid`` (migration 0018). A record imported from an
ORUK feed keeps the id it had there (its ``source`` is ``oruk`` and its ``source_id`` that id), so a feed
read and published again keeps its ids.
"""

from __future__ import annotations

import re
import uuid
from typing import Final

#: uuid5(NAMESPACE_URL, "https://patchmap.org.uk/oruk"); written into migration 0018 too. Never change it.
NAMESPACE: Final = uuid.UUID("f63fe1ca-2271-5933-bc47-2f8c9acb18fa")
#: The source of records imported from an ORUK feed (their source_id is their ORUK id).
SOURCE: Final = "oruk"
TAXONOMY_KEY: Final = "group-categories"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


def oruk_id(*parts: object) -> str:
    """The ORUK id named by ``parts`` joined with "/": ``oruk_id("schedule", service_id, 0)``."""
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def is_uuid(value: object) -> bool:
    """Whether ``value`` is a UUID written the usual way (8-4-4-4-12 hexadecimal digits)."""
    return isinstance(value, str) and _UUID.match(value) is not None


def taxonomy_id() -> str:
    """The id of Patchmap's published taxonomy of group categories."""
    return oruk_id("taxonomy", TAXONOMY_KEY)


def term_id(key: str) -> str:
    """The id of one group category's taxonomy term."""
    return oruk_id("taxonomy_term", TAXONOMY_KEY, key)
