"""docs/taxonomy.md documents every controlled value in layers/taxonomy.py, and the database enforces them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from layers import taxonomy as tx
from tests.conftest import ROOT


def test_doc_lists_every_value() -> None:
    doc = (ROOT / "docs" / "taxonomy.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([^`]+)` \|", doc, flags=re.M))
    for vocab in (
        tx.GROUP_CATEGORIES,
        tx.COMMUNITIES_OF_IDENTITY,
        tx.COMMUNITIES_OF_INTEREST,
        tx.HUB_KINDS,
        tx.SPACE_KINDS,
    ):
        assert set(vocab) <= documented


def test_database_refuses_an_unknown_category(conn: Connection) -> None:
    with pytest.raises(IntegrityError, match="ck_groups_categories"), conn.begin_nested():
        conn.execute(text("INSERT INTO groups (name, categories) VALUES ('x', ARRAY['not-a-category'])"))
