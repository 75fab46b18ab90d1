"""Databases of a test module's own, the app served on a local port, and headless Chromium.

Tests whose requests commit (sign-ins, moderation, edits: anything going through the app's own engine) run
on a database of their own, so the session database the other tests share stays as the demo left it.
"""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import uvicorn
from playwright.sync_api import Browser, sync_playwright
from psycopg import sql as pg_sql
from sqlalchemy import Connection
from sqlalchemy.engine import make_url

from api.main import create_app
from layers import migrate
from layers.db import make_engine
from layers.importers.demo import load_demo
from layers.settings import DatabaseSettings, Settings
from tests.resident_browser import CHROMIUM_ARGS
from tests.waiting import until


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def create_database(server_url: str, name: str) -> str:
    """A new, empty database on the test server (dropped first if it exists); its libpq URL."""
    with psycopg.connect(_libpq(server_url), autocommit=True) as admin:
        admin.execute(pg_sql.SQL("DROP DATABASE IF EXISTS {}").format(pg_sql.Identifier(name)))
        admin.execute(pg_sql.SQL("CREATE DATABASE {}").format(pg_sql.Identifier(name)))
    url = make_url(server_url.replace("postgresql://", "postgresql+psycopg://", 1)).set(database=name)
    return _libpq(url.render_as_string(hide_password=False))


def drop_database(server_url: str, name: str) -> None:
    """Drop a test database, closing any connection still open on it."""
    with psycopg.connect(_libpq(server_url), autocommit=True) as admin:
        admin.execute(pg_sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pg_sql.Identifier(name)))


@contextmanager
def demo_database(
    server_url: str,
    prefix: str = "patchmap_test",
    *,
    setup: Callable[[Connection], None] | None = None,
    **parts: Any,
) -> Iterator[Settings]:
    """Settings on a new database, migrated and loaded with the demo (then ``setup`` in the same
    transaction, e.g. to add users); ``parts`` are other Settings sections. Dropped at the end."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    settings = Settings(
        database=DatabaseSettings(url=create_database(server_url, name), pool_min=1, pool_max=4), **parts
    )
    try:
        migrate.upgrade(settings.database)
        engine = make_engine(settings.database)
        with engine.begin() as conn:
            load_demo(conn, settings)
            if setup is not None:
                setup(conn)
        engine.dispose()
        yield settings
    finally:
        drop_database(server_url, name)


@contextmanager
def served(settings: Settings) -> Iterator[str]:
    """The app served by uvicorn (in a thread) on a free local port; its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(create_app(settings), log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()

    def up() -> bool:
        assert thread.is_alive(), "uvicorn did not start"
        return bool(server.started)

    until(up, "uvicorn to start")
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
