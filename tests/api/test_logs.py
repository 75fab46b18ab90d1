"""Logs without personal data: an unexpected error is logged as its type and place, never its message, and
the scan of the whole run's log (tests/log_scan.py) does find what it looks for."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from layers.settings import Settings
from tests import log_scan

SECRET = "jo.secret@example.net 07700 900999"


def test_an_unexpected_error_is_a_plain_500_logged_without_its_message(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings)

    @app.get("/boom")
    async def boom() -> None:
        raise ValueError(f"could not store {SECRET}")

    caplog.set_level(logging.DEBUG)
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/boom")
    assert answer.status_code == 500
    assert answer.json() == {
        "error": "Something went wrong on our side",
        "detail": "The error has been logged; please try again.",
    }
    assert "unexpected ValueError at" in caplog.text and "/boom" in caplog.text
    assert "jo.secret" not in caplog.text and "07700" not in caplog.text
    assert answer.headers["content-security-policy"].startswith("default-src 'self'")


def test_the_log_scan_finds_planted_values_emails_and_phones(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_text(
        "INFO fine: stored help submission PM-7K3Q9XF2 as pending\n"
        "ERROR bad: [parameters: {'e': 'someone@example.org'}]\n"
        "WARNING bad: call 07700 900461\n"
        "INFO bad: 12 Hidden Lane\n",
        encoding="utf-8",
    )
    assert [line.split()[0] for line in log_scan.personal_lines(log)] == ["ERROR", "WARNING", "INFO"]
    assert "PM-7K3Q9XF2" not in "".join(log_scan.personal_lines(log))
