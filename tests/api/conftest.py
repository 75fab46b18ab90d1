"""The API tests' shared fixtures: an app of each module's own, and one rolled-back connection per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from layers.settings import Settings
from tests.rolled_back import RolledBack, rolled_back


@pytest.fixture(scope="module")
def app_client(settings: Settings) -> Iterator[TestClient]:
    """A client on an app of this module's own; ``db`` points it at a rolled-back connection per test."""
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def db(app_client: TestClient, settings: Settings) -> Iterator[RolledBack]:
    """The app on one connection in a transaction rolled back after the test."""
    with rolled_back(app_client, settings.database.url) as tx:
        yield tx
