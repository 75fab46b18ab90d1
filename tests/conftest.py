"""Test fixtures: one fresh PostGIS database per test session, migrated and loaded with the demo data.

``PATCHMAP_TEST_DATABASE_URL`` names a database on the server where the test database may be created
(``make test`` sets it). A missing or unreachable database fails the run; it never skips.
Each test that writes uses the ``conn`` fixture: a transaction rolled back at the end.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from sqlalchemy import Connection, Engine

from api.main import create_app
from layers.db import make_engine
from layers.settings import DatabaseSettings, Settings
from tests import log_scan
from tests.layers.messages import mailroom
from tests.live_app import create_database, demo_database, drop_database

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTIFACTS = ROOT / "tests" / "artifacts"


SUITE_LOG = ARTIFACTS / "suite.log"
LOG_HANDLER = pytest.StashKey[logging.Handler]()


def pytest_configure(config: pytest.Config) -> None:
    """Browser tests wait for what they check with expect(...): give it as long as Playwright's other waits
    (30 s), not its own default of 5 s, which a busy machine can use up. Every log record of the run goes to
    tests/artifacts/suite.log, scanned for personal data at the end (tests/log_scan.py)."""
    expect.set_options(timeout=30_000)
    config.stash[LOG_HANDLER] = log_scan.start(SUITE_LOG)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if any log line holds personal data (a planted value, an e-mail address, a phone)."""
    handler = session.config.stash.get(LOG_HANDLER, None)
    if handler is None:
        return
    handler.flush()
    hits = log_scan.personal_lines(SUITE_LOG)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if hits:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if reporter is not None:
            reporter.write_line(
                f"FAILED log scan: {len(hits)} log line(s) hold personal data ({SUITE_LOG}):", red=True
            )
            for line in hits[:20]:
                reporter.write_line("  " + line)
    elif reporter is not None:
        lines = sum(1 for _ in SUITE_LOG.open(encoding="utf-8", errors="replace"))
        reporter.write_line(f"log scan: {lines} log lines of this run, 0 with personal data ({SUITE_LOG})")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test that drives Chromium (through a ``browser`` fixture) is marked ``browser``, so that
    ``-m browser`` and ``-m "not browser"`` split the suite where it should be split."""
    unmarked = [
        item.nodeid
        for item in items
        if "browser" in getattr(item, "fixturenames", ()) and item.get_closest_marker("browser") is None
    ]
    if unmarked:
        raise pytest.UsageError("browser tests without the browser mark: " + ", ".join(unmarked))


@pytest.fixture(scope="session")
def server_url() -> str:
    """The URL of a database on the test server (from PATCHMAP_TEST_DATABASE_URL)."""
    url = os.environ.get("PATCHMAP_TEST_DATABASE_URL")
    if not url:
        pytest.fail("PATCHMAP_TEST_DATABASE_URL is not set: run the tests with `make test`", pytrace=False)
    return url


@pytest.fixture
def empty_database(server_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A new database with every migration and no data, named by DATABASE_URL (where the command line reads
    it); its libpq URL. Dropped at the end."""
    from layers import migrate

    name = f"patchmap_test_empty_{uuid.uuid4().hex[:8]}"
    url = create_database(server_url, name)
    migrate.upgrade(DatabaseSettings(url=url))
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    drop_database(server_url, name)


@pytest.fixture(scope="session")
def scratch_db(server_url: str) -> Iterator[DatabaseSettings]:
    """A new, empty database (with nothing migrated) for tests of migrations themselves."""
    name = f"patchmap_scratch_{uuid.uuid4().hex[:8]}"
    url = create_database(server_url, name)
    yield DatabaseSettings(url=url)
    drop_database(server_url, name)


@pytest.fixture(scope="session")
def settings(server_url: str) -> Iterator[Settings]:
    """Settings pointing at this session's own database, migrated and loaded with the demo."""
    with demo_database(server_url) as s:
        yield s


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    """A SQLAlchemy engine on the test database."""
    e = make_engine(settings.database)
    yield e
    e.dispose()


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    with engine.connect() as c:
        tx = c.begin()
        try:
            yield c
        finally:
            tx.rollback()


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    """An HTTP client on the app, with its lifespan (pool) running."""
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where tests keep screenshots for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[mailroom.SmtpServer]:
    """A local SMTP server for a whole module (its own log kept quiet), stopped at the module's end."""
    with mailroom.quiet_mail_log():
        server = mailroom.SmtpServer(mailroom.Inbox())
        server.start()
        try:
            yield server
        finally:
            server.stop()
